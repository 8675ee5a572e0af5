"""Merge records of the same paper (same arXiv id, same DOI, or same normalised title and alike abstracts),
keeping all provenance."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np

from .ids import normalize_title, paper_id, variant_paper_id
from .model import Paper

__all__ = ["ABSTRACT_SIMILARITY", "abstracts_alike", "deduplicate"]

ABSTRACT_SIMILARITY = 0.5  # word-set Jaccard at or above which two same-title abstracts are one paper


class _Group:
    """A kept paper (a private copy once something is merged into it) and what it already holds."""

    __slots__ = ("paper", "sources", "code_urls", "alive", "_words")

    def __init__(self, paper: Paper):
        self.paper = paper
        self.sources: set | None = None  # built on the first merge, so unique papers cost nothing
        self.code_urls: set | None = None
        self.alive = True
        self._words: np.ndarray | None = None  # computed only when another record has its title

    def words(self, vocabulary: "_Vocabulary") -> np.ndarray:
        """The words of its first abstract (the one compared with same-title records), as word ids."""
        if self._words is None:
            self._words = vocabulary.words(self.paper.abstract)
        return self._words

    def absorb(self, other: Paper) -> None:
        """Merge `other` in: all sources and code links added, missing fields filled."""
        p = self.paper
        if self.sources is None:
            p = self.paper = replace(p, authors=list(p.authors), categories=list(p.categories),
                                     code_urls=list(p.code_urls), sources=list(p.sources), dois=list(p.dois))
            self.sources, self.code_urls = set(p.sources), set(p.code_urls)
        for s in other.sources:
            if s not in self.sources:
                self.sources.add(s)
                p.sources.append(s)
        for u in other.code_urls:
            if u not in self.code_urls:  # type: ignore[operator]
                self.code_urls.add(u)  # type: ignore[union-attr]
                p.code_urls.append(u)
        retitled = False
        for doi in other.dois:
            if doi not in p.dois:
                p.dois.append(doi)
        if not p.title and other.title:
            p.title, retitled = other.title, True
        if not p.authors and other.authors:
            p.authors = list(other.authors)
        if not p.categories and other.categories:
            p.categories = list(other.categories)
        if p.url is None and other.url:
            p.url = other.url
        if p.date is None and other.date:
            p.date = other.date
        if p.arxiv_id is None and other.arxiv_id:
            p.arxiv_id = other.arxiv_id
            retitled = True
            if p.url is None:
                p.url = f"https://arxiv.org/abs/{p.arxiv_id}"
        if retitled:
            p.id = paper_id(p.title, p.arxiv_id)


def _title_key(paper: Paper) -> str:
    """Normalised title; for a paper without title, a digest of its normalised abstract."""
    key = normalize_title(paper.title)
    if key:
        return key
    body = normalize_title(paper.abstract)
    return "\0abstract:" + hashlib.sha1(body.encode("utf-8")).hexdigest() if body else ""


class _Vocabulary:
    """Each distinct normalised word once, as a dense id.

    A paper's word set is then a sorted int32 array (about 0.4 KB for an abstract) instead of a
    frozenset of strings (about 10 KB). A synthetic corpus whose titles repeat needs the words of
    nearly every paper at once: 1.5 GB at 100k papers as frozensets, which stayed in the build
    process's footprint after deduplication.
    """

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def words(self, text: str | None) -> np.ndarray:
        """The ids of the distinct normalised words of `text`, ascending."""
        ids = self._ids
        return np.array(sorted({ids.setdefault(w, len(ids)) for w in normalize_title(text or "").split()}),
                        dtype=np.int32)


def _alike(a: np.ndarray, b: np.ndarray) -> bool:
    if not a.size or not b.size:
        return True  # a missing abstract cannot tell the records apart: the title decides
    small, large = (a.size, b.size) if a.size <= b.size else (b.size, a.size)
    if small < ABSTRACT_SIMILARITY * large:  # Jaccard <= small / large: no need to intersect
        return False
    shared = np.intersect1d(a, b, assume_unique=True).size
    return shared >= ABSTRACT_SIMILARITY * (a.size + b.size - shared)


class _Holders:
    """The groups that hold one title key, in first-seen order.

    Comparing a record with every same-title group is quadratic when many different papers share a
    title (a synthetic corpus drawing titles with replacement has hundreds per title), so past a few
    groups a numpy filter runs first: words hashed into _BUCKETS counts; the sum over buckets of the
    smaller count bounds the shared words from above, so groups it rules out cannot be alike and
    only the few left are compared exactly. The result is the same as comparing all in order.
    """

    __slots__ = ("_counts", "_groups", "_probe", "_sizes", "_vocabulary", "ids")

    def __init__(self, groups: list[_Group], vocabulary: _Vocabulary) -> None:
        self.ids: list[int] = []
        self._groups = groups
        self._vocabulary = vocabulary
        self._counts: Any = None  # numpy (rows x _BUCKETS) once there are _FILTER_FROM groups
        self._sizes: Any = None
        self._probe: tuple[np.ndarray, Any] | None = None  # the last words probed, often added next

    def add(self, group: int) -> None:
        """List one more group holding the title."""
        self.ids.append(group)
        n = len(self.ids)
        if self._counts is not None:
            if n > len(self._counts):
                self._counts = np.concatenate([self._counts, np.zeros_like(self._counts)])
                self._sizes = np.concatenate([self._sizes, np.zeros_like(self._sizes)])
            self._set_row(n - 1)
        elif n >= _FILTER_FROM:
            self._counts = np.zeros((2 * n, _BUCKETS), dtype=np.uint16)
            self._sizes = np.zeros(2 * n, dtype=np.int64)
            for k in range(n):
                self._set_row(k)

    def _set_row(self, k: int) -> None:
        words = self._groups[self.ids[k]].words(self._vocabulary)
        probe = self._probe
        self._counts[k] = probe[1] if probe is not None and probe[0] is words else _bucket_counts(words)
        self._sizes[k] = words.size

    def maybe_alike(self, words: np.ndarray) -> Iterable[int]:
        """Positions (in order) of the groups whose abstracts may be alike `words`; a superset."""
        n = len(self.ids)
        if self._counts is None or not words.size:
            return range(n)
        counts = _bucket_counts(words)
        self._probe = (words, counts)
        bound = np.minimum(self._counts[:n], counts).sum(axis=1)
        sizes = self._sizes[:n]
        # Jaccard >= t  <=>  shared >= t / (1 + t) * (|a| + |b|); an empty abstract is alike anything.
        keep = (sizes == 0) | ((1 + ABSTRACT_SIMILARITY) * bound >= ABSTRACT_SIMILARITY * (words.size + sizes))
        return np.flatnonzero(keep).tolist()


_BUCKETS = 256
_FILTER_FROM = 8


def _bucket_counts(words: np.ndarray) -> Any:
    # Any bucketing works (the bound holds for every one), so the word id's low bits do.
    return np.minimum(np.bincount(words & (_BUCKETS - 1), minlength=_BUCKETS), 65535).astype(np.uint16)


def abstracts_alike(a: str | None, b: str | None) -> bool:
    """Whether two abstracts are of the same paper: either is empty, or their sets of normalised
    words have a Jaccard similarity of at least ABSTRACT_SIMILARITY.

    >>> abstracts_alike("We propose ViT, a vision transformer.", "We propose ViT: a Vision Transformer!")
    True
    >>> abstracts_alike("We propose ViT, a vision transformer.", "A benchmark of speech corpora.")
    False
    >>> abstracts_alike("", "Anything at all.")
    True
    """
    vocabulary = _Vocabulary()
    return _alike(vocabulary.words(a), vocabulary.words(b))


def deduplicate(papers: Iterable[Paper]) -> tuple[list[Paper], int]:
    """Unique papers in first-seen order, with later duplicates merged in, and how many were merged.

    Two records are the same paper when they share an arXiv id or a DOI, or when they share a normalised title
    and their abstracts are alike (abstracts_alike: one is missing, or their word sets have a Jaccard
    similarity >= 0.5): a common title ("A Survey") over two unrelated abstracts is two papers.
    Records with *different* arXiv ids are never merged, whatever their titles or DOIs (a paper may have
    several DOIs, so different DOIs do not keep records apart); records without a
    title match on their abstract. Merging is transitive: a record matching two kept papers, one by
    title and one by arXiv id, joins them into the earlier one. Linear time when few distinct papers
    share a title (each title keeps the list of papers having it, compared in order); the input
    Papers are not modified.

    Examples
    --------
    >>> from kg.model import Paper
    >>> a = Paper("t-1", "Attention Is All You Need", "...")
    >>> b = Paper("arxiv-1706.03762", "Attention is all you need.", "...", arxiv_id="1706.03762")
    >>> unique, merged = deduplicate([a, b])
    >>> (len(unique), merged, unique[0].id)
    (1, 1, 'arxiv-1706.03762')
    >>> c = Paper("t-2", "A Survey", "Graph neural networks for molecules.")
    >>> d = Paper("t-3", "A survey", "Speech recognition in noisy rooms.")
    >>> len(deduplicate([c, d])[0])
    2
    >>> e = Paper("t-4", "BERT", "...", dois=["10.18653/v1/n19-1423"])
    >>> f = Paper("t-5", "BERT: Pre-training of Deep Bidirectional Transformers", "...", dois=["10.18653/v1/n19-1423"])
    >>> [p.dois for p in deduplicate([e, f])[0]]
    [['10.18653/v1/n19-1423']]
    """
    groups: list[_Group] = []
    parent: list[int] = []  # union-find: a group merged into an earlier one points at it
    by_arxiv: dict[str, int] = {}
    by_doi: dict[str, int] = {}
    by_title: dict[str, _Holders] = {}  # title key -> the groups holding it
    vocabulary = _Vocabulary()
    count = 0

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def conflict(a: Paper, b: Paper) -> bool:
        return bool(a.arxiv_id and b.arxiv_id and a.arxiv_id != b.arxiv_id)

    for paper in papers:
        count += 1
        key = _title_key(paper)
        candidates: list[int] = []
        if paper.arxiv_id and paper.arxiv_id in by_arxiv:
            candidates.append(find(by_arxiv[paper.arxiv_id]))
        for doi in paper.dois:
            if doi in by_doi:
                j = find(by_doi[doi])
                if j not in candidates and not conflict(paper, groups[j].paper):
                    candidates.append(j)
        title_hit = None
        holders = by_title.get(key) if key else None
        words = vocabulary.words(paper.abstract) if holders is not None else None
        if holders is not None:
            for k in holders.maybe_alike(words):
                listed = holders.ids[k]
                j = find(listed)
                if not conflict(paper, groups[j].paper) and _alike(words, groups[listed].words(vocabulary)):
                    title_hit = j
                    if j not in candidates:
                        candidates.append(j)
                    break
        if not candidates:
            i = len(groups)
            groups.append(_Group(paper))
            groups[i]._words = words  # computed already when its title was seen before
            parent.append(i)
        else:
            i = min(candidates)
            target = groups[i]
            target.absorb(paper)
            for j in candidates:
                if j != i and not conflict(target.paper, groups[j].paper):
                    target.absorb(groups[j].paper)
                    groups[j].alive = False
                    parent[j] = i
        merged = groups[i].paper
        for arxiv_id in (paper.arxiv_id, merged.arxiv_id):
            if arxiv_id:
                by_arxiv.setdefault(arxiv_id, i)
        for doi in merged.dois:
            by_doi.setdefault(doi, i)
        if key and (title_hit is None or find(title_hit) != i):  # so each holder is listed once
            if holders is None:
                holders = by_title[key] = _Holders(groups, vocabulary)
            holders.add(i)
    unique = _unique_ids([g.paper for g in groups if g.alive])
    return unique, count - len(unique)


def _unique_ids(papers: list[Paper]) -> list[Paper]:
    """Papers kept apart that share a title would share its id: later ones get the abstract's hash too."""
    seen: set[str] = set()
    out = []
    for paper in papers:
        if paper.id in seen:
            paper = replace(paper, id=variant_paper_id(paper.id, paper.abstract))
        seen.add(paper.id)
        out.append(paper)
    return out
