"""KnowledgeGraph's graph side: a paper's concepts, a concept's papers, names to nodes, communities.

A mixin of kg.api.KnowledgeGraph, so that a notebook or script needs only `import kg`: each method is
one call into kg.graph or kg.views on the folder's graph, taking a name where a node key is awkward
to type.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["GraphMixin"]


class GraphMixin:
    """Graph lookups (needs `self._nx()`, the folder's networkx graph)."""

    def _nx(self) -> nx.MultiDiGraph:  # provided by KnowledgeGraph
        raise NotImplementedError

    def find(self, name: str) -> list[str]:
        """Node keys a name stands for, case-insensitively: a node key; else the concepts whose label or
        an alias is `name`; else the papers whose title contains it (what `kg view --around` looks up).

        Raises kg.views.NodeNotFound, a LookupError naming close labels and titles, when nothing matches.

        >>> import kg
        >>> kg.open("out").find("Large Language Models")
        ['concept/method/large-language-models']
        >>> kg.open("out").find("BadChain: Backdoor")
        ['paper/t-19bd8513e82da1ba']
        """
        from .views import find_nodes

        return find_nodes(self._nx(), name)

    def _one(self, name: str, kind: str) -> str:
        g = self._nx()
        keys = [k for k in self.find(name) if g.nodes[k].get("kind") == kind]
        if not keys and kind == "Paper":  # a concept named like the paper ("BadChain") shadows its title
            needle = name.casefold()
            keys = sorted(k for k, d in g.nodes(data=True)
                          if d.get("kind") == "Paper" and needle in str(d.get("title", "")).casefold())
        if len(keys) != 1:
            found = ", ".join(keys) if keys else "none"
            raise LookupError(f"{name!r} names {len(keys)} {kind.lower()} nodes ({found}); pass a node key")
        return keys[0]

    def concepts_of(self, paper: str, relation: str | None = None) -> list[tuple[str, str]]:
        """(relation, concept key) pairs of one paper (a node key or part of its title), sorted,
        optionally of one relation only ("proposes", "uses", "comparesWith", "addresses", ...).

        >>> import kg
        >>> kg.open("out").concepts_of("BadChain", relation="proposes")
        [('proposes', 'concept/method/badchain')]
        """
        from .graph import concepts_of  # `import kg` stays light: networkx only when asked

        return concepts_of(self._nx(), self._one(paper, "Paper"), relation)

    def papers_using(self, concept: str) -> list[tuple[str, str]]:
        """(paper key, relation) of every paper linked to one concept (a node key, label or alias),
        sorted.

        >>> import kg
        >>> kg.open("out").papers_using("large language models")[0]
        ('paper/t-19bd8513e82da1ba', 'uses')
        """
        from .graph import papers_using

        return papers_using(self._nx(), self._one(concept, "Concept"))

    def communities(self) -> list[list[str]]:
        """Louvain communities of the graph (fixed seed, relatedTo links left out), largest first, each
        a sorted list of node keys: the colours of `view(..., kind="communities")`.

        >>> import kg
        >>> groups = kg.open("out").communities()
        >>> groups == kg.open("out").communities(), len(groups[0]) >= len(groups[-1])
        (True, True)
        """
        from .views import communities

        return communities(self._nx())

