"""Stable identifiers: normalised titles, slugs, paper and concept ids (never derived from run order)."""
from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["normalize_title", "slug", "paper_id", "variant_paper_id", "concept_id", "arxiv_id_from", "ARXIV_ID"]

ARXIV_ID = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|arxiv:\s*)?"
    r"(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?",
    re.IGNORECASE,
)
_NON_WORD = re.compile(r"[^0-9a-z]+")
_NON_ALNUM = re.compile(r"[\W_]+")


def normalize_title(title: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a title, for duplicate detection."""
    if title.isascii():
        return _NON_WORD.sub(" ", title.lower()).strip()
    text = unicodedata.normalize("NFKD", title)
    # Accents go; letters of every script stay (a Chinese title must not normalise to "").
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _NON_ALNUM.sub(" ", text).strip()


def slug(name: str) -> str:
    """URL-safe slug of a name: 'CIFAR-10/100-LT' -> 'cifar-10-100-lt'."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("+", "-plus-")
    return re.sub(r"-{2,}", "-", _NON_WORD.sub("-", text)).strip("-") or "x"


def arxiv_id_from(value: str | None) -> str | None:
    """The bare arXiv id (no version) in an id, URL or 'arXiv:' string, or None."""
    if not value:
        return None
    m = ARXIV_ID.fullmatch(value.strip()) or ARXIV_ID.search(value.strip())
    if not m:
        return None
    return m.group("id")


def paper_id(title: str, arxiv_id: str | None = None) -> str:
    """'arxiv-2403.12345' when the arXiv id is known, else 't-' + a hash of the normalised title."""
    if arxiv_id:
        return "arxiv-" + arxiv_id.replace("/", "_")
    digest = hashlib.sha1(normalize_title(title).encode("utf-8")).hexdigest()[:16]
    return "t-" + digest


def variant_paper_id(base: str, abstract: str | None) -> str:
    """`base` + a hash of the normalised abstract: a second paper with the same title ("A Survey")."""
    digest = hashlib.sha1(normalize_title(abstract or "").encode("utf-8")).hexdigest()[:8]
    return f"{base}-{digest}"


def concept_id(type_: str, name: str) -> str:
    """'dataset/imagenet': the type, then the slug of the canonical name."""
    return f"{type_.lower()}/{slug(name)}"
