"""Semantic Scholar's dataset files, joined on corpusid: the ``papers`` dataset holds each paper's title,
authors, ``externalids``, ``year``, ``publicationdate``... but no abstract; the ``abstracts`` dataset
holds ``{"corpusid", "abstract", "openaccessinfo": {"externalids", "license", "url", "status"}}``.

The JSON Lines reader hands a record of either shape over as a DatasetRecord (see `dataset_kind`)
instead of reading it as a paper; `join` gathers them over all the inputs of one read, whatever their
order or compression, and gives each papers record the abstract of its corpusid:

- a papers record and the abstract with its corpusid -> one Paper, with both files in its sources;
- a papers record with no abstract of its corpusid -> read with its title only (S2 withholds many
  abstracts), one note per file counting them; when no abstracts record came at all, each is the
  usual located "missing abstract" problem, saying to give the abstracts files too;
- an abstract whose corpusid no papers record has -> a located problem (the first MAX_UNMATCHED of a
  file one by one, then one counting the rest); a second abstract for a corpusid -> a located problem.

Memory stays bounded however large the files: the records wait in a temporary SQLite database (on
disk, indexed on corpusid) and the joined papers are streamed out of it in input order, after the
other inputs' papers.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..model import MAX_TEXT_CHARS, Paper, Problem, Source
from .common import cap_length
from .records import RECORD_KEYS, paper_from_record
from .records import _kind as kind_of  # the same words as the other records' problems

__all__ = ["DatasetRecord", "dataset_kind", "join", "MAX_UNMATCHED"]

#: Abstracts without a paper reported one by one per file; the rest of the file's are counted in one problem
#: (a whole abstracts shard beside a few papers would otherwise give millions of problems).
MAX_UNMATCHED = 100

_TITLE_KEYS = ("title", "display_name")


@dataclass
class DatasetRecord:
    """One record of the papers or abstracts dataset, waiting for its other half."""

    kind: str  # "paper" or "abstract"
    corpusid: int
    record: dict
    # A list, as a Paper's: kg.readers.compressed renames a decompressed file's sources the same way.
    sources: list[Source] = field(default_factory=list)


def _corpusid(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def dataset_kind(rec: object) -> tuple[str, int] | None:
    """("paper" | "abstract", corpusid) for a record of Semantic Scholar's papers or abstracts dataset
    that needs the other half, else None (a record that is whole, or not of these datasets).

    >>> dataset_kind({"corpusid": 215416146, "abstract": "We describe a deployed system.",
    ...               "openaccessinfo": {"externalids": {"ArXiv": None}, "status": None}})
    ('abstract', 215416146)
    >>> dataset_kind({"corpusid": 215416146, "title": "Construction of the Literature Graph", "year": 2018})
    ('paper', 215416146)
    >>> dataset_kind({"corpusid": 1, "title": "T", "abstract": "A"}) is None   # whole: read as it is
    True
    >>> dataset_kind({"corpusId": 1, "title": "T"}) is None   # Graph API answers (camelCase) are not joined
    True
    """
    if not isinstance(rec, dict):
        return None
    corpusid = _corpusid(rec.get("corpusid"))
    if corpusid is None:
        return None
    has_title = any(rec.get(k) is not None for k in _TITLE_KEYS)
    has_abstract = any(rec.get(k) is not None for k in RECORD_KEYS if k not in _TITLE_KEYS) \
        or rec.get("abstract_inverted_index") is not None
    if has_title and not has_abstract:
        return "paper", corpusid
    if "abstract" in rec and not has_title:
        return "abstract", corpusid
    return None


class _Store:
    """The waiting records, in a temporary SQLite file."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="kg-s2-join-")
        self.db = sqlite3.connect(os.path.join(self.folder, "join.sqlite"))
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE abstract (corpusid INTEGER PRIMARY KEY, seq INTEGER, abstract TEXT, path TEXT,"
            " line INTEGER, format TEXT, externalids TEXT);"
            "CREATE TABLE paper (seq INTEGER PRIMARY KEY, corpusid INTEGER, record TEXT, path TEXT,"
            " line INTEGER, format TEXT);")
        self.seq = 0
        self.abstracts = 0

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _store_abstract(item: DatasetRecord, store: _Store, problems: list[Problem]) -> bool:
    """Store an abstracts record; False (and a located problem) when it cannot be used."""
    src = item.sources[0]
    text = item.record.get("abstract")
    label = f"abstracts record corpusid {item.corpusid}"
    if text is not None and not isinstance(text, str):
        problems.append(Problem(src.path, src.line, f"abstract is {kind_of(text)}, not text, in {label}; skipped"))
        return False
    if text is None or not text.strip():
        problems.append(Problem(src.path, src.line, f"missing abstract in {label}; skipped"))
        return False
    first = store.db.execute("SELECT path, line FROM abstract WHERE corpusid = ?", (item.corpusid,)).fetchone()
    if first is not None:
        problems.append(Problem(src.path, src.line, f"a second abstract for corpusid {item.corpusid} (the first "
                                                    f"at {first[0]}:{first[1]} is kept); skipped"))
        return False
    oa = item.record.get("openaccessinfo")
    ids = oa.get("externalids") if isinstance(oa, dict) else None
    store.seq += 1
    store.abstracts += 1
    store.db.execute("INSERT INTO abstract VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (item.corpusid, store.seq, json.dumps(text), src.path, src.line, src.format,
                      json.dumps(ids) if isinstance(ids, dict) else None))
    return True


def join(items: Iterable[Paper | DatasetRecord], problems: list[Problem]) -> Iterator[Paper]:
    """The Papers of `items` as they come, then the papers records among them joined with the abstracts
    records on corpusid (see the module's docstring), in the order the papers records came.

    >>> rec = {"corpusid": 7, "title": "Attention Is All You Need", "externalids": {"ArXiv": "1706.03762"}}
    >>> items = [DatasetRecord("paper", 7, rec, [Source("papers.jsonl", 1, "jsonl")]),
    ...          DatasetRecord("abstract", 7, {"corpusid": 7, "abstract": "The dominant sequence models..."},
    ...                        [Source("abstracts.jsonl", 3, "jsonl")])]
    >>> [(p.id, p.abstract, [str(s) for s in p.sources]) for p in join(items, [])]
    [('arxiv-1706.03762', 'The dominant sequence models...', ['papers.jsonl:1', 'abstracts.jsonl:3'])]
    """
    store: _Store | None = None
    try:
        for item in items:
            if isinstance(item, Paper):
                yield item
                continue
            store = store or _Store()
            if item.kind == "abstract":
                _store_abstract(item, store, problems)
            else:
                src = item.sources[0]
                store.seq += 1
                store.db.execute("INSERT INTO paper VALUES (?, ?, ?, ?, ?, ?)",
                                 (store.seq, item.corpusid, json.dumps(item.record), src.path, src.line, src.format))
        if store is not None:
            yield from _joined(store, problems)
    finally:
        if store is not None:
            store.close()


def _joined(store: _Store, problems: list[Problem]) -> Iterator[Paper]:
    db = store.db
    db.execute("CREATE INDEX paper_corpusid ON paper (corpusid)")
    title_only: dict[str, list[int]] = {}  # papers file -> corpusids read without an abstract
    rows = db.execute("SELECT p.corpusid, p.record, p.path, p.line, p.format, a.abstract, a.path, a.line,"
                      " a.format, a.externalids FROM paper p LEFT JOIN abstract a ON a.corpusid = p.corpusid"
                      " ORDER BY p.seq")
    for corpusid, record, path, line, fmt, abstract, a_path, a_line, a_fmt, ids in rows:
        rec = json.loads(record)
        if abstract is None and not store.abstracts:
            problems.append(Problem(path, line, f"missing abstract in record corpusid {corpusid}; skipped (a record "
                                                "of Semantic Scholar's papers dataset: give its abstracts dataset "
                                                "files too, they are joined on corpusid)"))
            continue
        if abstract is not None:
            rec["abstract"] = json.loads(abstract)
            if ids is not None and not isinstance(rec.get("externalids"), dict):
                rec["externalids"] = json.loads(ids)  # the abstract's open-access copy names them too
        paper = paper_from_record(rec, path, line, fmt, problems, title_only=True)
        if paper is None:
            continue
        if abstract is None:
            title_only.setdefault(path, []).append(corpusid)
        else:
            paper.sources.append(Source(a_path, a_line, a_fmt))
        yield cap_length(paper, MAX_TEXT_CHARS, problems)
    for path, ids in title_only.items():
        shown = ", ".join(map(str, ids[:5])) + (", ..." if len(ids) > 5 else "")
        problems.append(Problem(path, 0, f"{len(ids)} Semantic Scholar paper(s) with no abstract in the abstracts "
                                         f"files given (corpusid {shown}): read with their titles only",
                                skipped=False))
    unmatched: dict[str, int] = {}
    for corpusid, path, line in db.execute("SELECT corpusid, path, line FROM abstract WHERE corpusid NOT IN"
                                           " (SELECT corpusid FROM paper) ORDER BY seq"):
        unmatched[path] = unmatched.get(path, 0) + 1
        if unmatched[path] <= MAX_UNMATCHED:
            problems.append(Problem(path, line, f"abstract for corpusid {corpusid}, which no papers record of the "
                                                "inputs has; skipped"))
    for path, count in unmatched.items():
        if count > MAX_UNMATCHED:
            problems.append(Problem(path, 0, f"{count - MAX_UNMATCHED} more abstracts whose corpusid no papers "
                                             "record of the inputs has; skipped"))
