"""BibTeX files with `abstract` fields, parsed with bibtexparser 2.x in chunks of entries (streamed)."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

from ..model import Paper, Problem, Source
from .common import arxiv_id_in, clean_space, iter_lines, latex_to_text, make_paper, month_number

__all__ = ["FORMAT", "read_bibtex", "bib_authors", "bib_date"]

FORMAT = "bibtex"

# bibtexparser logs every failed block itself; we report them as Problems instead.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())

_BLOCK_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]")
_CHUNK_ENTRIES = 500


def _split_top(text: str, sep: re.Pattern) -> list[str]:
    """Split on `sep` only outside braces ("{Barnes and Noble}" stays one name)."""
    parts, depth, start = [], 0, 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            m = sep.match(text, i)
            if m:
                parts.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    parts.append(text[start:])
    return parts


_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_COMMA = re.compile(r"\s*,\s*")


def bib_authors(value: str) -> list[str]:
    """BibTeX author list -> ["First Last", ...]: split on " and ", "Last, First" reordered, LaTeX decoded."""
    names = []
    for raw in _split_top(clean_space(value), _AND):
        parts = [p for p in _split_top(raw, _COMMA) if p.strip()]
        if len(parts) == 2:  # Last, First
            raw = f"{parts[1]} {parts[0]}"
        elif len(parts) >= 3:  # Last, Jr, First
            raw = f"{parts[2]} {parts[0]} {parts[1]}"
        name = clean_space(latex_to_text(raw, bibtex=True))
        if name and name.lower() != "others":
            names.append(name)
    return names


def bib_date(fields: dict[str, str]) -> str | None:
    """ISO-ish date from `date`, or year and month ("2019", "2019-03")."""
    if fields.get("date"):
        return clean_space(fields["date"])
    year = clean_space(fields.get("year", ""))
    if not re.fullmatch(r"\d{4}", year):
        return year or None
    # The first word: "jun--jul" and "March 15" are June and March.
    first = re.match(r"\s*([A-Za-z]+\.?|\d+)", fields.get("month", ""))
    number = month_number(first.group(1)) if first else None
    return f"{year}-{number:02d}" if number else year


def _arxiv_id(f: dict[str, str]) -> str | None:
    eprint = f.get("eprint", "").strip()
    prefix = (f.get("archiveprefix") or f.get("eprinttype") or "").strip().lower()
    if eprint and (prefix == "arxiv" or not prefix):
        found = arxiv_id_in(eprint) or (arxiv_id_in("arXiv:" + eprint) if prefix else None)
        if found:
            return found
    for key in ("url", "doi", "journal", "note", "howpublished"):
        found = arxiv_id_in(f.get(key))
        if found:
            return found
    journal = f.get("journal", "")
    m = re.search(r"\bCoRR\b.*?abs/(\S+)", journal)
    return arxiv_id_in("arXiv:" + m.group(1)) if m else None


def _chunks(path: str | Path, problems: list[Problem]) -> Iterator[tuple[int, str, set[int]]]:
    """(0-based first line, text, bad 0-based line numbers) for runs of up to _CHUNK_ENTRIES entries."""
    lines: list[str] = []
    bad: set[int] = set()
    start = 0
    entries = 0
    for lineno, text, ok in iter_lines(path, problems):
        if _BLOCK_START.match(text):
            if entries >= _CHUNK_ENTRIES:
                yield start, "\n".join(lines), bad
                lines, bad, start, entries = [], set(), lineno - 1, 0
            entries += 1
        if not ok:
            bad.add(lineno - 1 - start)
        lines.append(text)
    if lines:
        yield start, "\n".join(lines), bad


def read_bibtex(path: str | Path, problems: list[Problem]) -> Iterator[Paper]:
    """Papers of a .bib file; entries without abstract and blocks bibtexparser could not parse are Problems."""
    import bibtexparser
    from bibtexparser.library import Library
    from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock

    shown = str(path)
    strings: list = []  # @string blocks seen so far, visible to later chunks
    seen_keys: dict[str, int] = {}
    for first, text, bad in _chunks(path, problems):
        library = Library()
        for block in strings:
            library.add(block, fail_on_duplicate_key=False)
        n_old = len(strings)
        try:
            library = bibtexparser.parse_string(text, library=library)
        except Exception as e:  # a bug in the parser (it raises on internal errors): lose this chunk only
            problems.append(Problem(
                shown, first + 1, f"BibTeX parser failed on lines from {first + 1}: {e!r}; entries skipped"))
            continue
        strings = list(library.strings)
        for block in library.blocks[n_old:]:
            line = first + (block.start_line or 0) + 1
            entry = block
            if isinstance(block, ParsingFailedBlock):
                recovered = block.ignore_error_block
                error = getattr(block.error, "abort_reason", None) or str(block.error) or type(block.error).__name__
                if isinstance(block, DuplicateBlockKeyBlock) and isinstance(recovered, Entry):
                    pass  # reported below with the first line of the key
                elif isinstance(recovered, Entry):
                    problems.append(Problem(
                        shown, line, f"BibTeX: {clean_space(error)}; entry read anyway", skipped=False))
                else:
                    problems.append(Problem(
                        shown, line, f"BibTeX block could not be parsed: {clean_space(error)}; skipped"))
                    continue
                entry = recovered
            if not isinstance(entry, Entry):
                continue
            span = range(entry.start_line or 0, (entry.start_line or 0) + (entry.raw or "").count("\n") + 1)
            if bad and any(b in span for b in bad):
                continue  # contains a line that was not UTF-8: already reported
            key = entry.key
            if key in seen_keys:
                problems.append(Problem(
                    shown, line, f"duplicate BibTeX key {key!r} (first at line {seen_keys[key]}); entry read anyway",
                    skipped=False))
            else:
                seen_keys[key] = line
            paper = _paper(entry, shown, line)
            if isinstance(paper, str):
                problems.append(Problem(shown, line, f"{paper} in entry {key!r}; skipped"))
            else:
                yield paper


def _paper(entry, path: str, line: int) -> Paper | str:
    f = {k.lower(): str(v.value) for k, v in entry.fields_dict.items()}
    title = clean_space(latex_to_text(f.get("title", ""), bibtex=True))
    abstract = clean_space(latex_to_text(f.get("abstract", ""), bibtex=True))
    if not title:
        return "missing title"
    if not abstract:
        return "missing abstract"
    url = clean_space(f.get("url", "")) or None
    doi = clean_space(f.get("doi", ""))
    arxiv_id = _arxiv_id(f)
    if url is None and doi and not arxiv_id:
        url = doi if doi.startswith("http") else f"https://doi.org/{doi}"
    primary = clean_space(f.get("primaryclass", ""))
    return make_paper(
        title=title,
        abstract=abstract,
        url=url,
        authors=bib_authors(f.get("author", "")),
        date=bib_date(f),
        arxiv_id=arxiv_id,
        categories=[primary] if primary else [],
        source=Source(path, line, FORMAT),
        record_id=entry.key,
    )
