"""One JSON record (generic {id, title, abstract, ...} or an arXiv metadata snapshot line) -> Paper."""
from __future__ import annotations

from email.utils import parsedate_to_datetime

from ..model import Paper, Problem, Source
from .common import arxiv_id_in, latex_to_text, make_paper, repair_surrogates, split_authors

__all__ = ["paper_from_record", "is_arxiv_snapshot"]

# Keys only the arXiv metadata snapshot (Kaggle "arxiv-metadata-oai-snapshot.json") has.
_SNAPSHOT_KEYS = ("update_date", "versions", "authors_parsed", "submitter", "journal-ref")


def is_arxiv_snapshot(rec: dict) -> bool:
    """True for a record of the arXiv metadata snapshot (its id is an arXiv id, its text has line breaks)."""
    return any(k in rec for k in _SNAPSHOT_KEYS)


def _label(rec: dict) -> str:
    rid = rec.get("id")
    return f"record {str(rid)!r}" if rid not in (None, "") else "record without id"


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
        value = self.rec.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return value.replace(",", " ").split()
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v for v in value if v]
        self.warn(f"{key} is {_kind(value)}, not category names,", "field ignored")
        return []


def _author_name(item: object) -> str | None:
    """One author's name; "" for an empty one; None for a value that is no name."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        name = item.get("name")
        if isinstance(name, str):
            return name
        parts = [item.get(k) for k in ("first", "given", "last", "family") if item.get(k) is not None]
        if name is None and parts and all(isinstance(p, str) for p in parts):
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


def paper_from_record(rec: object, path: str, line: int, fmt: str, problems: list[Problem]) -> Paper | None:
    """The Paper of one decoded JSON value, or None (and a Problem) if it is not a usable record.

    A title or abstract that is not a string skips the record; another field of the wrong type
    (``"url": 42``, an author that is a list) is refused with a Problem and the record kept. Lone
    surrogates (``"\\ud800"``, which no UTF-8 output can hold) become U+FFFD, with a Problem.
    """
    if not isinstance(rec, dict):
        problems.append(Problem(path, line, f"expected a JSON object, got {type(rec).__name__}; skipped"))
        return None
    rec, repaired = repair_surrogates(rec)
    f = _Fields(rec, path, line, problems)
    if repaired:
        f.warn(f"lone UTF-16 surrogate (\\ud800-\\udfff) in field {', '.join(repaired)}", "replaced with U+FFFD")
    title, title_key = f.string("title")
    abstract, abstract_key = f.string("abstract", "summary")
    for value, key in ((title, title_key), (abstract, abstract_key)):
        if value is None and key is not None:
            problems.append(Problem(path, line, f"{key} is {_kind(rec[key])}, not text, in {f.label}; skipped"))
            return None
    if title is None:
        problems.append(Problem(path, line, f"missing title in {f.label}; skipped"))
        return None
    if abstract is None or not abstract.strip():
        problems.append(Problem(path, line, f"missing abstract in {f.label}; skipped"))
        return None
    snapshot = is_arxiv_snapshot(rec)
    arxiv_id = None
    for key in ("arxiv_id", "arxiv", "id", "url", "doi", "link"):
        arxiv_id = arxiv_id_in(_text(rec.get(key)))
        if arxiv_id:
            break
    url = f.optional("url", "link")
    if snapshot:
        authors = f.authors("authors_parsed", "authors")
        authors = [latex_to_text(a) for a in authors]
        date = _first_version_date(rec) or f.optional("update_date")
    else:
        authors = f.authors("authors")
        date = f.optional("date", "published", "year", numbers=True)
    record_id = f.optional("id", numbers=True)
    return make_paper(
        title=title,
        abstract=abstract,
        url=url,
        authors=authors,
        date=date,
        arxiv_id=arxiv_id,
        categories=f.categories("categories"),
        source=Source(path, line, fmt),
        record_id=record_id,
        # Snapshot text is hard-wrapped; other records are kept verbatim so offsets match the input.
        normalize=snapshot,
    )
