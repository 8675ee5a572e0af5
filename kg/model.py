"""Plain dataclasses passed between the pipeline stages (read -> extract -> resolve -> assemble)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .schema import ENTITY_TYPES, ROLE_RANK, ROLES  # re-exported: defined once in kg.schema

__all__ = [
    "MAX_TEXT_CHARS", "ENTITY_TYPES", "ROLES", "ROLE_RANK", "Source", "Paper", "Problem",
    "Mention", "Entity", "Concept", "Link",
]

# The longest paper text (title + newline + abstract) read or extracted: longer records are cut, with
# a problem (kg.readers). arXiv caps abstracts at 1,920 characters; spaCy refuses texts over 1,000,000.
MAX_TEXT_CHARS = 100_000


@dataclass(frozen=True, order=True, slots=True)
class Source:
    """Where a record was read from: file path, 1-based line, and reader format."""

    path: str
    line: int
    format: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(slots=True)
class Paper:
    """One paper as read from an input; `id` is stable across runs (arXiv id or title hash)."""

    id: str
    title: str
    abstract: str
    url: str | None = None
    authors: list[str] = field(default_factory=list)
    date: str | None = None
    arxiv_id: str | None = None
    categories: list[str] = field(default_factory=list)
    code_urls: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    # The input's own identifier (JSON "id", Atom entry id, BibTeX key), echoed by `kg extract`.
    record_id: str | None = None
    # DOIs the inputs give for it (normalised: lower case, no https://doi.org/), in first-seen order.
    dois: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The text extraction offsets index into: title + newline + abstract."""
        return f"{self.title}\n{self.abstract}"


@dataclass(frozen=True, slots=True)
class Problem:
    """A record or file that could not be (fully) read; the build goes on without it."""

    path: str
    line: int
    message: str
    skipped: bool = True

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Mention:
    """One span of a paper's text (offsets into Paper.text) naming an entity."""

    start: int
    end: int
    text: str


@dataclass(slots=True)
class Entity:
    """One entity a paper mentions: canonical name, type, role, every surface form and span."""

    name: str
    type: str
    role: str = "mentioned"
    confidence: float = 0.5
    aliases: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    alt_type: str | None = None
    # Sentence (start, end) offsets into Paper.text holding the first mention: the link's evidence.
    evidence: tuple[int, int] | None = None
    # Identifier of a vocabulary concept when the gazetteer matched it (e.g. "dataset/imagenet").
    vocab_id: str | None = None

    def to_json(self) -> dict:
        """The DESIGN.md section 2 contract for one entity."""
        return {
            "name": self.name,
            "type": self.type,
            "aliases": self.aliases,
            "role": self.role,
            "confidence": round(self.confidence, 3),
            "mentions": [{"start": m.start, "end": m.end, "text": m.text} for m in self.mentions],
        }


@dataclass(slots=True)
class Concept:
    """One real thing across the corpus: a stable id, a preferred label and all its aliases."""

    id: str  # e.g. "dataset/imagenet": type folder + slug of the canonical name
    label: str
    type: str
    aliases: set[str] = field(default_factory=set)
    papers: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Link:
    """A paper -> concept statement with its role and the evidence behind it."""

    paper_id: str
    concept_id: str
    role: str
    confidence: float
    mentions: list[Mention] = field(default_factory=list)
    evidence: tuple[int, int] | None = None
    surface: str = ""
