"""Whether a built folder already holds what a build of the same records would write.

Builds are deterministic: the same records, read with the same problems, built with the same options
by the same code (kg and its data, the ontology, the installed libraries) give the same bytes. A build
writes DIR/build.stamp.json last: a digest of all of that, the summary it reported, and the size and
modification time of every file it wrote. A rebuild (``build(..., reuse=True)``, what `kg build` does
unless `--no-cache`) whose digest is the stamp's, in a folder whose files are still the ones the stamp
lists, writes nothing: it would write the same set. Any difference (one record, one option, an edited
source file, a library upgrade, a touched or removed output) means a full build, so a stale result is
never kept; what changed is not worked out here, the extraction cache (kg.extract.cache) makes such a
build re-extract only the papers that changed.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> _ = (out / "kg.nt").write_text("<a> <b> <c> .\\n")
>>> write_stamp(out, "d1", {"papers": 1}, ["kg.nt"])
>>> current_summary(out, "d1"), current_summary(out, "d2")
({'papers': 1}, None)
>>> _ = (out / "kg.nt").write_text("<a> <b> <d> .\\n")      # an output changed since: not current
>>> current_summary(out, "d1") is None
True
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from .built_corpus import record_line
from .model import Paper, Problem

__all__ = ["STAMP_FILE", "build_digest", "code_fingerprint", "write_stamp", "current_summary"]

STAMP_FILE = "build.stamp.json"
_FORMAT = 1
_ROOT = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A digest of the code and data that decide a build's bytes: every file of the kg package (its
    models, vocabularies and ontology included), the Python version and every installed distribution's
    version (pyoxigraph serializes, networkx orders, spaCy tokenizes...).

    >>> code_fingerprint() == code_fingerprint()
    True
    """
    from .extract.cache import tree_digest
    from .rdf import ontology_path

    h = hashlib.sha256(f"paperkg-build {_FORMAT} {sys.version}\0".encode())
    tree_digest(h, _ROOT, "*")
    ontology = ontology_path()
    if _ROOT not in ontology.resolve().parents:  # a source checkout: ontology/ beside kg/
        tree_digest(h, ontology, "*")
    versions = sorted({f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()
                       if d.metadata and d.metadata["Name"]})
    h.update("\n".join(versions).encode())
    return h.hexdigest()


def build_digest(records: Iterable[Paper], problems: Iterable[Problem], options: Mapping[str, Any]) -> str:
    """A digest of what a build is made from: its records (every field, in reading order), the
    problems reading them raised, its options and the code (code_fingerprint).

    >>> p = Paper("t-1", "A title", "An abstract.")
    >>> build_digest([p], [], {"evidence": "all"}) == build_digest([p], [], {"evidence": "all"})
    True
    >>> build_digest([p], [], {"evidence": "all"}) == build_digest([p], [], {"evidence": "none"})
    False
    """
    h = hashlib.sha256(code_fingerprint().encode() + b"\0")
    h.update(json.dumps(dict(options), sort_keys=True).encode() + b"\0")
    for paper in records:
        h.update(record_line(paper))
    h.update(b"\0problems\0")
    for problem in problems:
        h.update(str(problem).encode("utf-8", "surrogatepass") + b"\n")
    return h.hexdigest()


def _files(folder: Path, names: Iterable[str]) -> dict[str, list[int]]:
    """relative path -> [size, mtime_ns] of every file under the entries `names` of `folder`."""
    out: dict[str, list[int]] = {}
    for name in sorted(names):
        top = folder / name
        for path in [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()):
            st = path.stat()
            out[path.relative_to(folder).as_posix()] = [st.st_size, st.st_mtime_ns]
    return out


def write_stamp(folder: str | Path, digest: str, summary: Mapping[str, Any], names: Iterable[str]) -> None:
    """Write `folder`/build.stamp.json for the entries `names` a build just wrote into `folder`.

    Written last: the files are stat-ed as they are. Moving the folder or its entries (kg.io.OutputSet's
    commit) keeps their sizes and times."""
    from .io import atomic_write_text

    names = [n for n in names if n != STAMP_FILE]
    stamp = {"format": _FORMAT, "digest": digest, "summary": dict(summary), "files": _files(Path(folder), names)}
    atomic_write_text(Path(folder) / STAMP_FILE, json.dumps(stamp, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def current_summary(folder: str | Path, digest: str) -> dict[str, Any] | None:
    """The summary the build that wrote `folder` reported, when that build had this `digest` and its
    files are all there with the sizes and times they had; else None."""
    folder = Path(folder)
    try:
        stamp = json.loads((folder / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("format") != _FORMAT or stamp.get("digest") != digest:
        return None
    files = stamp.get("files")
    if not isinstance(files, dict) or not files:
        return None
    for rel, (size, mtime_ns) in files.items():
        try:
            st = os.stat(folder / rel)
        except OSError:
            return None
        if st.st_size != size or st.st_mtime_ns != mtime_ns:
            return None
    return stamp.get("summary")
