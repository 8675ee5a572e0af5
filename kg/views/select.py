"""What a view draws: the paper graph, concept co-occurrence, a neighbourhood (ego view), communities.

Each function takes the whole graph (schema in `kg.graph`) and returns a `View`: the graph to draw, the
whole graph (the page's side panel reads titles, abstracts and evidence from it), the order in which
nodes are kept when the view has more than `max_nodes`, and, for communities, the colour of each node.
`kg.views.html.render_view` turns a View into the page.
"""
from __future__ import annotations

import difflib
import itertools
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from ..schema import ENTITY_TYPES

__all__ = [
    "View", "KINDS", "GROUPS", "CONCEPT_TYPES", "COOCCURS", "NodeNotFound", "node_group", "node_label",
    "load_graph", "find_nodes", "parse_node_kinds", "parse_types", "papers_view", "cooccurrence_view", "ego_view",
    "communities_view", "make_view",
]

#: The kinds of view `make_view` (and `kg view --kind`) knows.
KINDS: tuple[str, ...] = ("overview", "papers-map", "papers", "cooccurrence", "ego", "communities")
CONCEPT_TYPES: tuple[str, ...] = ENTITY_TYPES
#: Node groups: the legend entries and the names `--types` accepts.
GROUPS: tuple[str, ...] = ("Paper", *CONCEPT_TYPES, "CodeRepository")
#: Relation (edge key) of the concept -> concept edges of the co-occurrence view.
COOCCURS = "coOccurs"
#: Louvain seed: the same graph always gets the same communities.
COMMUNITY_SEED = 42


@dataclass
class View:
    """A graph to draw and what the page needs to explain it.

    graph : nodes and edges to draw, before the `max_nodes` cap (node attributes after the kg.graph schema).
    source : the whole graph; the side panel and the search box read details and neighbours from it.
    kind : one of KINDS.
    title : page title.
    description : one line under the title saying what the view shows.
    rank : sort key of every node of `graph`; the cap keeps the smallest. Default: most connected first.
    rank_label : how the notice names that order ("most connected", "nearest").
    community : community number of each node (colours), for the communities view.
    community_names : a name for each community number (its best-connected concepts).
    centres : the nodes an ego view is centred on (drawn larger, kept first).
    graph_dir : the `kg build` folder the graph came from, for the notice's `kg view --graph DIR` hint.
    regions : a map: each community laid out as a region of its own, only its main labels drawn at first.
    weight : what a node's size shows (papers of a concept, concepts of a paper); default: its links.
    fold : the page's panel also knows the concepts of drawn concepts' papers (those the view leaves out).
    """

    graph: nx.MultiDiGraph
    source: nx.MultiDiGraph
    kind: str = "papers"
    title: str = "paperkg"
    description: str = ""
    rank: dict[Hashable, tuple] | None = None
    rank_label: str = "most connected"
    community: dict[Hashable, int] | None = None
    community_names: list[str] = field(default_factory=list)
    centres: tuple = ()
    graph_dir: str | None = None
    regions: bool = False
    weight: dict[Hashable, float] | None = None
    fold: bool = False


class NodeNotFound(LookupError):
    """No node matches a name; `suggestions` holds close concept labels and paper titles.

    `papers_searched`: whether papers were among the kinds searched; `left_out`: the keys of the papers
    that the name's identifier does name but that the kinds searched left out.
    """

    def __init__(self, name: str, suggestions: list[str], *, papers_searched: bool = True,
                 left_out: list[str] | None = None) -> None:
        from ..paper_lookup import identifier_in

        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean: {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        # An identifier that names no paper says so: "no concept label is '10.1000/x'" alone would
        # hide that the DOI (or arXiv id) was read as one and is simply not in the graph.
        ident = identifier_in(name)
        lead = ""
        if ident and left_out:
            shown = ", ".join(left_out[:3]) + (f", and {len(left_out) - 3} more" if len(left_out) > 3 else "")
            lead = f"the {ident[0]} {ident[1]!r} names {shown}, but the kinds searched (--types) leave papers out; "
        elif ident and papers_searched:
            lead = f"no paper has the {ident[0]} {ident[1]!r}; "
        super().__init__(f"{lead}no concept label or alias is {name!r} and no paper title contains it{hint}")


def node_group(n: Any, attrs: dict) -> str:
    """Legend group of a node: its kind, or its type for a Concept."""
    kind = str(attrs.get("kind", ""))
    if kind == "Concept":
        return str(attrs.get("type") or "Concept")
    return kind or "Other"


def _clean(text: Any) -> str:
    return " ".join(str(text).split()) if text is not None else ""


def node_label(n: Any, attrs: dict) -> str:
    """Full display name of a node: concept label, paper title, repository owner/name."""
    kind = attrs.get("kind")
    if kind == "Paper":
        return _clean(attrs.get("title")) or str(n)
    if kind == "Concept":
        return _clean(attrs.get("label")) or str(n).rsplit("/", 1)[-1]
    if kind == "CodeRepository":
        return "/".join(str(n).split("/")[-2:])
    return _clean(attrs.get("label") or attrs.get("title")) or str(n)


def _names(attrs: dict) -> list[str]:
    names = [attrs.get("label")] + list(attrs.get("aliases") or [])
    return [_clean(a) for a in names if a]


def load_graph(path: str | Path) -> nx.MultiDiGraph:
    """The graph of a folder written by `kg build` (kg.nt, else kg.ttl or kg.jsonld), or of one such file.

    Parsing is pyoxigraph's (kg.rdf.read_rdf): about 1 s for the demo graph (2,000 nodes, 110k triples),
    4 s for 5,500 nodes (350k triples), growing linearly.
    """
    from ..rdf import read_rdf

    return read_rdf(path)


def parse_node_kinds(kinds: str | Iterable[str] | None) -> frozenset[str] | None:
    """Node groups named in `kinds` as `parse_types` reads them, where "Concept" (or "concepts") also
    stands for every concept type; None for all.

    >>> sorted(parse_node_kinds("paper,dataset")), len(parse_node_kinds(["Concept"])), parse_node_kinds(None)
    (['Dataset', 'Paper'], 5, None)
    """
    if kinds is None:
        return None
    items = kinds.split(",") if isinstance(kinds, str) else list(kinds)
    concept = {i.strip().casefold() for i in items} & {"concept", "concepts"}
    rest = [i for i in items if i.strip().casefold() not in concept]
    chosen = set(CONCEPT_TYPES) if concept else set()
    if rest or not chosen:
        chosen |= parse_types(rest)
    return frozenset(chosen)


def find_nodes(g: nx.MultiDiGraph, name: str, *, kinds: str | Iterable[str] | None = None) -> list[str]:
    """Nodes a name stands for, case-insensitively, by the first rule that matches any: a node key;
    a paper's IRI, arXiv id (any spelling: "arXiv:2403.12345v2", an arxiv.org URL) or DOI (bare, "doi:",
    a doi.org URL), when the whole name is one; the concepts whose label or an alias is `name`; the
    papers whose record id it is (a BibTeX key such as "imagenet" is a concept's name first); the
    papers whose exact title it is, else whose title contains it; the code repositories whose URL
    contains it. Papers are
    matched by kg.paper_lookup, the resolver of `kg related` and KnowledgeGraph.paper, so every command
    reads a paper's name alike; unlike those, several papers are an answer here, not an error.

    `kinds` keeps only nodes of those groups (see `parse_node_kinds`: "Paper", a concept type such as
    "Dataset", "Concept" for every type, "CodeRepository"; a comma-separated string or a list), before
    the rules above are tried. Raises NodeNotFound (with close labels and titles of those kinds as
    suggestions) when nothing matches, ValueError for an unknown kind.

    >>> g = nx.MultiDiGraph()
    >>> g.add_node("concept/method/pruning", kind="Concept", type="Method", label="Pruning")
    >>> g.add_node("paper/p1", kind="Paper", title="Pruning at scale", arxiv_id="2403.12345", dois=["10.1000/x"])
    >>> find_nodes(g, "pruning"), find_nodes(g, "pruning", kinds="Paper")
    (['concept/method/pruning'], ['paper/p1'])
    >>> find_nodes(g, "arXiv:2403.12345v2"), find_nodes(g, "https://doi.org/10.1000/X")
    (['paper/p1'], ['paper/p1'])
    >>> find_nodes(g, "pruning", kinds=["Dataset"])
    Traceback (most recent call last):
    kg.views.select.NodeNotFound: no concept label or alias is 'pruning' and no paper title contains it
    """
    from ..paper_lookup import lookup_papers, paper_refs

    chosen = parse_node_kinds(kinds)
    query = _clean(name).casefold()
    if not query:
        raise NodeNotFound(name, [])
    if name in g and (chosen is None or node_group(name, g.nodes[name]) in chosen):
        return [name]
    refs = paper_refs(g) if chosen is None or "Paper" in chosen else []
    # Identifiers first: "2403.12345" or a DOI is never meant as a concept's label. A record id may
    # well be one (BibTeX keys such as "imagenet", "bert"): those come after concept labels.
    _, papers = lookup_papers(refs, name, rules=("node key", "identifier"))
    if papers:
        return papers
    concepts, repos = [], []
    for n, d in g.nodes(data=True):
        if chosen is not None and node_group(n, d) not in chosen:
            continue
        kind = d.get("kind")
        if kind == "Concept" and any(a.casefold() == query for a in _names(d)):
            concepts.append(n)
        elif kind == "CodeRepository" and query in str(d.get("url") or n).casefold():
            repos.append(n)
    if concepts:
        return sorted(concepts, key=str)
    _, papers = lookup_papers(refs, name, rules=("record id", "exact title", "title part"))
    found = papers or repos
    if found:
        return sorted(found, key=str)
    labels: dict[str, str] = {}
    for n, d in g.nodes(data=True):
        if chosen is not None and node_group(n, d) not in chosen:
            continue
        names = _names(d) if d.get("kind") == "Concept" else [_clean(d.get("title"))] if d.get("title") else []
        for a in names:
            labels.setdefault(a.casefold(), a)
    close = difflib.get_close_matches(query, sorted(labels), n=5, cutoff=0.6)
    partial = sorted((k for k in labels if query in k), key=lambda k: (len(k), k))[:5]
    suggestions = list(dict.fromkeys(labels[k] for k in close + partial))[:5]
    searched = chosen is None or "Paper" in chosen
    left_out = [] if searched else lookup_papers(paper_refs(g), name, rules=("identifier",))[1]
    raise NodeNotFound(name, suggestions, papers_searched=searched, left_out=left_out)


def parse_types(types: str | Iterable[str] | None) -> frozenset[str] | None:
    """Node groups named in `types` ("Dataset,Model", or a list), case-insensitively; None for all.

    Raises ValueError for a name that is not one of GROUPS.
    """
    if types is None:
        return None
    items = types.split(",") if isinstance(types, str) else list(types)
    canonical = {g.casefold(): g for g in GROUPS}
    canonical.update({g.casefold() + "s": g for g in GROUPS})
    canonical.update({"repo": "CodeRepository", "repos": "CodeRepository", "code": "CodeRepository"})
    chosen = set()
    for item in items:
        item = item.strip()
        if not item:
            continue
        if item.casefold() not in canonical:
            raise ValueError(f"unknown node type {item!r}: choose from {', '.join(GROUPS)}")
        chosen.add(canonical[item.casefold()])
    if not chosen:
        raise ValueError(f"no node type given: choose from {', '.join(GROUPS)}")
    return frozenset(chosen)


def _copy_subgraph(g: nx.MultiDiGraph, keep: Iterable) -> nx.MultiDiGraph:
    """A sorted, independent copy of the subgraph on `keep` (the same input order always)."""
    keep = set(keep)
    h = nx.MultiDiGraph()
    h.graph.update(g.graph)
    h.add_nodes_from((n, g.nodes[n]) for n in sorted(keep, key=str))
    h.add_edges_from(sorted(((u, v, k, d) for u, v, k, d in g.edges(keys=True, data=True)
                             if u in keep and v in keep), key=lambda e: (str(e[0]), str(e[1]), str(e[2]))))
    return h


def _filter_types(g: nx.MultiDiGraph, types: frozenset[str] | None, always: Iterable = ()) -> nx.MultiDiGraph:
    """The graph with only the node groups in `types`. Without "Paper" in it, the papers linked to a kept
    node stay as the links between them (a paper graph without papers has no edges)."""
    if not types:
        return g
    keep = {n for n, d in g.nodes(data=True) if node_group(n, d) in types}
    if "Paper" not in types:
        keep |= {u for u, v in g.edges() if v in keep and g.nodes[u].get("kind") == "Paper"}
    keep |= set(always)
    return _copy_subgraph(g, keep)


def _types_text(types: frozenset[str] | None) -> str:
    if not types:
        return ""
    named = [t for t in GROUPS if t in types]
    return " · types " + ", ".join(named) + ("" if "Paper" in types else " (and the papers linking them)")


def _default_rank(g: nx.Graph) -> dict[Hashable, tuple]:
    degree = dict(g.degree())
    return {n: (-degree[n], str(n)) for n in g}


def papers_view(g: nx.MultiDiGraph, *, types: str | Iterable[str] | None = None, title: str = "paperkg",
                graph_dir: str | Path | None = None) -> View:
    """The paper graph: papers, concepts and code repositories with their typed links."""
    chosen = parse_types(types)
    h = _filter_types(g, chosen)
    return View(graph=h, source=g, kind="papers", title=title, description="Papers and concepts" +
                _types_text(chosen), graph_dir=_dir(graph_dir))


def _dir(graph_dir: str | Path | None) -> str | None:
    return None if graph_dir is None else str(graph_dir)


def cooccurrence_graph(g: nx.MultiDiGraph, *, types: frozenset[str] | None = None,
                       min_papers: int = 1) -> nx.MultiDiGraph:
    """Concepts linked when papers share them: one `coOccurs` edge per pair (u < v), with weight = the
    number of papers linking both and papers = those papers' keys."""
    concept_types = set(CONCEPT_TYPES) if not types else {t for t in types if t in CONCEPT_TYPES}
    concepts = {n for n, d in g.nodes(data=True) if d.get("kind") == "Concept" and node_group(n, d) in concept_types}
    papers_of: defaultdict[tuple, list] = defaultdict(list)
    for paper in sorted((n for n, d in g.nodes(data=True) if d.get("kind") == "Paper"), key=str):
        mine = sorted({v for v in g.successors(paper) if v in concepts}, key=str)
        for a, b in itertools.combinations(mine, 2):
            papers_of[(a, b)].append(paper)
    h = nx.MultiDiGraph()
    h.graph.update(g.graph)
    h.add_nodes_from((n, g.nodes[n]) for n in sorted(concepts, key=str))
    for (a, b), papers in sorted(papers_of.items(), key=lambda e: (str(e[0][0]), str(e[0][1]))):
        if len(papers) >= min_papers:
            h.add_edge(a, b, key=COOCCURS, relation=COOCCURS, weight=len(papers), papers=papers)
    return h


def cooccurrence_view(g: nx.MultiDiGraph, *, types: str | Iterable[str] | None = None, min_papers: int = 1,
                      title: str = "paperkg", graph_dir: str | Path | None = None) -> View:
    """Concept co-occurrence: concepts linked when papers share them, weighted by the number of papers.

    The cap keeps the concepts with the most co-occurrences (summed weights) first.
    """
    chosen = parse_types(types)
    h = cooccurrence_graph(g, types=chosen, min_papers=min_papers)
    strength = dict(h.degree(weight="weight"))
    rank = {n: (-strength[n], -int(h.nodes[n].get("paper_count") or 0), str(n)) for n in h}
    at_least = f" in at least {min_papers} papers" if min_papers > 1 else ""
    return View(graph=h, source=g, kind="cooccurrence", title=title, rank=rank,
                description=f"Concept co-occurrence: concepts linked when papers share them{at_least}; "
                            "edge width = number of papers" + _types_text(chosen).replace(
                                " (and the papers linking them)", ""),
                graph_dir=_dir(graph_dir))


def _neighbourhood(h: nx.MultiDiGraph, centres: list, depth: int) -> dict[Hashable, int]:
    """Hop distance (edges in either direction) from the nearest centre, up to `depth`."""
    dist = {c: 0 for c in centres if c in h}
    frontier = sorted(dist, key=str)
    for hop in range(1, depth + 1):
        nxt = set()
        for n in frontier:
            for m in itertools.chain(h.successors(n), h.predecessors(n)):
                if m not in dist:
                    dist[m] = hop
                    nxt.add(m)
        frontier = sorted(nxt, key=str)
    return dist


def _describe_centres(g: nx.MultiDiGraph, around: str, centres: list) -> str:
    if len(centres) == 1:
        return "“" + node_label(centres[0], g.nodes[centres[0]]) + "”"
    return f"{len(centres)} nodes matching “{_clean(around)}”"


def ego_view(g: nx.MultiDiGraph, around: str, *, depth: int = 1, types: str | Iterable[str] | None = None,
             title: str = "paperkg", graph_dir: str | Path | None = None, _base: View | None = None) -> View:
    """The neighbourhood of the nodes `around` names (see `find_nodes`), up to `depth` hops.

    The cap keeps the nearest nodes first (then the most connected). Raises NodeNotFound.
    """
    if depth < 0:
        raise ValueError(f"depth must be >= 0, not {depth}")
    centres = find_nodes(g, around)
    base = _base or papers_view(g, types=types, title=title, graph_dir=graph_dir)
    h = base.graph
    if base.kind in ("cooccurrence", "overview"):  # a paper (or repository) stands for its concepts there
        expanded = [c for c in centres if c in h]
        for c in centres:
            if c not in h:
                expanded += [v for v in itertools.chain(g.successors(c), g.predecessors(c)) if v in h]
        centres = sorted(set(expanded), key=str) or centres
    if base.graph is not g and any(c not in h for c in centres):  # a filtered-out type: keep the centre
        h = _copy_subgraph(g, set(h) | {c for c in centres if c in g})
    dist = _neighbourhood(h, centres, depth)
    sub = _copy_subgraph(h, dist)
    degree = dict(sub.degree())
    rank = {n: (dist[n], -degree[n], str(n)) for n in sub}
    prefix = {"cooccurrence": "Co-occurrence neighbourhood of", "communities": "Communities around"}.get(
        base.kind, "Neighbourhood of")
    hops = f"{depth} hop{'s' * (depth != 1)}"
    description = (f"{prefix} {_describe_centres(g, around, centres)} ({hops})"
                   + _types_text(parse_types(types)).replace(" (and the papers linking them)", ""))
    return View(graph=sub, source=g, kind="ego" if base.kind == "papers" else base.kind, title=title,
                description=description, rank=rank, rank_label="nearest", community=base.community,
                community_names=base.community_names, centres=tuple(c for c in centres if c in sub),
                graph_dir=_dir(graph_dir), regions=base.regions, weight=base.weight, fold=base.fold)


def communities(g: nx.Graph, *, seed: int = COMMUNITY_SEED, resolution: float = 1.0,
                weight: str | None = None, skip: Iterable[str] = ("relatedTo",)) -> list[list]:
    """Louvain communities of `g` (as an undirected simple graph; edges keyed by a relation in `skip`
    left out), largest first, each sorted; a fixed seed makes them the same every time."""
    skip = frozenset(skip)
    u = nx.Graph()
    u.add_nodes_from(sorted(g.nodes, key=str))
    for a, b, k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2]))):
        if a == b or k in skip:
            continue
        w = float(d.get(weight, 1.0)) if weight else 1.0
        if u.has_edge(a, b):
            u[a][b]["weight"] += w
        else:
            u.add_edge(a, b, weight=w)
    found = nx.community.louvain_communities(u, weight="weight", seed=seed, resolution=resolution)
    groups = [sorted(c, key=str) for c in found]
    return sorted(groups, key=lambda c: (-len(c), str(c[0])))


def _community_name(g: nx.MultiDiGraph, members: list) -> str:
    degree = {n: g.degree(n) for n in members}
    concepts = sorted((n for n in members if g.nodes[n].get("kind") == "Concept"),
                      key=lambda n: (-degree[n], str(n)))
    chosen = concepts[:3] or sorted(members, key=lambda n: (-degree[n], str(n)))[:2]
    names = [node_label(n, g.nodes[n]) for n in chosen]
    return " · ".join(n if len(n) <= 28 else n[:27] + "…" for n in names)


def communities_view(g: nx.MultiDiGraph, *, types: str | Iterable[str] | None = None,
                     seed: int = COMMUNITY_SEED, resolution: float = 1.0, title: str = "paperkg",
                     graph_dir: str | Path | None = None) -> View:
    """The paper graph coloured by Louvain communities (networkx, fixed seed), each named after its
    best-connected concepts."""
    base = papers_view(g, types=types, title=title, graph_dir=graph_dir)
    groups = communities(base.graph, seed=seed, resolution=resolution)
    community = {n: i for i, members in enumerate(groups) for n in members}
    names = [_community_name(base.graph, members) for members in groups]
    sizes = Counter(len(m) for m in groups)
    real = sum(1 for m in groups if len(m) > 1)
    alone = sizes.get(1, 0)
    description = (f"Louvain communities (seed {seed}): {real:,} of two or more nodes"
                   + (f" and {alone:,} single nodes" if alone else "") + "; colour = community"
                   + _types_text(parse_types(types)))
    return View(graph=base.graph, source=g, kind="communities", title=title, description=description,
                community=community, community_names=names, graph_dir=_dir(graph_dir))


def make_view(g: nx.MultiDiGraph, kind: str = "overview", *, around: str | None = None, depth: int = 1,
              types: str | Iterable[str] | None = None, title: str = "paperkg",
              graph_dir: str | Path | None = None, min_papers: int = 2) -> View:
    """The view `kg view` draws: `kind` in KINDS; `around` restricts any kind to a neighbourhood
    (`ego` is the paper graph around `around`, which it needs); `types` keeps only those node groups.

    Examples
    --------
    >>> make_view(g, "ego", around="ImageNet", depth=1)  # doctest: +SKIP
    >>> make_view(g, "cooccurrence", types="Dataset,Model")  # doctest: +SKIP
    >>> make_view(g, "communities", around="BERT")  # doctest: +SKIP
    """
    if kind not in KINDS:
        raise ValueError(f"unknown view kind {kind!r}: choose from {', '.join(KINDS)}")
    from .maps import overview_view, papers_map_view  # maps builds on this module
    if kind == "ego" and not around:
        raise ValueError("an ego view needs a centre: give around= (kg view --around NAME)")
    common: dict[str, Any] = {"types": types, "title": title, "graph_dir": graph_dir}
    if kind == "overview":
        base = overview_view(g, min_papers=min_papers, **common)
    elif kind == "papers-map":
        if types:
            raise ValueError("a paper map draws papers only: leave out types")
        base = papers_map_view(g, title=title, graph_dir=graph_dir)
    elif kind == "cooccurrence":
        base = cooccurrence_view(g, **common)
    elif kind == "communities":
        base = communities_view(g, **common)
    else:
        base = papers_view(g, **common)
    if around:
        return ego_view(g, around, depth=depth, types=types, title=title, graph_dir=graph_dir, _base=base)
    return base
