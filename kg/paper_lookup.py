"""Which paper a user means: one resolver for every place that takes a paper by name.

The Python API (kg.api_graph: `concepts_of`, and kg.api_related: `related`) and related work
(kg.related: `kg related PAPER`) all turn what a user typed into one paper node with
:func:`resolve_paper`. The rules, tried in order, the first that matches anything deciding:

1. a node key ("paper/arxiv-2403.12345"), the paper id after "paper/", or its IRI (kg.schema.BASE + key);
2. an identifier: an arXiv id in any common spelling ("2403.12345", "arXiv:2403.12345v2", an arxiv.org
   URL, the arXiv DOI 10.48550/arXiv.2403.12345, old-style "hep-th/9901001") or a DOI with or without
   "https://doi.org/" or "doi:";
3. the input record's own id (a BibTeX citation key, a PMID, ...), case-insensitively;
4. the exact title, normalised (case, accents and punctuation ignored: kg.ids.normalize_title);
5. part of the title (case-insensitive).

An input is an identifier only when the whole of it is one (:func:`identifier_in`): "Comment on
arXiv:1706.03762" is a title, not the arXiv id it mentions. DOIs are read with the readers' own
kg.readers.scholarly.normalize_doi, so a DOI spelling an input may use is one a lookup accepts.
A command that deletes papers resolves with ``unanimous=True``: when different rules name different
papers, that is an AmbiguousPaper naming them all, not the first rule's paper.
No networkx here: the related-work index, which has no graph, resolves with the same code.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .ids import normalize_title
from .readers.scholarly import normalize_doi
from .schema import BASE

if TYPE_CHECKING:
    from .model import Paper

__all__ = ["PaperRef", "PaperNotFound", "AmbiguousPaper", "RULES", "EXACT_RULES", "paper_refs", "match_papers",
           "lookup_papers", "resolve_paper", "identifier_in"]

#: The rules in the order they are tried, as AmbiguousPaper.rule names them.
RULES: tuple[str, ...] = ("node key", "identifier", "record id", "exact title", "title part")
#: The rules that name a paper exactly: what a command that changes the graph (`kg remove`) accepts,
#: since a part of a title is too loose a name to delete a paper by.
EXACT_RULES: tuple[str, ...] = RULES[:4]
_RULE_TEXT = {"node key": "with this node key", "identifier": "with this identifier",
              "record id": "with this record id", "exact title": "with this exact title",
              "title part": "whose titles contain it"}
# The whole of an input that is an arXiv id: bare, "arXiv:" prefixed, or an arxiv.org abs / pdf URL.
_ARXIV_WHOLE = re.compile(
    r"(?:(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:\s*)?"
    r"(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[a-z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?/?",
    re.IGNORECASE,
)
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(?P<id>.+)")
_ARXIV_KEY = "paper/arxiv-"  # kg.ids.paper_id: "arxiv-" + the id, "/" spelt "_"
_SHOWN = 10  # candidates named in an AmbiguousPaper message


def _clean(text: str) -> str:
    return " ".join(text.split()).casefold()


def _arxiv_whole(text: str) -> str | None:
    m = _ARXIV_WHOLE.fullmatch(text)
    if m is None:
        return None
    found = m.group("id")
    if re.fullmatch(r"\d{4}\.\d{4,5}", found) and not 1 <= int(found[2:4]) <= 12:
        return None  # "2413.12345" has no month 13: not an arXiv id
    return found


def _identifiers(value: object) -> tuple[str | None, str | None]:
    """(bare arXiv id, normalised DOI) of a value that, as a whole, is one; None for what it is not.
    The arXiv DOI 10.48550/arXiv.X gives both."""
    if not isinstance(value, str):
        return None, None
    text = value.strip()
    if not text:
        return None, None
    doi = normalize_doi(text)
    arxiv = _arxiv_whole(text)
    if arxiv is None and doi:
        m = _ARXIV_DOI.fullmatch(doi)
        arxiv = _arxiv_whole(m.group("id")) if m else None
    return arxiv, doi


def identifier_in(query: str) -> tuple[str, str] | None:
    """("arXiv id", bare id) or ("DOI", normalised DOI) when the whole of `query` (spaces, an "arXiv:" or
    "doi:" prefix and an arxiv.org / doi.org URL aside) is one, else None: an identifier merely
    mentioned in a longer text (a title such as "Comment on arXiv:1706.03762") is not read.

    >>> identifier_in(" arXiv:2403.12345v2 "), identifier_in("https://doi.org/10.1000/XYZ")
    (('arXiv id', '2403.12345'), ('DOI', '10.1000/xyz'))
    >>> identifier_in("Comment on arXiv:1706.03762"), identifier_in("see doi:10.1000/xyz")
    (None, None)
    """
    arxiv, doi = _identifiers(query)
    if arxiv:
        return "arXiv id", arxiv
    return ("DOI", doi) if doi else None


@dataclass(frozen=True)
class PaperRef:
    """What a lookup knows of one paper: node key, title, identifiers (arXiv id, record id) and DOIs."""

    key: str
    title: str = ""
    ids: tuple[str, ...] = ()
    dois: tuple[str, ...] = ()

    @classmethod
    def from_paper(cls, paper: Paper, extra_ids: Iterable[str] = ()) -> PaperRef:
        """The PaperRef of a kg.model.Paper (node key "paper/" + its id), its arXiv id and record id
        with `extra_ids` (the ids of records merged into it) as its identifiers.

        >>> from kg.model import Paper
        >>> PaperRef.from_paper(Paper("arxiv-1", "T", "x", arxiv_id="1", record_id="k"), ["k2"])
        PaperRef(key='paper/arxiv-1', title='T', ids=('1', 'k', 'k2'), dois=())
        """
        ids = {v for v in (paper.arxiv_id, paper.record_id, *extra_ids) if v}
        return cls(f"paper/{paper.id}", paper.title, tuple(sorted(ids)), tuple(paper.dois))

    @cached_property
    def arxiv(self) -> frozenset[str]:
        """The paper's arXiv ids, bare and case-folded: from those of its identifiers and DOIs that are
        one as a whole (identifier_in), and its node key."""
        found = {_identifiers(v)[0] for v in (*self.ids, *self.dois)}
        if self.key.startswith(_ARXIV_KEY):
            found.add(_arxiv_whole(self.key[len(_ARXIV_KEY):].replace("_", "/")))
        return frozenset(a.casefold() for a in found if a)

    @cached_property
    def doi_set(self) -> frozenset[str]:
        """The paper's DOIs, normalised (normalize_doi; lower case, no prefix)."""
        return frozenset(normalize_doi(d) or d.casefold() for d in self.dois)

    @cached_property
    def id_set(self) -> frozenset[str]:
        """The paper's identifiers (arXiv id, record ids) as the "record id" rule compares them: stripped, case-folded."""
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


def _shown(keys: Sequence[str]) -> str:
    shown = ", ".join(keys[:_SHOWN])
    if len(keys) > _SHOWN:
        shown += f", and {len(keys) - _SHOWN} more"
    return shown


class AmbiguousPaper(LookupError):
    """A paper reference that several papers match: by the first rule that matches any, or (with
    resolve_paper's `unanimous`) by different rules. `candidates` are (key, title), sorted by key; `rule`
    is one of RULES, or "several rules", when `by_rule` holds each rule's (rule, keys) in RULES' order."""

    def __init__(self, query: str, candidates: list[tuple[str, str]], rule: str = "title part",
                 by_rule: Sequence[tuple[str, list[str]]] = ()) -> None:
        if by_rule:
            what = "; ".join(f"{_RULE_TEXT.get(r, r)}: {_shown(keys)}" for r, keys in by_rule)
            how = f"by different rules ({what})"
        else:
            how = f"{_RULE_TEXT.get(rule, rule)} ({_shown([k for k, _ in candidates])})"
        super().__init__(f"{query!r} names {len(candidates)} paper nodes {how}; "
                         "pass a node key, an arXiv id, a DOI or a longer part of the title")
        self.query = query
        self.candidates = candidates
        self.rule = rule
        self.by_rule = list(by_rule)


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


def _matches(papers: Sequence[PaperRef], query: str, base: str,
             rules: Collection[str] = RULES) -> Iterator[tuple[str, list[str]]]:
    """(rule, sorted keys) of each of `rules` that matches any paper, in RULES' order, lazily."""
    q = query.strip()
    if not q:
        return
    if "node key" in rules:
        keys = {p.key for p in papers}
        iri = q[1:-1] if q.startswith("<") and q.endswith(">") else q
        for key in (q, f"paper/{q}", iri[len(base):] if base and iri.startswith(base) else None):
            if key in keys:
                yield "node key", [key]
                break
    if "identifier" in rules:
        arxiv, doi = _identifiers(q)
        arxiv = arxiv.casefold() if arxiv else None
        hits = [p.key for p in papers if (arxiv and arxiv in p.arxiv) or (doi and doi in p.doi_set)]
        if hits:
            yield "identifier", sorted(hits)
    if "record id" in rules:
        ident = q.casefold()
        hits = [p.key for p in papers if ident in p.id_set]
        if hits:
            yield "record id", sorted(hits)
    if "exact title" in rules:
        normal = normalize_title(q)
        hits = [p.key for p in papers if normal and p.normal_title == normal]
        if hits:
            yield "exact title", sorted(hits)
    if "title part" in rules:
        part = _clean(q)
        hits = [p.key for p in papers if part in p.clean_title]
        if hits:
            yield "title part", sorted(hits)


def _match(papers: Sequence[PaperRef], query: str, base: str,
           rules: Collection[str] = RULES) -> tuple[str, list[str]]:
    """(rule, sorted keys) of the first of `rules` that matches any paper; ("", []) when none does."""
    return next(_matches(papers, query, base, rules), ("", []))


def lookup_papers(papers: Iterable[PaperRef], query: str, *, base: str = BASE,
                  rules: Collection[str] = RULES) -> tuple[str, list[str]]:
    """(rule, sorted keys): the first of `rules` (names from RULES, tried in RULES' order) that matches
    any paper, and the keys it matches; ("", []) when none does. For callers that weigh a paper match
    against other kinds of node (kg.views.find_nodes puts identifiers before concept labels, and
    concept labels before record ids and titles).

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
                  rules: Collection[str] = RULES, unanimous: bool = False) -> str:
    """The node key of the one paper `query` names: a node key or IRI, an arXiv id (any spelling),
    a DOI, a record id, the exact title, or a part of the title only one title has. `rules` narrows
    the rules tried (EXACT_RULES: no title parts). By default the first rule that matches decides;
    with `unanimous` (for a command that deletes what it resolves) every rule is tried, and rules
    naming different papers are an AmbiguousPaper naming each rule's papers.

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
    >>> papers = [PaperRef("paper/t-1", "BERT", ()), PaperRef("paper/t-2", "Pre-training", ("bert",))]
    >>> resolve_paper(papers, "bert")
    'paper/t-2'
    >>> resolve_paper(papers, "bert", rules=EXACT_RULES, unanimous=True)
    Traceback (most recent call last):
    kg.paper_lookup.AmbiguousPaper: 'bert' names 2 paper nodes by different rules (with this record id: paper/t-2; with this exact title: paper/t-1); ...
    """
    papers = list(papers)
    titles = {p.key: p.title for p in papers}
    if unanimous:
        by_rule = list(_matches(papers, query, base, rules))
        keys = sorted({k for _, ks in by_rule for k in ks})
        if len(keys) > 1 and len(by_rule) > 1:
            raise AmbiguousPaper(query, [(k, titles[k]) for k in keys], "several rules", by_rule)
        rule = by_rule[0][0] if by_rule else ""
    else:
        rule, keys = _match(papers, query, base, rules)
    if not keys:
        raise PaperNotFound(query, rules)
    if len(keys) > 1:
        raise AmbiguousPaper(query, [(k, titles[k]) for k in keys], rule)
    return keys[0]
