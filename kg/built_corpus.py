"""What a build read, kept beside what it wrote, so that `kg add` and `kg remove` can rebuild a folder
without its original input files.

A build writes DIR/records.jsonl.gz (every record read, before deduplication, in reading order, each
with its source file and line) and DIR/build.json (the options that change the graph). Adding papers
is then a build of the kept records followed by the new inputs; removing papers, a build of the kept
records without the ones that make up those papers. With the extraction cache (kg.extract.cache) only
new papers are extracted, and the result is byte for byte the build of the same records from scratch.

>>> from kg.model import Paper, Source
>>> import io
>>> buf = io.BytesIO()
>>> write_records(buf, [Paper("t-1", "A title", "An abstract.", sources=[Source("a.jsonl", 1, "jsonl")])])
>>> [p.sources[0].line for p in read_records(io.BytesIO(buf.getvalue()))]
[1]
"""
from __future__ import annotations

import dataclasses
import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .model import Paper, Source

__all__ = ["RECORDS_FILE", "BUILD_FILE", "record_line", "write_records", "read_records", "write_options", "read_options",
           "records_without"]

RECORDS_FILE = "records.jsonl.gz"
BUILD_FILE = "build.json"
# The build options that change what is written; a rebuild of the folder uses the same.
OPTIONS = ("use_ner", "min_confidence", "html", "store", "evidence")


def record_line(paper: Paper) -> bytes:
    """One record as the JSON line DIR/records.jsonl.gz keeps (every field; the same bytes every time)."""
    return json.dumps(dataclasses.asdict(paper), ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass") + b"\n"


def write_records(fh: IO[bytes], records: Iterable[Paper]) -> None:
    """Write records as gzip-compressed JSON Lines (no timestamp in the header: the same bytes every time)."""
    with gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, compresslevel=6) as gz:
        for paper in records:
            gz.write(record_line(paper))


def read_records(fh: IO[bytes] | str | Path) -> Iterator[Paper]:
    """The records `write_records` wrote, as Papers, in their order."""
    with gzip.open(fh, "rb") as gz:
        for line in gz:
            d = json.loads(line.decode("utf-8", "surrogatepass"))
            d["sources"] = [Source(**s) for s in d.get("sources", [])]
            yield Paper(**d)


def write_options(path: Path, options: dict[str, Any]) -> None:
    """DIR/build.json: the options of the build that wrote DIR."""
    from .io import atomic_write_text

    atomic_write_text(path, json.dumps({k: options[k] for k in OPTIONS}, indent=2, sort_keys=True) + "\n")


def read_options(graph_dir: str | Path) -> dict[str, Any]:
    """The options of the build that wrote `graph_dir` (FileNotFoundError when it kept none)."""
    return json.loads((Path(graph_dir) / BUILD_FILE).read_text(encoding="utf-8"))


def records_without(records: list[Paper], ids: Iterable[str]) -> tuple[list[Paper], list[str], list[str]]:
    """The records left when the papers named by `ids` are taken out, every record merged into them
    included; the ids that name no paper; and, for each id that names several, why (the message of
    kg.paper_lookup.AmbiguousPaper, naming the candidates).

    An id is read by kg.paper_lookup, as `kg related` reads a paper's name, but by its exact rules only
    (EXACT_RULES): a paper id or node key, an arXiv id in any spelling ("arXiv:2403.12345v2", an
    arxiv.org URL), a DOI (bare, "doi:", a doi.org URL, any case), the id any record merged into the
    paper had in its input, or the exact title (case and punctuation aside). A part of a title is too
    loose a name to delete a paper by. An id is an arXiv id or a DOI only when the whole of it is one
    (a title that mentions "arXiv:1706.03762" is a title), and every exact rule is tried: when they name
    different papers, the id is ambiguous and nothing is taken out for it.

    >>> a = Paper("arxiv-1", "T", "x", arxiv_id="1", sources=[Source("f", 1)])
    >>> b = Paper("t-2", "T", "x", sources=[Source("f", 2)])            # the same paper, by title
    >>> c = Paper("t-3", "Other", "y", sources=[Source("f", 3)])
    >>> kept, unknown, ambiguous = records_without([a, b, c], ["1", "nope"])
    >>> [p.id for p in kept], unknown, ambiguous
    (['t-3'], ['nope'], [])
    """
    from .dedupe import deduplicate
    from .paper_lookup import EXACT_RULES, AmbiguousPaper, PaperNotFound, PaperRef, resolve_paper

    unique, _ = deduplicate(records)
    owner = {s: p.id for p in unique for s in p.sources}
    # What each paper's merged records call it: the paper keeps one record id, its inputs may have several.
    names: dict[str, set[str]] = {p.id: set() for p in unique}
    for r in records:
        pid = next((owner[s] for s in r.sources if s in owner), None)
        if pid is not None:
            names[pid].update(v for v in (r.arxiv_id, r.record_id) if v)
    refs = [PaperRef.from_paper(p, names[p.id]) for p in unique]
    by_key = {f"paper/{p.id}": p for p in unique}
    unknown: list[str] = []
    ambiguous: list[str] = []
    drop: set[Source] = set()
    for query in dict.fromkeys(ids):
        try:
            drop.update(by_key[resolve_paper(refs, query, rules=EXACT_RULES, unanimous=True)].sources)
        except PaperNotFound:
            unknown.append(query)
        except AmbiguousPaper as exc:
            ambiguous.append(str(exc))
    kept = [r for r in records if not (set(r.sources) & drop)]
    return kept, sorted(unknown), ambiguous

