"""Assemble papers, concepts and links into one networkx MultiDiGraph; graph queries over it.

Graph schema (the contract kg.rdf and kg.views rely on)
--------------------------------------------------------
graph.graph: {"name": "paperkg", "extractor": EXTRACTOR_VERSION}, and "evidence" (kg.schema.EVIDENCE_LEVELS)
             when the graph was read from an export that keeps less than "all" provenance

Node keys are IRI paths relative to the base IRI (kg.rdf.BASE):
  "paper/<paper id>"            kind="Paper": title, abstract, url, authors (list), date, arxiv_id,
                                categories (sorted list), sources (sorted list of "path:line": sets
                                in RDF, so sorted to round-trip), record_id (the
                                input record's own identifier, or None), dois (sorted list of
                                normalised DOIs)
  "concept/<type>/<slug>"       kind="Concept": type (Method|Model|Dataset|Task|Metric), label,
                                aliases (sorted list, includes label), paper_count (int)
  "repo/<host>/<owner>/<name>"  kind="CodeRepository": url

Edges (key == relation; every edge also carries relation=<key> for convenience):
  paper -> concept   relation in RELATIONS: role, confidence, mentions (list of [start, end, text]),
                     evidence ({"start", "end", "text"}: the sentence of the first mention), extractor
  paper -> repo      relation "codeRepository"
  paper -> paper     relation "relatedTo", from a paper to each of its related papers (kg.related):
                     score (float), rank (1 = most related), reasons (list of str, most telling first)
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import networkx as nx

from .model import Concept, Link, Paper
from .schema import RELATIONS  # re-exported (kg.views imports it from here): defined in kg.schema

__all__ = [
    "EXTRACTOR_VERSION", "RELATIONS", "relation_for", "paper_key", "concept_key", "repo_key",
    "assemble", "papers_using", "concepts_of",
]

EXTRACTOR_VERSION = "paperkg-extract/0.1.0"


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
        "categories": sorted(set(p.categories)), "sources": sorted({str(s) for s in p.sources}), "record_id": p.record_id,
        "dois": sorted(p.dois),
    }


def assemble(papers: Iterable[Paper], concepts: dict[str, Concept], links: Iterable[Link],
             *, related_k: int = 5) -> nx.MultiDiGraph:
    """One MultiDiGraph of papers, concepts and code repositories with typed, evidenced edges.

    Parameters
    ----------
    papers : the deduplicated papers, in input order
    concepts : resolved concepts by id (kg.resolve)
    links : paper -> concept links
    related_k : how many related papers to link to each paper (0 for none; kg.related ranks them)

    Examples
    --------
    >>> from kg.model import Paper
    >>> from kg.extract.pipeline import extract_papers
    >>> from kg.resolve import resolve
    >>> papers = [Paper(id="p1", title="Pruning ImageNet", abstract="We prune ImageNet with ResNet-50."),
    ...           Paper(id="p2", title="Robust ResNets", abstract="We train ResNet-50 on ImageNet.")]
    >>> res = resolve(list(extract_papers(papers)))
    >>> g = assemble(papers, res.concepts, res.links)
    >>> g.nodes["concept/dataset/imagenet"]["label"], g.nodes["concept/dataset/imagenet"]["paper_count"]
    ('ImageNet', 2)
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
    # One copy of each mention text across the graph and of each evidence sentence within a paper:
    # names repeat across papers and one sentence is the evidence of several links, and these strings
    # are most of what the graph holds besides its structure.
    names: dict[str, str] = {}
    sentences: dict[tuple[int, int], str] = {}
    paper_of_sentences = None
    for link in links:
        c = concepts[link.concept_id]
        rel = relation_for(link.role, c.type)
        evidence = None
        if link.evidence is not None:
            if link.paper_id != paper_of_sentences:
                sentences, paper_of_sentences = {}, link.paper_id
            s, e = link.evidence
            sentence = sentences.setdefault((s, e), texts.get(link.paper_id, "")[s:e])
            evidence = {"start": s, "end": e, "text": sentence}
        g.add_edge(paper_key(link.paper_id), concept_key(link.concept_id), key=rel, relation=rel,
                   role=link.role, confidence=round(link.confidence, 3),
                   mentions=[[m.start, m.end, names.setdefault(m.text, m.text)] for m in link.mentions],
                   evidence=evidence, extractor=EXTRACTOR_VERSION)
    if related_k:
        from .related import link_related

        link_related(g, related_k)
    return g


def concepts_of(g: nx.MultiDiGraph, paper: str, relation: str | None = None) -> list[tuple[str, str]]:
    """(relation, concept key) pairs of a paper node, optionally of one relation only."""
    return sorted((k, v) for _, v, k in g.out_edges(paper, keys=True)
                  if g.nodes[v].get("kind") == "Concept" and (relation is None or k == relation))


def papers_using(g: nx.MultiDiGraph, concept: str) -> list[tuple[str, str]]:
    """(paper key, relation) of every paper linked to a concept node."""
    return sorted((u, k) for u, _, k in g.in_edges(concept, keys=True))
