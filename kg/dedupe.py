"""Merge records of the same paper (same arXiv id, or same normalised title), keeping all provenance."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace

from .ids import normalize_title, paper_id
from .model import Paper

__all__ = ["deduplicate"]


class _Group:
    """A kept paper (a private copy once something is merged into it) and what it already holds."""

    __slots__ = ("paper", "sources", "code_urls", "alive")

    def __init__(self, paper: Paper):
        self.paper = paper
        self.sources: set | None = None  # built on the first merge, so unique papers cost nothing
        self.code_urls: set | None = None
        self.alive = True

    def absorb(self, other: Paper) -> None:
        """Merge `other` in: all sources and code links added, missing fields filled."""
        p = self.paper
        if self.sources is None:
            p = self.paper = replace(p, authors=list(p.authors), categories=list(p.categories),
                                     code_urls=list(p.code_urls), sources=list(p.sources))
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


def deduplicate(papers: Iterable[Paper]) -> tuple[list[Paper], int]:
    """Unique papers in first-seen order, with later duplicates merged in, and how many were merged.

    Two records are the same paper when they share an arXiv id or a normalised title (records with
    *different* arXiv ids are never merged, whatever their titles; records without a title match on
    their abstract). Merging is transitive: a record matching two kept papers, one by title and one
    by arXiv id, joins them into the earlier one. O(n) time; the input Papers are not modified.

    Examples
    --------
    >>> from kg.model import Paper
    >>> a = Paper("t-1", "Attention Is All You Need", "...")
    >>> b = Paper("arxiv-1706.03762", "Attention is all you need.", "...", arxiv_id="1706.03762")
    >>> unique, merged = deduplicate([a, b])
    >>> (len(unique), merged, unique[0].id)
    (1, 1, 'arxiv-1706.03762')
    """
    groups: list[_Group] = []
    parent: list[int] = []  # union-find: a group merged into an earlier one points at it
    by_arxiv: dict[str, int] = {}
    by_title: dict[str, int] = {}
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
        if key and key in by_title:
            j = find(by_title[key])
            if j not in candidates and not conflict(paper, groups[j].paper):
                candidates.append(j)
        if not candidates:
            i = len(groups)
            groups.append(_Group(paper))
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
        if key:
            by_title.setdefault(key, i)
    unique = [g.paper for g in groups if g.alive]
    return unique, count - len(unique)
