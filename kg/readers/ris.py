"""RIS reference files (Zotero, Mendeley, EndNote exports), parsed line by line as the RIS spec lays out.

A record runs from ``TY  - `` to ``ER  - ``; each line is a two-character tag, two spaces, a hyphen and a
space, then the value; a line without a tag continues the previous value. rispy (on PyPI) loads a whole
file and reports no line numbers, so this small parser is used instead: each problem names its line.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..model import Paper, Problem, Source
from .common import arxiv_id_in, clean_space, iter_lines, make_paper
from .scholarly import normalize_doi

__all__ = ["FORMAT", "read_ris", "looks_like_ris"]

FORMAT = "ris"
# "TY  - JOUR"; exporters differ in the spaces around the hyphen and drop the value of "ER  -".
_TAG = re.compile(r"^([A-Z][A-Z0-9])  ?-(?: (.*)|\s*)$")
_TITLE, _ABSTRACT = ("TI", "T1", "CT", "BT"), ("AB", "N2")
_AUTHORS, _DATES = ("AU", "A1", "A2"), ("DA", "PY", "Y1")  # DA has the month and day


def looks_like_ris(text: str) -> bool:
    """True when the first non-blank line of `text` opens a RIS record (``TY  - ``).

    >>> looks_like_ris("\\ufeffTY  - JOUR\\nTI  - A title\\nER  - \\n")
    True
    >>> looks_like_ris("Attention Is All You Need\\n")
    False
    """
    for line in text.lstrip("\ufeff").splitlines():
        if line.strip():
            m = _TAG.match(line.rstrip("\r"))
            return bool(m) and m.group(1) == "TY"
    return False


def _name(value: str) -> str:
    """"Last, First" (as RIS writes names) -> "First Last"; a name without comma is kept."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) >= 2 and parts[0] and parts[1]:
        return " ".join([parts[1], parts[0], *parts[2:]])
    return value.strip()


def _date(fields: dict[str, list[str]]) -> str | None:
    for tag in _DATES:
        for value in fields.get(tag, ()):
            # "2023/12/01/" or "2023///" or "2023-12-01": keep the parts that are there.
            parts = [p for p in re.split(r"[/-]", value.strip()) if p.strip()]
            if parts and re.fullmatch(r"\d{4}", parts[0]):
                nums = [p for p in parts[1:3] if p.isdigit()]
                return "-".join([parts[0], *(f"{int(n):02d}" for n in nums)])
    return None


def _abstract(fields: dict[str, list[str]]) -> str:
    """The abstract: every AB line joined, else every N2 line.

    EndNote and some journal exports split a long abstract over several AB (or N2) lines, one per
    paragraph, where the spec has one; keeping only the first lost the rest. AB and N2 are not joined
    with each other: exporters that write both write the same text twice. Nor is a line joined to an
    identical one: some exporters write the whole abstract twice under AB.

    >>> _abstract({"AB": ["First part.", "Second part."], "N2": ["First part. Second part."]})
    'First part. Second part.'
    >>> _abstract({"AB": ["The whole abstract.", "The  whole abstract."]})
    'The whole abstract.'
    """
    for tag in _ABSTRACT:
        parts = [clean_space(v) for v in fields.get(tag, ()) if v.strip()]
        if parts:
            return " ".join(dict.fromkeys(parts))
    return ""


def _keywords(fields: dict[str, list[str]]) -> list[str]:
    """The KW tags as categories (as PubMed keywords are): one per KW line, or several split by ";".

    >>> _keywords({"KW": ["long-tailed recognition", "MoE; sparsity ", ""]})
    ['long-tailed recognition', 'MoE', 'sparsity']
    """
    return [k.strip() for v in fields.get("KW", ()) for k in v.split(";") if k.strip()]


def _paper(fields: dict[str, list[str]], path: str, line: int) -> Paper | str:
    first = lambda tags: next((clean_space(v) for t in tags for v in fields.get(t, ()) if v.strip()), "")  # noqa: E731
    title, abstract = first(_TITLE), _abstract(fields)
    if not title:
        return "missing title (TI or T1)"
    if not abstract:
        return "missing abstract (AB or N2)"
    doi = first(("DO",))
    urls = [clean_space(u) for t in ("UR", "L1", "L2") for v in fields.get(t, ()) for u in v.split() if u]
    arxiv_id = None
    for value in (*urls, doi, first(("ID",)), first(("M1",)), first(("SN",))):
        arxiv_id = arxiv_id_in(value)
        if arxiv_id:
            break
    url = urls[0] if urls else (f"https://doi.org/{doi}" if doi and not arxiv_id else None)
    authors = [_name(v) for t in _AUTHORS for v in fields.get(t, ()) if v.strip()]
    return make_paper(
        title=title, abstract=abstract, url=url, authors=authors, date=_date(fields), arxiv_id=arxiv_id,
        categories=_keywords(fields), source=Source(path, line, FORMAT), record_id=first(("ID",)) or None,
        dois=[d] if (d := normalize_doi(doi)) else None,
    )


def read_ris(path: str | Path, problems: list[Problem]) -> Iterator[Paper]:
    """Papers of a RIS file; a record without title or abstract, or cut off before ``ER``, is a Problem."""
    shown = str(path)
    fields: dict[str, list[str]] | None = None
    start = 0
    last: str | None = None
    bad = False

    def done() -> Iterator[Paper]:
        if bad:
            return  # a line was not UTF-8: reported by iter_lines
        paper = _paper(fields, shown, start)
        if isinstance(paper, str):
            problems.append(Problem(shown, start, f"{paper} in RIS record {fields.get('TY', ['?'])[0]!r}; skipped"))
        else:
            yield paper

    for lineno, text, ok in iter_lines(path, problems):
        text = text.rstrip("\r")
        m = _TAG.match(text)
        if m and m.group(1) == "TY":
            if fields is not None:
                problems.append(Problem(shown, start, f"RIS record not closed by 'ER  - ' before line {lineno}; "
                                                      "read anyway", skipped=False))
                yield from done()
            fields, start, last, bad = {"TY": [clean_space(m.group(2) or "")]}, lineno, "TY", not ok
            continue
        if fields is None:
            if text.strip():
                problems.append(Problem(shown, lineno, "text outside a RIS record (no 'TY  - ' before it); line skipped"))
            continue
        bad = bad or not ok
        if m and m.group(1) == "ER":
            yield from done()
            fields, last = None, None
        elif m:
            last = m.group(1)
            fields.setdefault(last, []).append(m.group(2) or "")
        elif text.strip() and last is not None:
            fields[last][-1] += " " + text.strip()  # a wrapped value continues on the next line
    if fields is not None:
        problems.append(Problem(shown, start, "RIS record not closed by 'ER  - ' at the end of the file; read anyway",
                                skipped=False))
        yield from done()
