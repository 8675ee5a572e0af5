"""Interactive, offline HTML views of the paper graph.

    from kg.views import load_graph, write_view
    g = load_graph("out/")                                   # a folder written by `kg build`
    write_view(g, "graph.html")                              # the overview: concepts of 2+ papers, by community
    write_view(g, "papers.html", kind="papers-map")          # papers linked by related work, by community
    write_view(g, "all.html", kind="papers")                 # papers and concepts (capped, most connected)
    write_view(g, "imagenet.html", around="ImageNet", depth=2)  # an ego view
    write_view(g, "cooc.html", kind="cooccurrence", types="Dataset,Model")
    write_view(g, "communities.html", kind="communities")

`kg view` is the same from the command line. kg.views.select and kg.views.maps choose what a view draws,
kg.views.html builds the page's data and kg.views.page renders it (templates/ and static/: the page's
HTML, CSS and JavaScript, and the vendored vis-network); kg.views.layout computes the positions and
kg.views.labels which labels a map draws.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import networkx as nx

from .html import (
    COMMUNITY_COLORS,
    DEFAULT_MAX_EDGES,
    DEFAULT_MAX_NODES,
    EDGE_COLORS,
    NODE_COLORS,
    PHYSICS_MAX_NODES,
    ViewInfo,
    render_html,
    render_view,
    write_html,
    write_view_html,
)
from .maps import overview_view, papers_map_view
from .select import (
    GROUPS,
    KINDS,
    NodeNotFound,
    View,
    communities,
    communities_view,
    cooccurrence_graph,
    cooccurrence_view,
    ego_view,
    find_nodes,
    load_graph,
    make_view,
    papers_view,
    parse_node_kinds,
    parse_types,
)

__all__ = [
    "write_view", "render_view", "write_html", "render_html", "write_view_html", "make_view", "load_graph",
    "find_nodes", "parse_node_kinds", "parse_types", "papers_view", "cooccurrence_view", "cooccurrence_graph", "ego_view",
    "communities_view", "communities", "View", "ViewInfo", "NodeNotFound", "KINDS", "GROUPS",
    "DEFAULT_MAX_NODES", "DEFAULT_MAX_EDGES", "PHYSICS_MAX_NODES", "NODE_COLORS", "EDGE_COLORS",
    "COMMUNITY_COLORS", "overview_view", "papers_map_view",
]


def write_view(g: nx.MultiDiGraph, path: str | Path, *, kind: str | None = None, around: str | None = None,
               depth: int = 1, types: str | Iterable[str] | None = None, max_nodes: int = DEFAULT_MAX_NODES,
               title: str | None = None, graph_dir: str | Path | None = None, min_papers: int = 2,
               renderer: str = "auto") -> ViewInfo:
    """Write one interactive view of `g` to `path` (a standalone HTML file) and say what it shows.

    Parameters
    ----------
    g : the whole paper graph (kg.build.build_graph, or load_graph of a `kg build` folder).
    path : the HTML file to write (atomically).
    kind : "overview" (concepts held by two or more papers, one region per community: the default,
        or "papers" when `around` is given),
        "papers-map" (papers linked by related work, one region per community),
        "papers" (papers, concepts, code), "cooccurrence" (concepts linked when papers share them,
        weighted by the number of papers), "ego" (the papers graph around `around`) or "communities"
        (Louvain communities, fixed seed, as colours).
    around : a paper's arXiv id, DOI, record id or node key, a concept label or alias, or a paper's
        exact title or part of one (case-insensitive; see find_nodes): draw only the
        nodes within `depth` hops of it. Needed by "ego"; restricts any other kind.
    depth : hops around `around`.
    types : node groups to keep ("Dataset,Model" or a list; see GROUPS). Papers linking kept
        nodes stay in paper views even when "Paper" is not named.
    max_nodes : draw at most this many nodes (most connected first; nearest first around a centre).
        The page says what was left out and how to see it.
    title : page title (default: "paperkg: <kind>").
    graph_dir : the `kg build` folder of `g`, named in the page's hints.
    min_papers : the overview draws the concepts held by at least this many papers (1: every concept).
    renderer : "canvas" (vis-network), "webgl" (sigma.js, opt-in) or "auto" (the canvas for now:
        kg.views.html.choose_renderer says why). Both carry the same "paperkg-data".

    Raises NodeNotFound when `around` matches nothing, ValueError for a bad kind or type.

    Examples
    --------
    >>> g = load_graph("exports")  # doctest: +SKIP
    >>> info = write_view(g, "bert.html", around="BERT", depth=1)  # doctest: +SKIP
    >>> info.nodes_shown, info.nodes_left_out  # doctest: +SKIP
    (58, 0)
    """
    if depth < 0:
        raise ValueError(f"depth must be >= 0, not {depth}")
    if kind is None:
        kind = "papers" if around else "overview"
    if title is None:
        shown_kind = "ego" if kind == "papers" and around else kind
        title = "paperkg" if shown_kind in ("papers", "overview") else f"paperkg: {shown_kind}"
    view = make_view(g, kind, around=around, depth=depth, types=types, title=title, graph_dir=graph_dir,
                     min_papers=min_papers)
    return write_view_html(view, Path(path), max_nodes=max_nodes, renderer=renderer)
