"""KnowledgeGraph's related-work side: the papers to read next, for a paper of the graph or a draft.

A mixin of kg.api.KnowledgeGraph: each method is one call into kg.related.related (what `kg related`
runs), with the folder's saved index (DIR/related), loaded once.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .related import RelatedIndex, Suggestion

__all__ = ["RelatedMixin"]


class RelatedMixin:
    """Related-work ranking (needs `self.path`, the folder `kg build` wrote)."""

    path: Path
    _index: RelatedIndex | None = None

    def _related_index(self) -> RelatedIndex:
        if self._index is None:
            from .related import open_index

            self._index = open_index(self.path)
        return self._index

    def related(self, paper: str, top: int = 5) -> list[Suggestion]:
        """The `top` papers to read next for `paper`, best first, each with its score and reasons, as
        `kg related PAPER` ranks them. `paper` is named as `paper()` takes it (kg.paper_lookup): node
        key or IRI, arXiv id in any spelling, DOI, record id, the exact title or a part of it.

        Raises kg.related.PaperNotFound when no paper matches, kg.related.AmbiguousPaper (its
        `candidates` listed) when several do; both are LookupErrors.

        >>> import kg
        >>> graph = kg.open("out")
        >>> first = graph.related("BadChain", top=3)[0]
        >>> first.title, first.reasons[0]
        ('HelpSteer2: Open-source dataset for training top-performing reward models', 'both use large language models')
        """
        from .related import related

        return related(self._related_index(), paper, top=top)

    def related_text(self, title: str, abstract: str = "", top: int = 5) -> list[Suggestion]:
        """The `top` papers of the graph to read next for a draft not in it, as `kg related --text` ranks them.

        >>> import kg
        >>> found = kg.open("out").related_text("Backdoor attacks on chain-of-thought prompting",
        ...                                     "We attack large language models through their reasoning steps.")
        >>> found[0].title
        'BadChain: Backdoor Chain-of-Thought Prompting for Large Language Models'
        """
        from .related import related

        return related(self._related_index(), title=title, abstract=abstract, top=top)
