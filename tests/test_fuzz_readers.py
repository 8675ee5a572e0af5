"""Property-based fuzzing of every reader (issue 14): random bytes, random JSON, truncations, encodings.

No reader may raise, whatever the file holds; every record becomes a Paper or a located Problem (the
file, and a line inside it); nothing a reader returns breaks the UTF-8 writers. Readers are called
directly (kg.readers.read_file would turn a raise into an "internal error" problem), and through
read_file for what it adds (encoding and binary sniffing, the length cap). Bounded: about 150
examples a property, no deadline, no example database (nothing written into the repository).
"""
from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.model import MAX_TEXT_CHARS, Paper, Problem
from kg.readers import read_file
from kg.readers.arxiv_atom import read_atom
from kg.readers.bibtex import read_bibtex
from kg.readers.json_array import read_json
from kg.readers.jsonl import read_jsonl
from kg.readers.listing import read_listing
from kg.readers.pubmed import read_pubmed
from kg.readers.ris import read_ris
from kg.readers.tabular import read_table

DATA = Path(__file__).resolve().parent / "data" / "readers"
READERS: dict[str, Callable[[str | Path, list[Problem]], Iterator[Paper]]] = {
    "jsonl": read_jsonl, "json": read_json, "listing": read_listing, "arxiv-atom": read_atom, "bibtex": read_bibtex,
    "ris": read_ris, "pubmed": read_pubmed, "csv": read_table,
}
FIXTURES = {"jsonl": "papers.jsonl", "json": "papers.json", "listing": "listing.txt", "arxiv-atom": "feed.xml",
            "bibtex": "refs.bib", "ris": "refs.ris", "pubmed": "pubmed.xml", "csv": "papers.csv"}
FUZZ = settings(max_examples=150, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Text with what hostile files carry: any code point, lone surrogates, LaTeX, braces, markup, line breaks.
_NASTY = st.sampled_from(["\ud800", "\udfff", "\U0001F600", "\\ud800", "{", "}", "$", "\\textbf{", "%", "&", "<",
                          "\x00", "\r", "\n", "\n\n", "@article{", "\u2028", "\ufeff", "\\", '"'])
TEXT = st.lists(st.one_of(st.characters(), _NASTY), max_size=40).map("".join)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)
RECORDS = st.fixed_dictionaries(
    {"title": st.one_of(TEXT, JSON_VALUES), "abstract": st.one_of(TEXT, TEXT, JSON_VALUES)},
    optional={"id": JSON_VALUES, "url": st.one_of(TEXT, JSON_VALUES), "authors": st.one_of(TEXT, JSON_VALUES),
              "categories": JSON_VALUES, "date": JSON_VALUES, "year": JSON_VALUES, "versions": JSON_VALUES,
              "authors_parsed": JSON_VALUES})


def _run(reader: Callable, data: bytes, name: str) -> tuple[list[Paper], list[Problem], str, int]:
    """Read `data` saved as `name` with `reader`: (papers, problems, path, number of lines); checks that
    nothing raised and that every paper and problem is located in this file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        problems: list[Problem] = []
        papers = list(reader(path, problems))
        shown = str(path)
    lines = len(re.split(rb"\r\n|\r|\n", data))  # XML counts a lone CR as a line end too
    for p in problems:
        assert isinstance(p, Problem) and p.path == shown and 0 <= p.line <= lines and p.message, p
        str(p).encode("utf-8")  # problems.log is UTF-8
    for paper in papers:
        source = paper.sources[0]
        assert source.path == shown and 1 <= source.line <= lines, source
        for text in (paper.title, paper.abstract, paper.url or "", paper.record_id or "", paper.date or "",
                     *paper.authors, *paper.categories, *paper.code_urls):
            text.encode("utf-8")  # the RDF, JSON and HTML writers are UTF-8: no lone surrogate gets through
    return papers, problems, shown, lines


def _via_read_file(data: bytes, name: str) -> tuple[list[Paper], list[Problem]]:
    papers, problems, _, _ = _run(lambda path, problems: read_file(path, None, problems), data, name)
    assert not any("internal error" in p.message for p in problems), problems  # read_file caught a raise
    assert all(len(p.text) <= MAX_TEXT_CHARS for p in papers)
    return papers, problems


@pytest.mark.parametrize("fmt", sorted(READERS))
@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes_never_raise(fmt, data):
    _run(READERS[fmt], data, "input" + {"arxiv-atom": ".xml", "listing": ".txt"}.get(fmt, "." + fmt))
    _via_read_file(data, "input.jsonl" if fmt == "jsonl" else "input" + {"arxiv-atom": ".xml", "bibtex": ".bib",
                                                                          "listing": ".txt"}.get(fmt, ".json"))


def _one_result_per_record(papers: list[Paper], problems: list[Problem], starts: list[int]) -> None:
    """Each record (by its first line) is a paper or a skipped problem there, never both, never neither."""
    paper_lines = [p.sources[0].line for p in papers]
    skipped = [p.line for p in problems if p.skipped]
    assert sorted(paper_lines + skipped) == sorted(starts), (paper_lines, skipped, starts)


@FUZZ
@given(values=st.lists(st.one_of(RECORDS, JSON_VALUES), min_size=1, max_size=12), ascii_only=st.booleans())
def test_json_lines_every_record_is_a_paper_or_a_located_problem(values, ascii_only):
    lines = [json.dumps(v, ensure_ascii=ascii_only) for v in values]
    data = "".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass")
    papers, problems, _, _ = _run(read_jsonl, data, "fuzz.jsonl")
    _one_result_per_record(papers, problems, list(range(1, len(lines) + 1)))


@FUZZ
@given(values=st.lists(st.one_of(RECORDS, RECORDS, JSON_VALUES), min_size=1, max_size=10))
def test_json_array_every_record_is_a_paper_or_a_located_problem(values):
    parts, starts, line = [], [], 2
    for v in values:
        text = json.dumps(v, indent=1)
        starts.append(line)
        parts.append(" " + text.replace("\n", "\n "))
        line += text.count("\n") + 1
    data = ("[\n" + ",\n".join(parts) + "\n]\n").encode("utf-8")
    papers, problems, _, _ = _run(read_json, data, "fuzz.json")
    _one_result_per_record(papers, problems, starts)
    # One value alone: a record (or not one), or an array of records on one line.
    single, problems, _, _ = _run(read_json, json.dumps(values[0]).encode("utf-8"), "single.json")
    results = len(single) + sum(p.skipped for p in problems)
    if isinstance(values[0], list):
        assert results == len(values[0])
    else:  # a record, or an object wrapping a list of records ({"papers": [...]}): at least one result
        assert results >= 1


_LINE_TEXT = st.text(st.characters(exclude_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), max_size=120)


@FUZZ
@given(paragraphs=st.lists(st.lists(_LINE_TEXT, min_size=1, max_size=3), max_size=12))
def test_listing_pages_never_raise_and_locate_titles(paragraphs):
    data = "\n\n".join("\n".join(p) for p in paragraphs).encode("utf-8", "surrogatepass")  # bad bytes: problems
    papers, problems, _, _ = _run(read_listing, data, "fuzz.txt")
    lines = data.decode("utf-8", "replace").split("\n")
    for paper in papers:  # a paper's line is where its title is (LaTeX in it becomes text: not compared)
        assert lines[paper.sources[0].line - 1].strip()


ENTRY_FIELDS = st.fixed_dictionaries({}, optional={
    "id": TEXT, "title": TEXT, "summary": TEXT, "published": TEXT, "author": st.lists(TEXT, max_size=3)})


def _xml_text(text: str) -> str:
    # XML 1.0 cannot hold some characters at all; the feed would be malformed, which is another test.
    kept = "".join(c for c in text if c in "\t\n\r" or 0x20 <= ord(c) <= 0xD7FF or 0xE000 <= ord(c) <= 0xFFFD)
    return escape(kept, {"\r": "&#13;", "\n": "&#10;"})  # each entry stays on its own line


@FUZZ
@given(entries=st.lists(ENTRY_FIELDS, max_size=8), cut=st.none() | st.integers(min_value=0))
def test_atom_feeds_every_entry_is_a_paper_or_a_located_problem(entries, cut):
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">']
    starts = []
    for e in entries:
        starts.append(len(lines) + 1)
        body = "".join(f"<{k}>{_xml_text(v)}</{k}>" for k, v in e.items() if k != "author")
        body += "".join(f"<author><name>{_xml_text(a)}</name></author>" for a in e.get("author", []))
        lines.append(f"<entry>{body}</entry>".replace("\n", " "))
    lines.append("</feed>")
    data = "\n".join(lines).encode("utf-8")
    if cut is not None:  # a truncated download
        data = data[:cut % (len(data) + 1)]
        _run(read_atom, data, "cut.xml")
        return
    papers, problems, _, _ = _run(read_atom, data, "fuzz.xml")
    _one_result_per_record(papers, problems, starts)


BIB_FIELDS = st.dictionaries(st.sampled_from(["title", "abstract", "author", "year", "month", "url", "doi", "eprint",
                                              "archiveprefix", "journal", "date", "primaryclass"]), TEXT, max_size=6)


@FUZZ
@given(entries=st.lists(st.tuples(st.sampled_from(["article", "inproceedings", "misc", "string", "comment"]),
                                  st.text("abcXYZ019:_-", min_size=1, max_size=8), BIB_FIELDS), max_size=6),
       braces=st.booleans())
def test_bibtex_never_raises_and_locates_problems(entries, braces):
    chunks = []
    for kind, key, fields in entries:
        body = ",\n".join(f"  {k} = {{{v}}}" if braces else f'  {k} = "{v}"' for k, v in fields.items())
        chunks.append(f"@{kind}{{{key},\n{body}\n}}\n")
    data = "\n".join(chunks).encode("utf-8", "surrogatepass")
    _run(read_bibtex, data, "fuzz.bib")


@pytest.mark.parametrize("fmt", sorted(FIXTURES))
@FUZZ
@given(cut=st.integers(min_value=0), noise=st.binary(max_size=20))
def test_truncated_and_damaged_fixtures_never_raise(fmt, cut, noise):
    data = (DATA / FIXTURES[fmt]).read_bytes()
    cut %= len(data) + 1
    for damaged in (data[:cut], data[:cut] + noise + data[cut:]):
        _run(READERS[fmt], damaged, FIXTURES[fmt])
        _via_read_file(damaged, FIXTURES[fmt])


@pytest.mark.parametrize("fmt", sorted(FIXTURES))
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig", "latin-1", "cp1252"])
def test_other_encodings_are_named_or_read(fmt, encoding):
    text = (DATA / FIXTURES[fmt]).read_text(encoding="utf-8")
    expected, _ = _via_read_file(text.encode("utf-8"), FIXTURES[fmt])
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode(encoding, "replace")
    for reader in (READERS[fmt], ):
        _run(reader, data, FIXTURES[fmt])  # never raises, located
    papers, problems = _via_read_file(data, FIXTURES[fmt])
    if encoding.startswith(("utf-16", "utf-32")):
        assert papers == [] and len(problems) == 1 and encoding[:6].upper() in problems[0].message
    elif encoding == "utf-8-sig":
        assert [p.title for p in papers] == [p.title for p in expected] and problems == []
    else:  # single-byte encodings: lines with bytes that are not UTF-8 are problems, the others are read
        assert len(papers) + len({p.line for p in problems}) >= 1
