"""What every reader shares: building a Paper (ids, code links), line-by-line UTF-8 decoding, text clean-up."""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..ids import ARXIV_ID, arxiv_id_from, normalize_title, paper_id
from ..model import Paper, Problem, Source
from .code_links import find_code_urls
from .latex import latex_to_text

__all__ = [
    "make_paper", "iter_lines", "clean_space", "split_authors", "latex_to_text",
    "arxiv_id_in", "utf8_problem", "repair_surrogates", "cap_length", "MONTHS", "month_number",
]

_SPACE = re.compile(r"\s+")
_ASCII_ALNUM = re.compile(r"[0-9A-Za-z]")  # a title with one of these has a non-empty normalize_title
_BOM = b"\xef\xbb\xbf"
# A UTF-16 surrogate code point on its own: JSON can spell one ("\\ud800"), no UTF-8 output can hold it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _fix_surrogates(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def repair_surrogates(value: object) -> tuple[object, list[str]]:
    """`value` (a decoded JSON value) with every lone surrogate in its strings replaced by U+FFFD, and the
    top-level keys (or "record") where one was found. Iterative, so a deeply nested value cannot overflow."""
    found: list[str] = []

    def fix(v: object, where: str) -> object:
        if isinstance(v, str) and _SURROGATE.search(v):
            if where not in found:
                found.append(where)
            return _SURROGATE.sub("\ufffd", v)
        return v

    if isinstance(value, str):
        return fix(value, "record"), found
    if not isinstance(value, (dict, list)):
        return value, found
    root: list = [value]
    stack: list[tuple[object, str]] = [(root, "record")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            for k in list(node):
                fixed_key = _fix_surrogates(k) if isinstance(k, str) else k
                at = where if node is not value else str(fixed_key)[:40]
                if fixed_key != k and at not in found:
                    found.append(at)
                child = node.pop(k) if fixed_key != k else node[k]
                node[fixed_key] = fix(child, at)
                if isinstance(child, (dict, list)):
                    stack.append((child, at))
        elif isinstance(node, list):
            for i, child in enumerate(node):
                node[i] = fix(child, where)
                if isinstance(child, (dict, list)):
                    stack.append((child, where))
    return root[0], found


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december")
#: English month names and their abbreviations (lower case) -> month number: "mar", "march", "sept".
MONTHS: dict[str, int] = {**{m: n for n, m in enumerate(_MONTH_NAMES, 1)},
                          **{m[:3]: n for n, m in enumerate(_MONTH_NAMES, 1)}, "sept": 9}


def month_number(text: object) -> int | None:
    """The month (1-12) `text` names: a number ("3", "03"), an English month name or its abbreviation,
    any case, a final "." aside; None for anything else ("Marketing" is no month, "13" neither).

    >>> month_number("Mar"), month_number(" March "), month_number("Sept."), month_number("03")
    (3, 3, 9, 3)
    >>> month_number("Marketing"), month_number("13"), month_number(None)
    (None, None, None)
    """
    if not isinstance(text, str):
        return None
    word = text.strip().lower().rstrip(".")
    if word.isdigit():
        return int(word) if 1 <= int(word) <= 12 else None
    return MONTHS.get(word)


def clean_space(text: str) -> str:
    """Collapse runs of whitespace (line breaks, tabs, indentation) to one space and strip the ends."""
    return _SPACE.sub(" ", text).strip()


def arxiv_id_in(value: object) -> str | None:
    """The arXiv id of a value that *is* an arXiv id, or names arXiv (URL, 'arXiv:', DOI 10.48550/arXiv.)."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text:
        return None
    m = ARXIV_ID.fullmatch(text)
    if m is None and "arxiv" not in text.lower():
        return None
    found = m.group("id") if m else arxiv_id_from(text)
    if found and re.fullmatch(r"\d{4}\.\d{4,5}", found) and not 1 <= int(found[2:4]) <= 12:
        return None  # "2413.12345" has no month 13: not an arXiv id
    return found


def make_paper(
    *,
    title: str,
    abstract: str,
    source: Source,
    url: str | None = None,
    authors: Iterable[str] | None = None,
    date: str | None = None,
    arxiv_id: str | None = None,
    categories: Iterable[str] | None = None,
    normalize: bool = False,
    record_id: str | None = None,
    dois: Iterable[str] | None = None,
) -> Paper:
    """The one place a Paper is made: optional whitespace clean-up, id, arXiv URL and code links.

    With ``normalize=False`` the title and abstract are kept exactly as given, so that character
    offsets computed on ``Paper.text`` match offsets computed on the input record, unless they carry
    LaTeX markup: that becomes text here (``\\textbf{X}`` -> ``X``), so the graph, the exports and
    the extraction offsets all see the text as a reader reads it.
    """
    if normalize:
        title, abstract = clean_space(title), clean_space(abstract)
    # Readers report lone surrogates where they find them; this keeps any that slip through from
    # breaking the UTF-8 writers much later.
    title, abstract = _fix_surrogates(latex_to_text(title)), _fix_surrogates(latex_to_text(abstract))
    arxiv_id = arxiv_id or None
    if url is None and arxiv_id:
        url = f"https://arxiv.org/abs/{arxiv_id}"
    names: list[str] = []
    for name in authors or ():
        name = _fix_surrogates(clean_space(name))
        if name and name not in names:
            names.append(name)
    cats: list[str] = []
    for cat in categories or ():
        cat = cat.strip()
        if cat and cat not in cats:
            cats.append(cat)
    # An empty title (allowed: offsets then start at the abstract) must not give every such paper the
    # same title hash: fall back to a hash of the abstract.
    has_title = bool(arxiv_id) or bool(_ASCII_ALNUM.search(title)) or bool(normalize_title(title))
    pid = paper_id(title, arxiv_id) if has_title else paper_id(abstract)
    return Paper(
        id=pid,
        title=title,
        abstract=abstract,
        url=_fix_surrogates(url) if url else None,
        authors=names,
        date=_fix_surrogates(date) if date else None,
        arxiv_id=arxiv_id,
        categories=cats,
        code_urls=find_code_urls(f"{title}\n{abstract}"),
        sources=[source],
        record_id=_fix_surrogates(str(record_id)) if record_id not in (None, "") else None,
        dois=list(dict.fromkeys(dois or ())),
    )


def utf8_problem(path: str, line: int, raw: bytes, error: UnicodeDecodeError, offset: int) -> Problem:
    """The Problem for a line that is not valid UTF-8: file, line, byte offset and the bad byte."""
    bad = raw[error.start:error.start + 1].hex()
    return Problem(
        path, line,
        f"not valid UTF-8 (byte 0x{bad} at byte offset {offset + error.start}, line {line}, "
        f"column {error.start + 1}): the record on this line is skipped; re-save the file as UTF-8",
    )


def iter_lines(path: str | Path, problems: list[Problem]) -> Iterator[tuple[int, str, bool]]:
    """Yield (1-based line number, text, ok) for each line, decoding UTF-8 line by line.

    A line that is not valid UTF-8 is reported once in `problems` and yielded with ok=False
    (decoded with replacement characters, so that callers can keep the structure of the file).
    """
    shown = str(path)
    offset = 0
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            data = raw[3:] if lineno == 1 and raw.startswith(_BOM) else raw
            try:
                text, ok = data.decode("utf-8"), True
            except UnicodeDecodeError as e:
                problems.append(utf8_problem(shown, lineno, data, e, offset + len(raw) - len(data)))
                text, ok = data.decode("utf-8", errors="replace"), False
            offset += len(raw)
            yield lineno, text.rstrip("\r\n"), ok


def split_authors(value: object) -> list[str]:
    """Author names from a list (of strings or {"name": ...}) or a 'A and B' / 'A, B and C' string."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        names = []
        for item in value:
            if isinstance(item, dict):
                item = item.get("name") or " ".join(
                    str(item[k]) for k in ("first", "given", "last", "family") if item.get(k))
            if isinstance(item, (list, tuple)):  # arXiv snapshot authors_parsed: [last, first, suffix]
                parts = [str(p) for p in item]
                item = " ".join(p for p in (parts[1:2] + parts[:1] + parts[2:3]) if p)
            if item:
                names.append(str(item))
        return names
    text = str(value)
    parts = re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*;\s*", text)
    return [p for p in (clean_space(p) for p in parts) if p]


def cap_length(paper: Paper, limit: int, problems: list[Problem]) -> Paper:
    """`paper` with its text (title + newline + abstract) cut to at most `limit` characters, at a word
    boundary, and a located Problem; unchanged when it is short enough. spaCy refuses texts over
    1,000,000 characters, and no abstract needs more than a few thousand."""
    size = len(paper.title) + 1 + len(paper.abstract)
    if size <= limit:
        return paper
    where = paper.sources[0] if paper.sources else Source("?", 0)

    def cut(text: str, n: int) -> str:
        if len(text) <= n:
            return text
        space = text.rfind(" ", max(0, n - 200), n)
        return text[:space if space > 0 else n].rstrip()

    title = cut(paper.title, min(len(paper.title), limit // 10))  # a title over a tenth of the limit is no title
    paper.title, paper.abstract = title, cut(paper.abstract, limit - len(title) - 1)
    problems.append(Problem(
        where.path, where.line,
        f"record is {size:,} characters (title + abstract), over the {limit:,} limit: text cut to "
        f"{len(paper.text):,} characters", skipped=False))
    return paper
