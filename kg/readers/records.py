"""One JSON record (generic {id, title, abstract, ...} or an arXiv metadata snapshot line) -> Paper."""
from __future__ import annotations

from email.utils import parsedate_to_datetime

from ..model import Paper, Problem, Source
from .common import arxiv_id_in, latex_to_text, make_paper, split_authors

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
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return None
    return str(value)


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


def _categories(value: object) -> list[str]:
    if isinstance(value, str):
        return value.replace(",", " ").split()
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v]
    return []


def paper_from_record(rec: object, path: str, line: int, fmt: str, problems: list[Problem]) -> Paper | None:
    """The Paper of one decoded JSON value, or None (and a Problem) if it is not a usable record."""
    if not isinstance(rec, dict):
        problems.append(Problem(path, line, f"expected a JSON object, got {type(rec).__name__}; skipped"))
        return None
    label = _label(rec)
    title = _text(rec.get("title"))
    abstract = _text(rec.get("abstract", rec.get("summary")))
    if title is None:
        problems.append(Problem(path, line, f"missing title in {label}; skipped"))
        return None
    if abstract is None or not abstract.strip():
        problems.append(Problem(path, line, f"missing abstract in {label}; skipped"))
        return None
    snapshot = is_arxiv_snapshot(rec)
    arxiv_id = None
    for key in ("arxiv_id", "arxiv", "id", "url", "doi", "link"):
        arxiv_id = arxiv_id_in(_text(rec.get(key)))
        if arxiv_id:
            break
    url = _text(rec.get("url") or rec.get("link"))
    if snapshot:
        authors = split_authors(rec.get("authors_parsed") or rec.get("authors"))
        authors = [latex_to_text(a) for a in authors]
        date = _first_version_date(rec) or _text(rec.get("update_date"))
    else:
        authors = split_authors(rec.get("authors"))
        date = _text(rec.get("date") or rec.get("published") or rec.get("year"))
    return make_paper(
        title=title,
        abstract=abstract,
        url=url,
        authors=authors,
        date=date,
        arxiv_id=arxiv_id,
        categories=_categories(rec.get("categories")),
        source=Source(path, line, fmt),
        record_id=_text(rec.get("id")),
        # Snapshot text is hard-wrapped; other records are kept verbatim so offsets match the input.
        normalize=snapshot,
    )
