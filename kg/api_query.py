"""KnowledgeGraph's SPARQL side: queries (named ones with bound parameters), counts, papers and concepts.

A mixin of kg.api.KnowledgeGraph: each method is one call into kg.store (what `kg query` runs) or
kg.stats (what `kg stats` prints), against the folder's store, opened once.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import KGStore, QueryResult

from .schema import ENTITY_TYPES

__all__ = ["QueryMixin", "PAPERS_QUERY", "CONCEPTS_QUERY"]

PAPERS_QUERY = """SELECT ?paper ?id ?title WHERE {
  ?paper a kg:Paper ; dcterms:identifier ?id ; dcterms:title ?title
} ORDER BY LCASE(STR(?title)) STR(?paper)"""
CONCEPTS_QUERY = """SELECT ?concept ?type ?label ?papers WHERE {
  ?concept a ?class ; skos:prefLabel ?label ; kg:paperCount ?papers .
  VALUES ?class { """ + " ".join(f"kg:{t}" for t in ENTITY_TYPES) + """ }
  BIND (STRAFTER(STR(?class), "#") AS ?type)
} ORDER BY DESC(?papers) LCASE(STR(?label)) STR(?concept)"""


class QueryMixin:
    """SPARQL over the graph's folder (needs `self.path`, the folder `kg build` wrote)."""

    path: Path
    _store: KGStore | None = None

    @property
    def store(self) -> KGStore:
        """The folder's store (kg.store.open_store: the persisted Oxigraph store), opened on first use.

        >>> import kg
        >>> len(kg.open("out").store) > 1000
        True
        """
        if self._store is None:
            from .store import open_store

            self._store = open_store(self.path)
        return self._store

    def query(self, sparql: str, *, allow_federated: bool = False, **params: str) -> QueryResult:
        """Run SPARQL, or a named query of ontology/queries/ with its parameters, as `kg query` does.

        Parameters are bound as literals (never pasted into the text); our prefixes (kg, dcterms,
        skos, ...) are bound. Raises kg.store.QueryError for bad SPARQL, an unknown named query or a
        missing or unknown parameter; SERVICE is refused unless `allow_federated`.

        >>> import kg
        >>> graph = kg.open("out")
        >>> graph.query("SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }").rows
        [('25',)]
        >>> result = graph.query("papers-using-dataset", dataset="imagenet")
        >>> result.columns, len(result)
        (['paper', 'title', 'relation', 'dataset'], 2)
        """
        from .store import run_query

        bound = {name: value if isinstance(value, str) else str(value) for name, value in params.items()}
        return run_query(self.store, sparql, bound, allow_federated=allow_federated)

    @staticmethod
    def queries() -> dict[str, str]:
        """The named queries (ontology/queries/*.rq) `query` runs by name: name -> description.

        >>> import kg
        >>> "top-datasets" in kg.open("out").queries()
        True
        """
        from .store import list_named_queries

        return list_named_queries()

    def stats(self) -> dict[str, int | dict[str, int]]:
        """What `kg stats` prints: {"papers": N, "concepts": {type: N}, "links": {relation: N}}.

        >>> import kg
        >>> counts = kg.open("out").stats()
        >>> counts["papers"], counts["concepts"]["Dataset"], counts["links"]["uses"]
        (25, 26, 111)
        """
        from .stats import graph_stats

        return graph_stats(self.store)

    @property
    def papers(self) -> QueryResult:
        """Every paper: IRI, identifier and title, by title (a QueryResult: .rows, .as_dicts(), .to_csv()).

        >>> import kg
        >>> papers = kg.open("out").papers
        >>> len(papers), papers.columns
        (25, ['paper', 'id', 'title'])
        """
        return self.query(PAPERS_QUERY)

    @property
    def concepts(self) -> QueryResult:
        """Every concept: IRI, type, label and number of papers, most papers first (a QueryResult).

        >>> import kg
        >>> concepts = kg.open("out").concepts
        >>> len(concepts), concepts.columns
        (213, ['concept', 'type', 'label', 'papers'])
        """
        return self.query(CONCEPTS_QUERY)
