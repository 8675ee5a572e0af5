"""Compressed inputs: .gz, .bz2, .xz (one file), .zip and tar archives (.tar, .tgz / .tar.gz, .tar.bz2,
.tar.xz; each member its own file) of any supported format.

The inner name decides the format (``papers.jsonl.gz`` is JSON Lines). Each stream is decompressed in
chunks into a temporary file named like the inner file, which is then read like any input: the encoding
and binary checks and the format sniffing all see the decompressed bytes, and memory stays bounded
whatever the size. Problems and provenance name ``archive.gz`` or ``archive.zip:member.jsonl``. A corrupt
or truncated archive is one problem; the records decompressed before the damage are still read.
A stream that inflates past ``MAX_RATIO`` times its compressed size (and past ``MIN_CAP``) is stopped
there as a likely decompression bomb, one problem, so a 40 kB archive cannot fill the disk.

An archive has one such budget as a whole, ``_cap`` of the archive's own size. Tar archives are read
as one stream (``tarfile`` mode ``r|``), members in archive order, nothing extracted: each member's bytes
go to the temporary file as a zip member's do. The cap counts the whole decompressed stream, headers and
skipped members too. A zip member gets the smaller of its own cap (from its compressed size) and what
is left of the archive's budget: a zip of many small, highly compressed members is stopped, with one
problem naming the archive, once its members together reach the budget; the members read before are
kept. A zip whose entries overlap (several central-directory entries pointing into the same bytes,
the trick of non-recursive zip bombs; Python before 3.11.8 / 3.12.2 reads them) is refused whole,
whatever the Python version.

No member is ever extracted to its own path: its bytes go to a temporary file named from the member's
base name alone (``_safe``), so no member name can write outside the temporary folder. Names that try to
are refused all the same, with one problem each naming ``archive:member``, while the other members are
read: paths that are absolute (``/etc/x``, ``C:x``) or climb out with ``..``, in zip and tar, whatever
their extension (Python's own ``ZipFile.write("../x")`` and ``tarfile.add`` keep such names: rename the
files before archiving them); and links (symbolic, hard; in zip, a member whose Unix mode says symlink),
devices and FIFOs among the members that would be read. An archive whose only input members were
refused has those problems, not also "holds no input file". Control characters in member names are
escaped (``\\x0a``) in problems, so a name cannot forge lines of problems.log.
"""
from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import stat
import struct
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace
from pathlib import Path

from ..model import Paper, Problem, Source

__all__ = ["COMPRESSED", "MAX_RATIO", "MIN_CAP", "inner_name", "is_archive", "open_stream", "read_compressed"]

COMPRESSED: dict[str, str] = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zip": "zip", ".tar": "tar",
                              ".tgz": "gzip"}
_OPENERS: dict[str, Callable] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
# How a tar archive's name ends -> the compression of the whole stream ("" for none).
_TARS: dict[str, str] = {".tar": "", ".tgz": ".gz", ".tar.gz": ".gz", ".tar.bz2": ".bz2", ".tar.xz": ".xz"}
_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, tarfile.TarError, RuntimeError,
           NotImplementedError)
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


def _tar_compression(path: str | Path) -> str | None:
    """The compression suffix of the tar archive `path` ("" for a plain .tar), None if it is no tar archive."""
    name = os.fspath(path).lower()
    return next((comp for suffix, comp in _TARS.items() if name.endswith(suffix)), None)


def is_archive(path: str | Path) -> bool:
    """True for a .zip or tar archive: many members, each read as a file of its own format.

    >>> is_archive("corpus.tar.gz"), is_archive("export.zip"), is_archive("papers.jsonl.gz")
    (True, True, False)
    """
    return os.fspath(path).lower().endswith(".zip") or _tar_compression(path) is not None


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


class _Capped:
    """The decompressed bytes of a tar archive as tarfile reads them, at most `cap`: past the cap or at
    damage the stream just ends, and `error` says why (_TooLarge, or the decompressor's error).

    Ending rather than raising keeps every byte before the damage (tarfile gathers a read's chunks and
    would drop them with the exception). The whole stream counts, headers and skipped members too: a
    bomb's member sizes are not to be trusted.
    """

    def __init__(self, raw, cap: int) -> None:
        self.raw, self.cap, self.count = raw, cap, 0
        self.error: Exception | None = None
        self._read = getattr(raw, "read1", raw.read)  # what is decompressed so far, as in _copy

    def read(self, size: int = -1) -> bytes:
        if self.error is not None:
            return b""
        want = self.cap - self.count + 1  # one byte past the cap tells a bomb from a stream ending at it
        if size is not None and size >= 0:
            want = min(size, want)
        try:
            data = self._read(want)
        except _ERRORS as e:
            self.error = e
            return b""
        self.count += len(data)
        if self.count > self.cap:
            self.error = _TooLarge(self.cap)
            return data[:len(data) - (self.count - self.cap)]
        return data


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
    if isinstance(e, tarfile.ReadError) and str(e) == "unexpected end of data":
        return "truncated (the archive ends inside the member)"
    return f"{type(e).__name__}: {e}"


def _over_budget(kind: str, budget: int, member: str) -> str:
    return (f"{kind} inflates past {budget >> 20} MiB in all, over {MAX_RATIO}x its compressed size: stopped in "
            f"member {member} as a likely decompression bomb (many small members); what came before the "
            "budget ran out was read, the members after it were not")


def _stopped(what: str, e: Exception) -> str:
    if isinstance(e, _TooLarge):
        return (f"{what} inflates past {e.cap >> 20} MiB, over {MAX_RATIO}x its compressed size: stopped there "
                "as a likely decompression bomb; the records before the cap were read")
    return f"corrupt {what} ({_why(e)}); what came before the damage was read"


def read_compressed(path: str | Path, fmt: str | None, problems: list[Problem],
                    read_file: Callable) -> Iterator[Paper]:
    """Papers of a compressed file or archive, each inner file read by `read_file(path, fmt, problems)`."""
    shown = os.fspath(path)
    ext = os.path.splitext(shown)[1].lower()
    with tempfile.TemporaryDirectory(prefix="kg-archive-") as folder:
        if _tar_compression(shown) is not None:
            yield from _read_tar(path, shown, fmt, folder, problems, read_file)
        elif ext == ".zip":
            yield from _read_zip(path, shown, fmt, folder, problems, read_file)
        else:
            tmp = os.path.join(folder, _safe(inner_name(shown)))
            yield from _read_member(lambda: open_stream(path), f"{COMPRESSED[ext]} file", shown, tmp,
                                    _cap(os.path.getsize(path)), fmt, problems, read_file)


def _read_member(open_src: Callable, kind: str, label: str, tmp: str, cap: int, fmt: str | None,
                 problems: list[Problem], read_file: Callable, stream: _Capped | None = None,
                 inflated: list[int] | None = None) -> Generator[Paper, None, Exception | None]:
    """Papers of one compressed stream (a file, or an archive's member): `open_src()` decompressed into
    `tmp`, at most `cap` bytes, then read, named `label`. A damaged or oversized stream is one problem
    and the records before the damage are still read; the error, if any, is returned. `stream`: the
    tar stream the member is read from, whose own error says more than tarfile's "unexpected end".
    `inflated`, when given, gets the number of bytes decompressed appended, and a _TooLarge error is
    left to the caller to report (the archive's budget, rather than the member's cap, may be what stopped it)."""
    try:
        with open_src() as src:
            error = _copy(src, tmp, cap)
    except _ERRORS as e:
        error = e
    if error is not None and stream is not None and stream.error is not None:
        error = stream.error
    size = os.path.getsize(tmp) if os.path.exists(tmp) else 0
    if inflated is not None:
        inflated.append(size)
    if error is None or size:
        yield from _read_one(tmp, label, fmt, problems, read_file)
    if error is not None and not (inflated is not None and isinstance(error, _TooLarge)):
        problems.append(Problem(label, 0, _stopped(kind, error)))
    if os.path.exists(tmp):
        os.remove(tmp)  # one member on disk at a time
    return error


def _wanted(name: str, fmt: str | None) -> bool:
    """Whether the archive member `name` is read: not hidden, not a macOS resource fork, and of a supported
    format (any, when `fmt` is given); the others are skipped silently, as in a folder."""
    from . import EXTENSIONS  # the formats a member may be in (import here: the package imports this module)

    base = name.rsplit("/", 1)[-1]
    if base.startswith(".") or name.startswith("__MACOSX/"):
        return False
    stem, ext = os.path.splitext(base.lower())
    inner_ext = os.path.splitext(stem)[1] if ext in _OPENERS else ext
    return fmt is not None or inner_ext in EXTENSIONS


def _no_input(shown: str, kind: str) -> Problem:
    from . import EXTENSIONS

    return Problem(shown, 0, f"{kind} holds no input file (supported: {', '.join(sorted(EXTENSIONS))}); skipped",
                   skipped=False)


def _read_zip(path: str | Path, shown: str, fmt: str | None, folder: str, problems: list[Problem],
              read_file: Callable) -> Iterator[Paper]:
    try:
        archive = zipfile.ZipFile(path)
    except _ERRORS as e:
        problems.append(Problem(shown, 0, f"corrupt zip file ({_why(e)}); skipped"))
        return
    with archive:
        try:
            overlap = _zip_overlap(archive)
        except _ERRORS as e:
            problems.append(Problem(shown, 0, f"corrupt zip file ({_why(e)}); skipped"))
            return
        if overlap is not None:
            problems.append(Problem(shown, 0, overlap))
            return
        budget = left = _cap(os.path.getsize(path))  # the whole archive's, as a tar stream's cap
        members = [m for m in archive.infolist() if not m.is_dir()]
        read_any = refused = False
        for n, member in enumerate(sorted(members, key=lambda m: m.filename)):
            label = f"{shown}:{_printable(member.filename)}"
            if _escapes(member.filename):
                problems.append(Problem(label, 0, _TRAVERSAL))
                refused = True
                continue
            if not _wanted(member.filename, fmt):
                continue
            read_any = True
            why = _zip_refusal(member)
            if why is not None:
                problems.append(Problem(label, 0, why))
                continue
            tmp = os.path.join(folder, f"{n}-{_safe(member.filename)}")
            own, inflated = _cap(member.compress_size), []
            cap = min(own, left)
            error = yield from _read_member(lambda: archive.open(member), "zip member", label, tmp, cap, fmt,
                                            problems, read_file, inflated=inflated)
            left -= inflated[0]
            if isinstance(error, _TooLarge):
                if cap < own:  # the archive's budget, not the member's own cap, stopped it
                    problems.append(Problem(shown, 0, _over_budget("zip file", budget, _printable(member.filename))))
                    return
                problems.append(Problem(label, 0, _stopped("zip member", error)))
        if not read_any and not refused:
            problems.append(_no_input(shown, "zip file"))


def _zip_overlap(archive: zipfile.ZipFile) -> str | None:
    """Why the zip's entries cannot be read, when two of them overlap, else None.

    Each entry's local header, name, extra field and compressed data must end before the next entry's
    local header (the central directory, for the last), as CPython >= 3.11.8 checks in ZipFile.open.
    Overlapping entries (several central-directory entries pointing at one local header, or data running
    into the next header) are how a small zip inflates many times over without any member looking large.
    """
    entries = sorted(archive.infolist(), key=lambda m: m.header_offset)
    end = getattr(archive, "start_dir", None)
    if end is None or archive.fp is None:
        return None
    fp = archive.fp
    for i in range(len(entries) - 1, -1, -1):
        member = entries[i]
        fp.seek(member.header_offset)
        header = fp.read(30)
        if len(header) == 30 and header[:4] == b"PK\x03\x04":
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            data_end = member.header_offset + 30 + name_len + extra_len + member.compress_size
        else:
            data_end = member.header_offset + member.compress_size  # no header: zipfile reports it when read
        if data_end > end:
            what = (f"runs into entry {_printable(entries[i + 1].filename)}" if i + 1 < len(entries)
                    else "runs past the central directory")
            return (f"zip file has overlapping entries (entry {_printable(member.filename)} {what}): "
                    "a crafted archive, as non-recursive zip bombs are; not read")
        end = member.header_offset
    return None


def _zip_refusal(member: zipfile.ZipInfo) -> str | None:
    """Why the zip member is not read although its name is that of an input file, or None to read it.

    Zip has no link type of its own: Info-ZIP's `zip --symlinks` stores a link as a member whose Unix
    mode (the high 16 bits of external_attr) says S_IFLNK and whose data is the target path. Reading it
    would read that path as papers, so it is refused like a tar link; so are devices and FIFOs.
    """
    kind = stat.S_IFMT(member.external_attr >> 16)
    # No file type: written without Unix modes (Windows, Java, Python's writestr gives bare 0o600).
    if kind in (0, stat.S_IFREG):
        return None
    if kind == stat.S_IFLNK:
        return "member is a symbolic link (its Unix mode says so); links in archives are not followed; not read"
    return "member is not a regular file (a device, FIFO or unknown type, by its Unix mode); not read"


_TRAVERSAL = "member path is absolute or climbs out of the archive with '..' (path traversal); not read"


def _escapes(name: str) -> bool:
    """True for a member path that is absolute or climbs out with '..', as a path-traversal attack does.

    >>> _escapes("/etc/x.jsonl"), _escapes("a/../../x.jsonl"), _escapes("C:x.jsonl"), _escapes("a/b..c.jsonl")
    (True, True, True, False)
    """
    return (name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) is not None
            or ".." in name.replace("\\", "/").split("/"))


def _refusal(member: tarfile.TarInfo) -> str | None:
    """Why the tar member is not read although its name is that of an input file, or None to read it."""
    if member.issym() or member.islnk():
        what = "symbolic link" if member.issym() else "hard link"
        return f"member is a {what} (-> {_printable(member.linkname)}); links in archives are not followed; not read"
    if not member.isreg():
        return "member is not a regular file (a device, FIFO or unknown type); not read"
    return None


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(name: str) -> str:
    """A member name as a problem shows it: one line, UTF-8.

    tarfile decodes undecodable name bytes to lone surrogates, which the UTF-8 problem log cannot hold;
    control characters (a newline would start a forged line of problems.log) are written as \\xNN.

    >>> _printable("a\\nfake.zip:7: problem.jsonl")
    'a\\\\x0afake.zip:7: problem.jsonl'
    """
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def _tar_members(archive: tarfile.TarFile, stream: _Capped, shown: str, kind: str,
                 problems: list[Problem]) -> Iterator[tarfile.TarInfo]:
    """The members of a tar stream in order; a damaged or oversized stream ends them with one problem."""
    while True:
        try:
            member = archive.next()
        except _ERRORS as e:
            problems.append(Problem(shown, 0, _stopped(kind, stream.error or e)))
            return
        if member is None:
            break
        archive.members.clear()  # TarFile keeps every header read: a stream of millions of members must not
        yield member
    # tarfile ends the archive, silently, at the first header it cannot read: what follows tells a real
    # end (zero padding) from a damaged header; reading to the end also lets gzip check its CRC. Read
    # through tarfile's stream object, which holds the bytes it has buffered past the header.
    at, more = archive.offset, False
    while data := archive.fileobj.read(_CHUNK):
        more = more or bool(data.strip(b"\0"))
    if stream.error is not None:
        problems.append(Problem(shown, 0, _stopped(kind, stream.error)))
    elif more:
        problems.append(Problem(shown, 0, f"{kind} has no readable member header at byte {at} but data after it "
                                          "(a damaged header, or archives joined end to end); the rest was not read"))


def _read_tar(path: str | Path, shown: str, fmt: str | None, folder: str, problems: list[Problem],
              read_file: Callable) -> Iterator[Paper]:
    comp = _tar_compression(shown)
    kind = f"{COMPRESSED[comp]}-compressed tar file" if comp else "tar file"
    try:
        raw = _OPENERS[comp](path, "rb") if comp else open(path, "rb")
    except _ERRORS as e:
        problems.append(Problem(shown, 0, f"cannot read {kind} ({_why(e)}); skipped"))
        return
    with raw:
        stream = _Capped(raw, _cap(os.path.getsize(path)))
        try:
            archive = tarfile.open(fileobj=stream, mode="r|")  # reads the first header
        except _ERRORS as e:
            e = stream.error or e
            problems.append(Problem(shown, 0, _stopped(kind, e) if isinstance(e, _TooLarge) else
                                    f"corrupt {kind} ({_why(e)}); skipped"))
            return
        read_any = refused = False
        for n, member in enumerate(_tar_members(archive, stream, shown, kind, problems)):
            name = _printable(re.sub(r"^(?:\./)+", "", member.name))
            label = f"{shown}:{name}"
            if _escapes(member.name):
                problems.append(Problem(label, 0, _TRAVERSAL))
                refused = True
                continue
            if member.isdir() or not _wanted(name, fmt):
                continue
            read_any = True
            why = _refusal(member)
            if why is not None:
                problems.append(Problem(label, 0, why))
                continue
            tmp = os.path.join(folder, f"{n}-{_safe(name)}")
            error = yield from _read_member(lambda: archive.extractfile(member), "tar member", label, tmp,
                                            stream.cap, fmt, problems, read_file, stream)
            if error is not None:
                return  # the stream itself is damaged or at its cap: no member after this one can be read
        if not read_any and not refused:
            problems.append(_no_input(shown, kind))
