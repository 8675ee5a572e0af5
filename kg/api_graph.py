"""KnowledgeGraph's graph side: a paper's concepts, a concept's papers, names to nodes, communities.

A mixin of kg.api.KnowledgeGraph, so that a notebook or script needs only `import kg`: each method is
one call into kg.graph or kg.views on the folder's graph, taking a name where a node key is awkward
to type.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

    from .paper_lookup import PaperRef

__all__ = ["GraphMixin"]


class GraphMixin:
    """Graph lookups (needs `self._nx()`, the folder's networkx graph)."""

    def _nx(self) -> nx.MultiDiGraph:  # provided by KnowledgeGraph
        raise NotImplementedError

    _paper_refs: tuple[nx.MultiDiGraph, list[PaperRef]] | None = None

    def find(self, name: str, *, kinds: str | Iterable[str] | None = None) -> list[str]:
        """Node keys a name stands for, case-insensitively (what `kg view --around` looks up;
        kg.views.find_nodes): a node key; else a paper's IRI, arXiv id in any spelling or DOI (bare,
        doi:, a doi.org URL), when the whole name is one, read by kg.paper_lookup as `paper` reads them;
        else the concepts whose label or an alias is `name`; else the papers whose record id it is
        (a BibTeX key "imagenet" names the concept ImageNet first), else whose exact title it is, else
        whose title contains it. Several papers are an answer here; `paper` wants exactly one.

        `kinds` looks among those kinds of node only: "Paper", a concept type ("Dataset", "Method",
        ...), "Concept" for all five, "CodeRepository"; a comma-separated string or a list.

        Raises kg.views.NodeNotFound, a LookupError naming close labels and titles, when nothing matches;
        ValueError for an unknown kind.

        >>> import kg
        >>> kg.open("out").find("Large Language Models")
        ['concept/method/large-language-models']
        >>> kg.open("out").find("BadChain: Backdoor")
        ['paper/t-19bd8513e82da1ba']
        >>> kg.open("out").find("BadChain"), kg.open("out").find("BadChain", kinds="Paper")
        (['concept/method/badchain'], ['paper/t-19bd8513e82da1ba'])
        """
        from .views import find_nodes

        return find_nodes(self._nx(), name, kinds=kinds)

    def paper(self, name: str) -> str:
        """The node key of the one paper `name` names: a node key or IRI, an arXiv id in any spelling
        ("2403.12345", "arXiv:2403.12345v2", "hep-th/9901001", an arxiv.org URL), a DOI (with or
        without https://doi.org/), a record id, the exact title (case and punctuation aside), else a
        part of the title only one paper has (kg.paper_lookup.resolve_paper, as `related` resolves).

        Raises kg.paper_lookup.PaperNotFound or AmbiguousPaper (LookupErrors; the latter names the
        candidates) when none or several match.

        >>> import kg
        >>> kg.open("out").paper("badchain: backdoor chain-of-thought prompting for large language models")
        'paper/t-19bd8513e82da1ba'
        """
        from .paper_lookup import paper_refs, resolve_paper

        g = self._nx()
        if self._paper_refs is None or self._paper_refs[0] is not g:
            self._paper_refs = (g, paper_refs(g))
        return resolve_paper(self._paper_refs[1], name)

    def _one(self, name: str, kind: str) -> str:
        if kind == "Paper":
            return self.paper(name)
        g = self._nx()
        keys = [k for k in self.find(name) if g.nodes[k].get("kind") == kind]
        if len(keys) != 1:
            found = ", ".join(keys) if keys else "none"
            raise LookupError(f"{name!r} names {len(keys)} {kind.lower()} nodes ({found}); pass a node key")
        return keys[0]

    def concepts_of(self, paper: str, relation: str | None = None) -> list[tuple[str, str]]:
        """(relation, concept key) pairs of one paper, sorted, optionally of one relation only
        ("proposes", "uses", "comparesWith", "addresses", ...). The paper is named as `paper` takes
        it: node key, arXiv id, DOI, record id, title or a part of it only one title has.

        >>> import kg
        >>> kg.open("out").concepts_of("BadChain", relation="proposes")
        [('proposes', 'concept/method/backdoor-chain-of-thought-prompting'), ('proposes', 'concept/method/badchain')]
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

