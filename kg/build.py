"""The main job: read -> deduplicate -> extract -> resolve -> assemble -> export, with a report."""
from __future__ import annotations

import contextlib
import gc
import os
import resource
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

from .built_corpus import BUILD_FILE, RECORDS_FILE
from .build_stamp import STAMP_FILE, build_digest, current_summary, write_stamp
from .dedupe import deduplicate
from .extract.pipeline import extract_papers
from .graph import assemble
from .related import RELATED_DIR, link_related
from .model import Entity, Paper, Problem
from .readers import path_problem, read
from .resolve import Resolution, resolve
from .schema import EVIDENCE_LEVELS

if TYPE_CHECKING:
    from .extract.cache import ExtractionCache

__all__ = ["BuildReport", "build_graph", "build", "demo_corpus", "check_inputs", "OUTPUT_NAMES", "PROBLEMS_LOG",
           "BuildError", "EngineError", "StageTime", "ENGINES", "InputError", "NothingRead", "StrictFailure"]

PROBLEMS_LOG = "problems.log"
# Where extraction runs: this machine (`jobs` processes), or a Dask cluster (kg.extract.dask_engine).
ENGINES: tuple[str, ...] = ("local", "dask")
# Related papers linked to each paper by `kg build`.
RELATED_K = 5
# Everything a build writes into its output folder: replaced together, as one set (kg.io.OutputSet).
OUTPUT_NAMES: tuple[str, ...] = ("kg.ttl", "kg.nt", "kg.jsonld", "graph.html", "store", RELATED_DIR, PROBLEMS_LOG,
                                 RECORDS_FILE, BUILD_FILE, STAMP_FILE)


@dataclass(frozen=True)
class StageTime:
    """How long one stage of a build took, and the build process's peak memory when it ended (the
    peak so far, of this process: extraction workers are not counted)."""

    seconds: float
    peak_mib: int


def _peak_mib() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10))  # bytes on macOS, KiB on Linux


@contextlib.contextmanager
def _stage(report: "BuildReport", name: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        report.timings[name] = StageTime(round(time.perf_counter() - start, 2), _peak_mib())


# CPython's default thresholds (700, 10, 10) make the cycle collector re-scan, again and again, the
# millions of containers a build keeps alive for its whole run (records, entities, the graph's
# attribute dicts) while it allocates short-lived ones (triples in batches, rows): a 10,000-paper
# build with every extraction from the cache spent 61.8 s with them, 53.1 s with these, and the cost
# grows with the corpus. Young cycles are still collected; a build's data makes next to no cycles.
_BUILD_GC_THRESHOLDS = (100_000, 50, 1_000)


@contextlib.contextmanager
def _few_collections():
    old = gc.get_threshold()
    gc.set_threshold(*_BUILD_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*old)


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
    # Papers whose entities came from the extraction cache (kg.extract.cache) instead of the extractor.
    extraction_cached: int = 0
    problems: list[Problem] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)
    # The related-work index the relatedTo links were ranked with (kg.related), for `build` to save.
    related_index: object = field(default=None, repr=False, compare=False)
    # Every record read, before deduplication (kept in DIR/records.jsonl.gz for `kg add` / `kg remove`).
    read_records: list = field(default_factory=list, repr=False, compare=False)
    # Where the time went: stage name -> StageTime, in the order the stages ran ("read", "extract", ...).
    # Two rows are parts or neighbours of the others: "write kg.nt", the part of "write RDF" until kg.nt
    # was complete (mapping the graph to triples, sorting them); "load store", with jobs > 1, runs
    # alongside "write RDF" and the stages after it.
    timings: dict[str, StageTime] = field(default_factory=dict, repr=False, compare=False)
    # True when the folder already held this very build (kg.build_stamp) and nothing was written.
    up_to_date: bool = False

    # What DIR/build.stamp.json keeps of a report, for a rebuild that finds the folder up to date.
    _SUMMARY = ("records", "papers", "duplicates_merged", "concepts_by_type", "links_by_relation",
                "code_repositories", "related_pairs")

    def summary(self, out: Path) -> dict:
        """The counts of this report and its outputs (relative to the folder `out`), as JSON values."""
        return {**{k: getattr(self, k) for k in self._SUMMARY},
                "outputs": {name: os.path.relpath(path, out) for name, path in self.outputs.items()}}

    def restore(self, summary: dict, out: Path) -> None:
        """Take the counts and outputs of `summary` (a `summary()` of the build that wrote `out`)."""
        for k in self._SUMMARY:
            setattr(self, k, summary[k])
        self.outputs = {name: out / rel for name, rel in summary["outputs"].items()}
        self.extraction_cached = self.papers
        self.up_to_date = True

    @property
    def skipped(self) -> int:
        """Records skipped because of bad input."""
        return sum(p.skipped for p in self.problems)


class BuildError(Exception):
    """A build that stopped before writing anything: the output folder is as it was."""

    exit_code = 1


class EngineError(BuildError):
    """An unknown engine, or a Dask cluster that cannot be started or reached."""

    exit_code = 2


class InputError(BuildError):
    """An input path that does not exist (or is a dangling symlink or a symlink loop)."""

    exit_code = 2


class NothingRead(BuildError):
    """No paper could be read from the inputs: writing would replace a good build with an empty one."""

    def __init__(self, report: "BuildReport"):
        self.report = report
        super().__init__(f"no paper could be read from the inputs ({len(report.problems)} problems)")


class StrictFailure(BuildError):
    """`strict` and the inputs had problems."""

    def __init__(self, report: "BuildReport"):
        self.report = report
        super().__init__(f"{len(report.problems)} problems in the inputs (--strict)")


def check_inputs(inputs: Iterable[str | Path]) -> None:
    """Raise InputError naming every input path that cannot be read at all, before any work is done."""
    bad = [f"{p}: {why}" for p in inputs if (why := path_problem(p))]
    if bad:
        raise InputError("; ".join(bad))


def demo_corpus() -> Path:
    """The bundled demo corpus: five real listing pages (521 entries, 482 distinct papers)."""
    return Path(__file__).resolve().parent / "data" / "demo"


def _open_cache(path: str | Path | None, use_ner: bool, min_confidence: float | None) -> "ExtractionCache | None":
    if path is None:
        return None
    from .extract.cache import ExtractionCache, extractor_fingerprint

    try:
        return ExtractionCache(path, extractor_fingerprint(use_ner, None, min_confidence))
    except OSError as exc:
        warnings.warn(f"extraction cache not used: {exc}", stacklevel=3)
        return None


@_few_collections()
def build_graph(inputs: Iterable[str | Path], *, jobs: int = 1, use_ner: bool = True,
                progress: Callable[[int, int], None] | None = None,
                min_confidence: float | None = None, related_k: int = RELATED_K,
                strict: bool = False, cache: str | Path | None = None, engine: str = "local",
                scheduler: str | None = None, records: Iterable[Paper] = ()) -> tuple[nx.MultiDiGraph, BuildReport]:
    """Read, deduplicate, extract, resolve and assemble the inputs into one graph (no files written).

    `use_ner=False` extracts with the rules and vocabularies alone (faster, fewer entities);
    `min_confidence` keeps only the entities the extractor is at least that sure of; `related_k`
    related papers are linked to each paper (kg.related). With `strict`, any problem in the inputs
    raises StrictFailure as soon as they are read (before the extraction). `cache`: an extraction cache
    file (kg.extract.cache; created if missing): papers whose text and extractor it already knows are
    not extracted again, and the graph is the same as without it. A cache that cannot be opened is
    skipped with a warning. `engine="dask"` extracts on a Dask cluster (kg.extract.dask_engine): the
    scheduler at `scheduler`, or a local cluster of `jobs` workers; the graph is the same. `records`:
    Papers already read (a built folder's, kg.built_corpus), taken before those of `inputs`.
    """
    _check_engine(engine)
    report = BuildReport()
    _read_inputs(inputs, records, report, strict)
    g = _graph_of(report, jobs=jobs, use_ner=use_ner, progress=progress, min_confidence=min_confidence,
                  related_k=related_k, cache=cache, engine=engine, scheduler=scheduler)
    return g, report


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")


def _read_inputs(inputs: Iterable[str | Path], records: Iterable[Paper], report: BuildReport, strict: bool) -> None:
    """The read stage: `records`, then those of `inputs`, into report.read_records (StrictFailure with
    `strict` when reading raised problems)."""
    with _stage(report, "read"):
        read_records = list(records) + list(read(inputs, report.problems))
    report.read_records = read_records
    report.records = len(read_records)
    if strict and report.problems:
        raise StrictFailure(report)


def _graph_of(report: BuildReport, *, jobs: int, use_ner: bool, progress: Callable[[int, int], None] | None,
              min_confidence: float | None, related_k: int, cache: str | Path | None, engine: str,
              scheduler: str | None) -> nx.MultiDiGraph:
    """Deduplicate, extract, resolve, assemble and link report.read_records (build_graph's stages after reading)."""
    records = report.read_records
    with _stage(report, "deduplicate"):
        papers, report.duplicates_merged = deduplicate(records)
    report.papers = len(papers)
    extracted: list[tuple[Paper, list[Entity]]] = []
    with contextlib.ExitStack() as stack:
        stack.enter_context(_stage(report, "extract"))
        client = None
        if engine == "dask" and papers:
            from .extract.dask_engine import dask_client, extract_on_dask

            try:
                client = stack.enter_context(dask_client(scheduler, workers=jobs))
            except (ImportError, OSError) as exc:
                raise EngineError(str(exc)) from exc
        # Opened once the cluster is there: a build that cannot start leaves no cache folder behind.
        store = _open_cache(cache, use_ner, min_confidence) if papers else None
        if store is not None:
            stack.callback(store.close)
        if client is not None:
            results = extract_on_dask(client, papers, use_ner=use_ner, min_confidence=min_confidence, cache=store)
        else:
            results = extract_papers(papers, jobs=jobs, use_ner=use_ner, min_confidence=min_confidence, cache=store)
        for paper, entities in results:
            extracted.append((paper, entities))
            if progress:
                progress(len(extracted), len(papers))
        report.extraction_cached = store.hits if store is not None else 0
    with _stage(report, "resolve"):
        res: Resolution = resolve(extracted)
    # Each stage's input is dropped once the next holds what it needs: at 100k papers the extraction
    # results and the resolution are each about as large as the graph, and related work peaks above both.
    del extracted
    with _stage(report, "assemble"):
        g = assemble(papers, res.concepts, res.links, related_k=0)
    del res, papers
    with _stage(report, "related"):
        report.related_index = link_related(g, related_k, jobs=jobs)
    kinds = Counter(d.get("type") for _, d in g.nodes(data=True) if d.get("kind") == "Concept")
    report.concepts_by_type = dict(sorted(kinds.items()))
    rels = Counter(k for _, _, k in g.edges(keys=True))
    report.related_pairs = rels.pop("relatedTo", 0)
    report.links_by_relation = dict(sorted(rels.items()))
    report.code_repositories = sum(1 for _, d in g.nodes(data=True) if d.get("kind") == "CodeRepository")
    return g


@_few_collections()
def build(inputs: Iterable[str | Path], out_dir: str | Path, *, jobs: int = 1, html: bool = True,
          progress: Callable[[int, int], None] | None = None, store: bool = True,
          use_ner: bool = True, min_confidence: float | None = None,
          strict: bool = False, cache: bool | str | Path = True, engine: str = "local",
          scheduler: str | None = None, records: Iterable[Paper] = (),
          evidence: str = "all", reuse: bool = False) -> tuple[nx.MultiDiGraph | None, BuildReport]:
    """Build the graph and write DIR/kg.ttl (+ .nt, .jsonld), DIR/graph.html, DIR/store, DIR/related
    and DIR/problems.log (when there were problems) as one set.

    The set is written into a new folder that replaces DIR's previous set in one atomic swap
    (kg.io.OutputSet): a build that fails, is interrupted or killed leaves the old set whole, and a
    set never mixes two builds (a clean rebuild leaves no stale problems.log). Other files in DIR
    are kept. With `store` (the default) the graph is also bulk-loaded into an on-disk Oxigraph store
    DIR/store (kg.store.persist_store), which `kg query`, `kg stats` and `kg serve` open without parsing;
    with `jobs` > 1 a child process loads it while this one writes the other files (kg.store_loader).

    Before any work: an input path that does not exist raises InputError, an output folder that
    cannot be written kg.io.OutputError. Nothing is written, and NothingRead is raised, when no
    paper could be read; with `strict`, StrictFailure when the inputs had any problem.

    `cache` (default True: DIR/.cache/extractions.sqlite, kept across builds and outside the output
    set; a path: that file; False: none) keeps each paper's extraction, keyed by its text and the
    extractor, so rebuilding a corpus re-extracts only new or changed papers. `engine`, `scheduler`,
    `records`: see build_graph. DIR/records.jsonl.gz and DIR/build.json keep what was read and how,
    for kg.update (`kg add`, `kg remove`). `evidence` (kg.schema.EVIDENCE_LEVELS: "all", the default,
    "first", "none") is how much of each paper -> concept link's provenance the RDF files keep; an
    unknown level raises ValueError before any work.

    `reuse`: when DIR already holds the outputs of a build of the same records (and problems), options
    and code, untouched since (kg.build_stamp), nothing is extracted or written; the report says so
    (``report.up_to_date``, its counts those of that build) and the graph returned is None (kg.open
    reads it from DIR). `kg build` reuses unless --no-cache.
    """
    from .extract.cache import CACHE_FILE
    from .built_corpus import write_options, write_records
    from .io import OutputSet, atomic_open, atomic_write_text
    from .rdf import write_rdf
    from .store import STORE_DIR
    from .store_loader import BackgroundLoad
    from .views.html import write_html

    if evidence not in EVIDENCE_LEVELS:
        raise ValueError(f"unknown evidence level {evidence!r}; choose from {', '.join(EVIDENCE_LEVELS)}")
    inputs = list(inputs)
    check_inputs(inputs)
    out = Path(out_dir)
    output = OutputSet(out, OUTPUT_NAMES)
    loading = None  # the store being loaded in the background (kg.store_loader), once kg.nt is written
    try:
        cache_path = (out / CACHE_FILE if cache is True else None if cache is False else Path(cache))
        _check_engine(engine)
        report = BuildReport()
        _read_inputs(inputs, records, report, strict)
        options = {"use_ner": use_ner, "min_confidence": min_confidence, "html": html, "store": store,
                   "evidence": evidence}
        with _stage(report, "check up to date"):
            digest = build_digest(report.read_records, report.problems, options)
            summary = current_summary(out, digest) if reuse and report.records else None
        if summary is not None:
            output.abort()
            report.restore(summary, out)
            return None, report
        g = _graph_of(report, jobs=jobs, use_ner=use_ner, progress=progress, min_confidence=min_confidence,
                      related_k=RELATED_K, cache=cache_path, engine=engine, scheduler=scheduler)
        if report.papers == 0:
            raise NothingRead(report)
        stage = output.path

        # With a second process to spare, the store is loaded while this one writes the rest
        # (kg.store_loader): from kg.nt's sorted runs as they are spilled, or from kg.nt when it was
        # sorted in memory; the Turtle, the JSON-LD and the other files are written meanwhile.
        def load_run(run: Path) -> None:
            nonlocal loading
            if loading is None:
                loading = BackgroundLoad(stage, fed=True)
            loading.feed(run)

        def kg_nt_written(nt: Path) -> None:
            nonlocal loading, nt_written
            nt_written = StageTime(round(time.perf_counter() - started, 2), _peak_mib())
            if not beside:
                return
            if loading is None:
                loading = BackgroundLoad(stage)
            else:
                loading.finish()

        beside = store and jobs > 1
        started, nt_written = time.perf_counter(), None
        with _stage(report, "write RDF"):
            written: dict[str, Path] = dict(write_rdf(g, stage, evidence=evidence, on_ntriples=kg_nt_written,
                                                      on_sorted_run=load_run if beside else None))
            report.timings["write kg.nt"] = nt_written
        with _stage(report, "write related index"):
            written["related"] = report.related_index.save(stage / RELATED_DIR)
        with _stage(report, "write records"), atomic_open(stage / RECORDS_FILE, "wb") as fh:
            write_records(fh, report.read_records)
        write_options(stage / BUILD_FILE, options)
        written["records"], written["options"] = stage / RECORDS_FILE, stage / BUILD_FILE
        if loading is not None:
            written["store"] = stage / STORE_DIR  # once `loading` is done
        elif store:
            from .store import persist_store

            with _stage(report, "load store"):
                written["store"] = persist_store(stage)
        if html:
            with _stage(report, "write HTML"):
                write_html(g, stage / "graph.html")
            written["html"] = stage / "graph.html"
        if report.problems:
            atomic_write_text(stage / PROBLEMS_LOG, "".join(f"{p}\n" for p in report.problems))
            written["problems"] = stage / PROBLEMS_LOG
        if loading is not None:
            loading.wait()
            # Its own wall clock, from kg.nt's first sorted run (or kg.nt), spent alongside "write RDF"
            # and the stages after it.
            report.timings["load store"] = StageTime(round(loading.seconds, 2), _peak_mib())
            loading = None
        report.outputs.update(written)
        write_stamp(stage, digest, report.summary(stage), [n for n in os.listdir(stage) if n in OUTPUT_NAMES])
        output.commit()
    except BaseException:
        if loading is not None:
            loading.cancel()
        output.abort()
        raise
    report.outputs = {name: out / os.path.relpath(path, stage) for name, path in written.items()}
    return g, report
