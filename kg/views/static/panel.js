// What page.js (vis-network, canvas) and page-webgl.js (sigma.js, WebGL) share: the page's data and its
// indexes, tooltip text, the side panel, the community panel, the legend, the filters and the search box.
// Each renderer file calls paperkgPage(makeView) once: makeView(P) builds its drawing from the shared
// indexes in P and returns the view, the renderer's side of what the shared code does:
//   select(id | null)         mark the selected node (or none) in the renderer's own selection state
//   highlighted(hl | null)    a node's neighbourhood is highlighted: {id, nodes, edges, set, edgeSet}, or none
//   isHidden(id)              the node is not drawn now (hidden by the legend or the filters, or not in the picture)
//   redraw()                  draw again (colours and highlight changed, positions did not)
//   update(nodes, edges)      the legend or the filters changed the visibility of these nodes ({id, hidden})
//                             and these edge indices (their state in P.nodeOff, P.edgeOff): apply and draw
//   zoomTo(ids, animate)      move the camera to these drawn nodes, left of the side panel (P.focusOffset)
//   reveal(id)                optional: make a drawn node's part of the picture current (the canvas page's
//                             aggregate view of a large map opens the node's community)
//   api                       renderer-specific members of window.paperkg (drillDown, labelBoxes, ...)
// The panel is built from DOM nodes and textContent only: text from papers is data, never parsed as markup.
var DATA = JSON.parse(document.getElementById("paperkg-data").textContent);
window.paperkgTimes = {script: performance.now()};
function paperkgPage(makeView) {
  var C = DATA.catalog, E = DATA.edges, RELS = DATA.relationColors, GROUPS = DATA.groupColors;
  var OTHER = "#9d9d9d", COOCCURS = DATA.cooccurs;
  var ORDER = DATA.relationOrder, NCOLORS = DATA.communityColors.length;
  var CNAMES = new Map(DATA.communities.map(function (c) { return [c.id, c.label]; }));
  var LIST_MAX = 150;
  var index = new Map();
  C.forEach(function (c, i) { index.set(c.id, i); });
  // the links table (kg.views.html._links): one row per edge of the whole graph between catalog nodes, in
  // columns (a large page has millions of rows: one object each was most of its load time); link(k) makes
  // row k an object when a panel or a tooltip needs one
  var LT = DATA.links, LF = new Int32Array(LT.t.length), LTO = LT.t, LR = LT.r, RELNAMES = LT.rels;
  (function () { var k = 0; LT.n.forEach(function (count, i) { for (var j = 0; j < count; j++) LF[k++] = i; }); })();
  function link(k) {
    var c = LT.c ? LT.c[k] : -1, w = LT.w ? LT.w[k] : 0, rank = LT.k ? LT.k[k] : 0;
    return {f: LF[k], t: LTO[k], r: RELNAMES[LR[k]], c: c >= 0 ? c / 1000 : undefined, w: w ? w / 1000 : undefined,
            k: rank || undefined, e: LT.e ? LT.e[k] : "", m: LT.m ? LT.m[k] : [], s: LT.s ? LT.s[k] : []};
  }
  var adj = C.map(function () { return []; });  // catalog index -> links (whole graph) touching it
  for (var k0 = 0; k0 < LF.length; k0++) { adj[LF[k0]].push(k0); if (LTO[k0] !== LF[k0]) adj[LTO[k0]].push(k0); }
  function push(map, key, value) { var a = map.get(key); if (a) a.push(value); else map.set(key, [value]); }
  // the legend's community key: the community's own colour row, or -1 for the smaller ones sharing grey
  function legendKey(n) {
    if (!NCOLORS || n.community === null || n.community === undefined) return undefined;
    return n.community >= 0 && n.community < NCOLORS ? n.community : -1;
  }
  var drawn = new Map();  // id -> {kind, c, n: the data record}
  var byGroup = new Map(), byCommunity = new Map(), byRelation = new Map(), nodeEdges = new Map();
  DATA.nodes.forEach(function (n) {
    var c = legendKey(n);
    drawn.set(n.id, {kind: n.type, c: c, n: n});
    push(byGroup, n.type, n.id);
    if (c !== undefined) push(byCommunity, String(c), n.id);
  });
  E.forEach(function (e, k) {
    e.from = e.source;
    e.to = e.target;
    e.f = index.get(e.source);
    e.t = index.get(e.target);
    e.r = e.relation;
    push(byRelation, e.r, k);
    push(nodeEdges, e.from, k);
    if (e.to !== e.from) push(nodeEdges, e.to, k);
  });
  var hidden = {group: new Set(), community: new Set(), relation: new Set()};
  // the filters above the map: minimum confidence, year range (null: every year)
  var filt = {conf: 0, from: null, to: null};
  var edgeOff = new Uint8Array(E.length);  // 1: edge hidden by the legend or the filters

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function short(text, limit) {
    text = String(text).replace(/\s+/g, " ").trim();
    if (text.length <= limit) return text;
    var cut = text.slice(0, limit - 1), space = cut.lastIndexOf(" ");
    if (space > limit / 2) cut = cut.slice(0, space);
    return cut.replace(/[ ,;:.\-]+$/, "") + "\u2026";
  }
  function nodeTip(c) {
    var lines = [c.label];
    if (c.kind === "Paper") {
      lines.push([c.date, c.arxiv ? "arXiv:" + c.arxiv : ""].filter(Boolean).join(" \u00b7 "));
      if (c.authors) lines.push(c.authors.slice(0, 3).join(", ") + (c.authors.length > 3 ? " et al." : ""));
      if (c.abstract) lines.push(short(c.abstract, 300));
    } else if (c.kind === "Concept") {
      lines.push(c.group + (c.count !== undefined ? " \u00b7 " + plural(c.count, "paper") : ""));
      if (c.aliases) lines.push("also: " + short(c.aliases.join(", "), 120));
    } else if (c.url) {
      lines.push(c.url, "code repository");
    }
    lines.push(plural(adj[index.get(c.id)].length, "link") + " \u00b7 click for details");
    return lines.filter(Boolean).join("\n");
  }
  function edgeTip(e) {
    if (e.r === COOCCURS) return "co-occur in " + plural(e.w, "paper") + "\n" + C[e.f].label + " \u2014 " + C[e.t].label;
    var l = e.l !== undefined ? link(e.l) : null, head = e.r, lines;
    if (l && l.c !== undefined) head += " \u00b7 confidence " + l.c.toFixed(2);
    lines = [head];
    if (l && l.e) lines.push("\u201c" + short(l.e, 160) + "\u201d");
    if (l && l.s && l.s.length) lines.push(plural(l.s.length, "shared concept") + ": " + short(l.s.join(", "), 120));
    return lines.join("\n");
  }
  function edgeWidth(e) { return e.w ? Math.min(1 + 1.5 * Math.log2(e.w), 8) : 1; }
  var nodeOff = new Map();  // id -> hidden by the legend or the filters

  // --- highlight: the selected node, its neighbours and their edges; the view draws it
  var hl = null;
  function highlight(id) {
    var ks = nodeEdges.get(id) || [], seen = new Set([id]), ns = [id];
    ks.forEach(function (k) {
      var other = E[k].from === id ? E[k].to : E[k].from;
      if (!seen.has(other)) { seen.add(other); ns.push(other); }
    });
    hl = {id: id, nodes: ns, edges: ks, set: seen, edgeSet: new Set(ks.map(String))};
    view.highlighted(hl);
  }
  function unhighlight() {
    hl = null;
    view.highlighted(null);
  }

  // --- side panel, built from DOM nodes and textContent only
  var panel = document.getElementById("panel"), panelBody = document.getElementById("panel-body");
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function safeUrl(url) {
    try {
      var u = new URL(url);
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
    } catch (err) { return null; }
  }
  function extLink(url, text) {
    var href = safeUrl(url);
    if (!href) return el("span", null, text || url);
    var a = el("a", null, text || url);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  function swatch(group, community) {
    var s = el("span", "swatch " + (group === "Paper" ? "square" : group === "CodeRepository" ? "diamond" : "dot"));
    var cc = DATA.communityColors;
    s.style.background = community !== undefined && cc.length ? (cc[community] || OTHER) : (GROUPS[group] || OTHER);
    return s;
  }
  function nodeLink(i) {
    var c = C[i], a = el("a", "node-link" + (drawn.has(c.id) ? "" : " not-drawn"), c.label);
    a.href = "#";
    a.setAttribute("role", "button");
    a.title = drawn.has(c.id) ? "Show in the graph" : "Not drawn in this view: show its details";
    a.addEventListener("click", function (ev) { ev.preventDefault(); focus(c.id); });
    return a;
  }
  function badge(relation) {
    var b = el("span", "rel", relation === COOCCURS ? "co-occurs" : relation);
    b.style.borderColor = RELS[relation] || OTHER;
    b.style.color = RELS[relation] === "#b8b8b8" ? "#777" : (RELS[relation] || "#555");
    return b;
  }
  function evidence(l) {
    var q = el("blockquote", "evidence"), t = l.e, pos = 0;
    (l.m || []).forEach(function (span) {
      if (span[0] < pos) return;
      q.appendChild(document.createTextNode(t.slice(pos, span[0])));
      q.appendChild(el("mark", null, t.slice(span[0], span[1])));
      pos = span[1];
    });
    q.appendChild(document.createTextNode(t.slice(pos)));
    return q;
  }
  function byOrder(a, b) { return ORDER.indexOf(RELNAMES[LR[a]]) - ORDER.indexOf(RELNAMES[LR[b]]); }
  function listOf(items, render) {
    var ul = el("ul");
    items.slice(0, LIST_MAX).forEach(function (item) { ul.appendChild(render(item)); });
    if (items.length > LIST_MAX) ul.appendChild(el("li", "more", "\u2026 and " + (items.length - LIST_MAX) + " more"));
    return ul;
  }
  function linkItem(l, other) {
    var li = el("li"), line = el("div", "line1"), o = C[other];
    line.appendChild(badge(l.r));
    line.appendChild(document.createTextNode(" "));
    line.appendChild(nodeLink(other));
    var meta = [o.kind === "Paper" ? o.date : o.group, l.c !== undefined ? "confidence " + l.c.toFixed(2) : ""];
    meta = meta.filter(Boolean).join(" \u00b7 ");
    if (meta) line.appendChild(el("span", "type", " " + meta));
    li.appendChild(line);
    if (l.e) li.appendChild(evidence(l));
    return li;
  }
  function plainItem(i, meta) {
    var li = el("li"), line = el("div", "line1");
    line.appendChild(nodeLink(i));
    if (meta) line.appendChild(el("span", "conf", " \u00b7 " + meta));
    li.appendChild(line);
    return li;
  }
  function section(title) { return el("h3", null, title); }
  function showPanel(i) {
    var c = C[i], body = panelBody, mine = adj[i];
    body.replaceChildren();
    var kicker = el("div", "kicker");
    kicker.appendChild(swatch(c.group, c.c));
    kicker.appendChild(el("span", null, c.kind === "Concept" ? c.group : c.kind === "CodeRepository" ? "Code repository" : c.kind));
    body.appendChild(kicker);
    if (c.c !== undefined && c.c >= 0 && CNAMES.has(c.c)) {
      var region = el("p", "meta");
      region.appendChild(document.createTextNode("Community " + (c.c + 1) + ": "));
      region.appendChild(communityLink(c.c));
      body.appendChild(region);
    }
    body.appendChild(el("h2", null, c.label));
    if (!drawn.has(c.id)) {
      body.appendChild(el("p", "note", "Not drawn in this view. " +
        DATA.hint.replace("To see them: ", "").replace("NAME", JSON.stringify(short(c.label, 60)))));
    }
    if (DATA.detailNote) body.appendChild(el("p", "note", DATA.detailNote.replace("NAME", JSON.stringify(short(c.label, 60)))));
    if (c.kind === "Paper") {
      var meta = el("p", "meta");
      meta.appendChild(document.createTextNode([c.date, c.arxiv ? "arXiv:" + c.arxiv : ""].filter(Boolean).join(" \u00b7 ")));
      if (c.url) {
        if (meta.textContent) meta.appendChild(document.createTextNode(" \u00b7 "));
        meta.appendChild(extLink(c.url, "paper page"));
      }
      if (meta.childNodes.length && meta.textContent) body.appendChild(meta);
      if (c.authors) body.appendChild(el("p", "meta", c.authors.join(", ")));
      if (c.categories) body.appendChild(el("p", "meta", c.categories.join(" \u00b7 ")));
      if (c.abstract) body.appendChild(el("p", "abstract", c.abstract));
      var code = mine.filter(function (k) { return LF[k] === i && RELNAMES[LR[k]] === "codeRepository"; });
      if (code.length) {
        body.appendChild(section("Code"));
        body.appendChild(listOf(code, function (k) {
          var li = el("li"), repo = C[LTO[k]];
          li.appendChild(extLink(repo.url || repo.label, repo.url || repo.label));
          return li;
        }));
      }
      var concepts = mine.filter(function (k) { return LF[k] === i && C[LTO[k]].kind === "Concept"; }).sort(byOrder);
      body.appendChild(section("Links (" + concepts.length + ")"));
      body.appendChild(listOf(concepts, function (k) { return linkItem(link(k), LTO[k]); }));
      // The paper's own related papers (kg.related), in rank order, each with its reasons.
      var related = mine.filter(function (k) { return RELNAMES[LR[k]] === "relatedTo" && LF[k] === i; })
        .sort(function (a, b) { return (link(a).k || 99) - (link(b).k || 99) || (link(b).w || 0) - (link(a).w || 0); });
      if (related.length) {
        body.appendChild(section("Related papers (" + related.length + ")"));
        body.appendChild(listOf(related, function (k) {
          var l = link(k), li = plainItem(l.t, l.w !== undefined ? "score " + l.w.toFixed(2) : "");
          li.className = (li.className ? li.className + " " : "") + "related";
          (l.s || []).forEach(function (r) { li.appendChild(el("div", "meta reason", r)); });
          return li;
        }));
      }
    } else if (c.kind === "Concept") {
      if (c.aliases) body.appendChild(el("p", "meta", "Also called: " + c.aliases.join(", ")));
      if (c.count !== undefined) body.appendChild(el("p", "meta", plural(c.count, "paper") + " in the graph"));
      var papers = mine.filter(function (k) { return LTO[k] === i; }).sort(function (a, b) {
        return byOrder(a, b) || String(C[LF[b]].date || "").localeCompare(String(C[LF[a]].date || ""));
      });
      body.appendChild(section("Papers (" + papers.length + ")"));
      body.appendChild(listOf(papers, function (k) { return linkItem(link(k), LF[k]); }));
      var partners = (nodeEdges.get(c.id) || []).filter(function (k) { return E[k].r === COOCCURS; })
        .sort(function (a, b) { return E[b].w - E[a].w; });
      if (partners.length) {
        body.appendChild(section("Co-occurs with (" + partners.length + ")"));
        body.appendChild(listOf(partners, function (k) {
          return plainItem(E[k].f === i ? E[k].t : E[k].f, plural(E[k].w, "paper"));
        }));
      }
    } else {
      if (c.url) { var p = el("p", "meta"); p.appendChild(extLink(c.url)); body.appendChild(p); }
      var users = mine.filter(function (k) { return LTO[k] === i; });
      body.appendChild(section("Papers (" + users.length + ")"));
      body.appendChild(listOf(users, function (k) { return linkItem(link(k), LF[k]); }));
    }
    panel.hidden = false;
    panelBody.scrollTop = 0;
  }
  function showEdge(k) {
    var e = E[k], body = panelBody;
    if (!e) return;
    body.replaceChildren();
    var kicker = el("div", "kicker");
    kicker.appendChild(badge(e.r));
    body.appendChild(kicker);
    var h = el("h2");
    h.appendChild(nodeLink(e.f));
    h.appendChild(document.createTextNode(e.r === COOCCURS || e.r === "relatedTo" ? " \u2014 " : " \u2192 "));
    h.appendChild(nodeLink(e.t));
    body.appendChild(h);
    if (e.l !== undefined) {
      var l = link(e.l);
      if (l.c !== undefined) body.appendChild(el("p", "meta", "confidence " + l.c.toFixed(2)));
      if (l.w !== undefined) body.appendChild(el("p", "meta", "score " + l.w.toFixed(2) + (l.k ? " \u00b7 rank " + l.k : "")));
      if (l.e) { body.appendChild(section("Evidence")); body.appendChild(evidence(l)); }
      if (l.s && l.s.length) {
        body.appendChild(section("Why related"));
        body.appendChild(listOf(l.s, function (r) { return el("li", "reason", r); }));
      }
    }
    if (e.r === COOCCURS) {
      body.appendChild(section("Papers with both (" + e.w + ")"));
      body.appendChild(listOf(e.p || [], function (i) { return plainItem(i, C[i].date); }));
    }
    panel.hidden = false;
    panelBody.scrollTop = 0;
  }

  // --- communities: a region's panel (its concepts or papers, and the papers behind them) and its name
  var byCommunityId = new Map();
  DATA.nodes.forEach(function (n) { if (n.community !== null && n.community !== undefined) push(byCommunityId, n.community, n.id); });
  function communityLink(cid) {
    var a = el("a", "node-link", CNAMES.get(cid) || "community " + (cid + 1));
    a.href = "#";
    a.setAttribute("role", "button");
    a.title = "Show the community's papers";
    a.addEventListener("click", function (ev) { ev.preventDefault(); showCommunity(cid); });
    return a;
  }
  function showCommunity(cid) {
    var members = (byCommunityId.get(cid) || []).slice(), body = panelBody;
    if (!members.length) return false;
    var count = function (id) { var n = drawn.get(id).n; return n.papers || n.size || 0; };
    members.sort(function (a, b) { return count(b) - count(a) || (a < b ? -1 : 1); });
    unhighlight();
    view.select(null);
    body.replaceChildren();
    var kicker = el("div", "kicker");
    kicker.appendChild(swatch("Concept", cid >= 0 && cid < NCOLORS ? cid : -1));
    kicker.appendChild(el("span", null, "Community " + (cid + 1)));
    body.appendChild(kicker);
    body.appendChild(el("h2", null, CNAMES.get(cid) || ""));
    var concepts = members.filter(function (id) { return C[index.get(id)].kind === "Concept"; });
    var papers = new Map();  // paper catalog index -> members it links
    if (concepts.length) {
      concepts.forEach(function (id) {
        adj[index.get(id)].forEach(function (k) {
          var other = LF[k] === index.get(id) ? LTO[k] : LF[k];
          if (C[other].kind === "Paper") papers.set(other, (papers.get(other) || 0) + 1);
        });
      });
      body.appendChild(section("Concepts (" + concepts.length + ")"));
      body.appendChild(listOf(concepts, function (id) {
        var n = drawn.get(id).n;
        return plainItem(index.get(id), n.papers ? plural(n.papers, "paper") : "");
      }));
    } else {
      members.forEach(function (id) { papers.set(index.get(id), 0); });
    }
    var list = Array.from(papers.keys()).sort(function (a, b) {
      return papers.get(b) - papers.get(a) || String(C[b].date || "").localeCompare(String(C[a].date || "")) || a - b;
    });
    body.appendChild(section("Papers (" + list.length + ")"));
    body.appendChild(listOf(list, function (i) {
      var n = papers.get(i);
      return plainItem(i, [C[i].date, n ? n + " of these concepts" : ""].filter(Boolean).join(" \u00b7 "));
    }));
    panel.hidden = false;
    panelBody.scrollTop = 0;
    window.paperkgSelected = null;
    window.paperkgCommunity = cid;
    view.redraw();
    return true;
  }

  // --- selection and focus
  function select(id) {
    if (!drawn.has(id)) return false;
    highlight(id);
    view.select(id);
    showPanel(index.get(id));
    window.paperkgSelected = id;
    view.redraw();
    return true;
  }
  function clear() {
    unhighlight();
    window.paperkgSelected = null;
    view.select(null);
    panel.hidden = true;
    view.redraw();
  }
  function focus(id, animate) {
    if (!index.has(id)) return false;
    if (view.reveal) view.reveal(id);
    var d = drawn.get(id);
    if (!d) {  // known to the page (a neighbour of a drawn node) but not drawn: its panel only
      unhighlight();
      view.select(null);
      showPanel(index.get(id));
      view.redraw();
      return true;
    }
    if (filteredOut(d.n)) setFilters({conf: 0, from: null, to: null});
    if (hidden.group.has(d.kind)) toggle("group", d.kind);
    if (d.c !== undefined && hidden.community.has(String(d.c))) toggle("community", String(d.c));
    select(id);
    view.zoomTo(hl.nodes.filter(function (n) { return !view.isHidden(n); }), animate);
    return true;
  }
  function focusOffset() {  // centre focused nodes in the part of the canvas the side panel leaves free
    var free = document.getElementById("mynetwork").clientWidth - 430;
    return {x: free > 430 ? 215 : 0, y: 0};
  }
  document.getElementById("panel-close").addEventListener("click", clear);

  // --- legend and filters: hide and show node groups, communities and relations; confidence and years
  function filteredOut(n) {  // n: a drawn node's data record
    if (filt.conf > 0 && n.conf !== undefined && n.conf < filt.conf) return true;
    if (filt.from !== null && n.years && !n.years.some(function (y) { return y >= filt.from && y <= filt.to; })) return true;
    return false;
  }
  function nodeHidden(id) {
    var d = drawn.get(id);
    return hidden.group.has(d.kind) || (d.c !== undefined && hidden.community.has(String(d.c))) || filteredOut(d.n);
  }
  function linkLow(e) { return filt.conf > 0 && e.l !== undefined && LT.c && LT.c[e.l] >= 0 && LT.c[e.l] / 1000 < filt.conf; }
  function refresh() {  // apply the legend and the filters; update the counts
    var changed = [], edgeChanges = [], groups = new Map(), comms = new Map(), rels = new Map(), shownNodes = 0, shownEdges = 0;
    DATA.nodes.forEach(function (n) {
      var d = drawn.get(n.id), off = nodeHidden(n.id);
      if (off !== (nodeOff.get(n.id) || false)) { changed.push({id: n.id, hidden: off}); nodeOff.set(n.id, off); }
      if (!off) shownNodes++;
      if (!filteredOut(n)) {
        groups.set(d.kind, (groups.get(d.kind) || 0) + 1);
        if (d.c !== undefined) comms.set(String(d.c), (comms.get(String(d.c)) || 0) + 1);
      }
    });
    E.forEach(function (e, k) {
      var a = drawn.get(e.from), b = drawn.get(e.to);
      var passes = !linkLow(e) && !filteredOut(a.n) && !filteredOut(b.n);
      var off = hidden.relation.has(e.r) || !passes ? 1 : 0;
      if (passes) rels.set(e.r, (rels.get(e.r) || 0) + 1);
      if (off !== edgeOff[k]) { edgeOff[k] = off; edgeChanges.push(k); }
      if (!off && !nodeOff.get(e.from) && !nodeOff.get(e.to)) shownEdges++;
    });
    document.querySelectorAll("#legend .row").forEach(function (row) {
      var map = row.dataset.filter === "group" ? groups : row.dataset.filter === "community" ? comms : rels;
      var count = map.get(row.dataset.key) || 0;
      row.querySelector(".count").textContent = count.toLocaleString("en-US");
      row.classList.toggle("empty", !count);
    });
    var summary = document.getElementById("summary");
    summary.textContent = shownNodes === DATA.nodes.length && shownEdges === E.length
      ? DATA.nodes.length.toLocaleString("en-US") + " nodes \u00b7 " + E.length.toLocaleString("en-US") + " edges"
      : shownNodes.toLocaleString("en-US") + " of " + DATA.nodes.length.toLocaleString("en-US") + " nodes \u00b7 " +
        shownEdges.toLocaleString("en-US") + " of " + E.length.toLocaleString("en-US") + " edges";
    window.paperkgShown = {nodes: shownNodes, edges: shownEdges};
    if (hl && nodeOff.get(hl.id)) {  // the selected node is hidden now: so is its selection
      unhighlight();
      window.paperkgSelected = null;
      view.select(null);
      panel.hidden = true;
    }
    view.update(changed, edgeChanges);
  }
  function toggle(filter, key, show) {
    var set = hidden[filter];
    if (!set) return;
    var hide = show === undefined ? !set.has(key) : !show;
    if (hide) set.add(key); else set.delete(key);
    document.querySelectorAll("#legend .row").forEach(function (row) {
      if (row.dataset.filter === filter && row.dataset.key === key) {
        row.classList.toggle("off", hide);
        row.setAttribute("aria-pressed", hide ? "false" : "true");
      }
    });
    refresh();
  }
  function setFilters(values) {  // {conf, from, to}: any of them; from/to null for every year
    Object.keys(values).forEach(function (k) { filt[k] = values[k]; });
    if (filt.from !== null && filt.to === null) filt.to = Infinity;
    if (filt.to !== null && filt.from === null) filt.from = -Infinity;
    var conf = document.getElementById("f-confidence");
    if (conf) { conf.value = String(filt.conf); document.getElementById("f-confidence-value").textContent = filt.conf.toFixed(2); }
    refresh();
  }
  document.querySelectorAll("#legend .row").forEach(function (row) {
    function go(ev) { ev.preventDefault(); toggle(row.dataset.filter, row.dataset.key); }
    row.addEventListener("click", go);
    row.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") go(ev); });
  });
  (function () {
    var conf = document.getElementById("f-confidence"), from = document.getElementById("f-year-from");
    var to = document.getElementById("f-year-to"), reset = document.getElementById("f-reset");
    function years() {
      var a = Number(from.value), b = Number(to.value);
      if (!from.value || !to.value || isNaN(a) || isNaN(b)) return {from: null, to: null};
      if (a === Number(from.min) && b === Number(to.max)) return {from: null, to: null};
      return {from: Math.min(a, b), to: Math.max(a, b)};
    }
    if (conf) conf.addEventListener("input", function () { setFilters({conf: Number(conf.value)}); });
    if (from) [from, to].forEach(function (x) { x.addEventListener("change", function () { setFilters(years()); }); });
    if (reset) reset.addEventListener("click", function () {
      if (from) { from.value = from.min; to.value = to.max; }
      setFilters({conf: 0, from: null, to: null});
    });
  })();

  // --- search box with suggestions
  var input = document.getElementById("search"), list = document.getElementById("suggestions");
  var names = null, results = [], active = -1;
  function search(query, limit) {
    var q = String(query).replace(/\s+/g, " ").trim().toLowerCase(), found = [];
    if (!q) return [];
    if (!names) {
      names = C.map(function (c) {
        return [c.label].concat(c.aliases || [], c.url && c.kind !== "Paper" ? [c.url] : [])
          .map(function (s) { return String(s).toLowerCase(); });
      });
    }
    for (var i = 0; i < C.length; i++) {
      var best = 9, mine = names[i];
      for (var j = 0; j < mine.length && best > 0; j++) {
        var s = mine[j], r = s === q ? 0 : s.startsWith(q) ? 1 : s.indexOf(" " + q) >= 0 ? 2 : s.indexOf(q) >= 0 ? 3 : 9;
        if (r < best) best = r;
      }
      if (best < 9) found.push([best, drawn.has(C[i].id) ? 0 : 1, -adj[i].length, C[i].label.toLowerCase(), i]);
    }
    found.sort(function (a, b) {
      for (var k = 0; k < 4; k++) { if (a[k] < b[k]) return -1; if (a[k] > b[k]) return 1; }
      return 0;
    });
    return found.slice(0, limit || 12).map(function (f) { return C[f[4]].id; });
  }
  function renderSuggestions() {
    list.replaceChildren();
    results.forEach(function (id, k) {
      var c = C[index.get(id)], li = el("li", k === active ? "active" : "");
      li.setAttribute("role", "option");
      li.dataset.id = id;
      li.appendChild(swatch(c.group, c.c));
      li.appendChild(el("span", "name", c.label));
      li.appendChild(el("span", "tag", c.group + (drawn.has(id) ? "" : " \u00b7 not drawn")));
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(id); });
      list.appendChild(li);
    });
    if (!results.length && input.value.trim()) list.appendChild(el("li", "none", "No node matches"));
    list.hidden = !list.childNodes.length;
  }
  function choose(id) {
    if (!id) return;
    input.value = C[index.get(id)].label;
    list.hidden = true;
    results = [];
    focus(id);
  }
  input.addEventListener("input", function () { results = search(input.value, 12); active = -1; renderSuggestions(); });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      if (!results.length) return;
      active = ev.key === "ArrowDown" ? (active + 1) % results.length : (active <= 0 ? results.length : active) - 1;
      renderSuggestions();
    } else if (ev.key === "Enter") {
      ev.preventDefault();
      if (!results.length) results = search(input.value, 12);
      choose(results[active >= 0 ? active : 0]);
    } else if (ev.key === "Escape") {
      list.hidden = true;
    }
  });
  input.addEventListener("blur", function () { list.hidden = true; });
  input.addEventListener("focus", function () { if (results.length) list.hidden = false; });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "/" && document.activeElement !== input) { ev.preventDefault(); input.focus(); }
    else if (ev.key === "Escape" && document.activeElement !== input) clear();
  });


  var P = {catalog: C, edges: E, index: index, adj: adj, drawn: drawn, nodeEdges: nodeEdges, byCommunityId: byCommunityId,
           hidden: hidden, nodeOff: nodeOff, edgeOff: edgeOff, legendKey: legendKey, nodeTip: nodeTip, edgeTip: edgeTip,
           edgeWidth: edgeWidth, short: short, plural: plural, push: push, focusOffset: focusOffset,
           select: select, clear: clear, showPanel: showPanel, showEdge: showEdge, showCommunity: showCommunity,
           unhighlight: unhighlight, hidePanel: function () { panel.hidden = true; }};
  var view = makeView(P);
  refresh();
  window.paperkgTimes.ready = performance.now();
  window.paperkgReady = true;
  var api = {focus: focus, focusOffset: focusOffset, select: select, clear: clear, search: search, toggle: toggle,
             showPanel: showPanel, setFilters: setFilters, showCommunity: showCommunity, showEdge: showEdge,
             edgeCount: E.length, index: index, catalog: C, links: LT, edges: E, hidden: hidden};
  Object.keys(view.api || {}).forEach(function (k) { api[k] = view.api[k]; });
  return api;
}
