"""CSV and TSV tables (spreadsheet and reference-manager exports) with a header row naming the columns.

The dialect comes from the extension (.csv: RFC 4180 / Excel; .tsv, .tab: tab-separated, always), except that a
.csv whose header row has more semicolons (or tabs) than commas is read with that delimiter: Excel in
locales with a decimal comma (German, French, ...) saves "CSV" with ";". Quoted fields may hold commas,
quotes and line breaks; a CRLF inside a quoted field is read as one line break. Columns are found by name, in any order and case: Title, Abstract
(or Abstract Note, summary, AB), and when present id / arXiv id / DOI / authors / year / date / URL. Each
row becomes a record for records.paper_from_record, so rows are checked as JSON records are.
"""
from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

from ..model import Paper, Problem
from .common import utf8_problem
from .records import paper_from_record

__all__ = ["FORMAT", "read_table", "column_key"]

FORMAT = "csv"
# Normalised header name (column_key) -> record field; the first column found for a field wins.
_COLUMNS = {
    "title": "title", "ti": "title", "t1": "title", "articletitle": "title", "documenttitle": "title",
    "papertitle": "title",
    "abstract": "abstract", "abstractnote": "abstract", "summary": "abstract", "ab": "abstract", "n2": "abstract",
    "abstracttext": "abstract", "paperabstract": "abstract", "articleabstract": "abstract",
    "arxivid": "arxiv_id", "arxiv": "arxiv_id", "eprint": "arxiv_id",
    "id": "id", "key": "id", "pmid": "id",
    "doi": "doi", "di": "doi",
    "authors": "authors", "author": "authors", "au": "authors", "creators": "authors",
    "date": "date", "publicationdate": "date", "published": "date",
    "year": "year", "publicationyear": "year", "py": "year",
    "url": "url", "link": "url",
}
_FIELD_LIMIT = 16 << 20  # the csv module refuses fields over 128 KiB by default; abstracts are cut later anyway


def column_key(name: str) -> str:
    """A header name as it is looked up: lower case, letters and digits only.

    >>> column_key("Abstract Note"), column_key("arXiv_ID"), column_key("\\ufeffTitle")
    ('abstractnote', 'arxivid', 'title')
    """
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _lines(path: str | Path, problems: list[Problem], bad: set[int]) -> Iterator[str]:
    """The file's lines, line endings kept (the csv module needs them inside quoted fields), UTF-8
    decoded one line at a time; a line that is not UTF-8 is reported and its number put in `bad`."""
    offset = 0
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            data = raw[3:] if lineno == 1 and raw.startswith(b"\xef\xbb\xbf") else raw
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as e:
                problems.append(utf8_problem(str(path), lineno, data, e, offset + len(raw) - len(data)))
                bad.add(lineno)
                text = data.decode("utf-8", errors="replace")
            offset += len(raw)
            yield text


def _authors(value: str) -> list[str]:
    """"Last, First; Last, First" (Zotero, Scopus) or "A and B, C" -> names."""
    if ";" in value:
        names = []
        for part in value.split(";"):
            bits = [b.strip() for b in part.split(",")]
            names.append(f"{bits[1]} {bits[0]}" if len(bits) == 2 and all(bits) else part.strip())
        return [n for n in names if n]
    return [value] if value.strip() else []


def _delimiter(header: str, default: str) -> str:
    r"""The delimiter of a header row: the most frequent of comma, semicolon and tab outside quotes,
    `default` on a tie (a one-column header has none).

    >>> _delimiter("Title;Abstract;Year\n", ","), _delimiter('"Title, short",Abstract\n', ","), _delimiter("Title", "\t")
    (';', ',', '\t')
    """
    bare = re.sub(r'"[^"]*"', "", header)
    counts = {d: bare.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == default))
    return best if counts[best] > counts.get(default, 0) else default


def read_table(path: str | Path, problems: list[Problem]) -> Iterator[Paper]:
    """Papers of a .csv / .tsv / .tab file; a row that does not fit the header is a Problem at the line
    where the row starts, and the other rows are still read."""
    shown = str(path)
    dialect = "excel-tab" if Path(path).suffix.lower() in (".tsv", ".tab") else "excel"
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    bad: set[int] = set()
    lines = _lines(path, problems, bad)
    head = list(itertools.islice(lines, 1))  # the first line, for the delimiter; then read again with the rest
    # Only a .csv is sniffed: a .tsv / .tab is tab-separated, whatever its header holds ("Tags (a, b, c)").
    if dialect == "excel-tab":
        delimiter = "\t"
    else:
        delimiter = _delimiter(head[0], ",") if head else ","
    reader = csv.reader(itertools.chain(head, lines), dialect=dialect, delimiter=delimiter)
    columns: dict[int, str] | None = None
    width = 0
    end = 0  # the physical line the previous row ended on
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            end = reader.line_num
            problems.append(Problem(shown, start, f"malformed CSV row ({e}); row skipped"))
            continue
        end = reader.line_num
        if not row or not any(cell.strip() for cell in row):
            continue
        if any(start <= n <= end for n in bad):
            continue  # reported by _lines
        if columns is None:
            columns = {}
            for i, name in enumerate(row):
                field = _COLUMNS.get(column_key(name))
                if field and field not in columns.values():
                    columns[i] = field
            missing = [f for f in ("title", "abstract") if f not in columns.values()]
            if missing:
                problems.append(Problem(shown, start, (
                    f"the header row names no {' or '.join(missing)} column (looked for "
                    f"{', '.join(sorted(k for k, v in _COLUMNS.items() if v in missing))}, any case); file skipped")))
                return
            width = len(row)
            continue
        if len(row) < width or (len(row) > width and any(c.strip() for c in row[width:])):
            problems.append(Problem(shown, start, f"row has {len(row)} fields, the header has {width}; row skipped"))
            continue
        rec: dict[str, object] = {}
        for i, field in columns.items():
            value = row[i].replace("\r\n", "\n")  # Windows line breaks inside a quoted cell
            if value.strip():
                rec[field] = _authors(value) if field == "authors" else value.strip() if field != "abstract" else value
        if "date" not in rec and "year" in rec:
            rec["date"] = rec["year"]
        rec.pop("year", None)
        if "url" not in rec and "doi" in rec:
            doi = str(rec["doi"])
            rec["url"] = doi if doi.startswith("http") else f"https://doi.org/{doi}"
        paper = paper_from_record(rec, shown, start, FORMAT, problems)
        if paper is not None:
            yield paper
