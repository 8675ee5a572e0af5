"""Map views of a field: the overview of its concepts and the map of its papers, one region per community.

`overview_view` draws the concepts held by at least two papers (single-paper concepts stay in their
papers' panels), linked when papers share them, grouped into Louvain communities on those links;
`papers_map_view` draws the papers linked by related work (kg.related's relatedTo edges), grouped the same
way. Both are laid out one region per community (kg.views.layout.region_layout) and name each community by
its top concepts. kg.views.html renders them.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable
from pathlib import Path

import networkx as nx

from .select import (
    COMMUNITY_SEED,
    View,
    _copy_subgraph,
    _types_text,
    communities,
    cooccurrence_graph,
    node_label,
    parse_types,
)

__all__ = ["overview_view", "papers_map_view", "paper_counts", "short_name", "MIN_COMMUNITY", "EDGES_PER_NODE"]

#: Communities smaller than this share one region ("other concepts"): a map of pairs names nothing.
MIN_COMMUNITY = 3
#: The overview draws each concept's strongest co-occurrence links, at most this many (all pull in the layout).
EDGES_PER_NODE = 6
_NAME_CHARS = 28


def paper_counts(g: nx.MultiDiGraph) -> dict[Hashable, int]:
    """Distinct papers linking each concept of `g`."""
    return {n: sum(1 for p in g.pred[n] if g.nodes[p].get("kind") == "Paper")
            for n, d in g.nodes(data=True) if d.get("kind") == "Concept"}


def short_name(name: str) -> str:
    """A concept's name as a community name shows it: at most 28 characters.

    >>> short_name("a" * 30)
    'aaaaaaaaaaaaaaaaaaaaaaaaaaa…'
    """
    return name if len(name) <= _NAME_CHARS else name[:_NAME_CHARS - 1] + "…"


def _numbered(groups: list[list]) -> tuple[dict[Hashable, int], list[list]]:
    """Community number of each node: 0, 1, ... for communities of MIN_COMMUNITY or more (largest first),
    -1 for the members of smaller ones."""
    big = [m for m in groups if len(m) >= MIN_COMMUNITY]
    number = {n: i for i, members in enumerate(big) for n in members}
    for members in groups:
        if len(members) < MIN_COMMUNITY:
            number.update({n: -1 for n in members})
    return number, big


def _strongest_edges(h: nx.MultiDiGraph, per_node: int) -> nx.MultiDiGraph:
    """`h` with, for every node, only its `per_node` heaviest edges (an edge stays when either end keeps it)."""
    keep: set[tuple] = set()
    for n in h:
        mine = sorted(((d.get("weight", 1), str(u), str(v), u, v, k) for u, v, k, d in
                       list(h.out_edges(n, keys=True, data=True)) + list(h.in_edges(n, keys=True, data=True))),
                      key=lambda e: (-e[0], e[1], e[2]))
        keep.update((u, v, k) for *_, u, v, k in mine[:per_node])
    out = nx.MultiDiGraph()
    out.graph.update(h.graph)
    out.add_nodes_from(h.nodes(data=True))
    out.add_edges_from((u, v, k, d) for u, v, k, d in h.edges(keys=True, data=True) if (u, v, k) in keep)
    return out


def overview_view(g: nx.MultiDiGraph, *, types: str | Iterable[str] | None = None, min_papers: int = 2,
                  seed: int = COMMUNITY_SEED, resolution: float = 1.0, title: str = "paperkg",
                  graph_dir: str | Path | None = None) -> View:
    """The overview of a field: concepts held by at least `min_papers` papers, linked when papers share
    them, one region per Louvain community (on the co-occurrence weights, fixed seed), sized by papers.

    Examples
    --------
    >>> view = overview_view(g)  # doctest: +SKIP
    >>> view.community_names[0]  # doctest: +SKIP
    'federated learning · clients · FedAvg'
    """
    if min_papers < 1:
        raise ValueError(f"min_papers must be >= 1, not {min_papers}")
    chosen = parse_types(types)
    counts = paper_counts(g)
    full = cooccurrence_graph(g, types=chosen)
    keep = [n for n in full if counts.get(n, 0) >= min_papers]
    h = _copy_subgraph(full, keep)
    groups = communities(h, seed=seed, resolution=resolution, weight="weight")
    number, big = _numbered(groups)
    names = []
    for members in big:
        top = sorted(members, key=lambda n: (-counts.get(n, 0), str(n)))[:3]
        names.append(" · ".join(short_name(node_label(n, h.nodes[n])) for n in top))
    drawn = _strongest_edges(h, EDGES_PER_NODE)
    # between regions only the links of several papers are drawn: single shared papers would cross the map
    drawn.remove_edges_from([(u, v, k) for u, v, k, d in drawn.edges(keys=True, data=True)
                             if number.get(u, -1) != number.get(v, -1) and d.get("weight", 1) < 2])
    strength = dict(h.degree(weight="weight"))
    rank = {n: (-counts.get(n, 0), -strength.get(n, 0), str(n)) for n in drawn}
    left = sum(1 for n in full if counts.get(n, 0) < min_papers)
    held = f"held by at least {min_papers} papers" if min_papers > 1 else "of every paper"
    description = (f"Overview: {len(keep):,} concepts {held}, in {len(big):,} communities (Louvain on shared "
                   f"papers); size = papers; click a concept or a region's name for its papers"
                   + (f"; {left:,} single-paper concepts are listed in their papers' panels" if left and
                      min_papers > 1 else "")
                   + _types_text(chosen).replace(" (and the papers linking them)", ""))
    return View(graph=drawn, source=g, kind="overview", title=title, description=description, rank=rank,
                community=number, community_names=names, graph_dir=None if graph_dir is None else str(graph_dir),
                regions=True, weight={n: counts.get(n, 0) for n in drawn}, fold=True)


def _related_graph(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Papers linked by related work: one relatedTo edge per related pair (u < v), weight = the higher score."""
    papers = sorted((n for n, d in g.nodes(data=True) if d.get("kind") == "Paper"), key=str)
    best: dict[tuple, float] = {}
    for u, v, k, d in g.edges(keys=True, data=True):
        if k != "relatedTo" or u == v or g.nodes[u].get("kind") != "Paper" or g.nodes[v].get("kind") != "Paper":
            continue
        score = d.get("score")
        score = float(score) if isinstance(score, (int, float)) and math.isfinite(score) else 1.0
        pair = (u, v) if str(u) < str(v) else (v, u)
        best[pair] = max(best.get(pair, 0.0), score)
    h = nx.MultiDiGraph()
    h.graph.update(g.graph)
    h.add_nodes_from((n, g.nodes[n]) for n in papers)
    for (u, v), score in sorted(best.items(), key=lambda e: (str(e[0][0]), str(e[0][1]))):
        h.add_edge(u, v, key="relatedTo", relation="relatedTo", weight=round(max(score, 0.01), 4))
    return h


def _concepts_of(g: nx.MultiDiGraph, paper: Hashable) -> set:
    return {v for v in g.successors(paper) if g.nodes[v].get("kind") == "Concept"}


def papers_map_view(g: nx.MultiDiGraph, *, seed: int = COMMUNITY_SEED, resolution: float = 1.0,
                    title: str = "paperkg", graph_dir: str | Path | None = None) -> View:
    """The map of papers: papers linked by related work (relatedTo), one region per Louvain community,
    sized by their number of concepts; each community is named by the concepts most typical of its papers
    (held by many of them and few others). Papers without related work share one region.

    Examples
    --------
    >>> view = papers_map_view(g)  # doctest: +SKIP
    >>> view.kind, view.regions  # doctest: +SKIP
    ('papers-map', True)
    """
    h = _related_graph(g)
    groups = communities(h, seed=seed, resolution=resolution, weight="weight", skip=())
    number, big = _numbered(groups)
    concepts = {p: _concepts_of(g, p) for p in h}
    overall = Counter(c for cs in concepts.values() for c in cs)
    total = max(len(h), 1)
    names = []
    for members in big:
        inside = Counter(c for p in members for c in concepts[p])
        # typical concepts: frequent in the community, rare elsewhere (tf-idf over papers)
        scored = sorted(((n * math.log(total / overall[c]), str(c), c) for c, n in inside.items() if n >= 2),
                        key=lambda s: (-s[0], s[1]))
        top = [c for *_, c in scored[:3]]
        names.append(" · ".join(short_name(node_label(c, g.nodes[c])) for c in top)
                     or short_name(node_label(members[0], g.nodes[members[0]])))
    weight = {p: len(concepts[p]) for p in h}
    degree = dict(h.degree())
    rank = {p: (-degree[p], -weight[p], str(p)) for p in h}
    linked = sum(1 for p in h if degree[p])
    description = (f"Paper map: {h.number_of_nodes():,} papers, {linked:,} linked by related work, in {len(big):,} "
                   "communities (Louvain); size = concepts; click a paper for its related papers and why")
    return View(graph=h, source=g, kind="papers-map", title=title, description=description, rank=rank,
                community=number, community_names=names, graph_dir=None if graph_dir is None else str(graph_dir),
                regions=True, weight=weight)


