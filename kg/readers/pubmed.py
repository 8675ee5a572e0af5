"""PubMed XML (``PubmedArticleSet``, from efetch or the annual baseline files), streamed with expat.

MeSH headings (``MeshHeadingList``: each descriptor, and ``Descriptor/qualifier`` for each of its
qualifiers, as PubMed searches them) and keywords (``KeywordList``) become the paper's categories.

One article is held at a time, so a baseline file of a gigabyte stays small in memory. As for Atom feeds
(arxiv_atom), entity declarations are refused and no external DTD is loaded (the DOCTYPE that efetch
writes names one), so a hostile file cannot expand entities.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

from ..model import Paper, Problem, Source
from .common import arxiv_id_in, clean_space, make_paper
from .scholarly import normalize_doi

__all__ = ["FORMAT", "read_pubmed"]

FORMAT = "pubmed"
_ARTICLES = ("PubmedArticle", "PubmedBookArticle")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


class _Forbidden(Exception):
    pass


class _Article:
    __slots__ = ("line", "pmid", "title", "sections", "authors", "ids", "date", "elocation_doi", "subjects")

    def __init__(self, line: int):
        self.line = line
        self.pmid = ""
        self.title = ""
        self.sections: list[tuple[str, str]] = []
        self.authors: list[str] = []
        self.ids: dict[str, str] = {}
        self.date: dict[str, str] = {}
        self.elocation_doi = ""
        self.subjects: list[str] = []  # MeSH headings, then keywords, in document order


_EXPONENT = re.compile(r"[-\u2212+]?\d+")


class _Handler:
    """expat callbacks: the fields of the current article, by the path of elements inside it."""

    def __init__(self, parser):
        self.parser = parser
        self.stack: list[str] = []
        self.article: _Article | None = None
        self.text: list[str] | None = None  # character data of the field being read, markup included
        self.depth = 0  # stack depth of the element whose text is collected
        self.attrs: dict[str, str] = {}
        self.author: dict[str, str] | None = None
        self.done: list[_Article] = []
        self.descriptor = ""  # the DescriptorName of the MeshHeading being read, for its qualifiers
        self.root: str | None = None
        self.sups: list[int] = []  # for each open <sup> in a field, the index its text starts at in `text`

    def _under(self, *names: str) -> bool:
        """True when the open elements end with `names` (the element just opened being the last)."""
        return tuple(self.stack[-len(names):]) == names

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
        self.stack.append(name)
        if name in _ARTICLES:
            self.article = _Article(self.parser.CurrentLineNumber)
            return
        if self.article is None or self.text is not None:
            if name == "sup":
                self.sups.append(len(self.text))  # where its text starts: decided at </sup>
            return  # outside an article, or markup (<i>, <sup>) inside a field: its text joins the field
        parent = self.stack[-2] if len(self.stack) >= 2 else ""
        grand = self.stack[-3] if len(self.stack) >= 3 else ""
        collect = (
            (name == "PMID" and parent in ("MedlineCitation", "BookDocument"))
            or (name == "ArticleTitle" and parent in ("Article", "BookDocument"))
            or (name == "AbstractText" and parent == "Abstract" and grand in ("Article", "BookDocument"))
            or (name == "ArticleId" and parent == "ArticleIdList" and grand in ("PubmedData", "PubmedBookData"))
            or (name == "ELocationID" and parent == "Article" and attrs.get("EIdType") == "doi")
            or (parent == "PubDate" and name in ("Year", "Month", "Day", "MedlineDate"))
            or (self.author is not None and parent == "Author" and name in ("LastName", "ForeName", "Initials",
                                                                             "CollectiveName"))
            or (name in ("DescriptorName", "QualifierName") and parent == "MeshHeading" and grand == "MeshHeadingList")
            or (name == "Keyword" and parent == "KeywordList" and grand in ("MedlineCitation", "BookDocument"))
        )
        if name == "Author" and parent == "AuthorList" and grand in ("Article", "BookDocument"):
            self.author = {}
        if name == "MeshHeading":
            self.descriptor = ""  # a heading without its descriptor must not lend its qualifiers the last one
        if collect:
            self.text, self.depth, self.attrs, self.sups = [], len(self.stack), attrs, []

    def chars(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def end(self, name: str) -> None:
        a = self.article
        if name == "sup" and self.sups and self.text is not None:
            self._exponent(self.sups.pop())
        if a is not None and self.text is not None and len(self.stack) == self.depth:
            value = clean_space("".join(self.text))
            self.text = None
            parent = self.stack[-2]
            if name == "PMID":
                a.pmid = a.pmid or value
            elif name == "ArticleTitle":
                a.title = a.title or value
            elif name == "AbstractText":
                if value:
                    a.sections.append((clean_space(self.attrs.get("Label", "")), value))
            elif name == "ArticleId":
                a.ids.setdefault(self.attrs.get("IdType", ""), value)
            elif name == "ELocationID":
                a.elocation_doi = a.elocation_doi or value
            elif parent == "PubDate":
                if len(self.stack) >= 3 and self.stack[-3] in ("JournalIssue", "Book"):
                    a.date.setdefault(name, value)
            elif name == "DescriptorName":
                self.descriptor = value
                if value:
                    a.subjects.append(value)
            elif name == "QualifierName":
                if value and self.descriptor:  # the DTD puts the descriptor first: "Neoplasms/drug therapy"
                    a.subjects.append(f"{self.descriptor}/{value}")
            elif name == "Keyword":
                if value:
                    a.subjects.append(value)
            elif self.author is not None:
                self.author[name] = value
        elif a is not None and name == "Author" and self.author is not None:
            au = self.author
            self.author = None
            person = " ".join(p for p in (au.get("ForeName") or au.get("Initials", ""), au.get("LastName", "")) if p)
            if person or au.get("CollectiveName"):
                a.authors.append(person or au["CollectiveName"])
        elif name in _ARTICLES and a is not None:
            self.done.append(a)
            self.article = None
        self.stack.pop()

    def _exponent(self, at: int) -> None:
        """Mark a numeric superscript after a digit as an exponent: "10<sup>-3</sup>" reads 10^-3.

        Without the mark it would read as the range "10-3"; "^" is what LaTeX text becomes too. Every
        other superscript joins the text as it is: CD4+, Ca2+, [18F]FDG, 13C, citation marks.
        """
        before = "".join(self.text[:at])
        if before[-1:].isdigit() and _EXPONENT.fullmatch("".join(self.text[at:]).strip()):
            self.text.insert(at, "^")

    def forbid(self, *args) -> None:
        raise _Forbidden()


def _date(d: dict[str, str]) -> str | None:
    year = d.get("Year", "")
    if not re.fullmatch(r"\d{4}", year):
        m = re.match(r"\s*(\d{4})", d.get("MedlineDate", ""))  # "1998 Dec-1999 Jan": the first year
        return m.group(1) if m else None
    month = d.get("Month", "").strip().lower()
    number = int(month) if month.isdigit() else _MONTHS.get(month[:3])
    if not number or not 1 <= number <= 12:
        return year
    day = d.get("Day", "")
    return f"{year}-{number:02d}-{int(day):02d}" if day.isdigit() and 1 <= int(day) <= 31 else f"{year}-{number:02d}"


def _paper(a: _Article, path: str, problems: list[Problem]) -> Paper | None:
    label = f"PubMed article PMID {a.pmid}" if a.pmid else "PubMed article without PMID"
    if not a.title:
        problems.append(Problem(path, a.line, f"missing title (ArticleTitle) in {label}; skipped"))
        return None
    if not a.sections:
        problems.append(Problem(path, a.line, f"missing abstract (AbstractText) in {label}; skipped"))
        return None
    # Structured abstracts: one "LABEL: text" paragraph per section, as PubMed shows them.
    abstract = "\n".join(f"{label_}: {text}" if label_ else text for label_, text in a.sections)
    doi = a.ids.get("doi") or a.elocation_doi
    pmid = a.pmid or a.ids.get("pubmed", "")
    return make_paper(
        title=a.title,
        abstract=abstract,
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else (f"https://doi.org/{doi}" if doi else None),
        authors=a.authors,
        date=_date(a.date),
        arxiv_id=arxiv_id_in(doi),
        source=Source(path, a.line, FORMAT),
        record_id=pmid or None,
        dois=[d] if (d := normalize_doi(doi)) else None,
        categories=a.subjects,
    )


def read_pubmed(path: str | Path, problems: list[Problem]) -> Iterator[Paper]:
    """Papers of a PubMed XML file; malformed XML is one Problem with its line and column, and the
    articles before it are kept."""
    shown = str(path)
    parser = expat.ParserCreate()
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
                    f"{expat.ErrorString(err.code)}); rest of file skipped"))
                chunk = b""
            except (LookupError, ValueError) as err:
                problems.append(Problem(
                    shown, parser.CurrentLineNumber or 1,
                    f"the XML declaration names an encoding that cannot be decoded ({err}); file skipped"))
                return
            except _Forbidden:
                problems.append(Problem(
                    shown, parser.CurrentLineNumber,
                    "XML entity declarations are not allowed (entity expansion risk); file skipped"))
                return
            if not checked_root and handler.root is not None:
                checked_root = True
                if handler.root != "PubmedArticleSet":
                    problems.append(Problem(
                        shown, 1, f"not a PubMed file (root element {handler.root!r}, not 'PubmedArticleSet'); "
                                  "file skipped"))
                    return
            for article in handler.done:
                paper = _paper(article, shown, problems)
                if paper is not None:
                    yield paper
            handler.done.clear()
            if not chunk:
                return
