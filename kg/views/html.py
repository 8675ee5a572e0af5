"""Interactive HTML view of a paper graph: one standalone, offline, deterministic page (vis-network).

The page embeds vis-network 9.1.2's JavaScript and CSS (pyvis's bundled copy), so it opens from disk with
no request to any other host. pyvis's page template is not used (it pulls Bootstrap from a CDN and switches
to an ``innerHTML`` tooltip when a title contains "href"), nor its Network class (quadratic in the number of
nodes): this module builds vis-network's node and edge records itself, lays them out, escapes them and
writes the page.

In the page: the legend hides and shows node types, relations and communities; the search box finds a
node by label, alias, title or URL (with suggestions) and focuses it; a click on a node highlights its
neighbours and opens a side panel (a paper's title, date, authors, abstract, code links and each link with
its relation and evidence sentence; a concept's type, aliases and papers; an edge's evidence).

Text taken from papers is untrusted. It reaches the page only (a) as JSON inside a ``<script>`` element,
with ``<``, ``>`` and ``&`` written as ``\\u003c``, ``\\u003e`` and ``\\u0026`` so that nothing in it can close
the script, and (b) in the browser, through ``textContent``, ``innerText`` (vis-network's tooltips for
string titles) and canvas text; no paper text ever goes through ``innerHTML``. Link targets must parse as
http(s) URLs. Text placed into HTML markup by Python (page title, legend, notices) goes through
``html.escape``.

Large graphs: at most ``max_nodes`` nodes are drawn (the view's order: most connected first, nearest
first around a centre) and the page says how many were left out and how to see them. Positions are
computed here (kg.views.layout), so above ``PHYSICS_MAX_NODES`` the page opens already laid out with
physics off; smaller views run a short stabilisation in the browser and then switch physics off. Above
``VIS_EDGES_MAX`` edges the page draws every edge itself, one canvas path per relation, and gives
vis-network only the selected node's edges (arrows, hover, click): 5,000 nodes and 20,000 edges become
interactive in about 1.1 s (bench/view_speed.py). The panel and the search box also know the left-out
neighbours of drawn nodes.
"""
from __future__ import annotations

import html
import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx

from ..io import atomic_write_text
from .layout import layout
from .select import COOCCURS, GROUPS, View, node_group, node_label

__all__ = [
    "ViewInfo", "write_html", "render_html", "render_view", "write_view_html", "NODE_COLORS", "EDGE_COLORS",
    "COMMUNITY_COLORS", "PHYSICS_MAX_NODES", "DEFAULT_MAX_NODES", "DEFAULT_MAX_EDGES", "VIS_EDGES_MAX",
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
_EDGE_ORDER = {r: i for i, r in enumerate(["proposes", "evaluatesOn", "addresses", "comparesWith", "uses",
                                           "codeRepository", COOCCURS, "mentions", "relatedTo"])}
_LABEL_CHARS = 32
_SEED = 42
_VIS_DIR = "templates/lib/vis-9.1.2"


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
               graph_dir: str | Path | None = None) -> ViewInfo:
    """Write a standalone interactive HTML view of the whole paper graph `g` to `path` (atomically).

    Parameters
    ----------
    g : the paper graph (schema in `kg.graph`); other graphs work too, drawn with neutral colours.
    path : where to write the page.
    max_nodes : draw at most this many nodes, the most connected ones (ties broken by node key).
    title : page title and heading.
    graph_dir : the `kg build` folder of `g`, named in the page's hint on how to see left-out nodes.

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
    page, info = render_html(g, max_nodes=max_nodes, title=title, graph_dir=graph_dir)
    atomic_write_text(path, page)
    return info


def render_html(g: nx.MultiDiGraph, *, max_nodes: int = DEFAULT_MAX_NODES, title: str = "paperkg",
                graph_dir: str | Path | None = None) -> tuple[str, ViewInfo]:
    """The page `write_html` writes, as a string, with its ViewInfo."""
    view = View(graph=g, source=g, kind="papers", title=title, description="Papers and concepts",
                graph_dir=None if graph_dir is None else str(graph_dir))
    return render_view(view, max_nodes=max_nodes)


def write_view_html(view: View, path: Path, *, max_nodes: int = DEFAULT_MAX_NODES,
                    max_edges: int = DEFAULT_MAX_EDGES) -> ViewInfo:
    """Write the page of a View (kg.views.select) to `path` atomically; see `render_view`."""
    page, info = render_view(view, max_nodes=max_nodes, max_edges=max_edges)
    atomic_write_text(path, page)
    return info


def render_view(view: View, *, max_nodes: int = DEFAULT_MAX_NODES,
                max_edges: int = DEFAULT_MAX_EDGES) -> tuple[str, ViewInfo]:
    """The page of a View, as a string, with its ViewInfo.

    Draws at most `max_nodes` nodes (the first in `view.rank`) and `max_edges` edges among them (typed
    links first, then the heaviest); the page lists what was left out and how to see it.
    """
    if max_nodes < 0:
        raise ValueError(f"max_nodes must be >= 0, not {max_nodes}")
    if max_edges < 0:
        raise ValueError(f"max_edges must be >= 0, not {max_edges}")
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
    physics = len(shown) <= PHYSICS_MAX_NODES

    # positions: relatedTo edges (derived from shared concepts) do not pull, when there are other edges
    pull = [(u, v, d) for u, v, k, d in edges if k != "relatedTo"] or [(u, v, d) for u, v, _, d in edges]
    weights = [float(d.get("weight") or 1) if d.get("relation") == COOCCURS else 1.0 for _, _, d in pull]
    groups = view.community
    if groups:  # links inside a community pull harder: communities show as regions
        weights = [w * (1.0 if groups.get(u) == groups.get(v) else 0.05) for w, (u, v, _) in zip(weights, pull)]
    pos = layout(shown, [(u, v) for u, v, _ in pull], weights=weights, seed=_SEED, groups=groups)
    linked = {u for u, v, _, _ in edges if u != v} | {v for u, v, _, _ in edges if u != v}

    # the catalog: drawn nodes, their neighbours in the whole graph and those papers' code repositories
    catalog_set = set(shown)
    for n in shown:
        if n in src:
            catalog_set.update(src.successors(n))
            catalog_set.update(src.predecessors(n))
    for n in list(catalog_set):
        if n in src and src.nodes[n].get("kind") == "Paper":
            catalog_set.update(v for v in src.successors(n) if src.nodes[v].get("kind") == "CodeRepository")
    catalog = sorted(catalog_set, key=str)
    index = {n: i for i, n in enumerate(catalog)}

    def attrs_of(n: Any) -> dict:
        return src.nodes[n] if n in src else g.nodes[n]

    community = view.community or {}
    records = [_catalog_record(n, attrs_of(n), community.get(n)) for n in catalog]
    links, link_index = _links(src, index)

    kinds: Counter[str] = Counter()
    communities_drawn: Counter[int] = Counter()
    centres = set(view.centres)
    vis_nodes = []
    for n in shown:
        attrs = attrs_of(n)
        group = node_group(n, attrs)
        kinds[group] += 1
        x, y = pos[n]
        if view.kind == "cooccurrence":  # sized by papers; elsewhere by links in the whole graph
            weight = int(attrs.get("paper_count") or 0) or g.degree(n)
        else:
            weight = src.degree(n) if n in src else g.degree(n)
        rec: dict[str, Any] = {
            "id": str(n), "label": _shorten(node_label(n, attrs), _LABEL_CHARS), "x": x, "y": y,
            "shape": _SHAPES.get(str(attrs.get("kind", "")), "dot"), "kind": group,
            "color": NODE_COLORS.get(group, _OTHER_COLOR),
            "size": round(7 + 3 * math.sqrt(min(weight, 100)), 1),
        }
        if community:
            c = community.get(n, -1)
            legend_key = c if 0 <= c < len(COMMUNITY_COLORS) else -1
            communities_drawn[legend_key] += 1
            rec["c"] = legend_key
            rec["color"] = COMMUNITY_COLORS[c] if legend_key >= 0 else _OTHER_COLOR
        if n in centres:
            rec["size"] = round(rec["size"] + 8, 1)
            rec["borderWidth"] = 4
            rec["color"] = {"background": rec["color"], "border": "#222222"}
        if physics and n not in linked:
            rec["physics"] = False  # unlinked nodes stay in their grid
        vis_nodes.append(rec)

    parallel: defaultdict[frozenset, int] = defaultdict(int)
    relations: Counter[str] = Counter()
    vis_edges = []
    for u, v, k, d in edges:
        relation = str(k)
        relations[relation] += 1
        rec: dict[str, Any] = {"f": index[u], "t": index[v], "r": relation}
        if (u, v, k) in link_index:
            rec["l"] = link_index[(u, v, k)]
        if relation == COOCCURS:
            rec["w"] = int(d.get("weight") or 1)
            rec["p"] = [index[p] for p in (d.get("papers") or [])[:50] if p in index]
        pair = frozenset((str(u), str(v)))
        if parallel[pair]:  # parallel edges (one per relation) bend apart instead of hiding each other
            rec["n"] = parallel[pair]
        parallel[pair] += 1
        vis_edges.append(rec)

    relation_colors = {**EDGE_COLORS, COOCCURS: _COOCCURS_COLOR}
    data = {
        "nodes": vis_nodes, "edges": vis_edges, "catalog": records, "links": links,
        "options": _vis_options(len(shown), physics, directed=view.kind != "cooccurrence"),
        "physics": physics, "kind": view.kind, "cooccurs": COOCCURS,
        "canvasEdges": not physics and len(edges) > VIS_EDGES_MAX,
        "groupColors": {**NODE_COLORS, "Other": _OTHER_COLOR},
        "relationColors": {**relation_colors, **{r: _OTHER_COLOR for r in relations if r not in relation_colors}},
        "communities": list(view.community_names[:len(COMMUNITY_COLORS)]) if community else [],
        "communityColors": list(COMMUNITY_COLORS) if community else [],
        "hint": _hint(view),
    }
    values = {
        "TITLE": html.escape(view.title),
        "VIS_CSS": _asset("vis-network.css", "</style"),
        "VIS_JS": _asset("vis-network.min.js", "</script"),
        "SUMMARY": html.escape(_summary(info)),
        "DESCRIPTION": html.escape(view.description),
        "NOTICE": _notice(info, view),
        "LEGEND": _legend(kinds, relations, view, communities_drawn),
        "DATA": _script_json(data),
    }
    page = re.sub(r"@@([A-Z_]+)@@", lambda m: values[m.group(1)], _PAGE)
    return page, info


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


def _catalog_record(n: Any, attrs: dict, community: int | None) -> dict[str, Any]:
    """What the panel and the search box know of a node (absent values left out)."""
    kind = str(attrs.get("kind") or "Other")
    rec: dict[str, Any] = {"id": str(n), "kind": kind, "group": node_group(n, attrs),
                           "label": node_label(n, attrs)}
    if kind == "Paper":
        rec.update(date=_clean(attrs.get("date")), arxiv=_clean(attrs.get("arxiv_id")), url=_clean(attrs.get("url")),
                   authors=[_clean(a) for a in _as_list(attrs.get("authors")) if _clean(a)],
                   abstract=_clean(attrs.get("abstract")),
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


def _links(src: nx.MultiDiGraph, index: dict) -> tuple[list[dict], dict[tuple, int]]:
    """Every edge of the whole graph between catalog nodes: f(rom), t(o), r(elation), c(onfidence),
    e(vidence sentence), m(ention spans in it), w(eight), s(hared concept labels)."""
    rows = sorted(((u, v, k, d) for u, v, k, d in src.edges(keys=True, data=True) if u in index and v in index),
                  key=lambda e: (index[e[0]], index[e[1]], str(e[2])))
    links: list[dict] = []
    positions: dict[tuple, int] = {}
    for u, v, k, d in rows:
        rec: dict[str, Any] = {"f": index[u], "t": index[v], "r": str(k)}
        confidence = d.get("confidence")
        if isinstance(confidence, (int, float)) and not isinstance(confidence, bool) and math.isfinite(confidence):
            rec["c"] = round(float(confidence), 3)
        evidence = d.get("evidence")
        if isinstance(evidence, dict) and evidence.get("text"):
            text = str(evidence["text"])
            rec["e"] = text
            start = evidence.get("start")
            marks = []
            if isinstance(start, int):
                for m in _as_list(d.get("mentions")):
                    try:
                        s, e = int(m[0]) - start, int(m[1]) - start
                    except (TypeError, ValueError, IndexError):
                        continue
                    if 0 <= s < e <= len(text):
                        marks.append([s, e])
            if marks:
                rec["m"] = sorted(marks)
        if k == "relatedTo":
            score, rank = d.get("score"), d.get("rank")
            if isinstance(score, (int, float)) and math.isfinite(score):
                rec["w"] = round(float(score), 3)
            if isinstance(rank, int):
                rec["k"] = rank
            rec["s"] = [str(r) for r in _as_list(d.get("reasons"))]
        positions[(u, v, k)] = len(links)
        links.append(rec)
    return links, positions


def _vis_options(n: int, physics: bool, *, directed: bool = True) -> dict:
    """vis-network options: fixed seed, hover tooltips, physics only for small views."""
    big = n > PHYSICS_MAX_NODES
    return {
        "autoResize": True,
        "layout": {"randomSeed": _SEED, "improvedLayout": False},
        "nodes": {
            "borderWidth": 1,
            "font": {"size": 14, "face": "system-ui, sans-serif", "color": "#222222",
                     "strokeWidth": 3, "strokeColor": "#ffffff"},
        },
        "edges": {
            "width": 1,
            "selectionWidth": 2,
            "smooth": False,
            "arrows": {"to": {"enabled": directed, "scaleFactor": 0.45}},
            "color": {"inherit": False, "opacity": 0.55 if n > 1000 else 0.75},
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


def _notice(info: ViewInfo, view: View) -> str:
    """HTML of the left-out notice, or '' when every node and edge is drawn."""
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
    return f'<p id="left-out" class="notice">{html.escape(" ".join(parts))}</p>'


def _legend_row(filter_: str, key: str, swatch: str, name: str, count: int, hidden_label: str = "") -> str:
    return (f'<div class="row{" empty" * (not count)}" role="button" tabindex="0" aria-pressed="true" '
            f'data-filter="{filter_}" data-key="{html.escape(key, quote=True)}" '
            f'title="Click to hide or show{html.escape(hidden_label, quote=True)}">{swatch}'
            f'<span class="name">{html.escape(name)}</span><span class="count">{count:,}</span></div>')


def _legend(kinds: Counter, relations: Counter, view: View, communities: Counter) -> str:
    """HTML of the legend: one row per node group, community and relation, with counts in this view;
    each row is a button that hides and shows what it names."""
    rows = ['<h2>Nodes</h2>']
    groups = list(GROUPS) + sorted(g for g in kinds if g not in GROUPS)
    if view.kind == "cooccurrence":
        groups = [g for g in groups if kinds[g]]
    for group in groups:
        shape = _LEGEND_SHAPES.get(group, "dot")
        color = _OTHER_COLOR if communities else NODE_COLORS.get(group, _OTHER_COLOR)
        swatch = f'<span class="swatch {shape}" style="background:{color}"></span>'
        rows.append(_legend_row("group", group, swatch, group, kinds[group]))
    if communities:
        rows.append('<h2>Communities</h2>')
        for i, name in enumerate(view.community_names[:len(COMMUNITY_COLORS)]):
            if communities[i]:
                swatch = f'<span class="swatch dot" style="background:{COMMUNITY_COLORS[i]}"></span>'
                rows.append(_legend_row("community", str(i), swatch, f"{i + 1}. {name}", communities[i]))
        if communities[-1]:
            swatch = f'<span class="swatch dot" style="background:{_OTHER_COLOR}"></span>'
            rows.append(_legend_row("community", "-1", swatch, "smaller communities", communities[-1]))
    rows.append('<h2>Edges</h2>')
    if view.kind == "cooccurrence":
        names = sorted(relations)
    else:
        names = list(EDGE_COLORS) + sorted(r for r in relations if r not in EDGE_COLORS)
    for relation in names:
        color = _COOCCURS_COLOR if relation == COOCCURS else EDGE_COLORS.get(relation, _OTHER_COLOR)
        style = "dashed" if relation == "relatedTo" else "solid"
        swatch = f'<span class="line" style="border-top:3px {style} {color}"></span>'
        label = "co-occurs (papers)" if relation == COOCCURS else relation
        rows.append(_legend_row("relation", relation, swatch, label, relations[relation]))
    rows.append('<p class="legend-hint">Click a row to hide or show it.</p>')
    return "\n".join(rows)


def _script_json(value: Any) -> str:
    """JSON safe to place inside <script>: sorted, ASCII-only, with <, > and & as \\u escapes."""
    text = json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@lru_cache(maxsize=None)
def _asset(name: str, closing: str) -> str:
    """A file of pyvis's bundled vis-network, checked not to close the element it is inlined into."""
    import pyvis

    text = (Path(pyvis.__file__).parent / _VIS_DIR / name).read_text(encoding="utf-8")
    for bad in (closing, "<!--"):
        if bad in text.lower():
            raise RuntimeError(f"{name} contains {bad!r}: cannot be inlined safely")
    return text


_STYLE = """
html, body { margin: 0; height: 100%; font-family: system-ui, -apple-system, "Segoe UI", sans-serif;
  color: #222; background: #fafafa; }
body { display: flex; flex-direction: column; }
header { padding: 8px 16px; border-bottom: 1px solid #ddd; background: #fff; position: relative; z-index: 10; }
.bar { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
header h1 { font-size: 18px; margin: 0; }
header .summary { color: #555; font-size: 14px; }
header .description { color: #555; font-size: 13px; flex: 1 1 260px; min-width: 0; }
.search { position: relative; width: 340px; max-width: 100%; }
#search { width: 100%; box-sizing: border-box; font: inherit; font-size: 14px; padding: 6px 10px;
  border: 1px solid #bbb; border-radius: 6px; }
#search:focus { outline: 2px solid #4e79a7; border-color: #4e79a7; }
#suggestions { position: absolute; left: 0; right: 0; top: 100%; margin: 2px 0 0; padding: 4px 0;
  list-style: none; background: #fff; border: 1px solid #bbb; border-radius: 6px; z-index: 30;
  box-shadow: 0 4px 12px rgba(0,0,0,0.15); max-height: 60vh; overflow-y: auto; }
#suggestions li { display: flex; align-items: center; gap: 7px; padding: 4px 10px; cursor: pointer;
  font-size: 13px; }
#suggestions li.active, #suggestions li:hover { background: #e8eef6; }
#suggestions li.none { color: #777; cursor: default; }
#suggestions .name { flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#suggestions .tag { color: #777; font-size: 12px; white-space: nowrap; }
.notice { margin: 6px 0 0; padding: 4px 8px; background: #fff4d6; border: 1px solid #f0d68a;
  border-radius: 4px; font-size: 13px; }
main { position: relative; flex: 1; min-height: 300px; }
#mynetwork { position: absolute; inset: 0; background: #fff; }
#legend { position: absolute; top: 10px; right: 10px; z-index: 6; background: rgba(255,255,255,0.95);
  border: 1px solid #ccc; border-radius: 6px; padding: 6px 10px 8px; font-size: 13px; min-width: 170px;
  max-width: 280px; max-height: calc(100% - 40px); overflow-y: auto; box-shadow: 0 1px 4px rgba(0,0,0,0.12); }
#legend h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: #666; margin: 6px 0 3px; }
#legend .row { display: flex; align-items: center; gap: 7px; line-height: 20px; cursor: pointer;
  border-radius: 3px; padding: 0 3px; margin: 0 -3px; user-select: none; }
#legend .row:hover { background: #eef2f7; }
#legend .row:focus-visible { outline: 2px solid #4e79a7; }
#legend .row.empty { opacity: 0.4; }
#legend .row.off .name { text-decoration: line-through; color: #999; }
#legend .row.off .swatch, #legend .row.off .line { opacity: 0.25; }
#legend .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#legend .count { margin-left: auto; padding-left: 10px; color: #777; font-variant-numeric: tabular-nums; }
#legend .legend-hint { margin: 6px 0 0; color: #888; font-size: 11px; }
.swatch { display: inline-block; flex: none; width: 11px; height: 11px; border: 1px solid rgba(0,0,0,0.35); }
.swatch.dot { border-radius: 50%; }
.swatch.diamond { transform: rotate(45deg) scale(0.85); }
.line { display: inline-block; flex: none; width: 22px; height: 0; }
#panel { position: absolute; top: 10px; left: 10px; bottom: 10px; width: 400px; max-width: calc(100% - 40px);
  z-index: 7; background: #fff; border: 1px solid #ccc; border-radius: 6px; box-shadow: 0 2px 10px rgba(0,0,0,0.18);
  display: flex; flex-direction: column; font-size: 13px; line-height: 1.4; }
#panel[hidden] { display: none; }
#panel-close { position: absolute; top: 4px; right: 6px; border: 0; background: none; font-size: 20px;
  line-height: 1; cursor: pointer; color: #666; padding: 4px 6px; }
#panel-close:hover { color: #000; }
#panel-body { overflow-y: auto; padding: 10px 14px 14px; }
#panel .kicker { display: flex; align-items: center; gap: 6px; color: #555; font-size: 12px;
  text-transform: uppercase; letter-spacing: .04em; margin-right: 24px; }
#panel h2 { font-size: 16px; margin: 4px 0 6px; line-height: 1.3; overflow-wrap: anywhere; }
#panel h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: #666; margin: 12px 0 4px; }
#panel .meta { color: #555; margin: 2px 0; overflow-wrap: anywhere; }
#panel .abstract { margin: 6px 0; color: #333; overflow-wrap: anywhere; }
#panel .note { background: #fff4d6; border: 1px solid #f0d68a; border-radius: 4px; padding: 4px 6px; margin: 6px 0; }
#panel ul { list-style: none; margin: 0; padding: 0; }
#panel li { padding: 4px 0; border-top: 1px solid #eee; }
#panel li .line1 { overflow-wrap: anywhere; }
#panel .rel { font-size: 11px; border: 1px solid; border-radius: 3px; padding: 0 4px; white-space: nowrap;
  vertical-align: 1px; }
#panel .type, #panel .conf { color: #777; font-size: 12px; }
#panel .node-link { color: #1d5fa8; text-decoration: none; cursor: pointer; }
#panel .node-link:hover { text-decoration: underline; }
#panel .node-link.not-drawn { color: #555; }
#panel blockquote.evidence { margin: 3px 0 2px 10px; padding-left: 8px; border-left: 3px solid #ddd; color: #444;
  overflow-wrap: anywhere; }
#panel mark { background: #fff0a8; padding: 0 1px; }
#panel a { color: #1d5fa8; overflow-wrap: anywhere; }
#panel .more { color: #777; font-style: italic; }
div.vis-tooltip { z-index: 20; white-space: pre-line; max-width: 420px; font-family: inherit; font-size: 13px;
  line-height: 1.35; padding: 6px 8px; overflow-wrap: anywhere; }
div.vis-tooltip::first-line { font-weight: 600; }
"""

_SCRIPT = r"""
var nodes, edges, network;
window.paperkgTimes = {script: performance.now()};
window.paperkg = (function () {
  var C = DATA.catalog, L = DATA.links, E = DATA.edges, RELS = DATA.relationColors, GROUPS = DATA.groupColors;
  var OTHER = "#9d9d9d", COOCCURS = DATA.cooccurs, CANVAS_EDGES = DATA.canvasEdges;
  var ORDER = ["proposes", "evaluatesOn", "addresses", "comparesWith", "uses", "mentions", "codeRepository",
               "relatedTo", COOCCURS];
  var LIST_MAX = 150;
  var index = new Map();
  C.forEach(function (c, i) { index.set(c.id, i); });
  var adj = C.map(function () { return []; });  // catalog index -> links (whole graph) touching it
  L.forEach(function (l, i) { adj[l.f].push(i); if (l.t !== l.f) adj[l.t].push(i); });
  function push(map, key, value) { var a = map.get(key); if (a) a.push(value); else map.set(key, [value]); }
  var drawn = new Map();  // id -> {kind, c}
  var byGroup = new Map(), byCommunity = new Map(), byRelation = new Map(), nodeEdges = new Map();
  DATA.nodes.forEach(function (n) {
    drawn.set(n.id, {kind: n.kind, c: n.c});
    push(byGroup, n.kind, n.id);
    if (n.c !== undefined) push(byCommunity, String(n.c), n.id);
  });
  E.forEach(function (e, k) {
    e.from = C[e.f].id;
    e.to = C[e.t].id;
    push(byRelation, e.r, k);
    push(nodeEdges, e.from, k);
    if (e.to !== e.from) push(nodeEdges, e.to, k);
  });
  var hidden = {group: new Set(), community: new Set(), relation: new Set()};

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
    var l = e.l !== undefined ? L[e.l] : null, head = e.r, lines;
    if (l && l.c !== undefined) head += " \u00b7 confidence " + l.c.toFixed(2);
    lines = [head];
    if (l && l.e) lines.push("\u201c" + short(l.e, 160) + "\u201d");
    if (l && l.s && l.s.length) lines.push(plural(l.s.length, "shared concept") + ": " + short(l.s.join(", "), 120));
    return lines.join("\n");
  }
  function edgeWidth(e) { return e.w ? Math.min(1 + 1.5 * Math.log2(e.w), 8) : 1; }
  function visEdge(k) {  // the vis-network record of edge k
    var e = E[k], rec = {id: k, from: e.from, to: e.to, relation: e.r, color: RELS[e.r] || OTHER, title: edgeTip(e)};
    if (e.r === "relatedTo") { rec.arrows = {to: {enabled: false}}; rec.dashes = true; }
    if (e.w) rec.width = edgeWidth(e);
    if (e.n) rec.smooth = {enabled: true, type: e.n % 2 ? "curvedCW" : "curvedCCW", roundness: 0.2 * ((e.n + 1) >> 1)};
    if (hidden.relation.has(e.r)) rec.hidden = true;
    return rec;
  }

  DATA.nodes.forEach(function (n) {
    n.title = nodeTip(C[index.get(n.id)]);
    n.color = n.color || GROUPS[n.kind] || OTHER;
  });
  window.paperkgTimes.titles = performance.now();
  nodes = new vis.DataSet(DATA.nodes);
  // Large views: every edge is drawn below the nodes by drawEdges (one canvas path per relation);
  // vis-network only gets the edges of the selected node (hover, click, arrows). Small views: all of them.
  edges = new vis.DataSet(CANVAS_EDGES ? [] : E.map(function (e, k) { return visEdge(k); }));
  window.paperkgTimes.datasets = performance.now();
  var container = document.getElementById("mynetwork");
  network = new vis.Network(container, {nodes: nodes, edges: edges}, DATA.options);
  window.paperkgTimes.network = performance.now();
  network.once("afterDrawing", function () {
    window.paperkgTimes.drawn = performance.now();
    window.paperkgDrawn = true;
  });
  if (DATA.physics) {
    network.once("stabilizationIterationsDone", function () { network.setOptions({physics: {enabled: false}}); });
  } else {
    network.fit({animation: false});
  }
  function isHidden(id) { var n = network.body.nodes[id]; return !n || n.options.hidden; }

  function drawEdges(ctx) {
    var body = network.body.nodes, scale = network.getScale(), paths = new Map();
    var w = container.clientWidth, h = container.clientHeight;
    var tl = network.DOMtoCanvas({x: 0, y: 0}), br = network.DOMtoCanvas({x: w, y: h});
    for (var k = 0; k < E.length; k++) {
      var e = E[k];
      if (hidden.relation.has(e.r)) continue;
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
  function highlight(id) {
    var ks = nodeEdges.get(id) || [], seen = new Set([id]), ns = [id];
    ks.forEach(function (k) {
      var other = E[k].from === id ? E[k].to : E[k].from;
      if (!seen.has(other)) { seen.add(other); ns.push(other); }
    });
    if (CANVAS_EDGES) {
      edges.clear();
      edges.add(ks.map(visEdge));
    }
    hl = {id: id, nodes: ns, edges: ks};
  }
  function unhighlight() {
    hl = null;
    if (CANVAS_EDGES && edges.length) edges.clear();
  }
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
  function byOrder(a, b) { return ORDER.indexOf(L[a].r) - ORDER.indexOf(L[b].r); }
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
    if (c.c !== undefined && DATA.communities.length) {
      kicker.appendChild(el("span", null, "\u00b7 community " + (c.c + 1) + (DATA.communities[c.c] ? ": " + DATA.communities[c.c] : "")));
    }
    body.appendChild(kicker);
    body.appendChild(el("h2", null, c.label));
    if (!drawn.has(c.id)) {
      body.appendChild(el("p", "note", "Not drawn in this view. " +
        DATA.hint.replace("To see them: ", "").replace("NAME", JSON.stringify(short(c.label, 60)))));
    }
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
      var code = mine.filter(function (k) { return L[k].f === i && L[k].r === "codeRepository"; });
      if (code.length) {
        body.appendChild(section("Code"));
        body.appendChild(listOf(code, function (k) {
          var li = el("li"), repo = C[L[k].t];
          li.appendChild(extLink(repo.url || repo.label, repo.url || repo.label));
          return li;
        }));
      }
      var concepts = mine.filter(function (k) { return L[k].f === i && C[L[k].t].kind === "Concept"; }).sort(byOrder);
      body.appendChild(section("Links (" + concepts.length + ")"));
      body.appendChild(listOf(concepts, function (k) { return linkItem(L[k], L[k].t); }));
      // The paper's own related papers (kg.related), in rank order, each with its reasons.
      var related = mine.filter(function (k) { return L[k].r === "relatedTo" && L[k].f === i; })
        .sort(function (a, b) { return (L[a].k || 99) - (L[b].k || 99) || (L[b].w || 0) - (L[a].w || 0); });
      if (related.length) {
        body.appendChild(section("Related papers (" + related.length + ")"));
        body.appendChild(listOf(related, function (k) {
          var l = L[k], li = plainItem(l.t, l.w !== undefined ? "score " + l.w.toFixed(2) : "");
          li.className = (li.className ? li.className + " " : "") + "related";
          (l.s || []).forEach(function (r) { li.appendChild(el("div", "meta reason", r)); });
          return li;
        }));
      }
    } else if (c.kind === "Concept") {
      if (c.aliases) body.appendChild(el("p", "meta", "Also called: " + c.aliases.join(", ")));
      if (c.count !== undefined) body.appendChild(el("p", "meta", plural(c.count, "paper") + " in the graph"));
      var papers = mine.filter(function (k) { return L[k].t === i; }).sort(function (a, b) {
        return byOrder(a, b) || String(C[L[b].f].date || "").localeCompare(String(C[L[a].f].date || ""));
      });
      body.appendChild(section("Papers (" + papers.length + ")"));
      body.appendChild(listOf(papers, function (k) { return linkItem(L[k], L[k].f); }));
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
      var users = mine.filter(function (k) { return L[k].t === i; });
      body.appendChild(section("Papers (" + users.length + ")"));
      body.appendChild(listOf(users, function (k) { return linkItem(L[k], L[k].f); }));
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
      var l = L[e.l];
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

  // --- selection and focus
  function select(id) {
    if (!drawn.has(id)) return false;
    highlight(id);
    network.selectNodes([id]);
    showPanel(index.get(id));
    window.paperkgSelected = id;
    network.redraw();
    return true;
  }
  function clear() {
    unhighlight();
    window.paperkgSelected = null;
    network.unselectAll();
    panel.hidden = true;
    network.redraw();
  }
  function focus(id, animate) {
    if (!index.has(id)) return false;
    var d = drawn.get(id);
    if (!d) {
      unhighlight();
      network.unselectAll();
      showPanel(index.get(id));
      network.redraw();
      return true;
    }
    if (hidden.group.has(d.kind)) toggle("group", d.kind);
    if (d.c !== undefined && hidden.community.has(String(d.c))) toggle("community", String(d.c));
    select(id);
    // zoom to the node and its (visible) neighbours, in the part of the canvas the side panel leaves free
    var ids = hl.nodes.filter(function (n) { return !isHidden(n); }), pos = network.getPositions(ids);
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    ids.forEach(function (n) {
      var q = pos[n], r = network.body.nodes[n].options.size || 10;
      x0 = Math.min(x0, q.x - r); x1 = Math.max(x1, q.x + r); y0 = Math.min(y0, q.y - r); y1 = Math.max(y1, q.y + r);
    });
    var off = focusOffset(), w = container.clientWidth - 2 * off.x, h = container.clientHeight;
    var scale = Math.min(1.0, Math.max(0.2, 0.85 * Math.min(w / (x1 - x0 + 160), h / (y1 - y0 + 60))));
    network.moveTo({position: {x: (x0 + x1) / 2, y: (y0 + y1) / 2}, scale: scale, offset: off,
                    animation: animate === false ? false : {duration: 350, easingFunction: "easeInOutQuad"}});
    return true;
  }
  function focusOffset() {  // centre focused nodes in the part of the canvas the side panel leaves free
    var free = container.clientWidth - 430;
    return {x: free > 430 ? 215 : 0, y: 0};
  }
  network.on("click", function (p) {
    if (p.nodes.length) select(p.nodes[0]);
    else if (p.edges.length) showEdge(p.edges[0]);
    else clear();
  });
  document.getElementById("panel-close").addEventListener("click", clear);

  // --- legend: hide and show node groups, communities and relations
  function nodeHidden(id) {
    var d = drawn.get(id);
    return hidden.group.has(d.kind) || (d.c !== undefined && hidden.community.has(String(d.c)));
  }
  function toggle(filter, key, show) {
    var set = hidden[filter];
    if (!set) return;
    var hide = show === undefined ? !set.has(key) : !show;
    if (hide) set.add(key); else set.delete(key);
    if (filter === "relation") {
      var ids = (byRelation.get(key) || []).filter(function (k) { return edges.get(k) !== null; });
      edges.update(ids.map(function (k) { return {id: k, hidden: hide}; }));
    } else {
      nodes.update(((filter === "group" ? byGroup : byCommunity).get(key) || []).map(function (id) {
        return {id: id, hidden: nodeHidden(id)};
      }));
    }
    document.querySelectorAll("#legend .row").forEach(function (row) {
      if (row.dataset.filter === filter && row.dataset.key === key) {
        row.classList.toggle("off", hide);
        row.setAttribute("aria-pressed", hide ? "false" : "true");
      }
    });
    if (hl && isHidden(hl.id)) clear(); else network.redraw();
  }
  document.querySelectorAll("#legend .row").forEach(function (row) {
    function go(ev) { ev.preventDefault(); toggle(row.dataset.filter, row.dataset.key); }
    row.addEventListener("click", go);
    row.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") go(ev); });
  });

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

  window.paperkgTimes.ready = performance.now();
  window.paperkgReady = true;
  return {focus: focus, focusOffset: focusOffset, select: select, clear: clear, search: search, toggle: toggle,
          showPanel: showPanel,
          showEdge: showEdge, edgeCount: E.length, canvasEdges: CANVAS_EDGES, index: index, catalog: C, links: L,
          edges: E, hidden: hidden};
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="paperkg">
<title>@@TITLE@@</title>
<link rel="icon" href="data:,">
<style>@@VIS_CSS@@</style>
<style>""" + _STYLE + """</style>
</head>
<body>
<header>
<div class="bar">
<h1>@@TITLE@@</h1><span class="summary">@@SUMMARY@@</span>
<span class="description">@@DESCRIPTION@@</span>
<div class="search" role="search">
<input id="search" type="search" placeholder="Search papers, concepts, aliases…  ( / )" autocomplete="off"
 spellcheck="false" aria-label="Search nodes" aria-controls="suggestions">
<ul id="suggestions" role="listbox" hidden></ul>
</div>
</div>
@@NOTICE@@
</header>
<main>
<div id="mynetwork"></div>
<aside id="panel" aria-label="Details" hidden>
<button id="panel-close" type="button" aria-label="Close" title="Close (Esc)">×</button>
<div id="panel-body"></div>
</aside>
<aside id="legend" aria-label="Legend">
@@LEGEND@@
</aside>
</main>
<script>@@VIS_JS@@</script>
<script>
"use strict";
var DATA = @@DATA@@;
""" + _SCRIPT.lstrip("\n") + """</script>
</body>
</html>
"""
