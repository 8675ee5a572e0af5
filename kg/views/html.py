"""Interactive HTML view of a paper graph: one standalone, offline, deterministic page (pyvis / vis-network).

The page embeds vis-network's JavaScript and CSS (from pyvis's bundled copy), so it opens from disk with
no request to any other host. pyvis's own page template is not used: it always pulls Bootstrap from a CDN
and switches to an ``innerHTML`` tooltip when a title contains "href". pyvis builds the node and edge
records; this module lays them out, escapes them and writes the page.

Text taken from papers is untrusted. It reaches the page only (a) as JSON inside a ``<script>`` element,
with ``<``, ``>`` and ``&`` written as ``\\u003c``, ``\\u003e`` and ``\\u0026`` so that nothing in it can close
the script, and (b) in the browser, through ``textContent`` (the tooltips are built as DOM elements; vis-network
draws labels on a canvas). Text placed into HTML markup by Python (page title, legend, notices) goes through
``html.escape``.

Large graphs: at most ``max_nodes`` nodes are kept (the most connected ones, ties broken by node key) and the
page says how many were left out. Positions are computed here (a seeded Fruchterman-Reingold layout in
numpy), so above ``PHYSICS_MAX_NODES`` the page opens already laid out with physics off; smaller views run
a short stabilisation in the browser and then switch physics off.
"""
from __future__ import annotations

import html
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from ..io import atomic_write_text

__all__ = [
    "ViewInfo", "write_html", "render_html", "NODE_COLORS", "EDGE_COLORS", "PHYSICS_MAX_NODES",
]

#: Views with more nodes than this open with physics off; smaller ones stabilise briefly first.
PHYSICS_MAX_NODES = 300
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
#: Edge colour of each relation.
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
_OTHER_COLOR = "#9d9d9d"
_SHAPES = {"Paper": "square", "Concept": "dot", "CodeRepository": "diamond"}
_LEGEND_SHAPES = {"Paper": "square", "CodeRepository": "diamond"}
_LABEL_CHARS = 32
_ABSTRACT_CHARS = 300
_EVIDENCE_CHARS = 160
_SEED = 42
_VIS_DIR = "templates/lib/vis-9.1.2"


@dataclass(frozen=True)
class ViewInfo:
    """What a written view shows: nodes and edges drawn, nodes in the graph, nodes left out by the cap."""

    nodes_shown: int
    edges_shown: int
    nodes_total: int
    nodes_left_out: int


def write_html(g: nx.MultiDiGraph, path: Path, *, max_nodes: int = 1500, title: str = "paperkg") -> ViewInfo:
    """Write a standalone interactive HTML view of `g` to `path` (atomically) and say what it shows.

    Parameters
    ----------
    g : the paper graph (schema in `kg.graph`); other graphs work too, drawn with neutral colours.
    path : where to write the page.
    max_nodes : keep at most this many nodes, the most connected ones (ties broken by node key).
    title : page title and heading.

    Returns
    -------
    ViewInfo with the numbers of nodes and edges drawn, nodes in `g`, and nodes left out.

    Examples
    --------
    >>> info = write_html(g, Path("out/graph.html"), max_nodes=500)  # doctest: +SKIP
    >>> info.nodes_left_out  # doctest: +SKIP
    0
    """
    page, info = render_html(g, max_nodes=max_nodes, title=title)
    atomic_write_text(path, page)
    return info


def render_html(g: nx.MultiDiGraph, *, max_nodes: int = 1500, title: str = "paperkg") -> tuple[str, ViewInfo]:
    """The page `write_html` writes, as a string, with its ViewInfo."""
    if max_nodes < 0:
        raise ValueError(f"max_nodes must be >= 0, not {max_nodes}")
    degree = dict(g.degree())
    shown = sorted(g.nodes, key=lambda n: (-degree[n], str(n)))[:max_nodes]
    shown.sort(key=str)
    keep = set(shown)
    edges = sorted(
        ((u, v, k, d) for u, v, k, d in g.edges(keys=True, data=True) if u in keep and v in keep),
        key=lambda e: (str(e[0]), str(e[1]), str(e[2])),
    )
    info = ViewInfo(nodes_shown=len(shown), edges_shown=len(edges), nodes_total=g.number_of_nodes(),
                    nodes_left_out=g.number_of_nodes() - len(shown))
    physics = len(shown) <= PHYSICS_MAX_NODES
    pos = _layout(shown, [(u, v) for u, v, _, _ in edges])

    from pyvis.network import Network  # heavy-ish import, only when a view is written

    net = Network(directed=True, cdn_resources="in_line")
    kinds: Counter[str] = Counter()
    linked = {u for u, v, _, _ in edges if u != v} | {v for u, v, _, _ in edges if u != v}
    for n in shown:
        attrs = g.nodes[n]
        group = _group(n, attrs)
        kinds[group] += 1
        x, y = pos[n]
        net.add_node(
            str(n), label=_label(n, attrs), title=_node_tooltip(n, attrs, degree[n]),
            shape=_SHAPES.get(str(attrs.get("kind", "")), "dot"), color=NODE_COLORS.get(group, _OTHER_COLOR),
            size=round(8 + 4 * math.sqrt(min(degree[n], 100)), 1), x=x, y=y, kind=group,
            **({} if n in linked else {"physics": False}),  # unlinked nodes stay in their grid
        )
    parallel: defaultdict[frozenset, int] = defaultdict(int)
    relations: Counter[str] = Counter()
    for u, v, k, d in edges:
        relation = str(k)
        relations[relation] += 1
        pair = frozenset((str(u), str(v)))
        nth = parallel[pair]
        parallel[pair] += 1
        options: dict[str, Any] = {
            "title": _edge_tooltip(relation, d),
            "color": EDGE_COLORS.get(relation, _OTHER_COLOR),
            "relation": relation,
        }
        if relation == "relatedTo":
            options.update(arrows={"to": {"enabled": False}}, dashes=True)  # symmetric
        if nth:  # parallel edges (one per relation) bend apart instead of hiding each other
            options["smooth"] = {"enabled": True, "type": "curvedCW" if nth % 2 else "curvedCCW",
                                 "roundness": 0.2 * ((nth + 1) // 2)}
        net.add_edge(str(u), str(v), **options)
    nodes, vis_edges, *_ = net.get_network_data()

    data = {"nodes": nodes, "edges": vis_edges, "options": _vis_options(len(shown), physics),
            "physics": physics}
    page = _PAGE.format(
        title=html.escape(title),
        vis_css=_asset("vis-network.css", "</style"),
        vis_js=_asset("vis-network.min.js", "</script"),
        summary=html.escape(_summary(info)),
        notice=_notice(info),
        legend=_legend(kinds, relations),
        data=_script_json(data),
    )
    return page, info


def _group(n: Any, attrs: dict) -> str:
    """Colour group of a node: its kind, or its type for a Concept."""
    kind = str(attrs.get("kind", ""))
    if kind == "Concept":
        return str(attrs.get("type", "Concept"))
    return kind or "Other"


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


def _label(n: Any, attrs: dict) -> str:
    """Label drawn next to a node: concept label, shortened paper title, repository owner/name."""
    kind = attrs.get("kind")
    if kind == "Paper":
        text = _clean(attrs.get("title")) or str(n)
    elif kind == "Concept":
        text = _clean(attrs.get("label")) or str(n).rsplit("/", 1)[-1]
    elif kind == "CodeRepository":
        text = "/".join(str(n).split("/")[-2:])
    else:
        text = _clean(attrs.get("label") or attrs.get("title")) or str(n)
    return _shorten(text, _LABEL_CHARS)


def _node_tooltip(n: Any, attrs: dict, degree: int) -> str:
    """Plain-text tooltip of a node, one item a line (the page shows it as text, never as HTML)."""
    kind = attrs.get("kind")
    lines: list[str] = []
    if kind == "Paper":
        lines.append(_clean(attrs.get("title")) or str(n))
        meta = [_clean(attrs.get("date"))]
        if attrs.get("arxiv_id"):
            meta.append("arXiv:" + _clean(attrs["arxiv_id"]))
        lines.append(" · ".join(m for m in meta if m))
        authors = [_clean(a) for a in _as_list(attrs.get("authors"))]
        if authors:
            lines.append(", ".join(authors[:3]) + (" et al." if len(authors) > 3 else ""))
        abstract = _clean(attrs.get("abstract"))
        if abstract:
            lines.append(_shorten(abstract, _ABSTRACT_CHARS))
    elif kind == "Concept":
        lines.append(_clean(attrs.get("label")) or str(n))
        count = attrs.get("paper_count")
        lines.append(_clean(attrs.get("type")) + (f" · {count} paper{'s' * (count != 1)}"
                                                  if isinstance(count, int) else ""))
        aliases = [_clean(a) for a in _as_list(attrs.get("aliases")) if a != attrs.get("label")]
        if aliases:
            lines.append("also: " + _shorten(", ".join(aliases), 120))
    elif kind == "CodeRepository":
        lines.append(_clean(attrs.get("url")) or str(n))
        lines.append("code repository")
    else:
        lines.append(_clean(attrs.get("label") or attrs.get("title")) or str(n))
    lines.append(f"{degree} connection{'s' * (degree != 1)} · {n}")
    return "\n".join(line for line in lines if line)


def _edge_tooltip(relation: str, d: dict) -> str:
    """Plain-text tooltip of an edge: the relation, its confidence and evidence sentence when known."""
    lines = [relation]
    if isinstance(d.get("confidence"), (int, float)):
        lines[0] += f" · confidence {d['confidence']:.2f}"
    evidence = d.get("evidence")
    if isinstance(evidence, dict) and evidence.get("text"):
        lines.append("“" + _shorten(_clean(evidence["text"]), _EVIDENCE_CHARS) + "”")
    if relation == "relatedTo" and d.get("shared"):
        lines.append(f"{len(d['shared'])} shared concept{'s' * (len(d['shared']) != 1)}")
    return "\n".join(lines)


def _layout(nodes: list, edges: list[tuple]) -> dict[Any, tuple[float, float]]:
    """Pixel positions: a seeded force layout of the linked nodes, unlinked nodes in a grid below it."""
    linked = {u for u, v in edges if u != v} | {v for u, v in edges if u != v}
    connected = [n for n in nodes if n in linked]
    alone = [n for n in nodes if n not in linked]
    pos = _force_layout(connected, edges)
    radius = 120 + 55 * math.sqrt(len(connected)) if connected else 0.0  # about the same density at any size
    pixels = {n: (round(float(x) * radius, 1), round(float(y) * radius, 1)) for n, (x, y) in pos.items()}
    if alone:
        step = 90.0
        columns = max(1, int(2 * radius // step) + 1 if connected else math.ceil(math.sqrt(len(alone))))
        left = -step * (min(columns, len(alone)) - 1) / 2
        top = (radius + 2 * step) if connected else 0.0
        for i, n in enumerate(alone):
            pixels[n] = (round(left + step * (i % columns), 1), round(top + step * (i // columns), 1))
    return pixels


def _force_layout(nodes: list, edges: list[tuple]) -> dict[Any, tuple[float, float]]:
    """Seeded Fruchterman-Reingold layout scaled into the unit disc (numpy, O(n²) repulsion per step).

    networkx's spring_layout needs SciPy from 500 nodes on and its dense version is several times
    slower; this is the same algorithm (attraction along edges only) with mild gravity so that
    separate components stay close to each other.
    """
    n = len(nodes)
    if n <= 1:
        return {node: (0.0, 0.0) for node in nodes}
    index = {node: i for i, node in enumerate(nodes)}
    pairs = sorted({(min(index[u], index[v]), max(index[u], index[v]))
                    for u, v in edges if u != v and u in index and v in index})
    src = np.array([p[0] for p in pairs], dtype=np.intp)
    dst = np.array([p[1] for p in pairs], dtype=np.intp)
    rng = np.random.RandomState(_SEED)
    pos = rng.rand(n, 2)
    k = math.sqrt(1.0 / n)
    iterations = 60 if n <= 1000 else 45
    temperature = 0.1
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        dx = pos[:, 0, None] - pos[None, :, 0]
        dy = pos[:, 1, None] - pos[None, :, 1]
        force = dx * dx
        force += dy * dy
        np.maximum(force, 1e-4, out=force)
        np.divide(k * k, force, out=force)  # repulsion k²/d along the unit vector (dx, dy)/d
        disp = np.stack([np.einsum("ij,ij->i", dx, force), np.einsum("ij,ij->i", dy, force)], axis=1)
        e = pos[src] - pos[dst]
        pull = e * (np.sqrt(np.einsum("ij,ij->i", e, e)) / k)[:, None]  # attraction d²/k
        np.subtract.at(disp, src, pull)
        np.add.at(disp, dst, pull)
        disp -= (pos - pos.mean(axis=0)) * (2.0 * k * math.sqrt(n))  # gravity keeps components together
        length = np.maximum(np.sqrt(np.einsum("ij,ij->i", disp, disp)), 0.01)
        pos += disp * (temperature / length)[:, None]
        temperature -= cooling
    pos -= pos.mean(axis=0)
    pos /= float(np.sqrt(np.einsum("ij,ij->i", pos, pos)).max()) or 1.0
    return {node: (float(x), float(y)) for node, (x, y) in zip(nodes, pos)}


def _vis_options(n: int, physics: bool) -> dict:
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
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.45}},
            "color": {"inherit": False, "opacity": 0.75},
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


def _notice(info: ViewInfo) -> str:
    """HTML of the left-out notice, or '' when every node is shown."""
    if not info.nodes_left_out:
        return ""
    text = (f"Showing the {info.nodes_shown:,} most connected of {info.nodes_total:,} nodes; "
            f"{info.nodes_left_out:,} left out. Raise max_nodes or view a subgraph to see them.")
    return f'<p id="left-out" class="notice">{html.escape(text)}</p>'


def _legend(kinds: Counter, relations: Counter) -> str:
    """HTML of the legend: one swatch per node group and per relation, with counts in this view."""
    rows = ['<h2>Nodes</h2>']
    groups = [g for g in NODE_COLORS] + sorted(g for g in kinds if g not in NODE_COLORS)
    for group in groups:
        shape = _LEGEND_SHAPES.get(group, "dot")
        color = NODE_COLORS.get(group, _OTHER_COLOR)
        rows.append(f'<div class="row{" empty" * (not kinds[group])}"><span class="swatch {shape}" '
                    f'style="background:{color}"></span>{html.escape(group)} '
                    f'<span class="count">{kinds[group]:,}</span></div>')
    rows.append('<h2>Edges</h2>')
    names = [r for r in EDGE_COLORS] + sorted(r for r in relations if r not in EDGE_COLORS)
    for relation in names:
        color = EDGE_COLORS.get(relation, _OTHER_COLOR)
        style = "dashed" if relation == "relatedTo" else "solid"
        rows.append(f'<div class="row{" empty" * (not relations[relation])}"><span class="line" '
                    f'style="border-top:3px {style} {color}"></span>{html.escape(relation)} '
                    f'<span class="count">{relations[relation]:,}</span></div>')
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


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="paperkg">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>{vis_css}</style>
<style>
html, body {{ margin: 0; height: 100%; font-family: system-ui, -apple-system, "Segoe UI", sans-serif;
  color: #222; background: #fafafa; }}
body {{ display: flex; flex-direction: column; }}
header {{ padding: 8px 16px; border-bottom: 1px solid #ddd; background: #fff; }}
header h1 {{ font-size: 18px; margin: 0; display: inline; }}
header .summary {{ margin-left: 12px; color: #555; font-size: 14px; }}
.notice {{ margin: 6px 0 0; padding: 4px 8px; background: #fff4d6; border: 1px solid #f0d68a;
  border-radius: 4px; font-size: 13px; }}
main {{ position: relative; flex: 1; min-height: 300px; }}
#mynetwork {{ position: absolute; inset: 0; background: #fff; }}
#legend {{ position: absolute; top: 10px; right: 10px; z-index: 6; background: rgba(255,255,255,0.93);
  border: 1px solid #ccc; border-radius: 6px; padding: 6px 10px 8px; font-size: 13px; min-width: 150px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.12); }}
#legend h2 {{ font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: #666;
  margin: 6px 0 3px; }}
#legend .row {{ display: flex; align-items: center; gap: 7px; line-height: 20px; }}
#legend .row.empty {{ opacity: 0.4; }}
#legend .count {{ margin-left: auto; padding-left: 10px; color: #777; font-variant-numeric: tabular-nums; }}
.swatch {{ display: inline-block; width: 11px; height: 11px; border: 1px solid rgba(0,0,0,0.35); }}
.swatch.dot {{ border-radius: 50%; }}
.swatch.diamond {{ transform: rotate(45deg) scale(0.85); }}
.line {{ display: inline-block; width: 22px; height: 0; }}
div.vis-tooltip {{ white-space: normal; max-width: 420px; font-family: inherit; font-size: 13px;
  line-height: 1.35; padding: 6px 8px; }}
div.vis-tooltip .tt-head {{ font-weight: 600; margin-bottom: 2px; }}
div.vis-tooltip .tt-line {{ color: #444; margin-top: 2px; }}
</style>
</head>
<body>
<header>
<h1>{title}</h1><span class="summary">{summary}</span>
{notice}
</header>
<main>
<div id="mynetwork"></div>
<aside id="legend" aria-label="Legend">
{legend}
</aside>
</main>
<script>{vis_js}</script>
<script>
"use strict";
var DATA = {data};
var nodes, edges, network;
function tooltip(text) {{
  var box = document.createElement("div");
  String(text).split("\\n").forEach(function (line, i) {{
    var row = document.createElement("div");
    row.className = i === 0 ? "tt-head" : "tt-line";
    row.textContent = line;
    box.appendChild(row);
  }});
  return box;
}}
DATA.nodes.forEach(function (n) {{ n.title = tooltip(n.title); }});
DATA.edges.forEach(function (e) {{ e.title = tooltip(e.title); }});
nodes = new vis.DataSet(DATA.nodes);
edges = new vis.DataSet(DATA.edges);
network = new vis.Network(document.getElementById("mynetwork"), {{nodes: nodes, edges: edges}}, DATA.options);
network.once("afterDrawing", function () {{ window.paperkgDrawn = true; }});
if (DATA.physics) {{
  network.once("stabilizationIterationsDone", function () {{ network.setOptions({{physics: {{enabled: false}}}}); }});
}} else {{
  network.fit({{animation: false}});
}}
</script>
</body>
</html>
"""
