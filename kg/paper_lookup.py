"""Which paper a user means: one resolver for every place that takes a paper by name.

The Python API (kg.api_graph: `concepts_of`, and kg.api_related: `related`) and related work
(kg.related: `kg related PAPER`) all turn what a user typed into one paper node with
:func:`resolve_paper`. The rules, tried in order, the first that matches anything deciding:

1. a node key ("paper/arxiv-2403.12345"), the paper id after "paper/", or its IRI (kg.schema.BASE + key);
2. an identifier: an arXiv id in any common spelling ("2403.12345", "arXiv:2403.12345v2", an arxiv.org
   URL, the arXiv DOI 10.48550/arXiv.2403.12345, old-style "hep-th/9901001"), a DOI with or without
   "https://doi.org/" or "doi:", or the input record's own id;
3. the exact title, normalised (case, accents and punctuation ignored: kg.ids.normalize_title);
4. part of the title (case-insensitive).

Identifiers are read with the readers' own helpers (kg.readers.common.arxiv_id_in,
kg.readers.scholarly.normalize_doi), so a spelling an input may use is a spelling a lookup accepts.
No networkx here: the related-work index, which has no graph, resolves with the same code.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .ids import normalize_title
from .readers.common import arxiv_id_in
from .readers.scholarly import normalize_doi
from .schema import BASE

__all__ = ["PaperRef", "PaperNotFound", "AmbiguousPaper", "RULES", "EXACT_RULES", "paper_refs", "match_papers",
           "lookup_papers", "resolve_paper"]

#: The rules in the order they are tried, as AmbiguousPaper.rule names them.
RULES: tuple[str, ...] = ("node key", "identifier", "exact title", "title part")
#: The rules that name a paper exactly: what a command that changes the graph (`kg remove`) accepts,
#: since a part of a title is too loose a name to delete a paper by.
EXACT_RULES: tuple[str, ...] = RULES[:3]
_RULE_TEXT = {"node key": "with this node key", "identifier": "with this identifier",
              "exact title": "with this exact title", "title part": "whose titles contain it"}
_ARXIV_KEY = "paper/arxiv-"  # kg.ids.paper_id: "arxiv-" + the id, "/" spelt "_"
_SHOWN = 10  # candidates named in an AmbiguousPaper message


def _clean(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class PaperRef:
    """What a lookup knows of one paper: node key, title, identifiers (arXiv id, record id) and DOIs."""

    key: str
    title: str = ""
    ids: tuple[str, ...] = ()
    dois: tuple[str, ...] = ()

    @cached_property
    def arxiv(self) -> frozenset[str]:
        """The paper's arXiv ids, bare and case-folded: from its identifiers, DOIs and node key."""
        found = {arxiv_id_in(v) for v in (*self.ids, *self.dois)}
        if self.key.startswith(_ARXIV_KEY):
            found.add(arxiv_id_in(self.key[len(_ARXIV_KEY):].replace("_", "/")))
        return frozenset(a.casefold() for a in found if a)

    @cached_property
    def doi_set(self) -> frozenset[str]:
        return frozenset(normalize_doi(d) or d.casefold() for d in self.dois)

    @cached_property
    def id_set(self) -> frozenset[str]:
        return frozenset(i.strip().casefold() for i in self.ids)

    @cached_property
    def normal_title(self) -> str:
        return normalize_title(self.title)

    @cached_property
    def clean_title(self) -> str:
        return _clean(self.title)


class PaperNotFound(LookupError):
    """No paper matches a reference by any rule."""

    def __init__(self, query: str, rules: Collection[str] = RULES) -> None:
        titles = "no title contains it" if "title part" in rules else "it is no paper's exact title"
        super().__init__(f"no paper matches {query!r}: it is no paper's node key, arXiv id, DOI or record id, "
                         f"and {titles}")
        self.query = query


class AmbiguousPaper(LookupError):
    """A paper reference that several papers match by the first rule that matches any; `candidates`
    are (key, title), sorted by key; `rule` is one of RULES."""

    def __init__(self, query: str, candidates: list[tuple[str, str]], rule: str = "title part") -> None:
        shown = ", ".join(k for k, _ in candidates[:_SHOWN])
        if len(candidates) > _SHOWN:
            shown += f", and {len(candidates) - _SHOWN} more"
        super().__init__(f"{query!r} names {len(candidates)} paper nodes {_RULE_TEXT.get(rule, rule)} ({shown}); "
                         "pass a node key, an arXiv id, a DOI or a longer part of the title")
        self.query = query
        self.candidates = candidates
        self.rule = rule


def paper_refs(g: Any) -> list[PaperRef]:
    """The PaperRef of every Paper node of a kg graph (kg.graph schema), in key order.

    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("paper/arxiv-2403.12345", kind="Paper", title="Pruning LLMs", arxiv_id="2403.12345",
    ...            record_id=None, dois=["10.1000/xyz"])
    >>> g.add_node("concept/method/pruning", kind="Concept", label="pruning")
    >>> paper_refs(g)
    [PaperRef(key='paper/arxiv-2403.12345', title='Pruning LLMs', ids=('2403.12345',), dois=('10.1000/xyz',))]
    """
    refs = []
    for key, d in g.nodes(data=True):
        if d.get("kind") != "Paper":
            continue
        ids = tuple(str(v) for v in (d.get("arxiv_id"), d.get("record_id")) if v)
        refs.append(PaperRef(str(key), str(d.get("title") or ""), ids, tuple(str(v) for v in d.get("dois") or ())))
    return sorted(refs, key=lambda r: r.key)


def _match(papers: Sequence[PaperRef], query: str, base: str,
           rules: Collection[str] = RULES) -> tuple[str, list[str]]:
    """(rule, sorted keys) of the first of `rules` that matches any paper; ("", []) when none does."""
    q = query.strip()
    if not q:
        return "", []
    if "node key" in rules:
        keys = {p.key for p in papers}
        iri = q[1:-1] if q.startswith("<") and q.endswith(">") else q
        for key in (q, f"paper/{q}", iri[len(base):] if base and iri.startswith(base) else None):
            if key in keys:
                return "node key", [key]
    if "identifier" in rules:
        arxiv = arxiv_id_in(q)
        arxiv = arxiv.casefold() if arxiv else None
        doi = normalize_doi(q)
        ident = q.casefold()
        hits = [p.key for p in papers
                if (arxiv and arxiv in p.arxiv) or (doi and doi in p.doi_set) or ident in p.id_set]
        if hits:
            return "identifier", sorted(hits)
    if "exact title" in rules:
        normal = normalize_title(q)
        hits = [p.key for p in papers if normal and p.normal_title == normal]
        if hits:
            return "exact title", sorted(hits)
    if "title part" in rules:
        part = _clean(q)
        hits = [p.key for p in papers if part in p.clean_title]
        if hits:
            return "title part", sorted(hits)
    return "", []


def lookup_papers(papers: Iterable[PaperRef], query: str, *, base: str = BASE,
                  rules: Collection[str] = RULES) -> tuple[str, list[str]]:
    """(rule, sorted keys): the first of `rules` (names from RULES, tried in RULES' order) that matches
    any paper, and the keys it matches; ("", []) when none does. For callers that weigh a paper match
    against other kinds of node (kg.views.find_nodes puts identifiers before concept labels, and
    concept labels before titles).

    >>> papers = [PaperRef("paper/a", "Federated Learning", ("2403.12345",))]
    >>> lookup_papers(papers, "arXiv:2403.12345v1"), lookup_papers(papers, "federated", rules=EXACT_RULES)
    (('identifier', ['paper/a']), ('', []))
    """
    return _match(list(papers), query, base, rules)


def match_papers(papers: Iterable[PaperRef], query: str, *, base: str = BASE,
                 rules: Collection[str] = RULES) -> list[str]:
    """Keys of the papers `query` names by the first rule that matches any (see the module's doc),
    sorted; [] when none does. `base` is the IRI prefix of node keys.

    >>> papers = [PaperRef("paper/a", "Federated Learning"), PaperRef("paper/b", "Federated Learning at Scale")]
    >>> match_papers(papers, "federated learning"), match_papers(papers, "Federated"), match_papers(papers, "GANs")
    (['paper/a'], ['paper/a', 'paper/b'], [])
    """
    return _match(list(papers), query, base, rules)[1]


def resolve_paper(papers: Iterable[PaperRef], query: str, *, base: str = BASE,
                  rules: Collection[str] = RULES) -> str:
    """The node key of the one paper `query` names: a node key or IRI, an arXiv id (any spelling),
    a DOI, a record id, the exact title, or a part of the title only one title has. `rules` narrows
    the rules tried (EXACT_RULES: no title parts).

    Raises PaperNotFound when none matches, AmbiguousPaper (a LookupError naming the candidates and
    the rule they matched by) when several do.

    >>> papers = [
    ...     PaperRef("paper/arxiv-2403.12345", "Pruning Large Language Models", ("2403.12345",), ("10.1000/xyz",)),
    ...     PaperRef("paper/arxiv-hep-th_9901001", "Strings at large", ("hep-th/9901001",)),
    ...     PaperRef("paper/t-1", "Pruning Large Language Models at Scale")]
    >>> {resolve_paper(papers, q) for q in ("arXiv:2403.12345v2", "2403.12345", "https://arxiv.org/abs/2403.12345",
    ...                                     "https://doi.org/10.1000/XYZ", "pruning large language models!")}
    {'paper/arxiv-2403.12345'}
    >>> resolve_paper(papers, "HEP-TH/9901001v1"), resolve_paper(papers, "at Scale")
    ('paper/arxiv-hep-th_9901001', 'paper/t-1')
    >>> resolve_paper(papers, "language models")
    Traceback (most recent call last):
    kg.paper_lookup.AmbiguousPaper: 'language models' names 2 paper nodes whose titles contain it (paper/arxiv-2403.12345, paper/t-1); ...
    """
    papers = list(papers)
    rule, keys = _match(papers, query, base, rules)
    if not keys:
        raise PaperNotFound(query, rules)
    if len(keys) > 1:
        titles = {p.key: p.title for p in papers}
        raise AmbiguousPaper(query, [(k, titles[k]) for k in keys], rule)
    return keys[0]
