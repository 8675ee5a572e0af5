"""arXiv API Atom feeds (export.arxiv.org/api/query results), streamed entry by entry with expat.

Entity declarations (DTD) are refused, as defusedxml does, so a hostile feed cannot expand entities.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

from ..model import Paper, Problem, Source
from .common import arxiv_id_in, make_paper
from .scholarly import normalize_doi

__all__ = ["FORMAT", "read_atom", "ATOM_NS", "ARXIV_NS"]

FORMAT = "arxiv-atom"
ATOM_NS = "http://www.w3.org/2005/Atom"
ARXIV_NS = "http://arxiv.org/schemas/atom"
_A = ATOM_NS + " "
_X = ARXIV_NS + " "
_TEXT_FIELDS = {_A + "id": "id", _A + "title": "title", _A + "summary": "summary",
                _A + "published": "published", _A + "updated": "updated", _X + "doi": "doi"}


class _Forbidden(Exception):
    pass


class _Entry:
    __slots__ = ("line", "fields", "authors", "links", "categories")

    def __init__(self, line: int):
        self.line = line
        self.fields: dict[str, str] = {}
        self.authors: list[str] = []
        self.links: list[dict[str, str]] = []
        self.categories: list[str] = []


class _Handler:
    """expat callbacks collecting <entry> elements into `done`."""

    def __init__(self, parser):
        self.parser = parser
        self.stack: list[str] = []
        self.entry: _Entry | None = None
        self.text: list[str] | None = None  # collecting character data of the current field
        self.done: list[_Entry] = []
        self.root: str | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
        self.stack.append(name)
        if name == _A + "entry":
            self.entry = _Entry(self.parser.CurrentLineNumber)
            return
        e = self.entry
        if e is None:
            return
        if name in _TEXT_FIELDS or (name == _A + "name" and len(self.stack) >= 2 and self.stack[-2] == _A + "author"):
            self.text = []
        elif name == _A + "link":
            e.links.append(attrs)
        elif name in (_X + "primary_category", _A + "category"):
            term = attrs.get("term")
            if term and term not in e.categories:
                if name == _X + "primary_category":
                    e.categories.insert(0, term)
                else:
                    e.categories.append(term)

    def chars(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def end(self, name: str) -> None:
        self.stack.pop()
        e = self.entry
        if e is None:
            return
        if name == _A + "entry":
            self.done.append(e)
            self.entry = None
        elif self.text is not None:
            value = "".join(self.text).strip()
            self.text = None
            if name == _A + "name":
                if value:
                    e.authors.append(value)
            else:
                e.fields.setdefault(_TEXT_FIELDS[name], value)

    def forbid(self, *args) -> None:
        raise _Forbidden()


def _paper(e: _Entry, path: str, problems: list[Problem]) -> Paper | None:
    f = e.fields
    entry_id = f.get("id", "")
    if "/api/errors" in entry_id:
        problems.append(Problem(path, e.line, f"arXiv API error: {f.get('summary') or f.get('title') or entry_id}"))
        return None
    label = f"entry {entry_id!r}" if entry_id else "entry without id"
    title, abstract = f.get("title"), f.get("summary")
    if not title:
        problems.append(Problem(path, e.line, f"missing title in {label}; skipped"))
        return None
    if not abstract:
        problems.append(Problem(path, e.line, f"missing abstract (summary) in {label}; skipped"))
        return None
    url = None
    for link in e.links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            url = link["href"]
            break
    published = f.get("published") or f.get("updated") or ""
    return make_paper(
        dois=_dois(f.get("doi", ""), e.links),
        title=title,
        abstract=abstract,
        url=url or entry_id or None,
        authors=e.authors,
        date=published[:10] or None,
        arxiv_id=arxiv_id_in(entry_id) or arxiv_id_in(f.get("doi")),
        categories=e.categories,
        source=Source(path, e.line, FORMAT),
        record_id=entry_id or None,
        normalize=True,
    )


def _dois(doi_field: str, links: list[dict[str, str]]) -> list[str]:
    """The journal DOIs of an entry: <arxiv:doi> (arXiv allows several, separated by spaces) and the
    <link title="doi" href="http://dx.doi.org/..."> arXiv writes beside it; normalised, in order.

    >>> _dois("10.1000/ABC 10.1000/def", [{"title": "doi", "href": "http://dx.doi.org/10.1000/abc"}])
    ['10.1000/abc', '10.1000/def']
    """
    found = [normalize_doi(v) for v in doi_field.split()]
    found += [normalize_doi(link.get("href")) for link in links if link.get("title") == "doi"]
    return list(dict.fromkeys(d for d in found if d))


def read_atom(path: str | Path, problems: list[Problem]) -> Iterator[Paper]:
    """Papers of an arXiv Atom feed; malformed XML is one Problem with its line and column."""
    shown = str(path)
    parser = expat.ParserCreate(namespace_separator=" ")
    handler = _Handler(parser)
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.chars
    parser.EntityDeclHandler = handler.forbid
    parser.ExternalEntityRefHandler = handler.forbid
    checked_root = False
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(1 << 16)
            try:
                parser.Parse(chunk, not chunk)
            except expat.ExpatError as err:
                problems.append(Problem(
                    shown, err.lineno,
                    f"malformed XML (line {err.lineno}, column {err.offset + 1}: "
                    f"{expat.ErrorString(err.code)}); rest of file skipped",
                ))
                chunk = b""
            except (LookupError, ValueError) as err:  # encoding="x" in the XML declaration that Python lacks
                problems.append(Problem(
                    shown, parser.CurrentLineNumber or 1,
                    f"the XML declaration names an encoding that cannot be decoded ({err}); file skipped"))
                return
            except _Forbidden:
                problems.append(Problem(
                    shown, parser.CurrentLineNumber,
                    "XML entity declarations are not allowed (entity expansion risk); file skipped",
                ))
                return
            if not checked_root and handler.root is not None:
                checked_root = True
                if handler.root != _A + "feed":
                    root = handler.root.split(" ")[-1]
                    problems.append(Problem(shown, 1, f"not an Atom feed (root element {root!r}); file skipped"))
                    return
            for entry in handler.done:
                paper = _paper(entry, shown, problems)
                if paper is not None:
                    yield paper
            handler.done.clear()
            if not chunk:
                return
