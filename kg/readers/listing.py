"""Listing pages (saved "Daily Papers" pages): header lines, an optional date, then title / abstract paragraphs."""
from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..model import Paper, Problem, Source
from .common import iter_lines, make_paper

__all__ = ["FORMAT", "read_listing", "looks_like_listing", "is_header", "is_date"]

FORMAT = "listing"

_HEADER = re.compile(
    r"^(?:new|get trending papers in your email inbox!?|subscribe|daily papers"
    r"|by\s*ak and the research community)$",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:,?\s+\d{4})?$",
    re.IGNORECASE,
)
# A title is one short line; anything longer (or several lines) is prose, i.e. an abstract.
_MAX_TITLE = 300


def is_header(text: str) -> bool:
    """True for the page furniture lines ("new", "Subscribe", "Daily Papers", "by AK and ...")."""
    return bool(_HEADER.match(text.strip()))


def is_date(text: str) -> bool:
    """True for a date line like "Mar 18" (no year on the page)."""
    return bool(_DATE.match(text.strip()))


@dataclass
class _Para:
    line: int  # 1-based line of its first line
    text: str
    lines: int = 1
    ok: bool = True  # False if one of its lines was not valid UTF-8 (already reported)

    @property
    def title_like(self) -> bool:
        return self.lines == 1 and len(self.text) <= _MAX_TITLE and not self.text.endswith(".")

    @property
    def prose(self) -> bool:
        return self.lines > 1 or len(self.text) > _MAX_TITLE or ". " in self.text


def _paragraphs(path: str | Path, problems: list[Problem]) -> Iterator[_Para]:
    para: _Para | None = None
    for lineno, text, ok in iter_lines(path, problems):
        text = text.strip()
        if not text:
            if para is not None:
                yield para
                para = None
        elif para is None:
            para = _Para(lineno, text, 1, ok)
        else:
            para.text += " " + text
            para.lines += 1
            para.ok = para.ok and ok
    if para is not None:
        yield para


def looks_like_listing(text: str) -> bool:
    """Sniff the start of a file: page furniture lines, or a short title paragraph then a longer one."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    body = [p for p in paras if not is_header(p) and not is_date(p)]
    if len(body) < len(paras):
        return True
    if len(body) < 2 or "\n" in body[0]:
        return False
    return len(body[0]) <= _MAX_TITLE and len(body[1]) > len(body[0])


def read_listing(path: str | Path, problems: list[Problem]) -> Iterator[Paper]:
    """Papers of one listing page; a title without abstract (or abstract without title) is a Problem."""
    shown = str(path)
    date: str | None = None
    paras = _paragraphs(path, problems)
    ahead: deque[_Para] = deque()  # look-ahead buffer

    def peek(n: int) -> _Para | None:
        while len(ahead) < n:
            nxt = next(paras, None)
            if nxt is None:
                return None
            ahead.append(nxt)
        return ahead[n - 1]

    while (para := peek(1)) is not None:
        ahead.popleft()
        if is_header(para.text):
            continue
        if is_date(para.text):
            date = para.text
            continue
        if para.prose and not para.title_like:
            problems.append(Problem(shown, para.line, f"abstract without title: {para.text[:80]!r}; skipped"))
            continue
        abstract = peek(1)
        orphan = Problem(shown, para.line, f"title without abstract: {para.text[:80]!r}; skipped")
        if abstract is None or is_header(abstract.text) or is_date(abstract.text):
            problems.append(orphan)
            continue
        if abstract.title_like and not abstract.prose:
            # A short abstract, or the next title (then this title has no abstract)?
            after = peek(2)
            if after is not None and after.prose and not after.title_like:
                problems.append(orphan)
                continue
        ahead.popleft()
        if para.ok and abstract.ok:  # else a line was not UTF-8: already reported
            yield make_paper(
                title=para.text, abstract=abstract.text, date=date,
                source=Source(shown, para.line, FORMAT),
            )
