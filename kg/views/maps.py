"""Map views of a field: the overview of its concepts and the map of its papers, one region per community.

`overview_view` draws the concepts held by at least two papers (single-paper concepts stay in their
papers' panels), linked when papers share them, grouped into Louvain communities on those links;
`papers_map_view` draws the papers linked by related work (kg.related's relatedTo edges), grouped the same
way. Both are laid out one region per community (kg.views.layout.region_layout) and name each community by
its top concepts. kg.views.html renders them.
"""
from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from pathlib import Path

import networkx as nx

from .select import (
    COMMUNITY_SEED,
    CONCEPT_TYPES,
    COOCCURS,
    View,
    _types_text,
    communities,
    node_group,
    node_label,
    parse_types,
)

__all__ = ["overview_view", "papers_map_view", "paper_counts", "short_name", "MIN_COMMUNITY", "EDGES_PER_NODE"]

#: Communities smaller than this share one region ("other concepts"): a map of pairs names nothing.
MIN_COMMUNITY = 3
#: The overview draws each concept's strongest co-occurrence links, at most this many (all pull in the layout).
EDGES_PER_NODE = 6
#: Louvain runs on each concept's strongest links, at most this many.
LOUVAIN_EDGES = 20
#: A drawn co-occurrence link names at most this many of its papers (the panel's list).
EDGE_PAPERS = 50
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


def _pair_weights(g: nx.MultiDiGraph, keep: set) -> Counter:
    """Papers shared by each pair (a, b) of kept concepts, a < b by key."""
    weights: Counter = Counter()
    for paper in sorted((n for n, d in g.nodes(data=True) if d.get("kind") == "Paper"), key=str):
        mine = sorted({v for v in g.successors(paper) if v in keep}, key=str)
        weights.update(itertools.combinations(mine, 2))
    return weights


def _strongest(weights: Counter, per_node: int) -> set[tuple]:
    """The pairs among each node's `per_node` heaviest (a pair stays when either end keeps it)."""
    mine: defaultdict[Hashable, list] = defaultdict(list)
    for (a, b), w in weights.items():
        mine[a].append((-w, str(b), (a, b)))
        mine[b].append((-w, str(a), (a, b)))
    keep: set[tuple] = set()
    for pairs in mine.values():
        keep.update(p for *_, p in heapq.nsmallest(per_node, pairs))
    return keep


def _louvain(nodes: list, pairs: Iterable[tuple], weights: Counter, seed: int, resolution: float) -> list[list]:
    """Louvain communities (networkx, fixed seed) of the weighted pairs, largest first, each sorted."""
    u = nx.Graph()
    u.add_nodes_from(sorted(nodes, key=str))
    u.add_weighted_edges_from((a, b, weights[(a, b)]) for a, b in sorted(pairs, key=lambda p: (str(p[0]), str(p[1]))))
    found = nx.community.louvain_communities(u, weight="weight", seed=seed, resolution=resolution)
    return sorted((sorted(c, key=str) for c in found), key=lambda c: (-len(c), str(c[0])))


def overview_view(g: nx.MultiDiGraph, *, types: str | Iterable[str] | None = None, min_papers: int = 2,
                  seed: int = COMMUNITY_SEED, resolution: float = 1.0, title: str = "paperkg",
                  graph_dir: str | Path | None = None) -> View:
    """The overview of a field: concepts held by at least `min_papers` papers, linked when papers share
    them, one region per Louvain community (on the co-occurrence weights, fixed seed), sized by papers.

    Communities are computed on each concept's LOUVAIN_EDGES strongest links, and each concept draws its
    EDGES_PER_NODE strongest (between regions only links of two or more papers): the weak links of a
    large field would cost minutes and draw a hairball.

    Examples
    --------
    >>> view = overview_view(g)  # doctest: +SKIP
    >>> view.community_names[0]  # doctest: +SKIP
    'federated learning · clients · FedAvg'
    """
    if min_papers < 1:
        raise ValueError(f"min_papers must be >= 1, not {min_papers}")
    chosen = parse_types(types)
    concept_types = set(CONCEPT_TYPES) if not chosen else {t for t in chosen if t in CONCEPT_TYPES}
    counts = paper_counts(g)
    of_type = {n for n in counts if node_group(n, g.nodes[n]) in concept_types}
    keep = {n for n in of_type if counts[n] >= min_papers}
    weights = _pair_weights(g, keep)
    groups = _louvain(list(keep), _strongest(weights, LOUVAIN_EDGES), weights, seed, resolution)
    number, big = _numbered(groups)
    names = []
    for members in big:
        top = sorted(members, key=lambda n: (-counts.get(n, 0), str(n)))[:3]
        names.append(" · ".join(short_name(node_label(n, g.nodes[n])) for n in top))
    # between regions only the links of several papers are drawn: single shared papers would cross the map
    drawn = {p for p in _strongest(weights, EDGES_PER_NODE)
             if number.get(p[0], -1) == number.get(p[1], -1) or weights[p] >= 2}
    papers_of: defaultdict[tuple, list] = defaultdict(list)
    for paper in sorted((n for n, d in g.nodes(data=True) if d.get("kind") == "Paper"), key=str):
        mine = sorted({v for v in g.successors(paper) if v in keep}, key=str)
        for pair in itertools.combinations(mine, 2):
            if pair in drawn and len(papers_of[pair]) < EDGE_PAPERS:
                papers_of[pair].append(paper)
    h = nx.MultiDiGraph()
    h.graph.update(g.graph)
    h.add_nodes_from((n, g.nodes[n]) for n in sorted(keep, key=str))
    h.add_edges_from((a, b, COOCCURS, {"relation": COOCCURS, "weight": weights[(a, b)], "papers": papers_of[(a, b)]})
                     for a, b in sorted(drawn, key=lambda p: (str(p[0]), str(p[1]))))
    strength: Counter = Counter()
    for (a, b), w in weights.items():
        strength[a] += w
        strength[b] += w
    rank = {n: (-counts.get(n, 0), -strength[n], str(n)) for n in h}
    left = len(of_type) - len(keep)
    held = f"held by at least {min_papers} papers" if min_papers > 1 else "of every paper"
    description = (f"Overview: {len(keep):,} concepts {held}, in {len(big):,} communities (Louvain on shared "
                   f"papers); size = papers; click a concept or a region's name for its papers"
                   + (f"; {left:,} single-paper concepts are listed in their papers' panels" if left and
                      min_papers > 1 else "")
                   + _types_text(chosen).replace(" (and the papers linking them)", ""))
    return View(graph=h, source=g, kind="overview", title=title, description=description, rank=rank,
                community=number, community_names=names, graph_dir=None if graph_dir is None else str(graph_dir),
                regions=True, weight={n: counts.get(n, 0) for n in h}, fold=True)


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


