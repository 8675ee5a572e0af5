"""The Python API: one KnowledgeGraph object over a built folder, and kg.build / kg.open / kg.extract.

    import kg
    graph = kg.build(["papers.jsonl"], "out")        # the pipeline of `kg build` (output=None: a temp folder)
    graph = kg.open("out")                            # a folder `kg build` wrote
    graph.query("papers-using-dataset", dataset="ImageNet").as_dicts()
    graph.related("FedLoGe", top=5)                   # what `kg related` ranks
    graph.view("imagenet.html", around="ImageNet")    # what `kg view` writes
    graph.export("ttl", "copy.ttl"); graph.to_networkx(); graph.to_rdflib(); graph.stats()
    kg.extract("A title", "An abstract using BERT.")  # one paper's entities

Like kglab's KnowledgeGraph, the object is small mixins, each a thin layer over the library module
the CLI command calls: kg.api_query (kg.store, kg.stats), kg.api_related (kg.related), kg.api_export
(kg.rdf, kg.views). Everything heavy (spaCy, rdflib, pyoxigraph, networkx) is imported on first use,
so `import kg` stays fast; the store, the related-work index and the parsed graph are opened once.
"""
from __future__ import annotations

import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .api_export import ExportMixin
from .api_graph import GraphMixin
from .api_query import QueryMixin
from .api_related import RelatedMixin

if TYPE_CHECKING:
    import networkx as nx

    from .build import BuildReport
    from .model import Entity

__all__ = ["KnowledgeGraph", "build", "open", "extract", "demo_corpus"]

GRAPH_FILES = ("kg.nt", "kg.ttl")  # what kg.store and kg.rdf.read_rdf open in a built folder


def _check_folder(path: Path) -> None:
    """Raise FileNotFoundError, saying what to do, unless `path` is a folder `kg build` wrote."""
    if not path.exists():
        raise FileNotFoundError(f"no graph at {path}: build one with kg.build(INPUTS, {str(path)!r}) "
                                f"or `kg build INPUT --output {path}`")
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a folder: kg.open takes the folder `kg build` wrote")
    if not any((path / name).is_file() for name in GRAPH_FILES):
        raise FileNotFoundError(f"{path} holds no {' or '.join(GRAPH_FILES)}: not a folder written by `kg build`")


class KnowledgeGraph(QueryMixin, RelatedMixin, GraphMixin, ExportMixin):
    """A built paper graph: the folder `kg build` wrote, queried, ranked, viewed and exported from Python.

    Make one with kg.build or kg.open (KnowledgeGraph(path) is kg.open). `path` is the folder;
    `report` the kg.build.BuildReport when this object built it (None when opened); `temporary`
    whether the folder is a temporary one of kg.build(output=None), removed by close() or when the
    object is garbage-collected. The graph is read-only: to_networkx() gives a copy to change.

    >>> import kg
    >>> kg.open("out")
    <KnowledgeGraph out: 25 papers, 213 concepts, 391 links>
    """

    def __init__(self, path: str | Path, *, graph: nx.MultiDiGraph | None = None,
                 report: BuildReport | None = None, temporary: Any = None) -> None:
        self.path = Path(path)
        _check_folder(self.path)
        self.report = report
        self._graph = graph
        self._store = None
        self._index = None
        self._temporary = temporary  # a tempfile.TemporaryDirectory holding self.path, or None
        if temporary is not None:
            weakref.finalize(self, temporary.cleanup)

    @property
    def temporary(self) -> bool:
        """Whether the folder is kg.build's temporary one (output=None), removed with this object.

        >>> import kg
        >>> kg.open("out").temporary
        False
        """
        return self._temporary is not None

    def _nx(self) -> nx.MultiDiGraph:
        """The graph, parsed from the folder (kg.rdf.read_rdf) on first use, or the one kg.build made."""
        if self._graph is None:
            from .rdf import read_rdf

            self._graph = read_rdf(self.path)
        return self._graph

    def close(self) -> None:
        """Let go of the store and the parsed graph; remove the folder if it is a temporary one.

        >>> import kg
        >>> graph = kg.open("out")
        >>> graph.close(); graph.path.is_dir()   # a folder of one's own is kept
        True
        """
        self._store = self._index = self._graph = self._paper_refs = None
        if self._temporary is not None:
            self._temporary.cleanup()

    def __enter__(self) -> KnowledgeGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        counts = self.stats()
        where = "(temporary)" if self.temporary else str(self.path)
        return (f"<KnowledgeGraph {where}: {counts['papers']:,} papers, {sum(counts['concepts'].values()):,} "
                f"concepts, {sum(counts['links'].values()):,} links>")


def build(inputs: Iterable[str | Path] | str | Path, output: str | Path | None = None,
          **options: Any) -> KnowledgeGraph:
    """Build a graph from files or folders of papers, as `kg build INPUT... --output OUTPUT` does.

    It runs kg.build.build: read, deduplicate, extract, resolve, assemble, rank related work, and
    write kg.ttl, kg.nt, kg.jsonld, the store and the related-work index into `output`, replacing
    its previous set in one atomic swap. With `output=None` they go into a temporary folder that is
    removed with the returned object (or by its close()); no graph.html is written there unless
    `html=True`. `options` are kg.build.build's: jobs, html, use_ner, min_confidence, strict,
    store, evidence ("all", "first" or "none": how much provenance each link keeps), progress. Raises kg.build.InputError for a missing input, kg.build.NothingRead when no
    paper could be read, kg.build.StrictFailure (strict=True) when an input had problems.

    >>> import kg
    >>> from pathlib import Path
    >>> _ = Path("one.jsonl").write_text(
    ...     '{"id": "1", "title": "Tuning BERT", "abstract": "We fine-tune BERT on GLUE."}\\n', encoding="utf-8")
    >>> graph = kg.build(["one.jsonl"])
    >>> graph.report.papers, graph.temporary, graph.stats()["concepts"]
    (1, True, {'Dataset': 1, 'Method': 1, 'Model': 1})
    """
    from .build import build as run_build

    sources = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    temporary = None
    if output is None:
        import tempfile

        temporary = tempfile.TemporaryDirectory(prefix="paperkg-")
        output = Path(temporary.name) / "graph"
        options.setdefault("html", False)
    try:
        g, report = run_build(sources, output, **options)
    except BaseException:
        if temporary is not None:
            temporary.cleanup()
        raise
    return KnowledgeGraph(output, graph=g, report=report, temporary=temporary)


def open(path: str | Path) -> KnowledgeGraph:  # noqa: A001  (kg.open, as the API names it)
    """The graph in a folder `kg build` (or kg.build) wrote; FileNotFoundError, saying how to build
    one, when there is none.

    >>> import kg
    >>> kg.open("out").stats()["papers"]
    25
    >>> kg.open("nowhere")
    Traceback (most recent call last):
    FileNotFoundError: no graph at nowhere: build one with kg.build(INPUTS, 'nowhere') or ...
    """
    return KnowledgeGraph(path)


def extract(title: str, abstract: str = "") -> list[Entity]:
    """The entities of one paper (its title and abstract), as `kg extract` and `kg build` find them:
    name, type, aliases, role, confidence and mentions (offsets into title + newline + abstract).

    >>> import kg
    >>> [(e.name, e.type, e.role) for e in kg.extract("", "We evaluate BERT on SQuAD.")]
    [('BERT', 'Model', 'used'), ('SQuAD', 'Dataset', 'used')]
    """
    from .extract.pipeline import extract_text

    return extract_text(title, abstract)


def demo_corpus() -> Path:
    """The bundled demo corpus (five real listing pages, 482 papers): `kg.build([kg.demo_corpus()])`
    builds what `kg build --demo` does.

    >>> import kg
    >>> sorted(p.suffix for p in kg.demo_corpus().iterdir())[:1]
    ['.txt']
    """
    from .build import demo_corpus as bundled

    return bundled()
