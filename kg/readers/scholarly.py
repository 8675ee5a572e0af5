"""What the records of scholarly APIs and exports need beyond plain fields: DOIs, nested identifiers,
OpenAlex's inverted abstracts and CSL-JSON dates.

The shapes handled (see records.py for how a record becomes a Paper):

- OpenAlex Work objects: ``abstract_inverted_index`` ({word: [positions]}), ``ids.doi``,
  ``authorships[].author.display_name``, ``publication_date``.
- Semantic Scholar Graph API papers: ``externalIds`` {"ArXiv", "DOI"}; the datasets spell it ``externalids``.
- CSL-JSON items (Zotero's "CSL JSON" export): ``issued`` {"date-parts": [[2025, 3, 1]]}, ``DOI``, ``URL``.
"""
from __future__ import annotations

import datetime
import re
from urllib.parse import unquote

from .common import month_number

__all__ = ["normalize_doi", "nested", "abstract_from_inverted_index", "csl_date"]

# A DOI: "10." + registrant code + "/" + suffix (any printable characters but spaces).
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|info:doi/)", re.IGNORECASE)


def normalize_doi(value: object) -> str | None:
    """The DOI in `value` in one spelling (lower case, no https://doi.org/ or doi: prefix), or None.

    DOIs are case-insensitive, so lower case lets two sources' spellings meet.

    >>> normalize_doi("https://doi.org/10.48550/arXiv.2312.00273")
    '10.48550/arxiv.2312.00273'
    >>> normalize_doi("doi:10.1145/3485447.3512056"), normalize_doi("not a doi")
    ('10.1145/3485447.3512056', None)
    """
    if not isinstance(value, str):
        return None
    text = _DOI_PREFIX.sub("", value.strip())
    if "%" in text:
        text = unquote(text)  # DOIs in URLs are often percent-encoded ("10.1002%2Fanie...")
    text = text.strip().lower()
    return text if _DOI.fullmatch(text) else None


def nested(rec: dict, *path: str) -> object:
    """rec[path[0]][path[1]]...; None where a step is missing or not an object.

    >>> nested({"externalIds": {"ArXiv": "2312.00273"}}, "externalIds", "ArXiv")
    '2312.00273'
    >>> nested({"externalIds": None}, "externalIds", "ArXiv") is None
    True
    """
    value: object = rec
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def abstract_from_inverted_index(index: object) -> tuple[str | None, list[str]]:
    """The text of an OpenAlex ``abstract_inverted_index`` (each word at each of its positions, in
    position order, joined by spaces) and what was wrong with it.

    An entry whose positions are not a list of non-negative integers is left out; a position given to
    two words keeps the first; an index that is not an object, or has no words, gives no text.

    >>> abstract_from_inverted_index({"Despite": [0], "growing": [1], "interest": [2], "in": [3, 6],
    ...                               "Open": [4], "Access": [5], "the": [7]})
    ('Despite growing interest in Open Access in the', [])
    >>> abstract_from_inverted_index({"a": [0], "b": "1"})
    ('a', ["abstract_inverted_index entry 'b' has positions that are not a list of whole numbers; word left out"])
    """
    if not isinstance(index, dict):
        return None, ["abstract_inverted_index is not an object of word -> positions; not rebuilt"]
    slots: dict[int, str] = {}
    problems: list[str] = []
    clashes = 0
    for word, positions in index.items():
        if not isinstance(positions, list) or not all(
                isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in positions):
            problems.append(f"abstract_inverted_index entry {str(word)[:40]!r} has positions that are not a "
                            "list of whole numbers; word left out")
            continue
        for p in positions:
            if slots.setdefault(p, word) != word:
                clashes += 1
    if clashes:
        problems.append(f"abstract_inverted_index gives {clashes} position(s) to two words; the first kept")
    if not slots:
        return None, problems + ["abstract_inverted_index has no words; not rebuilt"]
    return " ".join(slots[p] for p in sorted(slots)), problems


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def csl_date(value: object) -> str | None:
    """A CSL-JSON date variable as text: "2025-03-01" from {"date-parts": [[2025, 3, 1]]}, "2025-03"
    or "2025" when less is known, else its "raw" or "literal" text; None when there is no date.

    >>> csl_date({"date-parts": [[2025, 3, 1]]}), csl_date({"date-parts": [["2024", 12]]})
    ('2025-03-01', '2024-12')
    >>> csl_date({"raw": "2023-12-01"}), csl_date("2020") , csl_date({"date-parts": [[]]})
    ('2023-12-01', '2020', None)
    >>> csl_date({"raw": "May 2023"}), csl_date({"raw": "3 Dec. 2021"}), csl_date({"literal": "Spring 2020"})
    ('2023-05', '2021-12-03', 'Spring 2020')
    """
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value))
    if not isinstance(value, dict):
        return None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        numbers = [_whole(p) for p in parts[0][:3]]
        out = []
        for n, width in zip(numbers, (4, 2, 2)):
            if n is None:
                break
            out.append(f"{n:0{width}d}")
        if out:
            return "-".join(out)
    raw = value.get("raw")
    if isinstance(raw, str) and raw.strip():
        return _raw_date(raw.strip())
    literal = value.get("literal")  # by CSL's definition a date not to be parsed: kept as written
    if isinstance(literal, str) and literal.strip():
        return literal.strip()
    return None


_RAW_DATES = (  # the spellings of CSL "raw" dates Zotero and Mendeley write, as (pattern, year/month/day groups)
    re.compile(r"(?P<y>\d{4})(?:[-/](?P<m>\d{1,2})(?:[-/](?P<d>\d{1,2}))?)?"),
    re.compile(r"(?:(?P<d>\d{1,2})\s+)?(?P<mon>[A-Za-z]{3,})\.?,?\s+(?P<y>\d{4})"),
    re.compile(r"(?P<mon>[A-Za-z]{3,})\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})"),
)


def _raw_date(text: str) -> str:
    """A CSL "raw" date ("May 2023", "2023/5/1", "3 Dec. 2021") as ISO text where it reads as one
    (the RDF types an ISO date as xsd:date, and other readers give ISO); else the text unchanged.
    A month is a real month name or abbreviation (kg.readers.common.month_number: "Marketing 2020" is
    no date), and a day one that month has ("Feb 30, 2021" stays as written).

    >>> _raw_date("Marketing 2020"), _raw_date("Feb 30, 2021"), _raw_date("Sept. 2019"), _raw_date("2020/2/29")
    ('Marketing 2020', 'Feb 30, 2021', '2019-09', '2020-02-29')
    """
    for pattern in _RAW_DATES:
        m = pattern.fullmatch(text)
        if not m:
            continue
        groups = m.groupdict()
        if groups.get("mon"):
            month = month_number(groups["mon"])
            if month is None:
                continue  # "Spring 2020", "Marketing 2020": no month name
        else:
            month = int(groups["m"]) if groups.get("m") else None
            if month is not None and not 1 <= month <= 12:
                return text  # "2020/13": not a date
        year = int(m.group("y"))
        if month is None:
            return m.group("y")
        if not groups.get("d"):
            return f"{year:04d}-{month:02d}"
        try:
            return datetime.date(year, month, int(groups["d"])).isoformat()
        except ValueError:
            return text  # "Feb 30, 2021": no such day
    return text
