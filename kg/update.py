"""`kg add` and `kg remove`: change the papers of a built folder without its inputs or a full re-extraction.

Both rebuild the folder from the records it keeps (kg.built_corpus) with the options it was built
with; the folder's extraction cache means only added papers are extracted. The result is byte for
byte what `kg build` writes for the same records from scratch (the kept records first, then the
added inputs), and it replaces the folder's outputs as one set, like any build (kg.io.OutputSet).
Resolution, related work and the exports are recomputed over the whole corpus: they are global.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import networkx as nx

from .build import BuildError, BuildReport, build
from .built_corpus import BUILD_FILE, RECORDS_FILE, read_options, read_records, records_without

__all__ = ["add_papers", "remove_papers", "NotABuild", "UnknownPapers"]


class NotABuild(BuildError):
    """The folder holds no build that kept its records (built before they were kept, or not a build)."""

    exit_code = 2


class UnknownPapers(BuildError):
    """Ids given to remove that name no paper of the folder, or several; nothing is changed.
    `unknown` are the ids no paper has, `ambiguous` one message per id that names several papers."""

    exit_code = 2

    def __init__(self, unknown: list[str], ambiguous: list[str] | None = None):
        self.unknown = unknown
        self.ambiguous = list(ambiguous or [])
        parts = [f"no paper with id {', '.join(unknown)} in the graph (not a paper id, node key, arXiv id, DOI, "
                 "record id or exact title)"] if unknown else []
        parts += self.ambiguous
        super().__init__("; ".join(parts) + "; nothing removed")


def _kept(graph_dir: Path) -> tuple[list, dict]:
    if not (graph_dir / RECORDS_FILE).is_file() or not (graph_dir / BUILD_FILE).is_file():
        raise NotABuild(f"{graph_dir}: no {RECORDS_FILE} / {BUILD_FILE}: not a folder written by this version of "
                        f"`kg build`; build it again from its inputs first")
    return list(read_records(graph_dir / RECORDS_FILE)), read_options(graph_dir)


def add_papers(inputs: Iterable[str | Path], graph_dir: str | Path, *, jobs: int = 1,
               progress: Callable[[int, int], None] | None = None,
               strict: bool = False) -> tuple[nx.MultiDiGraph, BuildReport]:
    """Add the papers of `inputs` to the build in `graph_dir` (a paper already there is merged, as a
    build merges duplicates). Raises NotABuild, or what kg.build.build raises.

    >>> import shutil; _ = shutil.copytree("out", "grown", dirs_exist_ok=True)
    >>> g, report = add_papers([], "grown")           # nothing new: every paper from the cache
    >>> report.extraction_cached == report.papers
    True
    """
    graph_dir = Path(graph_dir)
    records, options = _kept(graph_dir)
    return build(list(inputs), graph_dir, jobs=jobs, progress=progress, strict=strict, records=records, **options)


def remove_papers(ids: Iterable[str], graph_dir: str | Path, *, jobs: int = 1,
                  progress: Callable[[int, int], None] | None = None) -> tuple[nx.MultiDiGraph, BuildReport]:
    """Remove the papers named by `ids` (paper id, node key such as paper/arxiv-2403.12345, arXiv id in
    any spelling, DOI in any spelling, the input record's id or the exact title; see
    kg.built_corpus.records_without) from the build in `graph_dir`, with every record merged into them.
    Raises UnknownPapers, changing nothing, when an id names no paper or several; NotABuild.
    """
    graph_dir = Path(graph_dir)
    records, options = _kept(graph_dir)
    kept, unknown, ambiguous = records_without(records, ids)
    if unknown or ambiguous:
        raise UnknownPapers(unknown, ambiguous)
    return build([], graph_dir, jobs=jobs, progress=progress, records=kept, **options)
