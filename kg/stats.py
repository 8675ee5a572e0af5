"""Counts of a built graph: papers, concepts per type, links per relation (what `kg stats` prints).

Three SPARQL aggregates over the store (kg.store), so a folder is counted without parsing it into networkx.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import KGStore

from .schema import EDGE_KEYS, ENTITY_TYPES

__all__ = ["STATS_QUERIES", "graph_stats"]

_TYPES = " ".join(f"kg:{t}" for t in ENTITY_TYPES)
_EDGES = " ".join(f"kg:{r}" for r in EDGE_KEYS)
STATS_QUERIES = {
    "papers": "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Paper }",
    "concepts": f"SELECT ?t (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c a ?t . VALUES ?t {{ {_TYPES} }} }} GROUP BY ?t ORDER BY ?t",
    "links": f"SELECT ?r (COUNT(*) AS ?n) WHERE {{ ?p ?r ?c . ?p a kg:Paper . VALUES ?r {{ {_EDGES} }} }} GROUP BY ?r ORDER BY ?r",
}


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1]


def graph_stats(graph: str | Path | KGStore) -> dict[str, int | dict[str, int]]:
    """{"papers": N, "concepts": {type: N}, "links": {relation: N}} of a `kg build` folder or an open store.

    Types and relations are the ontology's local names, in alphabetical order (as `kg stats` lists them);
    a type or relation the graph has none of is left out. Raises kg.store.QueryError for a missing graph.

    Examples
    --------
    >>> counts = graph_stats("out")
    >>> counts["papers"], sorted(counts["concepts"])
    (25, ['Dataset', 'Method', 'Metric', 'Model', 'Task'])
    >>> counts["links"]["relatedTo"]
    125
    """
    from .store import open_store, run_query

    store = open_store(graph) if isinstance(graph, (str, Path)) else graph
    return {
        "papers": int(run_query(store, STATS_QUERIES["papers"]).rows[0][0]),
        "concepts": {_local(t): int(n) for t, n in run_query(store, STATS_QUERIES["concepts"]).rows},
        "links": {_local(r): int(n) for r, n in run_query(store, STATS_QUERIES["links"]).rows},
    }
