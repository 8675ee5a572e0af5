"""KnowledgeGraph's outputs: exports to files, interactive views, networkx and rdflib graphs.

A mixin of kg.api.KnowledgeGraph: each method is one call into kg.rdf (the deterministic writers
`kg build` uses) or kg.views (what `kg view` writes), on the graph parsed once from the folder.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx
    import rdflib

    from .views import ViewInfo

__all__ = ["ExportMixin", "RDF_FORMATS", "export_rdf"]

RDF_FORMATS: tuple[str, ...] = ("ttl", "nt", "jsonld")


def export_rdf(g: nx.MultiDiGraph, fmt: str, output: str | Path) -> Path:
    """Write `g` as Turtle, N-Triples or JSON-LD to the file `output` (or DIR/kg.FMT when `output` is a
    folder; missing folders are made) with kg.rdf.write_rdf: atomically, byte for byte what `kg build` writes.

    >>> from kg.rdf import read_rdf
    >>> export_rdf(read_rdf("out"), "nt", "copy.nt").read_bytes() == Path("out/kg.nt").read_bytes()
    True
    """
    from .rdf import write_rdf

    output = Path(output)
    if output.is_dir():
        return write_rdf(g, output, [fmt])[fmt]
    # write_rdf names its files kg.FMT: write in a folder beside the target, then move the file over it.
    output.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".kg-export.", dir=output.parent))
    try:
        written = write_rdf(g, stage, [fmt])[fmt]
        os.replace(written, output)
    finally:
        for leftover in stage.iterdir():
            leftover.unlink()
        stage.rmdir()
    return output


def _export_other(g: nx.MultiDiGraph, fmt: str, output: str | Path) -> Any:
    from .export import EXPORT_FORMATS, export_graph

    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose from {', '.join((*RDF_FORMATS, *EXPORT_FORMATS))}")
    return export_graph(g, fmt, output)


class ExportMixin:
    """Files and graph objects from the graph (needs `self._nx()`, the parsed graph, and `self.path`)."""

    path: Path

    def _nx(self) -> nx.MultiDiGraph:  # provided by KnowledgeGraph
        raise NotImplementedError

    def export(self, fmt: str, output: str | Path) -> Any:
        """Write the graph as `fmt` to `output` and return what was written.

        RDF formats ("ttl", "nt", "jsonld") go through kg.rdf's writers, byte for byte as `kg build`
        writes them; `output` is the file (or a folder, to get FOLDER/kg.FMT). The others ("graphml",
        "gexf", "neo4j", "cytoscape", "node-link") are kg.export.export_graph's, which returns the list
        of paths written. Raises ValueError for a format it does not know.

        >>> import kg
        >>> kg.open("out").export("ttl", "graph.ttl")
        PosixPath('graph.ttl')
        >>> import rdflib
        >>> len(rdflib.Graph().parse("graph.ttl", format="turtle")) > 1000
        True
        >>> kg.open("out").export("gexf", "graph.gexf")
        [PosixPath('graph.gexf')]
        """
        fmt = fmt.lower().removeprefix(".")
        if fmt in RDF_FORMATS:
            return export_rdf(self._nx(), fmt, output)
        return _export_other(self._nx(), fmt, output)

    def view(self, path: str | Path, kind: str | None = None, *, around: str | None = None, depth: int = 1,
             types: str | Iterable[str] | None = None, max_nodes: int | None = None,
             title: str | None = None) -> ViewInfo:
        """Write an interactive, offline HTML view (one file) as `kg view` does, and say what it shows.

        `kind`: "overview" (the default without `around`: concepts of two or more papers, one region per
        community), "papers-map", "papers" (the default with `around`), "cooccurrence", "ego" (needs
        `around`) or "communities"; `around`: a concept
        label or alias, or part of a paper title, drawn with what lies within `depth` hops; `types`:
        node groups to keep ("Dataset,Model"); `max_nodes`: the cap (default kg.views.DEFAULT_MAX_NODES).
        Raises kg.views.NodeNotFound when `around` matches nothing. See kg.views.write_view.

        >>> import kg
        >>> info = kg.open("out").view("imagenet.html", around="ImageNet")
        >>> info.nodes_shown > 1, Path("imagenet.html").read_text().startswith("<!DOCTYPE html>")
        (True, True)
        """
        from .views import DEFAULT_MAX_NODES, write_view

        return write_view(self._nx(), path, kind=kind, around=around, depth=depth, types=types,
                          max_nodes=DEFAULT_MAX_NODES if max_nodes is None else max_nodes, title=title,
                          graph_dir=None if getattr(self, "temporary", False) else self.path)

    def to_networkx(self) -> nx.MultiDiGraph:
        """The graph as a networkx MultiDiGraph (schema in kg.graph): a new copy each call, so changing it
        leaves this KnowledgeGraph as it is.

        >>> import kg
        >>> g = kg.open("out").to_networkx()
        >>> sum(1 for _, kind in g.nodes(data="kind") if kind == "Paper")
        25
        """
        return self._nx().copy()

    def to_rdflib(self) -> rdflib.Graph:
        """The graph as an rdflib Graph (kg.rdf.to_rdf: the triples of kg.nt, our prefixes bound).

        >>> import kg
        >>> rdf = kg.open("out").to_rdflib()
        >>> len(rdf) == len(kg.open("out").store)
        True
        """
        from .rdf import to_rdf

        return to_rdf(self._nx())
