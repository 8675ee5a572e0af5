"""The main job: read -> deduplicate -> extract -> resolve -> assemble -> export, with a report."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from .dedupe import deduplicate
from .extract.pipeline import extract_papers
from .graph import assemble
from .related import RELATED_DIR, link_related
from .model import Entity, Paper, Problem
from .readers import read
from .resolve import Resolution, resolve

__all__ = ["BuildReport", "build_graph", "build", "demo_corpus"]


@dataclass
class BuildReport:
    """What a build read, merged, found and wrote."""

    records: int = 0
    papers: int = 0
    duplicates_merged: int = 0
    concepts_by_type: dict[str, int] = field(default_factory=dict)
    links_by_relation: dict[str, int] = field(default_factory=dict)
    code_repositories: int = 0
    related_pairs: int = 0
    problems: list[Problem] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)
    # The related-work index the relatedTo links were ranked with (kg.related), for `build` to save.
    related_index: object = field(default=None, repr=False, compare=False)

    @property
    def skipped(self) -> int:
        """Records skipped because of bad input."""
        return sum(p.skipped for p in self.problems)


def demo_corpus() -> Path:
    """The bundled demo corpus: five real listing pages (521 entries, 482 distinct papers)."""
    return Path(__file__).resolve().parent / "data" / "demo"


def build_graph(inputs: Iterable[str | Path], *, jobs: int = 1, use_ner: bool = True,
                progress: Callable[[int, int], None] | None = None,
                min_confidence: float | None = None, related_k: int = 5) -> tuple[nx.MultiDiGraph, BuildReport]:
    """Read, deduplicate, extract, resolve and assemble the inputs into one graph (no files written).

    `use_ner=False` extracts with the rules and vocabularies alone (faster, fewer entities);
    `min_confidence` keeps only the entities the extractor is at least that sure of; `related_k`
    related papers are linked to each paper (kg.related).
    """
    report = BuildReport()
    records = list(read(inputs, report.problems))
    report.records = len(records)
    papers, report.duplicates_merged = deduplicate(records)
    report.papers = len(papers)
    extracted: list[tuple[Paper, list[Entity]]] = []
    for paper, entities in extract_papers(papers, jobs=jobs, use_ner=use_ner, min_confidence=min_confidence):
        extracted.append((paper, entities))
        if progress:
            progress(len(extracted), len(papers))
    res: Resolution = resolve(extracted)
    g = assemble(papers, res.concepts, res.links, related_k=0)
    report.related_index = link_related(g, related_k)
    kinds = Counter(d.get("type") for _, d in g.nodes(data=True) if d.get("kind") == "Concept")
    report.concepts_by_type = dict(sorted(kinds.items()))
    rels = Counter(k for _, _, k in g.edges(keys=True))
    report.related_pairs = rels.pop("relatedTo", 0)
    report.links_by_relation = dict(sorted(rels.items()))
    report.code_repositories = sum(1 for _, d in g.nodes(data=True) if d.get("kind") == "CodeRepository")
    return g, report


def build(inputs: Iterable[str | Path], out_dir: str | Path, *, jobs: int = 1, html: bool = True,
          progress: Callable[[int, int], None] | None = None, store: bool = True,
          use_ner: bool = True, min_confidence: float | None = None) -> tuple[nx.MultiDiGraph, BuildReport]:
    """Build the graph and write DIR/kg.ttl (+ .nt, .jsonld) and DIR/graph.html atomically.

    With `store` (the default) the graph is also bulk-loaded into an on-disk Oxigraph store DIR/store
    (kg.store.persist_store), which `kg query`, `kg stats` and `kg serve` open without parsing; a
    previous store is replaced atomically.
    """
    from .rdf import write_rdf
    from .views.html import write_html

    out = Path(out_dir)
    g, report = build_graph(inputs, jobs=jobs, use_ner=use_ner, progress=progress, min_confidence=min_confidence)
    report.outputs.update(write_rdf(g, out))
    report.outputs["related"] = report.related_index.save(out / RELATED_DIR)
    if store:
        from .store import persist_store

        report.outputs["store"] = persist_store(out)
    if html:
        write_html(g, out / "graph.html")
        report.outputs["html"] = out / "graph.html"
    return g, report
