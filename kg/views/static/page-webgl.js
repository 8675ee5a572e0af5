// The WebGL page (kg.views.html, renderer "webgl"): the same "paperkg-data" as page.js, drawn by sigma.js
// (WebGL) from a graphology graph instead of vis-network (canvas), for views of tens of thousands of nodes.
// Positions are the ones computed in Python; nothing is laid out here. The panel, legend, filters and
// search box are panel.js (inlined before this file), shared with page.js; this file draws, hovers, clicks
// and moves the camera. No aggregate view: WebGL draws every node of a large map at once.
var graph, renderer;  // graphology Graph and Sigma instance, for tests and bench/view_speed.py
window.paperkg = paperkgPage(function (P) {
  var C = P.catalog, E = P.edges, index = P.index, drawn = P.drawn, nodeOff = P.nodeOff, edgeOff = P.edgeOff;
  var RELS = DATA.relationColors, GROUPS = DATA.groupColors, OTHER = "#9d9d9d";
  var HIDDEN_COLOR = "#e4e4e4";
  var container = document.getElementById("mynetwork");
  // sigma sizes nodes in screen pixels (not graph units, as vis-network does): shrink them as the view
  // grows so that a map of 20,000 nodes is not one blot at the first zoom
  var SIZE_SCALE = DATA.nodes.length > 5000 ? 0.25 : DATA.nodes.length > 1000 ? 0.4 : 0.6;
  function fill(n) { return typeof n.color === "object" && n.color ? n.color.background : (n.color || GROUPS[n.type] || OTHER); }
  graph = new graphology.MultiGraph({allowSelfLoops: true});
  DATA.nodes.forEach(function (n) {
    // graph y grows upwards in sigma, downwards in vis-network and in the data: flip it to draw the same picture
    graph.addNode(n.id, {x: n.x, y: -n.y, size: Math.max(1.5, n.size * SIZE_SCALE), color: fill(n),
                         label: n.label, forceLabel: DATA.titles.length > 0 && n.drawLabel !== false,
                         zIndex: n.size});
  });
  var OPACITY = DATA.options.edges.color.opacity;
  function faded(hex) {  // sigma takes one colour per edge: the page's edge opacity goes into it
    var v = parseInt(String(hex).slice(1), 16);
    if (String(hex).length !== 7 || isNaN(v)) return hex;
    return "rgba(" + (v >> 16) + "," + ((v >> 8) & 255) + "," + (v & 255) + "," + OPACITY + ")";
  }
  E.forEach(function (e, k) {
    graph.addEdgeWithKey(String(k), e.source, e.target,
                         {color: faded(RELS[e.r] || OTHER), size: e.w ? Math.min(0.5 + Math.log2(e.w), 4) : 0.5});
  });
  window.paperkgTimes.network = performance.now();

  // --- highlight: the selected node and its neighbours in colour, the rest grey; other edges hidden
  var hl = null, hover = null;  // hl: the shared highlight (panel.js), kept here for the reducers
  function isHidden(id) { return !drawn.has(id) || !!nodeOff.get(id); }
  function nodeReducer(id, attrs) {
    if (nodeOff.get(id)) return Object.assign({}, attrs, {hidden: true});
    if (hl && !hl.set.has(id)) return Object.assign({}, attrs, {color: HIDDEN_COLOR, label: null, forceLabel: false, zIndex: 0});
    if (hl) return Object.assign({}, attrs, {forceLabel: true, highlighted: id === hl.id, zIndex: id === hl.id ? 1e6 : 1e5});
    if (hover === id) return Object.assign({}, attrs, {forceLabel: true, highlighted: true});
    return attrs;
  }
  function edgeReducer(k, attrs) {
    var e = E[Number(k)];
    if (edgeOff[k] || nodeOff.get(e.from) || nodeOff.get(e.to)) return Object.assign({}, attrs, {hidden: true});
    if (hl && !hl.edgeSet.has(k)) return Object.assign({}, attrs, {hidden: true});
    if (hl) return Object.assign({}, attrs, {size: attrs.size + 1, color: RELS[e.r] || OTHER});
    return attrs;
  }
  renderer = new Sigma(graph, container, {
    nodeReducer: nodeReducer, edgeReducer: edgeReducer, zIndex: true,
    defaultEdgeColor: "#b8b8b8", renderEdgeLabels: false,
    // hover and click on edges need a second picking pass over every edge: only for smaller views
    enableEdgeEvents: E.length <= 5000,
    labelFont: "system-ui, sans-serif", labelSize: 12, labelWeight: "500", labelColor: {color: "#222222"},
    labelDensity: 0.35, labelGridCellSize: 100, labelRenderedSizeThreshold: 4,
    // panning 20,000+ edges on a software GL stutters: draw them again once the camera stops
    hideEdgesOnMove: E.length > 20000, minCameraRatio: 0.01, maxCameraRatio: 4,
  });
  var camera = renderer.getCamera();
  // sigma issues its first draw on an animation frame queued before this one; the GL work itself runs
  // after that callback (on a software GL, most of the time), so "drawn" is the start of the next frame
  requestAnimationFrame(function () {
    requestAnimationFrame(function () {
      window.paperkgTimes.drawn = performance.now();
      window.paperkgDrawn = true;
    });
  });
  // a selection or a hover changes colours and labels, not positions or sizes: sigma can keep its spatial
  // index (the legend and the filters hide nodes, so they re-index: redraw(true))
  function redraw(reindex) { renderer.refresh(reindex === true ? undefined : {skipIndexation: true}); }
  function redrawNode(id) { renderer.refresh({partialGraph: {nodes: [id]}, skipIndexation: true}); }

  // --- tooltip: the node's details as text, next to the pointer
  var tip = document.createElement("div");
  tip.className = "vis-tooltip webgl-tooltip";
  tip.hidden = true;
  container.appendChild(tip);
  renderer.on("enterNode", function (ev) {
    hover = ev.node;
    tip.textContent = P.nodeTip(C[index.get(ev.node)]);
    var d = renderer.framedGraphToViewport(renderer.getNodeDisplayData(ev.node));
    tip.style.left = Math.round(d.x + 12) + "px";
    tip.style.top = Math.round(d.y + 12) + "px";
    tip.hidden = false;
    container.style.cursor = "pointer";
    if (!hl) redrawNode(ev.node);
  });
  renderer.on("leaveNode", function (ev) {
    hover = null;
    tip.hidden = true;
    container.style.cursor = "";
    if (!hl) redrawNode(ev.node);
  });
  renderer.on("enterEdge", function (ev) {
    tip.textContent = P.edgeTip(E[Number(ev.edge)]);
    tip.hidden = false;
  });
  renderer.on("leaveEdge", function () { tip.hidden = true; });

  // --- camera and clicks
  function zoomTo(ids, animate) {
    // the node and its visible neighbours (sigma's camera works in its normalised "framed graph"
    // coordinates, which getNodeDisplayData gives), shifted left of the side panel
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    ids.forEach(function (n) {
      var p = renderer.getNodeDisplayData(n);
      if (!p) return;
      x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x); y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y);
    });
    var ratio = Math.min(1, Math.max(0.02, 1.4 * Math.max(x1 - x0, y1 - y0, 0.02)));
    var off = P.focusOffset(), shift = off.x / Math.max(container.clientWidth, 1) * ratio;
    var state = {x: (x0 + x1) / 2 + shift, y: (y0 + y1) / 2, ratio: ratio, angle: 0};
    if (animate === false) camera.setState(state);
    else camera.animate(state, {duration: 350, easing: "quadraticInOut"});
  }
  renderer.on("clickNode", function (ev) { P.select(ev.node); });
  renderer.on("clickEdge", function (ev) { P.showEdge(Number(ev.edge)); });
  renderer.on("clickStage", function () { P.clear(); });

  return {
    select: function () {},  // sigma has no selection state of its own: the highlight (reducers) shows it
    highlighted: function (h) { hl = h; }, isHidden: isHidden, redraw: redraw,
    // hidden nodes leave sigma's spatial index (hover, click): re-index
    update: function () { redraw(true); },
    zoomTo: zoomTo,
    api: {drillDown: function () { return false; }, back: function () { return false; }, aggregate: false,
          // drawn node labels are chosen by sigma's label grid: not measured here
          labelBoxes: function () { return []; }, titleBoxes: function () { return []; },
          canvasEdges: false, renderer: "webgl"},
  };
});
