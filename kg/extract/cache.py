"""Extraction results kept on disk, keyed by (text, extractor): a rebuild re-extracts only what changed.

Extraction sees nothing of a paper but its text (title + newline + abstract), so its entities are a
function of that text and of the extractor: the code of kg.extract, the shipped models and
vocabularies, the installed spaCy, and the options (NER on or off, a NER model folder, the confidence
threshold). The key of a result is a SHA-256 of the text and of a fingerprint of all of those; any
change to one of them gives new keys, so a stale result is never read back, and no invalidation is
needed. Entry order never matters: the build asks for the keys of its papers in its own order.

The store is one SQLite file (the standard library; safe across processes and threads that open it,
and good for millions of rows). Values are the entities as compact JSON, zlib-compressed; every
field of :class:`kg.model.Entity` round-trips exactly (floats through ``repr``), so a build from the
cache is byte-identical to one that extracted everything.

>>> from kg.model import Entity, Mention
>>> cache = ExtractionCache(":memory:", fingerprint="test")
>>> ents = [Entity("SQuAD", "Dataset", "used", 0.8712, ["SQuAD"], [Mention(12, 17, "SQuAD")])]
>>> cache.put_many([("\\nWe use SQuAD.", ents)])
>>> cache.get_many(["\\nWe use SQuAD.", "\\nunseen"]) == [ents, None]
True
>>> cache.close()
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from ..model import Entity, Mention

__all__ = ["ExtractionCache", "extractor_fingerprint", "tree_digest", "CACHE_FILE"]

# Where `kg build` keeps its cache inside the output folder (not part of the output set: it survives
# rebuilds, and a hidden .cache folder is what version control and backups tend to ignore already).
CACHE_FILE = Path(".cache") / "extractions.sqlite"
_SCHEMA_VERSION = "1"
_ROOT = Path(__file__).resolve().parents[1]
# The lookups of one batch go in one statement; SQLite allows 32,766 parameters.
_CHUNK = 900


def tree_digest(h: "hashlib._Hash", folder: Path, pattern: str) -> None:
    """Add the relative path and SHA-256 of every file matching `pattern` under `folder` to `h`, in path order."""
    for path in sorted(folder.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.relative_to(folder).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())


@lru_cache(maxsize=16)
def extractor_fingerprint(use_ner: bool = True, ner_model: str | None = None,
                          min_confidence: float | None = None) -> str:
    """A digest of everything extraction depends on besides the text, for these options.

    >>> extractor_fingerprint() == extractor_fingerprint()
    True
    >>> extractor_fingerprint(use_ner=False) != extractor_fingerprint()
    True
    """
    import spacy

    from ..rdf import ontology_path

    h = hashlib.sha256(f"paperkg-extract {_SCHEMA_VERSION} spacy {spacy.__version__}\0".encode())
    h.update(json.dumps([use_ner, min_confidence]).encode())
    tree_digest(h, _ROOT / "extract", "*.py")
    for module in ("model.py", "vocab.py"):
        h.update(hashlib.sha256((_ROOT / module).read_bytes()).digest())
    for sub in ("ner", "scorer", "lexicon"):
        tree_digest(h, _ROOT / "data" / sub, "*")
    tree_digest(h, ontology_path("vocab"), "*")
    if ner_model:
        h.update(b"ner-model\0")
        tree_digest(h, Path(ner_model), "*")
    return h.hexdigest()


def _encode(entities: Sequence[Entity]) -> bytes:
    rows = [[e.name, e.type, e.role, e.confidence, e.aliases, [[m.start, m.end, m.text] for m in e.mentions],
             e.alt_type, list(e.evidence) if e.evidence is not None else None, e.vocab_id] for e in entities]
    return zlib.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8",
                                                                                            "surrogatepass"), 1)


def _decode(blob: bytes) -> list[Entity]:
    rows = json.loads(zlib.decompress(blob).decode("utf-8", "surrogatepass"))
    return [Entity(name, type_, role, confidence, aliases, [Mention(*m) for m in mentions], alt_type,
                   tuple(evidence) if evidence is not None else None, vocab_id)
            for name, type_, role, confidence, aliases, mentions, alt_type, evidence, vocab_id in rows]


class ExtractionCache:
    """Entities per text for one extractor fingerprint, in a SQLite file (created with its folder).

    `hits` and `misses` count the lookups since it was opened. A file that is not a usable SQLite
    database raises OSError naming it (the caller decides whether to build without a cache).
    """

    def __init__(self, path: str | Path, fingerprint: str) -> None:
        self.path, self.fingerprint = str(path), fingerprint
        self.hits = self.misses = 0
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS extraction (key BLOB PRIMARY KEY, entities BLOB NOT NULL)"
                             " WITHOUT ROWID")
        except sqlite3.DatabaseError as exc:
            raise OSError(f"{self.path}: not a usable extraction cache ({exc})") from exc

    def _key(self, text: str) -> bytes:
        h = hashlib.sha256(self.fingerprint.encode())
        h.update(b"\0")
        h.update(text.encode("utf-8", "surrogatepass"))
        return h.digest()

    def get_many(self, texts: Sequence[str]) -> list[list[Entity] | None]:
        """The cached entities of each text, None where there are none."""
        keys = [self._key(t) for t in texts]
        found: dict[bytes, bytes] = {}
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i:i + _CHUNK]
            found.update(self._db.execute(
                f"SELECT key, entities FROM extraction WHERE key IN ({','.join('?' * len(chunk))})", chunk))
        out = [_decode(found[k]) if k in found else None for k in keys]
        hits = sum(r is not None for r in out)
        self.hits += hits
        self.misses += len(out) - hits
        return out

    def put_many(self, items: Iterable[tuple[str, Sequence[Entity]]]) -> None:
        """Keep the entities of each text (one transaction)."""
        rows = [(self._key(text), _encode(entities)) for text, entities in items]
        if rows:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO extraction VALUES (?, ?)", rows)

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM extraction").fetchone()[0]

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> "ExtractionCache":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
