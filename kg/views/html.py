"""Interactive HTML view of a paper graph: one standalone, offline, deterministic page (vis-network).

The page embeds vis-network 9.1.2 (vendored from npm in kg/views/static/vendor/vis-network, with its
licences), so it opens from disk with no request to any other host. The page itself is
kg/views/templates/page.html.j2 with kg/views/static/page.css and page.js (kg.views.page renders it);
this module builds the data it draws, `<script type="application/json" id="paperkg-data">`. pyvis's page
template is not used (it pulls Bootstrap from a CDN and switches
to an ``innerHTML`` tooltip when a title contains "href"), nor its Network class (quadratic in the number of
nodes): this module builds vis-network's node and edge records itself, lays them out, escapes them and
writes the page.

In the page: the legend hides and shows node types, relations and communities; the search box finds a
node by label, alias, title or URL (with suggestions) and focuses it; a click on a node highlights its
neighbours and opens a side panel (a paper's title, date, authors, abstract, code links and each link with
its relation and evidence sentence; a concept's type, aliases and papers; an edge's evidence). A page of more
than ``DETAIL_MAX_LINKS`` links leaves out the evidence sentences and the abstracts of papers it does not
draw (they stay in the graph files), and its links are an integer column table (`_links`).

Text taken from papers is untrusted. It reaches the page only (a) as JSON inside a ``<script>`` element,
with ``<``, ``>`` and ``&`` written as ``\\u003c``, ``\\u003e`` and ``\\u0026`` so that nothing in it can close
the script, and (b) in the browser, through ``textContent``, ``innerText`` (vis-network's tooltips for
string titles) and canvas text; no paper text ever goes through ``innerHTML``. Link targets must parse as
http(s) URLs. Text placed into HTML markup (page title, legend, notices) goes through
jinja2's autoescaping (templates/page.html.j2).

Large graphs: at most ``max_nodes`` nodes are drawn (the view's order: most connected first, nearest
first around a centre) and the page says how many were left out and how to see them. Positions are
computed here (kg.views.layout), so above ``PHYSICS_MAX_NODES`` the page opens already laid out with
physics off; smaller views run a short stabilisation in the browser and then switch physics off. Above
``VIS_EDGES_MAX`` edges the page draws every edge itself, one canvas path per relation, and gives
vis-network only the selected node's edges (arrows, hover, click): 5,000 nodes and 20,000 edges become
interactive in about 1.1 s (bench/view_speed.py). The panel and the search box also know the left-out
neighbours of drawn nodes.

Renderers: the page above is the canvas one (vis-network, static/page.js). With ``renderer="webgl"`` the
same data is drawn by sigma.js 3 on WebGL from a graphology graph (static/page-webgl.js, vendored sigma and
graphology UMD builds): every node at its Python position, no physics, no aggregate view of a large map.
Both pages share static/panel.js (the panel, legend, filters and search box), each renderer file giving it a
small view adapter. ``renderer="auto"`` (the default) is the canvas for now: see `choose_renderer` for why.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from ..io import atomic_write_text
from .labels import choose_labels, place_titles
from .layout import layout, region_layout
from .page import GRAPHOLOGY_JS, SIGMA_JS, VIS_NETWORK_JS, render_page
from .select import COOCCURS, GROUPS, View, node_group, node_label

__all__ = [
    "ViewInfo", "write_html", "render_html", "render_view", "write_view_html", "NODE_COLORS", "EDGE_COLORS",
    "COMMUNITY_COLORS", "PHYSICS_MAX_NODES", "DEFAULT_MAX_NODES", "DEFAULT_MAX_EDGES", "VIS_EDGES_MAX",
    "RENDERERS", "choose_renderer", "DETAIL_MAX_LINKS", "link_records",
]

#: Views with more nodes than this open with physics off; smaller ones stabilise briefly first.
PHYSICS_MAX_NODES = 300
#: Default cap on drawn nodes: 5,000 still become interactive in under 3 s (bench/view_speed.py).
DEFAULT_MAX_NODES = 3000
#: Views with more edges than this draw them on the canvas in one pass per relation (fast at 20,000
#: edges); vis-network then only handles the selected node's edges (hover, click, arrows).
VIS_EDGES_MAX = 2500
#: Default cap on drawn edges (the strongest kept: typed links before mentions before relatedTo).
DEFAULT_MAX_EDGES = 30000
#: Legend entries for nodes: Paper, each Concept type, CodeRepository (colour-blind-friendly Tableau 10).
NODE_COLORS: dict[str, str] = {
    "Paper": "#4e79a7",
    "Method": "#f28e2b",
    "Model": "#e15759",
    "Dataset": "#76b7b2",
    "Task": "#59a14f",
    "Metric": "#edc948",
    "CodeRepository": "#b07aa1",
}
#: Edge colour of each relation of the schema.
EDGE_COLORS: dict[str, str] = {
    "proposes": "#d62728",
    "uses": "#1f77b4",
    "evaluatesOn": "#17becf",
    "comparesWith": "#ff7f0e",
    "addresses": "#2ca02c",
    "mentions": "#b8b8b8",
    "codeRepository": "#9467bd",
    "relatedTo": "#8c564b",
}
_COOCCURS_COLOR = "#7f8ea3"
#: Colours of the largest communities (Tableau 20 without greys); smaller ones share _OTHER_COLOR.
COMMUNITY_COLORS: tuple[str, ...] = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#499894", "#d37295", "#8cd17d", "#b6992d", "#a0cbe8", "#ffbe7d", "#86bcb6",
)
_OTHER_COLOR = "#9d9d9d"
_SHAPES = {"Paper": "square", "Concept": "dot", "CodeRepository": "diamond"}
_LEGEND_SHAPES = {"Paper": "square", "CodeRepository": "diamond"}
#: The order of relations, strongest first: which edges a capped view keeps, how the panel lists links.
RELATION_ORDER: tuple[str, ...] = ("proposes", "evaluatesOn", "addresses", "comparesWith", "uses",
                                   "codeRepository", COOCCURS, "mentions", "relatedTo")
_EDGE_ORDER = {r: i for i, r in enumerate(RELATION_ORDER)}
#: Relations whose edges carry a weight (papers shared, related-work score) that pulls in the layout.
WEIGHTED = frozenset({COOCCURS, "relatedTo"})
#: Kinds drawn without arrows, and kinds whose nodes are concepts only.
UNDIRECTED_KINDS = frozenset({"cooccurrence", "overview", "papers-map"})
CONCEPT_KINDS = frozenset({"cooccurrence", "overview"})
#: Labels drawn at first per community of a map (the most important nodes that fit without overlap).
LABELS_PER_COMMUNITY = 8
_FONT_SIZE = 14
#: The page knows at most this many neighbours of each drawn node (panel lists, search) ...
NEIGHBOURS_MAX = 200
#: ... and folds single-paper concepts into the panels of at most this many papers.
FOLD_MAX_PAPERS = 5000
#: Pages whose `links` table has at most this many rows carry the panel's full text (each link's evidence
#: sentence with its marked mentions, related papers' reasons, the abstracts of papers not drawn); larger
#: ones leave it to the graph files (kg.ttl): at 100,000 papers evidence sentences were 369 MiB of a 498 MiB
#: page and kept it from becoming interactive in under 3 s (bench/README.md, "View speed").
DETAIL_MAX_LINKS = 20000
_DETAIL_COLUMNS = ("e", "m", "s")
#: A map of more nodes than this opens as its communities (one node each); a click opens one.
AGGREGATE_MIN_NODES = 1500
#: Screen size of a map's labels when it first opens, in pixels.
MAP_LABEL_PX = 12
_TITLE_SIZE = 20
_LABEL_CHARS = 32
_SEED = 42
#: Page renderers: "canvas" (vis-network), "webgl" (sigma.js + graphology), "auto" (choose_renderer).
RENDERERS: tuple[str, ...] = ("auto", "canvas", "webgl")


def choose_renderer(renderer: str, nodes: int) -> str:
    """The renderer a page of `nodes` drawn nodes uses: `renderer` itself, and for "auto" the canvas.

    "auto" does not pick WebGL yet, whatever the size: in headless Chromium without a GPU (SwiftShader,
    the software GL) sigma.js was slower than vis-network at 15,730 nodes (bench/README.md, "View speed"),
    and the WebGL page lacks the region names and the aggregate view of a large map. WebGL is opt-in.

    >>> choose_renderer("auto", 20000), choose_renderer("webgl", 10), choose_renderer("canvas", 20000)
    ('canvas', 'webgl', 'canvas')
    """
    if renderer not in RENDERERS:
        raise ValueError(f"renderer must be one of {', '.join(RENDERERS)}, not {renderer!r}")
    return "canvas" if renderer == "auto" else renderer
_YEAR = re.compile(r"\b(1[89]\d\d|2[01]\d\d)\b")


@dataclass(frozen=True)
class ViewInfo:
    """What a written view shows: nodes and edges drawn, nodes in the view before the cap, left out."""

    nodes_shown: int
    edges_shown: int
    nodes_total: int
    nodes_left_out: int
    edges_left_out: int = 0
    kind: str = "papers"
    left_out_by_group: dict[str, int] = field(default_factory=dict, compare=False)


def write_html(g: nx.MultiDiGraph, path: Path, *, max_nodes: int = DEFAULT_MAX_NODES, title: str = "paperkg",
               graph_dir: str | Path | None = None, kind: str = "overview", renderer: str = "auto") -> ViewInfo:
    """Write a standalone interactive HTML view of the whole paper graph `g` to `path` (atomically): by
    default the overview `kg build` writes as graph.html (kg.views.maps.overview_view), with
    kind="papers" every paper, concept and code repository.

    Parameters
    ----------
    g : the paper graph (schema in `kg.graph`); other graphs work too, drawn with neutral colours.
    path : where to write the page.
    max_nodes : draw at most this many nodes, the most connected ones (ties broken by node key).
    kind : "overview" (concepts of two or more papers, one region per community) or "papers".
    title : page title and heading.
    graph_dir : the `kg build` folder of `g`, named in the page's hint on how to see left-out nodes.
    renderer : "canvas" (vis-network), "webgl" (sigma.js, opt-in) or "auto" (the canvas; `choose_renderer`).

    Returns
    -------
    ViewInfo with the numbers of nodes and edges drawn, nodes in `g`, and nodes left out.

    Examples
    --------
    >>> info = write_html(g, Path("out/graph.html"), max_nodes=500)  # doctest: +SKIP
    >>> info.nodes_left_out  # doctest: +SKIP
    1656

    Other views (co-occurrence, ego, communities, types): `kg.views.write_view`.
    """
    page, info = render_html(g, max_nodes=max_nodes, title=title, graph_dir=graph_dir, kind=kind, renderer=renderer)
    atomic_write_text(path, page)
    return info


def render_html(g: nx.MultiDiGraph, *, max_nodes: int = DEFAULT_MAX_NODES, title: str = "paperkg",
                graph_dir: str | Path | None = None, kind: str = "overview",
                renderer: str = "auto") -> tuple[str, ViewInfo]:
    """The page `write_html` writes, as a string, with its ViewInfo."""
    if kind == "overview":
        from .maps import overview_view

        view = overview_view(g, title=title, graph_dir=graph_dir)
    elif kind == "papers":
        view = View(graph=g, source=g, kind="papers", title=title, description="Papers and concepts",
                    graph_dir=None if graph_dir is None else str(graph_dir))
    else:
        raise ValueError(f"write_html draws the overview or the papers view, not {kind!r}: see write_view")
    return render_view(view, max_nodes=max_nodes, renderer=renderer)


def write_view_html(view: View, path: Path, *, max_nodes: int = DEFAULT_MAX_NODES,
                    max_edges: int = DEFAULT_MAX_EDGES, renderer: str = "auto") -> ViewInfo:
    """Write the page of a View (kg.views.select) to `path` atomically; see `render_view`."""
    page, info = render_view(view, max_nodes=max_nodes, max_edges=max_edges, renderer=renderer)
    atomic_write_text(path, page)
    return info


def render_view(view: View, *, max_nodes: int = DEFAULT_MAX_NODES,
                max_edges: int = DEFAULT_MAX_EDGES, renderer: str = "auto") -> tuple[str, ViewInfo]:
    """The page of a View, as a string, with its ViewInfo.

    Draws at most `max_nodes` nodes (the first in `view.rank`) and `max_edges` edges among them (typed
    links first, then the heaviest); the page lists what was left out and how to see it. `renderer`:
    "canvas" (vis-network), "webgl" (sigma.js, for tens of thousands of nodes: every node drawn at once,
    no aggregate view of communities) or "auto" (`choose_renderer` on the number of drawn nodes). Both
    pages carry the same "paperkg-data".
    """
    if max_nodes < 0:
        raise ValueError(f"max_nodes must be >= 0, not {max_nodes}")
    if max_edges < 0:
        raise ValueError(f"max_edges must be >= 0, not {max_edges}")
    choose_renderer(renderer, 0)  # a bad name fails before the work
    g, src = view.graph, view.source
    rank = view.rank
    if rank is None:
        degree = dict(g.degree())
        rank = {n: (-degree[n], str(n)) for n in g}
    shown = sorted(g.nodes, key=lambda n: rank[n])[:max_nodes]
    shown.sort(key=str)
    keep = set(shown)
    candidates = [(u, v, k, d) for u, v, k, d in g.edges(keys=True, data=True) if u in keep and v in keep]
    if len(candidates) > max_edges:
        candidates.sort(key=lambda e: (_EDGE_ORDER.get(str(e[2]), len(_EDGE_ORDER)),
                                       -float(e[3].get("weight") or 0), str(e[0]), str(e[1]), str(e[2])))
    edges = sorted(candidates[:max_edges], key=lambda e: (str(e[0]), str(e[1]), str(e[2])))
    left_out = Counter(node_group(n, g.nodes[n]) for n in g if n not in keep)
    info = ViewInfo(nodes_shown=len(shown), edges_shown=len(edges), nodes_total=g.number_of_nodes(),
                    nodes_left_out=g.number_of_nodes() - len(shown),
                    edges_left_out=len(candidates) - len(edges), kind=view.kind,
                    left_out_by_group=dict(sorted(left_out.items(), key=lambda x: (-x[1], x[0]))))
    drawer = choose_renderer(renderer, len(shown))
    # sigma.js draws with fixed positions: no physics to stabilise in the page
    physics = len(shown) <= PHYSICS_MAX_NODES and drawer == "canvas"

    # positions: relatedTo edges (derived from shared concepts) do not pull, when there are other edges
    pull = [(u, v, d) for u, v, k, d in edges if k != "relatedTo"] or [(u, v, d) for u, v, _, d in edges]
    weights = [float(d.get("weight") or 1) if d.get("relation") in WEIGHTED else 1.0 for _, _, d in pull]
    groups = view.community
    if view.regions and groups:  # a map: each community laid out in its own region
        pos = region_layout(shown, [(u, v) for u, v, _ in pull], groups, weights=weights, seed=_SEED)
    else:
        if groups:  # links inside a community pull harder: communities show as regions
            weights = [w * (1.0 if groups.get(u) == groups.get(v) else 0.05) for w, (u, v, _) in zip(weights, pull)]
        pos = layout(shown, [(u, v) for u, v, _ in pull], weights=weights, seed=_SEED, groups=groups)
    linked = {u for u, v, _, _ in edges if u != v} | {v for u, v, _, _ in edges if u != v}

    # the catalog: drawn nodes, their neighbours in the whole graph and those papers' code repositories
    catalog_set = set(shown)
    for n in shown:
        if n in src:
            catalog_set.update(_some(src.successors(n)))
            catalog_set.update(_some(src.predecessors(n)))
    papers_known = [n for n in catalog_set if n in src and src.nodes[n].get("kind") == "Paper"]
    # a map folds single-paper concepts into their papers' panels (the panel needs them), while that
    # keeps the page a reasonable size
    fold = view.fold and len(papers_known) <= FOLD_MAX_PAPERS
    for n in papers_known:
        catalog_set.update(v for v in src.successors(n) if fold or src.nodes[v].get("kind") == "CodeRepository")
    catalog = sorted(catalog_set, key=str)
    index = {n: i for i, n in enumerate(catalog)}

    def attrs_of(n: Any) -> dict:
        return src.nodes[n] if n in src else g.nodes[n]

    community = view.community or {}
    links, link_index = _links(src, index)
    # a small page carries the panel's full text: evidence sentences (in `links`) and every paper's
    # abstract; a large one only what it draws and lists (evidence and abstracts stay in the RDF)
    detail = len(links["t"]) <= DETAIL_MAX_LINKS
    if not detail:
        links = {k: v for k, v in links.items() if k not in _DETAIL_COLUMNS}
    records = [_catalog_record(n, attrs_of(n), community.get(n), abstract=detail or n in keep) for n in catalog]

    kinds: Counter[str] = Counter()
    communities_drawn: Counter[int] = Counter()
    centres = set(view.centres)
    vis_nodes = []
    for n in shown:
        attrs = attrs_of(n)
        group = node_group(n, attrs)
        kinds[group] += 1
        x, y = pos[n]
        papers = _paper_count(src, n) if attrs.get("kind") == "Concept" else None
        if view.weight is not None:  # the view's own measure (papers of a concept, concepts of a paper)
            weight = view.weight.get(n, 1)
        elif view.kind == "cooccurrence":  # sized by papers; elsewhere by links in the whole graph
            weight = int(attrs.get("paper_count") or 0) or g.degree(n)
        else:
            weight = src.degree(n) if n in src else g.degree(n)
        rec: dict[str, Any] = {
            "id": str(n), "label": _shorten(node_label(n, attrs), _LABEL_CHARS), "x": x, "y": y,
            "shape": _SHAPES.get(str(attrs.get("kind", "")), "dot"), "kind": str(attrs.get("kind") or "Other"),
            "type": group, "color": NODE_COLORS.get(group, _OTHER_COLOR), "papers": papers,
            "size": round(7 + 3 * math.sqrt(min(weight, 100)), 1), "community": None,
        }
        rec.update(_filter_fields(src, n, attrs))
        if community:
            c = community.get(n, -1)
            legend_key = c if 0 <= c < len(COMMUNITY_COLORS) else -1
            communities_drawn[legend_key] += 1
            rec["community"] = c
            rec["color"] = COMMUNITY_COLORS[c] if legend_key >= 0 else _OTHER_COLOR
        if n in centres:
            rec["size"] = round(rec["size"] + 8, 1)
            rec["borderWidth"] = 4
            rec["color"] = {"background": rec["color"], "border": "#222222"}
        if physics and n not in linked:
            rec["physics"] = False  # unlinked nodes stay in their grid
        vis_nodes.append(rec)
    community_list = _community_list(view, community, shown)
    titles: list[dict] = []
    font_size, title_size = _FONT_SIZE, _TITLE_SIZE
    if view.regions:
        font_size = _map_font_size(vis_nodes)
        title_size = round(font_size * _TITLE_SIZE / _FONT_SIZE, 1)
        titles = place_titles(community_list, vis_nodes, font_size=title_size)
        chosen = choose_labels(vis_nodes, per_community=LABELS_PER_COMMUNITY, font_size=font_size,
                               obstacles=[t["box"] for t in titles])
        for rec in vis_nodes:
            if rec["id"] not in chosen:
                rec["drawLabel"] = False

    parallel: defaultdict[frozenset, int] = defaultdict(int)
    relations: Counter[str] = Counter()
    vis_edges = []
    for u, v, k, d in edges:
        relation = str(k)
        relations[relation] += 1
        rec = {"source": str(u), "target": str(v), "relation": relation}
        if (u, v, k) in link_index:
            rec["l"] = link_index[(u, v, k)]
        if relation in WEIGHTED and "weight" in d:
            rec["w"] = int(d.get("weight") or 1) if relation == COOCCURS else round(float(d.get("weight") or 1), 3)
        if relation == COOCCURS:
            rec["p"] = [index[p] for p in (d.get("papers") or [])[:50] if p in index]
        pair = frozenset((str(u), str(v)))
        if parallel[pair]:  # parallel edges (one per relation) bend apart instead of hiding each other
            rec["n"] = parallel[pair]
        parallel[pair] += 1
        vis_edges.append(rec)

    relation_colors = {**EDGE_COLORS, COOCCURS: _COOCCURS_COLOR}
    filters = _filter_ranges(vis_nodes, links)
    data = {
        "nodes": vis_nodes, "edges": vis_edges, "communities": community_list,
        "catalog": records, "links": links,
        "options": _vis_options(len(shown), physics, directed=view.kind not in UNDIRECTED_KINDS,
                                font_size=font_size, faint=view.regions),
        "physics": physics, "kind": view.kind, "cooccurs": COOCCURS,
        "canvasEdges": not physics and len(edges) > VIS_EDGES_MAX,
        "groupColors": {**NODE_COLORS, "Other": _OTHER_COLOR},
        "relationColors": {**relation_colors, **{r: _OTHER_COLOR for r in relations if r not in relation_colors}},
        "relationOrder": list(RELATION_ORDER),
        "communityColors": list(COMMUNITY_COLORS) if community else [],
        "hint": _hint(view),
        # a large page says in each panel what it leaves out and how to see it
        "detailNote": "" if detail else _detail_note(view),
        "titles": [{k: t[k] for k in ("id", "text", "x", "y")} for t in titles], "titleSize": title_size,
        # WebGL draws the whole map at once; vis-network opens a large one as its communities
        "aggregate": bool(view.regions and len(shown) > AGGREGATE_MIN_NODES and drawer == "canvas"),
        "renderer": drawer,
    }
    if data["aggregate"]:
        data["communityEdges"] = _community_edges(vis_edges, community)
        _centre_communities(community_list, vis_nodes)
    scripts = [GRAPHOLOGY_JS, SIGMA_JS] if drawer == "webgl" else [VIS_NETWORK_JS]
    page = render_page(title=view.title, vendor_js=scripts, page_js="page-webgl.js" if drawer == "webgl" else "page.js",
                       summary=_summary(info),
                       description=view.description, notice=_notice(info, view),
                       legend=_legend(kinds, relations, view, communities_drawn), filters=filters, data=data)
    return page, info


def _some(nodes: Any) -> list:
    """At most NEIGHBOURS_MAX of the neighbours of a node (the first by key): what the page's panel and
    search know of a very connected node's neighbourhood beyond the drawn nodes."""
    found = sorted(nodes, key=str)
    return found[:NEIGHBOURS_MAX]


def _paper_count(src: nx.MultiDiGraph, n: Any) -> int:
    """Distinct papers linking a concept in the whole graph."""
    if n not in src:
        return 0
    return sum(1 for p in src.pred[n] if src.nodes[p].get("kind") == "Paper")


def _filter_fields(src: nx.MultiDiGraph, n: Any, attrs: dict) -> dict[str, Any]:
    """What the page's filters read of a node: `conf`, the best confidence of the links naming a concept,
    and `years`, the distinct years of a paper or of the papers naming a concept."""
    if n not in src:
        return {}
    kind = attrs.get("kind")
    out: dict[str, Any] = {}
    if kind == "Paper":
        year = _year(attrs.get("date"))
        if year is not None:
            out["years"] = [year]
    elif kind == "Concept":
        best, years = None, set()
        for p, edges in src.pred[n].items():
            if src.nodes[p].get("kind") != "Paper":
                continue
            for d in edges.values():
                c = d.get("confidence")
                if isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c):
                    best = c if best is None else max(best, c)
            year = _year(src.nodes[p].get("date"))
            if year is not None:
                years.add(year)
        if best is not None:
            out["conf"] = round(float(best), 3)
        if years:
            out["years"] = sorted(years)
    return out


def _community_edges(edges: list[dict], community: dict) -> list[dict]:
    """Edges of the aggregate view: between two communities, weight = the summed weights of their links."""
    total: Counter[tuple] = Counter()
    for e in edges:
        a, b = community.get(e["source"], -1), community.get(e["target"], -1)
        if a != b and a >= 0 and b >= 0:
            total[(min(a, b), max(a, b))] += e.get("w", 1)
    return [{"source": a, "target": b, "weight": round(w, 3)} for (a, b), w in sorted(total.items())]


def _centre_communities(communities: list[dict], nodes: list[dict]) -> None:
    """Give each community of the aggregate view its members' centre as position."""
    sums: dict[int, list] = {}
    for n in nodes:
        s = sums.setdefault(n["community"], [0.0, 0.0, 0])
        s[0] += n["x"]
        s[1] += n["y"]
        s[2] += 1
    for c in communities:
        x, y, k = sums.get(c["id"], (0.0, 0.0, 1))
        c["x"], c["y"] = round(x / k, 1), round(y / k, 1)


def _community_list(view: View, community: dict, shown: list) -> list[dict]:
    """The `communities` of the page's data: id, name and number of drawn members, largest first."""
    if not community:
        return []
    sizes = Counter(community.get(n, -1) for n in shown)
    names = view.community_names
    return [{"id": c, "label": names[c] if 0 <= c < len(names) else "", "size": sizes[c],
             "color": COMMUNITY_COLORS[c] if 0 <= c < len(COMMUNITY_COLORS) else _OTHER_COLOR}
            for c in sorted(sizes, key=lambda c: (-sizes[c], c)) if c >= 0]


def _clean(text: Any) -> str:
    """One line of text: whitespace runs collapsed, None as ''."""
    return " ".join(str(text).split()) if text is not None else ""


def _as_list(value: Any) -> list:
    """A list attribute as a list: None -> [], a lone string -> [string]."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return [value]
    return list(value)


def _shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def _catalog_record(n: Any, attrs: dict, community: int | None, *, abstract: bool = True) -> dict[str, Any]:
    """What the panel and the search box know of a node (absent values left out; a paper's abstract
    only when `abstract`)."""
    kind = str(attrs.get("kind") or "Other")
    rec: dict[str, Any] = {"id": str(n), "kind": kind, "group": node_group(n, attrs),
                           "label": node_label(n, attrs)}
    if kind == "Paper":
        rec.update(date=_clean(attrs.get("date")), arxiv=_clean(attrs.get("arxiv_id")), url=_clean(attrs.get("url")),
                   authors=[_clean(a) for a in _as_list(attrs.get("authors")) if _clean(a)],
                   abstract=_clean(attrs.get("abstract")) if abstract else "",
                   categories=[_clean(c) for c in _as_list(attrs.get("categories")) if _clean(c)])
    elif kind == "Concept":
        label = attrs.get("label")
        rec["aliases"] = [_clean(a) for a in _as_list(attrs.get("aliases")) if a != label and _clean(a)]
        count = attrs.get("paper_count")
        if isinstance(count, (int, float)) and not isinstance(count, bool):
            rec["count"] = int(count)
    elif kind == "CodeRepository":
        rec["url"] = _clean(attrs.get("url")) or str(n)
    if community is not None and community >= 0:
        rec["c"] = community
    return {k: v for k, v in rec.items() if v not in ("", [], None)}


def _links(src: nx.MultiDiGraph, index: dict) -> tuple[dict[str, list], dict[tuple, int]]:
    """Every edge of the whole graph between catalog nodes, as the page's `links` table: one row per edge,
    sorted by (from, to, relation), in columns of equal length (a large page has millions of rows, and
    one JSON object each was most of its size and load time):

    - n: for each catalog index, its number of rows as `from` (rows are grouped by from: row k's from is
      the catalog index whose run contains k)
    - t: the `to` catalog index; r: the relation, an index into rels (the relations' names)
    - c: confidence in thousandths, -1 for none (absent when no row has one)
    - w, k: a relatedTo row's score in thousandths and rank, 0 for none (absent when no row has them)
    - e, m, s (the detail columns, which a large page leaves out): evidence sentence ("" for none),
      mention spans in it ([[start, end]], offsets into e) and shared-concept reasons of relatedTo rows.

    Also returns each edge's row, by (u, v, key).
    """
    rows = sorted(((u, v, k, d) for u, v, k, d in src.edges(keys=True, data=True) if u in index and v in index),
                  key=lambda e: (index[e[0]], index[e[1]], str(e[2])))
    rels = sorted({str(k) for _, _, k, _ in rows}, key=lambda r: (_EDGE_ORDER.get(r, len(_EDGE_ORDER)), r))
    rel_index = {r: i for i, r in enumerate(rels)}
    out: dict[str, list] = {"rels": rels, "n": [0] * len(index), "t": [], "r": [], "c": [], "w": [], "k": [],
                            "e": [], "m": [], "s": []}
    positions: dict[tuple, int] = {}
    for u, v, k, d in rows:
        out["n"][index[u]] += 1
        out["t"].append(index[v])
        out["r"].append(rel_index[str(k)])
        out["c"].append(_thousandths(d.get("confidence"), -1))
        text, marks = "", []
        evidence = d.get("evidence")
        if isinstance(evidence, dict) and evidence.get("text"):
            text = str(evidence["text"])
            start = evidence.get("start")
            if isinstance(start, int):
                for m in _as_list(d.get("mentions")):
                    try:
                        s, e = int(m[0]) - start, int(m[1]) - start
                    except (TypeError, ValueError, IndexError):
                        continue
                    if 0 <= s < e <= len(text):
                        marks.append([s, e])
        out["e"].append(text)
        out["m"].append(sorted(marks))
        score, rank, reasons = 0, 0, []
        if k == "relatedTo":
            score = _thousandths(d.get("score"), 0)
            rank = d.get("rank") if isinstance(d.get("rank"), int) and not isinstance(d.get("rank"), bool) else 0
            reasons = [str(r) for r in _as_list(d.get("reasons"))]
        out["w"].append(score)
        out["k"].append(rank)
        out["s"].append(reasons)
        positions[(u, v, k)] = len(positions)
    # columns that say nothing are left out (the page reads a missing column as "none" for every row)
    empty = {"c": -1, "w": 0, "k": 0, "e": "", "m": [], "s": []}
    for column, none in empty.items():
        if all(x == none for x in out[column]):
            del out[column]
    return out, positions


def _thousandths(value: Any, none: int) -> int:
    """A finite number as an integer number of thousandths (0.9 -> 900), `none` for anything else.

    >>> _thousandths(0.9, -1), _thousandths(None, -1), _thousandths(float("nan"), 0), _thousandths(True, 0)
    (900, -1, 0, 0)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return int(round(float(value) * 1000))
    return none


def link_records(data: dict) -> list[dict[str, Any]]:
    """The `links` table of a page's data (`_links`) as one dict a row, for tests and notebooks: f(rom),
    t(o), r(elation name), and where the row has them c(onfidence), w(eight: relatedTo score), k (rank),
    e(vidence sentence), m(ention spans), s(hared-concept reasons).

    >>> link_records({"links": {"rels": ["uses"], "n": [1, 0], "t": [1], "r": [0], "c": [900]}})
    [{'f': 0, 't': 1, 'r': 'uses', 'c': 0.9}]
    """
    table = data["links"]
    froms = [i for i, count in enumerate(table["n"]) for _ in range(count)]
    out = []
    for row, (f, t, r) in enumerate(zip(froms, table["t"], table["r"])):
        rec: dict[str, Any] = {"f": f, "t": t, "r": table["rels"][r]}
        if table.get("c") and table["c"][row] >= 0:
            rec["c"] = table["c"][row] / 1000
        for column, none in (("w", 0), ("k", 0)):
            if table.get(column) and table[column][row] != none:
                rec[column] = table[column][row] / 1000 if column == "w" else table[column][row]
        for column in ("e", "m", "s"):
            if table.get(column) and table[column][row]:
                rec[column] = table[column][row]
        out.append(rec)
    return out


def _map_font_size(nodes: list[dict]) -> float:
    """Label size, in canvas units, of a map: about `MAP_LABEL_PX` pixels on screen once the page fits the
    whole map into a 1280x800 window (vis-network scales labels with the zoom, like the positions)."""
    if not nodes:
        return float(_FONT_SIZE)
    xs = [n["x"] for n in nodes]
    ys = [n["y"] for n in nodes]
    scale = min(1200 / max(max(xs) - min(xs) + 100, 1), 640 / max(max(ys) - min(ys) + 100, 1), 1.0)
    return round(min(max(MAP_LABEL_PX / scale, _FONT_SIZE), 80.0), 1)


def _vis_options(n: int, physics: bool, *, directed: bool = True, font_size: float = _FONT_SIZE,
                 faint: bool = False) -> dict:
    """vis-network options: fixed seed, hover tooltips, physics only for small views."""
    big = n > PHYSICS_MAX_NODES
    return {
        "autoResize": True,
        "layout": {"randomSeed": _SEED, "improvedLayout": False},
        "nodes": {
            "borderWidth": 1,
            "font": {"size": font_size, "face": "system-ui, sans-serif", "color": "#222222",
                     "strokeWidth": 3, "strokeColor": "#ffffff"},
        },
        "edges": {
            "width": 1,
            "selectionWidth": 2,
            "smooth": False,
            "arrows": {"to": {"enabled": directed, "scaleFactor": 0.45}},
            "color": {"inherit": False, "opacity": 0.3 if faint else 0.55 if n > 1000 else 0.75},
        },
        "interaction": {
            "hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": big, "hideEdgesOnZoom": big,
            "navigationButtons": False, "keyboard": False,
        },
        "physics": {
            "enabled": physics,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 90, "avoidOverlap": 0.4},
            "stabilization": {"enabled": physics, "iterations": 150, "fit": True},
        },
    }


def _summary(info: ViewInfo) -> str:
    """One line saying what the view shows."""
    return f"{info.nodes_shown:,} nodes · {info.edges_shown:,} edges"


def _hint(view: View) -> str:
    """How to see what a capped view leaves out."""
    graph = f"kg view --graph {view.graph_dir}" if view.graph_dir else "kg view --graph DIR"
    return f"To see them: {graph} --around NAME (a neighbourhood), --types Dataset,Model or --max-nodes N."


def _detail_note(view: View) -> str:
    """What a page above DETAIL_MAX_LINKS leaves out of its panels, and how to see it (NAME: the node)."""
    graph = f"kg view --graph {view.graph_dir}" if view.graph_dir else "kg view --graph DIR"
    return (f"Evidence sentences and the abstracts of papers not drawn are left out of a page this large; "
            f"a smaller view shows them: {graph} --around NAME.")


def _notice(info: ViewInfo, view: View) -> str:
    """The left-out notice, or '' when every node and edge is drawn."""
    parts = []
    if info.nodes_left_out:
        groups = ", ".join(f"{g} {n:,}" for g, n in info.left_out_by_group.items())
        parts.append(f"Showing the {info.nodes_shown:,} {view.rank_label} of {info.nodes_total:,} nodes; "
                     f"{info.nodes_left_out:,} left out ({groups}).")
    if info.edges_left_out:
        parts.append(f"{info.edges_left_out:,} weaker edges between drawn nodes left out.")
    if not parts:
        return ""
    parts.append(_hint(view))
    if info.nodes_left_out:
        parts.append("Search also finds left-out neighbours.")
    return " ".join(parts)


def _legend(kinds: Counter, relations: Counter, view: View, communities: Counter) -> list[dict]:
    """The legend's sections (rendered by templates/page.html.j2): one row per node group, community and
    relation, with counts in this view; each row is a button that hides and shows what it names."""
    rows: list[dict] = []
    groups = list(GROUPS) + sorted(g for g in kinds if g not in GROUPS)
    if view.kind in CONCEPT_KINDS or view.kind == "papers-map":
        groups = [g for g in groups if kinds[g]]
    for group in groups:
        color = _OTHER_COLOR if communities else NODE_COLORS.get(group, _OTHER_COLOR)
        rows.append({"filter": "group", "key": group, "shape": _LEGEND_SHAPES.get(group, "dot"), "color": color,
                     "name": group, "count": kinds[group]})
    sections = [{"title": "Nodes", "rows": rows}]
    if communities:
        rows = []
        for i, name in enumerate(view.community_names[:len(COMMUNITY_COLORS)]):
            if communities[i]:
                rows.append({"filter": "community", "key": str(i), "shape": "dot", "color": COMMUNITY_COLORS[i],
                             "name": f"{i + 1}. {name}", "count": communities[i]})
        if communities[-1]:
            rows.append({"filter": "community", "key": "-1", "shape": "dot", "color": _OTHER_COLOR,
                         "name": "smaller communities", "count": communities[-1]})
        sections.append({"title": "Communities", "rows": rows})
    if view.kind in CONCEPT_KINDS or view.kind == "papers-map":
        names = sorted(relations)
    else:
        names = list(EDGE_COLORS) + sorted(r for r in relations if r not in EDGE_COLORS)
    rows = []
    for relation in names:
        rows.append({"filter": "relation", "key": relation, "line": "dashed" if relation == "relatedTo" else "solid",
                     "color": _COOCCURS_COLOR if relation == COOCCURS else EDGE_COLORS.get(relation, _OTHER_COLOR),
                     "name": "co-occurs (papers)" if relation == COOCCURS else relation,
                     "count": relations[relation]})
    sections.append({"title": "Edges", "rows": rows})
    return sections


def _year(date: Any) -> int | None:
    """The year of a date string ("2017-06-12", "12 Jun 2017"), None when it names none ("Mar 14").

    >>> _year("2017-06-12"), _year("Mar 14"), _year(None)
    (2017, None, None)
    """
    found = _YEAR.search(str(date or ""))
    return int(found.group(1)) if found else None


def _filter_ranges(nodes: list[dict], links: dict[str, list]) -> dict | None:
    """What the page's filters can act on: confidences (when any link has one) and the year range (when
    any drawn node has a year); None when there is nothing to filter."""
    years = [y for n in nodes for y in n.get("years", ())]
    found = {"confidence": any(c >= 0 for c in links.get("c", ())) or any("conf" in n for n in nodes),
             "years": [min(years), max(years)] if years else None}
    return found if found["confidence"] or found["years"] else None
