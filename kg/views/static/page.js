// The canvas page (kg.views.html, renderer "canvas"): "paperkg-data" drawn by vis-network. The panel,
// legend, filters and search box are panel.js (inlined before this file); this file draws: vis-network's
// data sets, the canvas-drawn edges of a large view, the highlight, a large map's aggregate view of its
// communities and the region names.
var nodes, edges, network;  // vis-network's DataSets and Network, for tests and bench/view_speed.py
window.paperkg = paperkgPage(function (P) {
  var C = P.catalog, E = P.edges, index = P.index, drawn = P.drawn, hidden = P.hidden;
  var nodeOff = P.nodeOff, edgeOff = P.edgeOff, legendKey = P.legendKey, nodeTip = P.nodeTip, edgeTip = P.edgeTip;
  var edgeWidth = P.edgeWidth, short = P.short, plural = P.plural;
  var RELS = DATA.relationColors, GROUPS = DATA.groupColors, OTHER = "#9d9d9d", CANVAS_EDGES = DATA.canvasEdges;
  var NCOLORS = DATA.communityColors.length, FAINT = DATA.options.edges.color.opacity < 0.5;
  var CNAMES = new Map(DATA.communities.map(function (c) { return [c.id, c.label]; }));
  function visEdge(k) {  // the vis-network record of edge k
    var e = E[k], rec = {id: k, from: e.from, to: e.to, relation: e.r, color: RELS[e.r] || OTHER, title: edgeTip(e)};
    // a map's links are context, not the picture: faint (vis-network ignores the global opacity for a colour string)
    if (FAINT) rec.color = {color: rec.color, highlight: rec.color, hover: rec.color, opacity: DATA.options.edges.color.opacity};
    if (e.r === "relatedTo") { rec.arrows = {to: {enabled: false}}; rec.dashes = true; }
    if (e.w) rec.width = edgeWidth(e);
    if (e.n) rec.smooth = {enabled: true, type: e.n % 2 ? "curvedCW" : "curvedCCW", roundness: 0.2 * ((e.n + 1) >> 1)};
    if (edgeOff[k]) rec.hidden = true;
    return rec;
  }

  function visNode(n) {  // the vis-network record of a drawn node
    var rec = {id: n.id, x: n.x, y: n.y, size: n.size, shape: n.shape, kind: n.type,
               color: n.color || GROUPS[n.type] || OTHER, title: nodeTip(C[index.get(n.id)])};
    if (n.drawLabel !== false) rec.label = n.label;
    var c = legendKey(n);
    if (c !== undefined) rec.c = c;
    if (n.borderWidth) rec.borderWidth = n.borderWidth;
    if (n.physics === false) rec.physics = false;
    if (nodeOff.get(n.id)) rec.hidden = true;
    return rec;
  }
  // A large map opens as its communities, one node each (aggregateNodes); a click on one draws its members.
  var AGG = !!DATA.aggregate, current = null, SUPER = "community:";
  function aggregateNodes() {
    return DATA.communities.map(function (c) {
      var name = c.label.split(" \u00b7 ").slice(0, 2).join(" \u00b7 ");
      return {id: SUPER + c.id, label: name, x: c.x, y: c.y, size: Math.round(10 + 3 * Math.sqrt(c.size)), shape: "dot",
              color: c.color, kind: "Community", font: {size: DATA.options.nodes.font.size * 1.2},
              hidden: hidden.community.has(String(c.id < NCOLORS ? c.id : -1)),
              title: c.label + "\n" + plural(c.size, "node") + " \u00b7 click to open"};
    });
  }
  function aggregateEdges() {
    return (DATA.communityEdges || []).map(function (e, i) {
      return {id: "c" + i, from: SUPER + e.source, to: SUPER + e.target, width: Math.min(1 + Math.log2(e.weight), 12),
              color: {color: "#7f8ea3", opacity: 0.4}, arrows: {to: {enabled: false}}};
    });
  }
  var visNodes = AGG ? aggregateNodes() : DATA.nodes.map(visNode);
  window.paperkgTimes.titles = performance.now();
  nodes = new vis.DataSet(visNodes);
  // Large views: every edge is drawn below the nodes by drawEdges (one canvas path per relation);
  // vis-network only gets the edges of the selected node (hover, click, arrows). Small views: all of them.
  edges = new vis.DataSet(AGG ? aggregateEdges() : CANVAS_EDGES ? [] : E.map(function (e, k) { return visEdge(k); }));
  window.paperkgTimes.datasets = performance.now();
  var container = document.getElementById("mynetwork");
  network = new vis.Network(container, {nodes: nodes, edges: edges}, DATA.options);
  window.paperkgTimes.network = performance.now();
  network.once("afterDrawing", function () {
    window.paperkgTimes.drawn = performance.now();
    window.paperkgDrawn = true;
  });
  // The legend floats over the top-right of the canvas: a plain fit can put nodes under it, where
  // they can be neither seen nor clicked. Fit, then shrink and shift the drawing into the part of
  // the canvas left of the legend.
  function fitView() {
    network.fit({animation: false});
    var legend = document.getElementById("legend"), width = container.clientWidth;
    if (!legend || !legend.offsetParent || !width) return;
    var clear = width - (legend.offsetWidth + 20);
    if (clear < width / 2) return;  // a narrow window: the legend covers too much to avoid
    var scale = network.getScale() * clear / width, at = network.getViewPosition();
    network.moveTo({position: {x: at.x + (width - clear) / 2 / scale, y: at.y}, scale: scale, animation: false});
  }
  if (DATA.physics) {
    // vis-network has fitted the view by the time this fires; fitView refits it clear of the legend
    network.once("stabilizationIterationsDone", function () { network.setOptions({physics: {enabled: false}}); fitView(); });
  } else {
    fitView();
  }
  function isHidden(id) { var n = network.body.nodes[id]; return !n || n.options.hidden; }

  function drawEdges(ctx) {
    var body = network.body.nodes, scale = network.getScale(), paths = new Map();
    var w = container.clientWidth, h = container.clientHeight;
    var tl = network.DOMtoCanvas({x: 0, y: 0}), br = network.DOMtoCanvas({x: w, y: h});
    for (var k = 0; k < E.length; k++) {
      var e = E[k];
      if (edgeOff[k]) continue;
      var a = body[e.from], b = body[e.to];
      if (!a || !b || a.options.hidden || b.options.hidden) continue;
      if ((a.x < tl.x && b.x < tl.x) || (a.x > br.x && b.x > br.x) ||
          (a.y < tl.y && b.y < tl.y) || (a.y > br.y && b.y > br.y)) continue;  // off screen
      var key = e.r + "|" + (e.w ? Math.round(edgeWidth(e)) : 1), path = paths.get(key);
      if (!path) { path = new Path2D(); paths.set(key, path); }
      path.moveTo(a.x, a.y);
      path.lineTo(b.x, b.y);
    }
    ctx.save();
    paths.forEach(function (path, key) {
      var parts = key.split("|");
      ctx.strokeStyle = RELS[parts[0]] || OTHER;
      ctx.lineWidth = Math.max(Number(parts[1]), 0.5 / scale);
      // dashes are slow to rasterise: relatedTo is dashed only once zoomed in, fainter before
      var dashed = parts[0] === "relatedTo";
      ctx.setLineDash(dashed && scale >= 0.6 ? [5, 5] : []);
      ctx.globalAlpha = DATA.options.edges.color.opacity * (dashed && scale < 0.6 ? 0.6 : 1);
      ctx.stroke(path);
    });
    ctx.restore();
  }
  if (CANVAS_EDGES) network.on("beforeDrawing", drawEdges);

  // --- highlight: dim everything, then draw the selected node, its neighbours and their edges on top
  var hl = null;
  function highlighted(h) {  // vis-network draws the selected node's edges (arrows, hover) when it draws no other
    hl = h;
    if (CANVAS_EDGES && edges.length) edges.clear();
    if (CANVAS_EDGES && h) edges.add(h.edges.map(visEdge));
  }
  // region names over the edges and nodes, under a selection's highlight (drawTitles: communities below)
  network.on("afterDrawing", function (ctx) { drawTitles(ctx); });
  network.on("afterDrawing", function (ctx) {
    if (!hl) return;
    var body = network.body, w = container.clientWidth, h = container.clientHeight;
    var a = network.DOMtoCanvas({x: 0, y: 0}), b = network.DOMtoCanvas({x: w, y: h});
    ctx.save();
    ctx.fillStyle = "rgba(255,255,255,0.8)";
    ctx.fillRect(a.x, a.y, b.x - a.x, b.y - a.y);
    ctx.restore();
    hl.edges.forEach(function (k) {
      var e = body.edges[k];
      if (e && e.connected && !e.options.hidden && !isHidden(e.fromId) && !isHidden(e.toId)) {
        e.draw(ctx);
        e.drawArrows(ctx);
      }
    });
    var shownIds = hl.nodes.filter(function (id) { return !isHidden(id); }), labels = [];
    var scale = network.getScale(), small = scale < 0.8;  // vis-network's labels would be tiny or absent
    shownIds.slice(1).concat(shownIds[0] === hl.id ? [hl.id] : []).forEach(function (id) {
      var drawnNode = body.nodes[id].draw(ctx);
      if (drawnNode.drawExternalLabel && !small) labels.push(drawnNode.drawExternalLabel);
    });
    labels.forEach(function (drawLabel) { drawLabel(); });
    if (small) {  // name the neighbourhood at a readable size whatever the zoom; the selected node on top
      ctx.save();
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      ctx.lineJoin = "round";
      ctx.lineWidth = 4 / scale;
      ctx.strokeStyle = "rgba(255,255,255,0.95)";
      ctx.fillStyle = "#222";
      shownIds.slice(0, 60).reverse().forEach(function (id) {
        var n = body.nodes[id], text = short(C[index.get(id)].label, id === hl.id ? 60 : 36);
        var y = n.y + (n.options.size || 10) + 3 / scale;
        ctx.font = (id === hl.id ? "700 " + 14 / scale : "500 " + 11 / scale) + "px system-ui, sans-serif";
        ctx.strokeText(text, n.x, y);
        ctx.fillText(text, n.x, y);
      });
      ctx.restore();
    }
  });

  function drillDown(cid, fit) {  // a large map: draw one community's members instead of its node
    current = cid;
    P.unhighlight();
    nodes.clear();
    edges.clear();
    var mine = new Set(P.byCommunityId.get(cid) || []);
    nodes.add(DATA.nodes.filter(function (n) { return mine.has(n.id); }).map(visNode));
    if (!CANVAS_EDGES) {
      var ks = [];
      E.forEach(function (e, k) { if (mine.has(e.from) && mine.has(e.to)) ks.push(k); });
      edges.add(ks.map(visEdge));
    }
    document.getElementById("back").hidden = false;
    if (fit !== false) fitView();
    if (CNAMES.has(cid)) P.showCommunity(cid);
    window.paperkgCommunity = cid;
    return true;
  }
  function back() {  // from one community to the map of communities
    current = null;
    P.unhighlight();
    nodes.clear();
    edges.clear();
    nodes.add(aggregateNodes());
    edges.add(aggregateEdges());
    document.getElementById("back").hidden = true;
    P.hidePanel();
    fitView();
    window.paperkgCommunity = null;
  }
  document.getElementById("back").addEventListener("click", back);
  var TITLES = DATA.titles || [], titleFont = "700 " + DATA.titleSize + "px system-ui, sans-serif", titleWidth = [];
  function drawTitles(ctx) {
    if (!TITLES || !TITLES.length) return;
    ctx.save();
    ctx.font = titleFont;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.lineJoin = "round";
    ctx.lineWidth = DATA.titleSize / 4;
    ctx.strokeStyle = "rgba(255,255,255,0.9)";
    TITLES.forEach(function (t, i) {
      var key = t.id >= 0 && t.id < NCOLORS ? String(t.id) : "-1";
      if (hidden.community.has(key) || (AGG && current !== t.id)) return;
      if (titleWidth[i] === undefined) titleWidth[i] = ctx.measureText(t.text).width;
      ctx.fillStyle = DATA.communityColors[t.id] || "#555";
      ctx.strokeText(t.text, t.x, t.y);
      ctx.fillText(t.text, t.x, t.y);
    });
    ctx.restore();
  }
  function toDOMBox(l, t, r, b) {
    var p = network.canvasToDOM({x: l, y: t}), q = network.canvasToDOM({x: r, y: b});
    return {left: p.x, top: p.y, right: q.x, bottom: q.y};
  }
  function titleBoxes() {  // region names as drawn, in page pixels (the text's measured width)
    return TITLES.map(function (t, i) {
      var w = titleWidth[i] || 0, box = toDOMBox(t.x - w / 2, t.y - 1.2 * DATA.titleSize, t.x + w / 2, t.y);
      box.id = t.id;
      box.text = t.text;
      return box;
    }).filter(function (b, i) { return titleWidth[i] !== undefined; });
  }
  function titleAt(p) {
    for (var i = 0; i < TITLES.length; i++) {
      var t = TITLES[i], w = titleWidth[i];
      if (w !== undefined && Math.abs(p.x - t.x) <= w / 2 && p.y <= t.y && p.y >= t.y - 1.2 * DATA.titleSize) return t.id;
    }
    return null;
  }
  function labelBoxes() {  // drawn node labels, in page pixels, as vis-network measured them when drawing
    var out = [];
    DATA.nodes.forEach(function (n) {
      var node = network.body.nodes[n.id];
      if (!node || node.options.hidden || n.drawLabel === false || !node.labelModule || !node.labelModule.elementOptions.label) return;
      var z = node.labelModule.size;
      if (!z || !z.width) return;
      var box = toDOMBox(z.left, z.top, z.left + z.width, z.top + z.height);
      box.id = n.id;
      out.push(box);
    });
    return out;
  }


  // --- selection, camera and clicks
  function zoomTo(ids, animate) {  // the node and its visible neighbours, in the part of the canvas the panel leaves free
    var pos = network.getPositions(ids);
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    ids.forEach(function (n) {
      var q = pos[n], r = network.body.nodes[n].options.size || 10;
      x0 = Math.min(x0, q.x - r); x1 = Math.max(x1, q.x + r); y0 = Math.min(y0, q.y - r); y1 = Math.max(y1, q.y + r);
    });
    var off = P.focusOffset(), w = container.clientWidth - 2 * off.x, h = container.clientHeight;
    var scale = Math.min(1.0, Math.max(0.2, 0.85 * Math.min(w / (x1 - x0 + 160), h / (y1 - y0 + 60))));
    network.moveTo({position: {x: (x0 + x1) / 2, y: (y0 + y1) / 2}, scale: scale, offset: off,
                    animation: animate === false ? false : {duration: 350, easingFunction: "easeInOutQuad"}});
  }
  function update(changed, edgeChanges) {  // the legend or the filters changed what is hidden
    changed = changed.filter(function (c) { return nodes.get(c.id) !== null; });  // a large map: drawn ones only
    if (AGG && current === null) {
      DATA.communities.forEach(function (c) {
        changed.push({id: SUPER + c.id, hidden: hidden.community.has(String(c.id < NCOLORS ? c.id : -1))});
      });
    }
    if (changed.length) nodes.update(changed);
    var present = edgeChanges.filter(function (k) { return edges.get(k) !== null; });
    if (present.length) edges.update(present.map(function (k) { return {id: k, hidden: !!edgeOff[k]}; }));
    network.redraw();
  }
  network.on("click", function (p) {
    var region = p.nodes.length ? null : titleAt(p.pointer.canvas);
    if (region !== null) P.showCommunity(region);
    else if (p.nodes.length && String(p.nodes[0]).indexOf(SUPER) === 0) drillDown(Number(String(p.nodes[0]).slice(SUPER.length)));
    else if (p.nodes.length) P.select(p.nodes[0]);
    else if (p.edges.length) P.showEdge(p.edges[0]);
    else P.clear();
  });

  return {
    select: function (id) { if (id === null) network.unselectAll(); else network.selectNodes([id]); },
    highlighted: highlighted, isHidden: isHidden, redraw: function () { network.redraw(); }, update: update, zoomTo: zoomTo,
    reveal: function (id) {  // a large map: open the community of a drawn node before focusing it
      if (AGG && drawn.has(id) && nodes.get(id) === null) drillDown(drawn.get(id).n.community, false);
    },
    api: {drillDown: drillDown, back: back, aggregate: AGG, labelBoxes: labelBoxes, titleBoxes: titleBoxes,
          canvasEdges: CANVAS_EDGES},
  };
});
