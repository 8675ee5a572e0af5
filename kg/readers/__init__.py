"""Input readers: find input files, sniff their format, and stream them as Papers.

Supported formats (the value of `detect_format` and of `Source.format`):

- ``listing``     saved "Daily Papers" listing pages (.txt): title / abstract paragraphs
- ``jsonl``       JSON Lines records {id, title, abstract, ...}, including the arXiv metadata snapshot
- ``json``        a JSON array of such records (or a single record)
- ``arxiv-atom``  arXiv API Atom feeds (.xml / .atom)
- ``bibtex``      BibTeX with ``abstract`` fields (.bib)

Bad input never raises: each problem is appended to the caller's list as a ``Problem(path, line,
message)`` (line 0 = the whole file) and reading goes on with the next record or file.

Examples
--------
>>> problems = []
>>> papers = list(read(["papers/"], problems))          # doctest: +SKIP
>>> detect_format("arxiv-metadata-oai-snapshot.json")   # doctest: +SKIP
'jsonl'
"""
from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..model import Paper, Problem
from .code_links import find_code_urls
from .listing import looks_like_listing

__all__ = ["FORMATS", "EXTENSIONS", "read", "read_file", "detect_format", "find_code_urls"]

FORMATS: tuple[str, ...] = ("listing", "jsonl", "json", "arxiv-atom", "bibtex")
# File extensions looked at when walking a folder, with the format they suggest.
EXTENSIONS: dict[str, str] = {
    ".txt": "listing",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonlines": "jsonl",
    ".json": "json",
    ".xml": "arxiv-atom", ".atom": "arxiv-atom",
    ".bib": "bibtex", ".bibtex": "bibtex",
}

log = logging.getLogger(__name__)

_SNIFF_BYTES = 1 << 16
_FIRST_LINE_LIMIT = 16 << 20
_BIB_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
_ATOM = re.compile(r"<(?:[\w.-]+:)?feed\b[^>]*http://www\.w3\.org/2005/Atom", re.DOTALL)


def _reader(fmt: str) -> Callable[[str | Path, list[Problem]], Iterator[Paper]]:
    if fmt == "listing":
        from .listing import read_listing
        return read_listing
    if fmt == "jsonl":
        from .jsonl import read_jsonl
        return read_jsonl
    if fmt == "json":
        from .json_array import read_json
        return read_json
    if fmt == "arxiv-atom":
        from .arxiv_atom import read_atom
        return read_atom
    if fmt == "bibtex":
        from .bibtex import read_bibtex
        return read_bibtex
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _has_object_lines(path: Path) -> bool:
    """True if one of the first few non-blank lines is a whole JSON object (JSON Lines, not one big value)."""
    with open(path, "rb") as fh:
        for _ in range(5):
            line = fh.readline(_FIRST_LINE_LIMIT)
            if not line:
                break
            if not line.strip():
                continue
            try:
                if isinstance(json.loads(line.decode("utf-8-sig", errors="replace")), dict):
                    return True
            except ValueError:
                continue
    return False


def detect_format(path: str | Path) -> str | None:
    """The file's format, one of FORMATS, sniffed from its content and extension; None if unsupported."""
    p = Path(path)
    ext = p.suffix.lower()
    try:
        with open(p, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return None
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    start = text.lstrip()
    if not start:
        return EXTENSIONS.get(ext)
    first = start[0]
    if first == "<":
        if _ATOM.search(text) or ext == ".atom":
            return "arxiv-atom"
        return None
    if first == "[":
        return "json"
    if first == "{":
        if EXTENSIONS.get(ext) == "jsonl" or _has_object_lines(p):
            return "jsonl"
        return "json"
    if first == "@" or (_BIB_START.search(text) and (ext in (".bib", ".bibtex") or first == "%")):
        return "bibtex"
    if looks_like_listing(text):
        return "listing"
    if ext in (".jsonl", ".ndjson", ".jsonlines", ".json", ".bib", ".bibtex"):
        return EXTENSIONS[ext]  # damaged content: the reader reports what is wrong, line by line
    return None


def _walk(folder: str, seen: set[str]) -> Iterator[str]:
    """Files under `folder` in sorted order, depth first; hidden entries skipped; symlink loops cut."""
    real = os.path.realpath(folder)
    if real in seen:
        return
    seen.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = os.path.join(folder, entry.name)
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if is_dir:
            yield from _walk(path, seen)
        else:
            yield path


def read_file(path: str | Path, fmt: str | None = None, problems: list[Problem] | None = None) -> Iterator[Paper]:
    """Papers of one file in format `fmt` (sniffed when None); problems appended, never raised."""
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    problems = _sink() if problems is None else problems
    shown = str(path)
    fmt = fmt or detect_format(path)
    if fmt is None:
        problems.append(Problem(
            shown, 0, f"unsupported or unrecognised format (supported: {', '.join(FORMATS)}); file skipped"))
        return
    try:
        yield from _reader(fmt)(path, problems)
    except OSError as e:
        problems.append(Problem(shown, 0, f"cannot read file: {e.strerror or e}"))
    except Exception as e:  # a reader bug must not stop a million-file build; keep the traceback in the log
        log.exception("reading %s failed", shown)
        problems.append(Problem(
            shown, 0, f"internal error while reading ({type(e).__name__}: {e}); rest of file skipped"))


def read(paths: Iterable[str | Path], problems: list[Problem] | None = None) -> Iterator[Paper]:
    """Stream the Papers of files and folders (recursively, sorted), sniffing each file's format."""
    problems = _sink() if problems is None else problems
    if isinstance(paths, (str, Path)):
        paths = [paths]
    for given in paths:
        shown = str(given)
        if os.path.isdir(given):
            for path in _walk(shown, set()):
                ext = os.path.splitext(path)[1].lower()
                if ext not in EXTENSIONS:
                    continue  # not an input file: skipped silently inside folders
                fmt = detect_format(path)
                if fmt is None:
                    problems.append(Problem(path, 0, f"{ext} file is not a supported {EXTENSIONS[ext]} file; skipped"))
                    continue
                yield from read_file(path, fmt, problems)
        elif os.path.exists(given):
            if not os.access(given, os.R_OK):
                problems.append(Problem(shown, 0, "cannot read file: permission denied"))
                continue
            yield from read_file(given, None, problems)
        else:
            problems.append(Problem(shown, 0, "no such file or directory"))


class _LoggingList(list):
    """A problems list for callers that passed none: each problem is logged as a warning."""

    def append(self, problem: Problem) -> None:  # type: ignore[override]
        log.warning("%s", problem)
        super().append(problem)


def _sink() -> list[Problem]:
    return _LoggingList()
