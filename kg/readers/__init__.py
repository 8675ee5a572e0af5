"""Input readers: find input files, sniff their format, and stream them as Papers.

Supported formats (the value of `detect_format` and of `Source.format`):

- ``listing``     saved "Daily Papers" listing pages (.txt): title / abstract paragraphs
- ``jsonl``       JSON Lines records {id, title, abstract, ...}, including the arXiv metadata snapshot
- ``json``        a JSON array of such records (or a single record)
- ``arxiv-atom``  arXiv API Atom feeds (.xml / .atom)
- ``bibtex``      BibTeX with ``abstract`` fields (.bib)
- ``ris``         RIS exports of Zotero, Mendeley, EndNote (.ris, or .txt starting ``TY  - ``)
- ``pubmed``      PubMed XML ``PubmedArticleSet`` (.xml), from efetch or the baseline files
- ``csv``         CSV / TSV tables with a header naming title and abstract columns (.csv, .tsv, .tab)

Any of them may be compressed (.gz, .bz2, .xz, or members of a .zip or a tar archive: .tar, .tgz, .tar.gz,
.tar.bz2, .tar.xz): the inner name decides the format.

Bad input never raises: each problem is appended to the caller's list as a ``Problem(path, line,
message)`` (line 0 = the whole file) and reading goes on with the next record or file. A binary,
UTF-16 or UTF-32 file is one problem naming what it is; a file with no records is one problem too.
A record longer than MAX_TEXT_CHARS is cut to that length, with a problem.

Examples
--------
>>> problems = []
>>> papers = list(read(["papers/"], problems))          # doctest: +SKIP
>>> detect_format("arxiv-metadata-oai-snapshot.json")   # doctest: +SKIP
'jsonl'
"""
from __future__ import annotations

import codecs
import errno
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..model import MAX_TEXT_CHARS, Paper, Problem
from .code_links import find_code_urls
from .common import cap_length
from .compressed import COMPRESSED, inner_name, is_archive, open_stream, read_compressed
from .listing import looks_like_listing
from .ris import looks_like_ris
from .s2_datasets import DatasetRecord, join

__all__ = ["FORMATS", "EXTENSIONS", "read", "read_file", "detect_format", "find_code_urls", "path_problem",
           "encoding_problem"]

FORMATS: tuple[str, ...] = ("listing", "jsonl", "json", "arxiv-atom", "bibtex", "ris", "pubmed", "csv")
# File extensions looked at when walking a folder, with the format they suggest.
EXTENSIONS: dict[str, str] = {
    ".txt": "listing",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonlines": "jsonl",
    ".json": "json",
    ".xml": "arxiv-atom", ".atom": "arxiv-atom",
    ".bib": "bibtex", ".bibtex": "bibtex",
    ".ris": "ris",
    ".csv": "csv", ".tsv": "csv", ".tab": "csv",
}

# Extensions that decide the format whatever the content (a .jsonl whose first line is an array is
# still JSON Lines); the others (.json: the arXiv snapshot is JSON Lines named .json, .txt, .xml) are sniffed.
_DECISIVE = {".jsonl", ".ndjson", ".jsonlines", ".bib", ".bibtex", ".atom", ".ris", ".csv", ".tsv", ".tab"}

log = logging.getLogger(__name__)

_SNIFF_BYTES = 1 << 16
_FIRST_LINE_LIMIT = 16 << 20
_BIB_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
_ATOM = re.compile(r"<(?:[\w.-]+:)?feed\b[^>]*http://www\.w3\.org/2005/Atom", re.DOTALL)
_PUBMED = re.compile(r"<(?:!DOCTYPE\s+)?PubmedArticleSet\b")


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
    if fmt == "ris":
        from .ris import read_ris
        return read_ris
    if fmt == "pubmed":
        from .pubmed import read_pubmed
        return read_pubmed
    if fmt == "csv":
        from .tabular import read_table
        return read_table
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
            except (ValueError, RecursionError):
                continue
    return False


def path_problem(path: str | Path) -> str | None:
    """Why `path` cannot be opened at all ("no such file or directory", "dangling symlink (-> x)",
    "symlink loop"), or None when it exists."""
    p = os.fspath(path)
    try:
        os.stat(p)
        return None
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symlink loop (the link leads back to itself); skipped"
        if e.errno == errno.ENOENT and os.path.islink(p):
            try:
                dest = os.readlink(p)
            except OSError:
                dest = "?"
            return f"dangling symlink (-> {dest}, which does not exist); skipped"
        if e.errno == errno.ENOENT:
            return "no such file or directory"
        return f"cannot read: {e.strerror or e}"


_TEXT_CONTROLS = set(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1B}


def encoding_problem(head: bytes) -> str | None:
    """What is wrong with a file whose first bytes are `head`, if it is not UTF-8 text at all:
    UTF-16 / UTF-32 (by byte-order mark, or by the zero bytes of ASCII in UTF-16) or binary. None for
    text, including UTF-8 with a few bad bytes (reported line by line by the readers)."""
    for bom, name in ((codecs.BOM_UTF32_LE, "UTF-32 (little-endian)"), (codecs.BOM_UTF32_BE, "UTF-32 (big-endian)"),
                      (codecs.BOM_UTF16_LE, "UTF-16 (little-endian)"), (codecs.BOM_UTF16_BE, "UTF-16 (big-endian)")):
        if head.startswith(bom):
            return f"the file is {name} text (byte-order mark {bom.hex(' ').upper()}), not UTF-8: re-save it as UTF-8; skipped"
    if not head:
        return None
    if b"\0" in head:
        pairs = len(head) // 2 or 1
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > 0.3 * pairs and even < 0.02 * pairs:
            return "the file looks like UTF-16 (little-endian) text without a byte-order mark, not UTF-8: re-save it as UTF-8; skipped"
        if even > 0.3 * pairs and odd < 0.02 * pairs:
            return "the file looks like UTF-16 (big-endian) text without a byte-order mark, not UTF-8: re-save it as UTF-8; skipped"
        return "binary file (it has zero bytes), not text; skipped"
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(head)  # final=False: a cut last character is fine
    bad = text.count("\ufffd") + sum(1 for c in text if ord(c) in _TEXT_CONTROLS)
    if bad > 0.3 * max(len(text), 1):
        return f"binary file ({bad * 100 // max(len(text), 1)}% of its first characters are not text), not text; skipped"
    return None


def _head(path: str | Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(_SNIFF_BYTES)


def detect_format(path: str | Path) -> str | None:
    """The file's format, one of FORMATS: from the extension where it is decisive (.jsonl, .bib, .atom),
    else sniffed from the content; None if unsupported or unreadable."""
    if os.path.splitext(os.fspath(path))[1].lower() in COMPRESSED:
        if is_archive(path):
            return None  # each member has its own format
        try:  # sniff the decompressed start, not the compressed bytes
            with open_stream(path) as fh:
                head = fh.read(_SNIFF_BYTES)
        except (OSError, EOFError, ValueError):
            return None
        inner = Path(inner_name(path))
        try:
            return _detect(inner, head)
        except OSError:  # .json starting "{": JSON Lines or not is told by reading, see read_file
            return EXTENSIONS.get(inner.suffix.lower())
    try:
        head = _head(path)
    except OSError:
        return None
    return _detect(Path(path), head)


def _detect(p: Path, head: bytes) -> str | None:
    ext = p.suffix.lower()
    if ext in _DECISIVE:
        return EXTENSIONS[ext]
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    start = text.lstrip()
    if not start:
        return EXTENSIONS.get(ext)
    first = start[0]
    if first == "<":
        if _ATOM.search(text):
            return "arxiv-atom"
        if _PUBMED.search(text):
            return "pubmed"
        return None
    if first == "[":
        return "json"
    if first == "{":
        if _has_object_lines(p):
            return "jsonl"
        return "json"
    if first == "@" or (_BIB_START.search(text) and first == "%"):
        return "bibtex"
    if looks_like_ris(text):
        return "ris"
    if looks_like_listing(text):
        return "listing"
    if ext == ".json":
        return "json"  # damaged content: the reader reports what is wrong
    return None


def _walk(folder: str, problems: list[Problem], seen: set[str], ancestors: tuple[str, ...] = ()) -> Iterator[str]:
    """Files under `folder` in sorted order, depth first; hidden entries skipped; a symlink back to a
    folder being walked (a loop) or to one already walked is reported once and not followed."""
    real = os.path.realpath(folder)
    if real in ancestors:
        problems.append(Problem(folder, 0, f"symlink loop (leads back to {real}); not followed", skipped=False))
        return
    if real in seen:
        problems.append(Problem(folder, 0, f"same folder as {real}, already read; not read twice", skipped=False))
        return
    seen.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        problems.append(Problem(folder, 0, f"cannot list folder: {e.strerror or e}; skipped"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = os.path.join(folder, entry.name)
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False  # a symlink loop: reported as a file, below
        if is_dir:
            yield from _walk(path, problems, seen, (*ancestors, real))
        else:
            yield path


def read_file(path: str | Path, fmt: str | None = None, problems: list[Problem] | None = None) -> Iterator[Paper]:
    """Papers of one file in format `fmt` (sniffed when None); problems appended, never raised."""
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    problems = _sink() if problems is None else problems
    return join(_read_file(path, fmt, problems), problems)


def _read_file(path: str | Path, fmt: str | None, problems: list[Problem]) -> Iterator[Paper | DatasetRecord]:
    """read_file's Papers, and the Semantic Scholar dataset records that `join` puts together."""
    shown = str(path)
    why = path_problem(path)
    if why is not None:
        problems.append(Problem(shown, 0, why))
        return
    if os.path.splitext(shown)[1].lower() in COMPRESSED:
        yield from read_compressed(path, fmt, problems, _read_file)
        return
    try:
        head = _head(path)
    except OSError as e:
        problems.append(Problem(shown, 0, f"cannot read file: {e.strerror or e}"))
        return
    why = encoding_problem(head)
    if why is not None:
        problems.append(Problem(shown, 0, why))
        return
    fmt = fmt or _detect(Path(path), head)
    if fmt is None:
        ext = os.path.splitext(shown)[1].lower()
        problems.append(Problem(shown, 0, (
            f"{ext} file is not a supported {EXTENSIONS[ext]} file; skipped" if ext in EXTENSIONS else
            f"unsupported or unrecognised format (supported: {', '.join(FORMATS)}); file skipped")))
        return
    before, papers = len(problems), 0
    try:
        for paper in _reader(fmt)(path, problems):
            papers += 1
            yield cap_length(paper, MAX_TEXT_CHARS, problems) if isinstance(paper, Paper) else paper
    except OSError as e:
        problems.append(Problem(shown, 0, f"cannot read file: {e.strerror or e}"))
    except Exception as e:  # a reader bug must not stop a million-file build; keep the traceback in the log
        log.exception("reading %s failed", shown)
        problems.append(Problem(
            shown, 0, f"internal error while reading ({type(e).__name__}: {e}); rest of file skipped"))
    if papers == 0 and len(problems) == before:
        problems.append(Problem(shown, 0, "empty file: no records" if not head.strip(b" \t\r\n\xef\xbb\xbf") else
                                f"no records found in this {fmt} file", skipped=False))


def read(paths: Iterable[str | Path], problems: list[Problem] | None = None) -> Iterator[Paper]:
    """Stream the Papers of files and folders (recursively, sorted), sniffing each file's format.

    Semantic Scholar's papers and abstracts dataset files among them are joined on corpusid
    (kg.readers.s2_datasets): those papers come after the others, in the order they were read."""
    problems = _sink() if problems is None else problems
    if isinstance(paths, (str, Path)):
        paths = [paths]
    return join(_read_all(paths, problems), problems)


def _read_all(paths: Iterable[str | Path], problems: list[Problem]) -> Iterator[Paper | DatasetRecord]:
    for given in paths:
        shown = str(given)
        if os.path.isdir(given):
            for path in _walk(shown, problems, set()):
                if not is_archive(path):  # an archive's members are looked at one by one
                    ext = os.path.splitext(path)[1].lower()
                    if ext in COMPRESSED:
                        ext = os.path.splitext(inner_name(path))[1].lower()  # papers.jsonl.gz is JSON Lines
                    if ext not in EXTENSIONS:
                        continue  # not an input file: skipped silently inside folders
                yield from _read_file(path, None, problems)
        else:
            yield from _read_file(given, None, problems)


class _LoggingList(list):
    """A problems list for callers that passed none: each problem is logged as a warning."""

    def append(self, problem: Problem) -> None:  # type: ignore[override]
        log.warning("%s", problem)
        super().append(problem)


def _sink() -> list[Problem]:
    return _LoggingList()
