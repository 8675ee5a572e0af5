"""One JSON record -> Paper: generic {id, title, abstract, ...} records, arXiv metadata snapshot lines,
arXiv digest records, OpenAlex Works, Semantic Scholar Graph API papers and CSL-JSON (Zotero) items.

The formats name the same fields differently; each field is looked up under its aliases, in order:

- title: ``title``, ``display_name`` (OpenAlex)
- abstract: ``abstract``, ``summary``, ``abstractNote``, ``paperAbstract``, ``AB``, else OpenAlex's
  ``abstract_inverted_index`` rebuilt into text
- arXiv id: ``arxiv_id``, ``arxivId``, ``arxiv``, ``externalIds.ArXiv``, ``ids.arxiv``, then an
  arXiv-shaped ``id``, a URL naming arXiv, an arXiv DOI (10.48550/arXiv.XXXX) or a CSL ``number``
- DOIs: ``doi``, ``DOI``, ``externalIds.DOI``, ``ids.doi`` (normalised: lower case, no https://doi.org/)
- date: ``date``, ``published``, ``publication_date``, ``publicationDate``, CSL ``issued``, ``year``,
  ``publication_year``
- authors: ``authors`` (names, {"name"} or {"given", "family"}), CSL ``author`` ({family, given} or
  {literal}), OpenAlex ``authorships[].author.display_name``
- record id: ``id`` (an OpenAlex W-id, a CSL item id), ``paperId`` (Semantic Scholar), ``corpusid``

A Semantic Scholar citation or reference entry ({"citingPaper": {...}, "contexts": [...]}) is read as
the paper it wraps.
"""
from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

from ..model import Paper, Problem, Source
from .common import arxiv_id_in, latex_to_text, make_paper, repair_surrogates, split_authors
from .scholarly import abstract_from_inverted_index, csl_date, nested, normalize_doi

__all__ = ["paper_from_record", "is_arxiv_snapshot", "record_list_key", "RECORD_LISTS", "RECORD_KEYS"]

# Fields a wrapper object ({"count": N, "papers": [...]}, an API page) keeps its records under.
RECORD_LISTS = ("papers", "data", "results", "items", "records")
_TITLE_KEYS = ("title", "display_name")
_ABSTRACT_KEYS = ("abstract", "summary", "abstractNote", "paperAbstract", "AB")
# Keys that make an object a record rather than a wrapper of records.
RECORD_KEYS = frozenset((*_TITLE_KEYS, *_ABSTRACT_KEYS))

# Keys only the arXiv metadata snapshot (Kaggle "arxiv-metadata-oai-snapshot.json") has.
_SNAPSHOT_KEYS = ("update_date", "versions", "authors_parsed", "submitter", "journal-ref")


def is_arxiv_snapshot(rec: dict) -> bool:
    """True for a record of the arXiv metadata snapshot (its id is an arXiv id, its text has line breaks)."""
    return any(k in rec for k in _SNAPSHOT_KEYS)


def _label(rec: dict) -> str:
    for key in ("id", "paperId", "DOI", "doi"):
        rid = rec.get(key)
        if rid not in (None, "") and not isinstance(rid, (dict, list)):
            return f"record {str(rid)!r}"
    corpusid = rec.get("corpusid")  # Semantic Scholar datasets: no other id at the top level
    if isinstance(corpusid, (int, str)) and not isinstance(corpusid, bool) and corpusid != "":
        return f"record corpusid {corpusid}"
    return "record without id"


def record_list_key(rec: object) -> str | None:
    """The field of a wrapper object that holds its records ({"count": N, "papers": [...]}, an OpenAlex
    page {"meta", "results"}, a Semantic Scholar page {"total", "offset", "data"}), or None for an
    object that is a record itself.

    A wrapper has no title or abstract of its own and one top-level list of records: the one whose
    objects have a title, else the one named papers, data, results, items or records.

    >>> record_list_key({"meta": {"count": 2}, "results": [{"display_name": "A"}], "group_by": []})
    'results'
    >>> record_list_key({"title": "A paper", "data": [{"title": "x"}]}) is None
    True
    >>> record_list_key({"total": 0, "offset": 0, "data": []})
    'data'
    """
    if not isinstance(rec, dict) or any(k in rec for k in RECORD_KEYS):
        return None
    lists = {k: v for k, v in rec.items() if isinstance(v, list) and any(isinstance(x, dict) for x in v)}
    titled = [k for k, v in lists.items() if any(isinstance(x, dict) and any(t in x for t in _TITLE_KEYS) for x in v)]
    named = [k for k, v in rec.items() if k in RECORD_LISTS and isinstance(v, list)]  # empty pages too
    for keys in (titled, [k for k in titled if k in RECORD_LISTS], named):
        if len(keys) == 1:
            return keys[0]
    return None


# Semantic Scholar's /paper/{id}/citations and /references pages wrap each paper with its citation
# context: {"data": [{"citingPaper": {...}, "contexts": [...], "intents": [...], "isInfluential": false}]}.
_CITATION_KEYS = ("citingPaper", "citedPaper")


def _cited(rec: dict) -> dict:
    """The paper object of a Semantic Scholar citation or reference entry; any other record as it is.

    >>> _cited({"citedPaper": {"paperId": "x", "title": "T"}, "isInfluential": False})
    {'paperId': 'x', 'title': 'T'}
    """
    if any(k in rec for k in RECORD_KEYS):
        return rec
    inner = [rec[k] for k in _CITATION_KEYS if isinstance(rec.get(k), dict)]
    return inner[0] if len(inner) == 1 else rec


def _why_no_abstract(rec: dict) -> str:
    """Which null field the abstract was looked for in, when the record has one: APIs give null, not
    nothing, where they withhold an abstract (OpenAlex for publisher-restricted works, Semantic Scholar
    for many), and saying so tells that apart from a record of the wrong shape.

    >>> _why_no_abstract({"abstract_inverted_index": None}), _why_no_abstract({"title": "T"})
    (' (abstract_inverted_index is null: OpenAlex has no abstract for this work)', '')
    """
    if "abstract_inverted_index" in rec and rec["abstract_inverted_index"] is None:
        return " (abstract_inverted_index is null: OpenAlex has no abstract for this work)"
    for key in _ABSTRACT_KEYS:
        if key in rec:
            return f" ({key} is {'null' if rec[key] is None else 'empty'})"
    return ""


def _text(value: object) -> str | None:
    """An identifier-like value as text: strings and numbers (ids, years); None for anything else."""
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    return str(value)


def _kind(value: object) -> str:
    """What a JSON value is, in words: "a boolean (true)", "a number (42)", "a list", "an object"."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        text = repr(value)
        return f"a number ({text if len(text) <= 20 else text[:17] + '...'})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Fields:
    """Typed access to a record's fields: a value of the wrong JSON type is refused with a located Problem."""

    def __init__(self, rec: dict, path: str, line: int, problems: list[Problem]):
        self.rec, self.path, self.line, self.problems = rec, path, line, problems
        self.label = _label(rec)

    def warn(self, what: str, action: str) -> None:
        self.problems.append(Problem(self.path, self.line, f"{what} in {self.label}; {action}", skipped=False))

    def string(self, *keys: str) -> tuple[str | None, str | None]:
        """(value, key) of the first of `keys` present and not null; a non-string value is refused."""
        for key in keys:
            value = self.rec.get(key)
            if value is None:
                continue
            if isinstance(value, str):
                return value, key
            return None, key
        return None, None

    def optional(self, *keys: str, numbers: bool = False) -> str | None:
        """The first of `keys` that is a non-empty string (or a number, with `numbers`); others refused."""
        for key in keys:
            value = self.rec.get(key)
            if value is None or value == "":
                continue
            if isinstance(value, str) or (numbers and isinstance(value, (int, float)) and not isinstance(value, bool)):
                return str(value)
            self.warn(f"{key} is {_kind(value)}, not text,", "field ignored")
        return None

    def authors(self, *keys: str) -> list[str]:
        """Author names from a string ("A and B, C"), or a list of names, {"name"} / {"given", "family"}
        objects or [last, first, suffix] lists of strings; anything else is refused."""
        for key in keys:
            value = self.rec.get(key)
            if value is None or value == "" or value == []:
                continue
            if isinstance(value, str):
                return split_authors(value)
            if not isinstance(value, list):
                self.warn(f"{key} is {_kind(value)}, not a list of names,", "field ignored")
                return []
            names = []
            for i, item in enumerate(value, 1):
                name = _author_name(item)
                if name is None:
                    self.warn(f"{key} item {i} is {_kind(item)}, not a name,", "author refused")
                elif name:
                    names.append(name)
            return names
        return []

    def categories(self, key: str) -> list[str]:
        """Category codes ("cs.CV cs.LG", or a list): split on spaces and commas."""
        return self._terms(key, r"[\s,]+", "category names")

    def keywords(self, key: str) -> list[str]:
        """Free-text keywords (CSL's `keyword`, Zotero's tags joined by ", "): split on commas and
        semicolons, not on spaces, since a keyword is often several words."""
        return self._terms(key, r"[;,]", "keywords")

    def _terms(self, key: str, separators: str, what: str) -> list[str]:
        value = self.rec.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [t.strip() for t in re.split(separators, value) if t.strip()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value if v.strip()]
        self.warn(f"{key} is {_kind(value)}, not {what},", "field ignored")
        return []


def _author_name(item: object) -> str | None:
    """One author's name; "" for an empty one; None for a value that is no name."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        name = item.get("name")
        if isinstance(name, str):
            return name
        if name is not None:
            return None
        for value in (item.get("display_name"), item.get("literal"), nested(item, "author", "display_name"),
                      item.get("raw_author_name")):  # OpenAlex, CSL literal names, OpenAlex authorships
            if isinstance(value, str):
                return value
        parts = [item.get(k) for k in ("first", "given", "dropping-particle", "non-dropping-particle", "last",
                                       "family", "suffix") if item.get(k) is not None]
        if parts and all(isinstance(p, str) for p in parts):
            return " ".join(p for p in parts if p)
        return None
    if isinstance(item, list) and item and all(isinstance(p, str) for p in item):
        # arXiv snapshot authors_parsed: [last, first, suffix]
        return " ".join(p for p in (item[1:2] + item[:1] + item[2:3]) if p)
    return None


def _first_version_date(rec: dict) -> str | None:
    versions = rec.get("versions")
    if isinstance(versions, list) and versions and isinstance(versions[0], dict):
        created = versions[0].get("created")
        if isinstance(created, str):
            try:
                return parsedate_to_datetime(created).date().isoformat()
            except (TypeError, ValueError, IndexError):
                return None
    return None


def paper_from_record(rec: object, path: str, line: int, fmt: str, problems: list[Problem], *,
                      title_only: bool = False) -> Paper | None:
    """The Paper of one decoded JSON value, or None (and a Problem) if it is not a usable record.

    A title or abstract that is not a string skips the record; another field of the wrong type
    (``"url": 42``, an author that is a list) is refused with a Problem and the record kept. Lone
    surrogates (``"\\ud800"``, which no UTF-8 output can hold) become U+FFFD, with a Problem. A record
    without an abstract is skipped, unless `title_only` (then it is read with an empty abstract: a
    Semantic Scholar paper that the abstracts dataset has no abstract for, see s2_datasets).
    """
    if not isinstance(rec, dict):
        problems.append(Problem(path, line, f"expected a JSON object, got {type(rec).__name__}; skipped"))
        return None
    rec = _cited(rec)
    rec, repaired = repair_surrogates(rec)
    f = _Fields(rec, path, line, problems)
    if repaired:
        f.warn(f"lone UTF-16 surrogate (\\ud800-\\udfff) in field {', '.join(repaired)}", "replaced with U+FFFD")
    title, title_key = f.string(*_TITLE_KEYS)
    abstract, abstract_key = f.string(*_ABSTRACT_KEYS)
    for value, key in ((title, title_key), (abstract, abstract_key)):
        if value is None and key is not None:
            problems.append(Problem(path, line, f"{key} is {_kind(rec[key])}, not text, in {f.label}; skipped"))
            return None
    if title is None:
        problems.append(Problem(path, line, f"missing title in {f.label}; skipped"))
        return None
    if abstract is None and rec.get("abstract_inverted_index") is not None:  # OpenAlex
        abstract, why = abstract_from_inverted_index(rec["abstract_inverted_index"])
        for reason in why:
            f.warn(reason, "see the abstract")
    if (abstract is None or not abstract.strip()) and not title_only:
        problems.append(Problem(path, line, f"missing abstract{_why_no_abstract(rec)} in {f.label}; skipped"))
        return None
    snapshot = is_arxiv_snapshot(rec)
    dois = _dois(f)
    arxiv_id = _arxiv_id(rec, dois)
    url = f.optional("url", "link", "URL") or _text(nested(rec, "primary_location", "landing_page_url"))
    if url is None and not arxiv_id and dois:
        url = f"https://doi.org/{dois[0]}"
    if snapshot:
        authors = f.authors("authors_parsed", "authors")
        authors = [latex_to_text(a) for a in authors]
        date = _first_version_date(rec) or f.optional("update_date")
    else:
        authors = f.authors("authors", "author", "authorships")
        date = (f.optional("date", "published", "publication_date", "publicationDate", "publicationdate")
                or csl_date(rec.get("issued")) or f.optional("year", "publication_year", numbers=True))
    record_id = f.optional("id", "paperId", "corpusid", numbers=True)
    return make_paper(
        title=title,
        abstract=abstract or "",
        url=url,
        authors=authors,
        date=date,
        arxiv_id=arxiv_id,
        categories=f.categories("categories") + f.keywords("keyword"),
        source=Source(path, line, fmt),
        record_id=record_id,
        dois=dois,
        # Snapshot text is hard-wrapped; other records are kept verbatim so offsets match the input.
        normalize=snapshot,
    )


def _dois(f: _Fields) -> list[str]:
    """The record's DOIs, normalised, each once; a value that is no DOI is refused with a Problem."""
    found: list[str] = []
    for where, value in (("doi", f.rec.get("doi")), ("DOI", f.rec.get("DOI")),
                         ("externalIds.DOI", nested(f.rec, "externalIds", "DOI")),
                         ("externalids.DOI", nested(f.rec, "externalids", "DOI")),
                         ("externalids.doi", nested(f.rec, "externalids", "doi")),
                         ("ids.doi", nested(f.rec, "ids", "doi"))):
        if value is None or value == "":
            continue
        doi = normalize_doi(value)
        if doi is None:
            shown = repr(value[:60]) if isinstance(value, str) else _kind(value)
            f.warn(f"{where} {shown} is not a DOI", "field ignored")
        elif doi not in found:
            found.append(doi)
    return found


def _arxiv_id(rec: dict, dois: list[str]) -> str | None:
    """The arXiv id: from a field made for it, else from an id, URL, DOI or CSL number naming arXiv."""
    explicit = (rec.get("arxiv_id"), rec.get("arxivId"), rec.get("arxiv"),
                nested(rec, "externalIds", "ArXiv"), nested(rec, "externalids", "ArXiv"), nested(rec, "externalids", "arxiv"),
                nested(rec, "ids", "arxiv"))
    others = (rec.get("id"), rec.get("url"), rec.get("link"), rec.get("URL"), *dois, rec.get("number"),
              nested(rec, "primary_location", "landing_page_url"))
    for value in (*explicit, *others):
        found = arxiv_id_in(_text(value))
        if found:
            return found
    locations = rec.get("locations")  # OpenAlex: one location may be the arXiv copy
    if isinstance(locations, list):
        for loc in locations:
            found = arxiv_id_in(_text(nested(loc, "landing_page_url"))) if isinstance(loc, dict) else None
            if found:
                return found
    return None
