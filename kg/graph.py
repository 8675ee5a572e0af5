"""Assemble papers, concepts and links into one networkx MultiDiGraph; graph queries over it.

Graph schema (the contract kg.rdf and kg.views rely on)
--------------------------------------------------------
graph.graph: {"name": "paperkg", "extractor": EXTRACTOR_VERSION}

Node keys are IRI paths relative to the base IRI (kg.rdf.BASE):
  "paper/<paper id>"            kind="Paper": title, abstract, url, authors (list), date, arxiv_id,
                                categories (list), sources (list of "path:line")
  "concept/<type>/<slug>"       kind="Concept": type (Method|Model|Dataset|Task|Metric), label,
                                aliases (sorted list, includes label), paper_count (int)
  "repo/<host>/<owner>/<name>"  kind="CodeRepository": url

Edges (key == relation; every edge also carries relation=<key> for convenience):
  paper -> concept   relation in RELATIONS: role, confidence, mentions (list of [start, end, text]),
                     evidence ({"start", "end", "text"}: the sentence of the first mention), extractor
  paper -> repo      relation "codeRepository"
  paper -> paper     relation "relatedTo" (u < v, once per pair): weight, shared (list of concept keys)
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from .model import Concept, Link, Paper

__all__ = [
    "EXTRACTOR_VERSION", "RELATIONS", "relation_for", "paper_key", "concept_key", "repo_key",
    "assemble", "papers_using", "related_papers", "concepts_of", "RelatedPaper",
]

EXTRACTOR_VERSION = "paperkg-extract/0.1.0"
RELATIONS: tuple[str, ...] = ("proposes", "uses", "evaluatesOn", "comparesWith", "addresses", "mentions")


def relation_for(role: str, type_: str) -> str:
    """The typed link for a role: a Dataset that is used is evaluated on, a Task is addressed."""
    if role == "proposed":
        return "proposes"
    if role == "compared":
        return "comparesWith"
    if role == "used":
        return {"Dataset": "evaluatesOn", "Task": "addresses"}.get(type_, "uses")
    return "mentions"


def paper_key(paper_id: str) -> str:
    """Node key of a paper."""
    return f"paper/{paper_id}"


def concept_key(concept_id: str) -> str:
    """Node key of a concept."""
    return f"concept/{concept_id}"


_REPO = re.compile(r"https?://(?:www\.)?(?P<host>[^/\s]+)/(?P<path>[^\s?#]+)", re.IGNORECASE)


def repo_key(url: str) -> str:
    """Node key of a code repository URL: host and the first two path segments, lower-cased."""
    m = _REPO.match(url)
    if not m:
        return "repo/" + url.lower()
    parts = [p for p in m.group("path").split("/") if p][:2]
    parts = [p[:-4] if p.endswith(".git") else p for p in parts]
    return "repo/" + "/".join([m.group("host").lower(), *[p.lower() for p in parts]])


def _paper_attrs(p: Paper) -> dict:
    return {
        "kind": "Paper", "title": p.title, "abstract": p.abstract, "url": p.url,
        "authors": list(p.authors), "date": p.date, "arxiv_id": p.arxiv_id,
        "categories": list(p.categories), "sources": [str(s) for s in p.sources],
    }


def assemble(papers: Iterable[Paper], concepts: dict[str, Concept], links: Iterable[Link],
             *, related_k: int = 5) -> nx.MultiDiGraph:
    """One MultiDiGraph of papers, concepts and code repositories with typed, evidenced edges.

    Parameters
    ----------
    papers : the deduplicated papers, in input order
    concepts : resolved concepts by id (kg.resolve)
    links : paper -> concept links
    related_k : how many related papers to link to each paper (0 for none)

    Examples
    --------
    >>> g = assemble(papers, res.concepts, res.links)
    >>> g.nodes["concept/dataset/imagenet"]["label"]
    'ImageNet'
    """
    g = nx.MultiDiGraph(name="paperkg", extractor=EXTRACTOR_VERSION)
    texts: dict[str, str] = {}
    for p in papers:
        key = paper_key(p.id)
        g.add_node(key, **_paper_attrs(p))
        texts[p.id] = p.text
        for url in p.code_urls:
            rk = repo_key(url)
            if rk not in g:
                g.add_node(rk, kind="CodeRepository", url=url)
            g.add_edge(key, rk, key="codeRepository", relation="codeRepository")
    for cid in sorted(concepts):
        c = concepts[cid]
        g.add_node(concept_key(cid), kind="Concept", type=c.type, label=c.label,
                   aliases=sorted(c.aliases | {c.label}), paper_count=len(c.papers))
    for link in links:
        c = concepts[link.concept_id]
        rel = relation_for(link.role, c.type)
        text = texts.get(link.paper_id, "")
        evidence = None
        if link.evidence is not None:
            s, e = link.evidence
            evidence = {"start": s, "end": e, "text": text[s:e]}
        g.add_edge(paper_key(link.paper_id), concept_key(link.concept_id), key=rel, relation=rel,
                   role=link.role, confidence=round(link.confidence, 3),
                   mentions=[[m.start, m.end, m.text] for m in link.mentions],
                   evidence=evidence, extractor=EXTRACTOR_VERSION)
    if related_k:
        _link_related(g, concepts, related_k)
    return g


RELATED_MAX_PAPERS = 200


def _link_related(g: nx.MultiDiGraph, concepts: dict[str, Concept], k: int) -> None:
    """relatedTo edges: each paper to its k papers sharing the most specific concepts (IDF-weighted)."""
    n_papers = sum(1 for _, d in g.nodes(data=True) if d.get("kind") == "Paper")
    if n_papers < 2:
        return
    # Concepts in more than 5% of papers (LLMs, accuracy) relate everything to everything: skip them.
    # The absolute cap keeps this linear in the corpus: each paper walks at most RELATED_MAX_PAPERS
    # papers per concept (a concept in 5% of a million papers would be 50,000 each).
    cap = max(20, min(int(0.05 * n_papers), RELATED_MAX_PAPERS))
    idf = {concept_key(cid): math.log(n_papers / len(c.papers)) for cid, c in concepts.items()
           if 1 < len(c.papers) <= cap}
    pairs: dict[tuple[str, str], list[str]] = {}
    for paper in sorted(n for n, d in g.nodes(data=True) if d.get("kind") == "Paper"):
        scores: dict[str, float] = defaultdict(float)
        shared: dict[str, list[str]] = defaultdict(list)
        mine = sorted({v for _, v in g.out_edges(paper) if v in idf})
        for ck in mine:
            for other, _ in g.in_edges(ck):
                if other != paper:
                    scores[other] += idf[ck]
                    if ck not in shared[other]:
                        shared[other].append(ck)
        best = sorted(scores, key=lambda o: (-scores[o], o))[:k]
        for other in best:
            a, b = sorted((paper, other))
            pairs.setdefault((a, b), sorted(shared[other]))
    for (a, b), shared_keys in sorted(pairs.items()):
        weight = round(sum(idf[c] for c in shared_keys), 4)
        g.add_edge(a, b, key="relatedTo", relation="relatedTo", weight=weight, shared=shared_keys)


def concepts_of(g: nx.MultiDiGraph, paper: str, relation: str | None = None) -> list[tuple[str, str]]:
    """(relation, concept key) pairs of a paper node, optionally of one relation only."""
    return sorted((k, v) for _, v, k in g.out_edges(paper, keys=True)
                  if g.nodes[v].get("kind") == "Concept" and (relation is None or k == relation))


def papers_using(g: nx.MultiDiGraph, concept: str) -> list[tuple[str, str]]:
    """(paper key, relation) of every paper linked to a concept node."""
    return sorted((u, k) for u, _, k in g.in_edges(concept, keys=True))


@dataclass(frozen=True)
class RelatedPaper:
    """A paper related to another, with the shared concepts that say why."""

    paper: str
    title: str
    weight: float
    shared: tuple[str, ...]


def related_papers(g: nx.MultiDiGraph, paper: str) -> list[RelatedPaper]:
    """Papers linked to `paper` by relatedTo edges, strongest first, with the shared concept labels."""
    out = []
    for u, v, k, d in list(g.out_edges(paper, keys=True, data=True)) + list(g.in_edges(paper, keys=True, data=True)):
        if k != "relatedTo":
            continue
        other = v if u == paper else u
        labels = tuple(g.nodes[c]["label"] for c in d.get("shared", []) if c in g)
        out.append(RelatedPaper(other, g.nodes[other].get("title", ""), d.get("weight", 0.0), labels))
    return sorted(out, key=lambda r: (-r.weight, r.paper))
