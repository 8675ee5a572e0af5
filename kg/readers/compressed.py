"""Compressed inputs: .gz, .bz2, .xz (one file) and .zip (each member its own file) of any supported format.

The inner name decides the format (``papers.jsonl.gz`` is JSON Lines). Each stream is decompressed in
chunks into a temporary file named like the inner file, which is then read like any input: the encoding
and binary checks and the format sniffing all see the decompressed bytes, and memory stays bounded
whatever the size. Problems and provenance name ``archive.gz`` or ``archive.zip:member.jsonl``. A corrupt
or truncated archive is one problem; the records decompressed before the damage are still read.
A stream that inflates past ``MAX_RATIO`` times its compressed size (and past ``MIN_CAP``) is stopped
there as a likely decompression bomb, one problem, so a 40 kB archive cannot fill the disk.
"""
from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from ..model import Paper, Problem, Source

__all__ = ["COMPRESSED", "MAX_RATIO", "MIN_CAP", "inner_name", "open_stream", "read_compressed"]

COMPRESSED: dict[str, str] = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zip": "zip"}
_OPENERS: dict[str, Callable] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, RuntimeError, NotImplementedError)
_CHUNK = 1 << 20
# Text of papers compresses about 3-12x (xz on JSON Lines is the high end); zip and gzip bombs reach
# 1,000x and more. The floor keeps small, very regular files (a CSV of ids) readable whatever the ratio.
MAX_RATIO = 100
MIN_CAP = 256 << 20


class _TooLarge(Exception):
    def __init__(self, cap: int) -> None:
        super().__init__(cap)
        self.cap = cap


def _cap(compressed_size: int) -> int:
    """The most bytes a stream of `compressed_size` bytes may inflate to.

    >>> _cap(1000) == MIN_CAP, _cap(10 << 20) == 1000 << 20
    (True, True)
    """
    return max(MAX_RATIO * compressed_size, MIN_CAP)


def inner_name(path: str | Path) -> str:
    """The name of the file inside a single-file archive: its name less the compression suffix.

    >>> inner_name("data/papers.jsonl.gz"), inner_name("refs.ris.xz")
    ('papers.jsonl', 'refs.ris')
    """
    name = os.path.basename(os.fspath(path))
    stem, ext = os.path.splitext(name)
    return stem if ext.lower() in _OPENERS else name


def open_stream(path: str | Path):
    """A binary file object decompressing the .gz / .bz2 / .xz file `path` as it is read."""
    return _OPENERS[os.path.splitext(os.fspath(path))[1].lower()](path, "rb")


def _safe(name: str) -> str:
    """A member's base name usable as a file name (the extension kept; no folders, no odd characters)."""
    base = re.sub(r"[^\w.+-]", "_", name.replace("\\", "/").rsplit("/", 1)[-1]) or "member"
    return base.lstrip(".") or "member"


def _copy(src, dest: str, cap: int) -> Exception | None:
    """Decompress `src` into the file `dest` in chunks, at most `cap` bytes; the error that stopped it,
    if any."""
    # read1 hands out what is decompressed so far: on a truncated stream, read(n) would raise and lose
    # the last up to n bytes that were good.
    read = getattr(src, "read1", src.read)
    written = 0
    with open(dest, "wb") as out:
        try:
            while True:
                data = read(_CHUNK)
                if not data:
                    return None
                if written + len(data) > cap:
                    out.write(data[:cap - written])
                    return _TooLarge(cap)
                out.write(data)
                written += len(data)
        except _ERRORS as e:
            return e


def _relabel(paper: Paper, tmp: str, shown: str) -> Paper:
    paper.sources = [replace(s, path=shown + s.path[len(tmp):]) if s.path.startswith(tmp) else s
                     for s in paper.sources]
    return paper


def _read_one(tmp: str, shown: str, fmt: str | None, problems: list[Problem],
              read_file: Callable) -> Iterator[Paper]:
    """Read the decompressed file `tmp`, its problems and sources named as `shown`."""
    inner: list[Problem] = []
    try:
        for paper in read_file(tmp, fmt, inner):
            problems.extend(_rename(inner, tmp, shown))
            inner.clear()
            yield _relabel(paper, tmp, shown)
    finally:
        problems.extend(_rename(inner, tmp, shown))


def _rename(found: list[Problem], tmp: str, shown: str) -> list[Problem]:
    return [replace(p, path=shown + p.path[len(tmp):] if p.path.startswith(tmp) else p.path,
                    message=p.message.replace(tmp, shown)) for p in found]


def _why(e: Exception) -> str:
    if isinstance(e, EOFError):
        return "truncated (the compressed stream ends early)"
    return f"{type(e).__name__}: {e}"


def _stopped(what: str, e: Exception) -> str:
    if isinstance(e, _TooLarge):
        return (f"{what} inflates past {e.cap >> 20} MiB, over {MAX_RATIO}x its compressed size: stopped there "
                "as a likely decompression bomb; the records before the cap were read")
    return f"corrupt {what} ({_why(e)}); what came before the damage was read"


def read_compressed(path: str | Path, fmt: str | None, problems: list[Problem],
                    read_file: Callable) -> Iterator[Paper]:
    """Papers of a compressed file, each inner file read by `read_file(path, fmt, problems)`."""
    shown = os.fspath(path)
    ext = os.path.splitext(shown)[1].lower()
    with tempfile.TemporaryDirectory(prefix="kg-archive-") as folder:
        if ext != ".zip":
            tmp = os.path.join(folder, _safe(inner_name(shown)))
            try:
                with open_stream(path) as src:
                    error = _copy(src, tmp, _cap(os.path.getsize(path)))
            except _ERRORS as e:
                error = e
            if error is None or os.path.exists(tmp) and os.path.getsize(tmp):
                yield from _read_one(tmp, shown, fmt, problems, read_file)
            if error is not None:
                problems.append(Problem(shown, 0, _stopped(f"{COMPRESSED[ext]} file", error)))
            return
        yield from _read_zip(path, shown, fmt, folder, problems, read_file)


def _read_zip(path, shown: str, fmt: str | None, folder: str, problems: list[Problem],
              read_file: Callable) -> Iterator[Paper]:
    from . import EXTENSIONS  # the formats a member may be in (import here: the package imports this module)

    try:
        archive = zipfile.ZipFile(path)
    except _ERRORS as e:
        problems.append(Problem(shown, 0, f"corrupt zip file ({_why(e)}); skipped"))
        return
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        read_any = False
        for n, member in enumerate(sorted(members, key=lambda m: m.filename)):
            name = member.filename
            base = name.rsplit("/", 1)[-1]
            if base.startswith(".") or name.startswith("__MACOSX/"):
                continue  # hidden files and macOS resource forks, as hidden files in folders
            stem, ext = os.path.splitext(base.lower())
            inner_ext = os.path.splitext(stem)[1] if ext in _OPENERS else ext
            if fmt is None and inner_ext not in EXTENSIONS:
                continue  # not an input file: skipped silently, as in a folder
            read_any = True
            label = f"{shown}:{name}"
            tmp = os.path.join(folder, f"{n}-{_safe(base)}")
            try:
                with archive.open(member) as src:
                    error = _copy(src, tmp, _cap(member.compress_size))
            except _ERRORS as e:
                error = e
            if error is None or os.path.exists(tmp) and os.path.getsize(tmp):
                yield from _read_one(tmp, label, fmt, problems, read_file)
            if error is not None:
                problems.append(Problem(label, 0, _stopped("zip member", error)))
            if os.path.exists(tmp):
                os.remove(tmp)
        if not read_any:
            problems.append(Problem(shown, 0, "zip file holds no input file (supported: "
                                              f"{', '.join(sorted(EXTENSIONS))}); skipped", skipped=False))
