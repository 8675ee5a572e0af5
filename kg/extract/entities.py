"""Group a processed Doc's entity spans into paper-level Entities (one per distinct thing).

`paperkg_entities` is the pipeline component: it reads the selected spans and writes
``doc._.entities``, the list of :class:`kg.model.Entity` that ``kg extract`` prints.
"""
from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections import Counter, defaultdict

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..model import Entity, Mention
from ..schema import ROLE_RANK
from ..vocab import VocabEntry
from .batching import Batched
from .extensions import span_value  # importing it registers the Doc and Span extensions
from .gazetteer import ENTITIES_KEY, doc_text

__all__ = ["sub_phrase_of", "norm_name", "doc_entities", "VocabIndex", "EntityGrouper", "CONFIDENCE"]

# An entity's confidence is the share of such entities that are right (typed, entity-level) on held-out
# guideline folds, by its most trusted source (`python -m bench.extraction --gold
# tests/data/guideline_train.jsonl --folds 5 --calibration`); each further mention adds 0.03. "cue" is
# too rare there to measure; "lexicon" (only in the --no-ner pipeline) is set between the sources it
# ranks between, not measured.
CONFIDENCE = {"vocab": 0.87, "title": 0.83, "abbrev-long": 0.66, "abbrev-short": 0.66, "cue": 0.7,
              "lexicon": 0.6,
              "shape": 0.53, "ner": 0.48}


_NOT_KEY = re.compile(r"[^0-9a-z+]+")


@functools.lru_cache(maxsize=1 << 17)
def norm_name(name: str) -> str:
    """Surface-form key: case, accents, punctuation and a plural 's' do not matter."""
    s = unicodedata.normalize("NFKC", name).lower()
    s = _NOT_KEY.sub("", s)
    if len(s) > 3 and s.endswith("s") and not s.endswith("ss"):
        s = s[:-1]
    return s


_WORDS = re.compile(r"[a-z0-9]+")


def sub_phrase_of(short: str, long: str) -> bool:
    """True when the words of `short` end those of `long` and are fewer: the head-final phrase a paper
    shortens a name to ("property estimation" for "physical property estimation").

    >>> sub_phrase_of("property estimation", "Physical Property Estimation")
    True
    >>> sub_phrase_of("physical property", "physical property estimation")
    False
    """
    a, b = _WORDS.findall(short.lower()), _WORDS.findall(long.lower())
    return 0 < len(a) < len(b) and b[-len(a):] == a


class VocabIndex:
    """Normalised alias -> vocabulary entry, for names the PhraseMatcher could not see whole."""

    def __init__(self, entries: dict[str, VocabEntry]) -> None:
        self.entries = entries
        index: dict[str, set[str]] = defaultdict(set)
        for e in entries.values():
            for alias in e.aliases:
                index[norm_name(alias)].add(e.id)
        # Ambiguous aliases stay out: better a new concept than a wrong merge.
        self.by_alias = {k: next(iter(v)) for k, v in index.items() if len(v) == 1}

    def lookup(self, name: str) -> VocabEntry | None:
        """The entry whose label or alias normalises like `name`, if exactly one does."""
        vid = self.by_alias.get(norm_name(name))
        return self.entries[vid] if vid else None


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@Language.factory(
    "paperkg_entities",
    requires=["doc.spans", "span._.role"],
    assigns=["doc._.entities"],
    default_config={"spans_key": ENTITIES_KEY, "confidence": CONFIDENCE},
)
class EntityGrouper(Batched):
    """Groups the selected spans (``doc.spans[spans_key]``) into paper-level entities, ``doc._.entities``.

    Surface forms of one thing (a vocabulary concept, a long form and its acronym, the same
    normalised name) become one Entity; `confidence` maps each finder ("vocab", "ner", ...) to the
    confidence of an entity it found.
    """

    def __init__(self, nlp: Language, name: str, spans_key: str = ENTITIES_KEY,
                 confidence: dict[str, float] = CONFIDENCE) -> None:
        self.name = name
        self.nlp = nlp
        self.spans_key = spans_key
        self.confidence = dict(confidence)
        self._index: VocabIndex | None = None

    @property
    def index(self) -> VocabIndex:
        """The vocabulary of the pipeline's gazetteer (empty without one), built on first use."""
        if self._index is None:
            gaz = self.nlp.get_pipe("paperkg_gazetteer") if "paperkg_gazetteer" in self.nlp.pipe_names else None
            self._index = VocabIndex(gaz.entries if gaz is not None else {})
        return self._index

    def __call__(self, doc: Doc) -> Doc:
        doc._.entities = doc_entities(doc, self.index, spans_key=self.spans_key, confidence=self.confidence)
        return doc


def doc_entities(doc: Doc, index: VocabIndex, *, spans_key: str = ENTITIES_KEY,
                 confidence: dict[str, float] = CONFIDENCE) -> list[Entity]:
    """Paper-level entities from ``doc.spans[spans_key]``, in order of first mention."""
    # Each (span, name) reading: a conjoined span ("CIFAR-10/100-LT") reads as several names.
    readings: list[tuple[Span, str, VocabEntry | None]] = []
    for span in doc.spans.get(spans_key, []):
        names = span_value(span, "names") or [span.text]
        vocab_id = span_value(span, "vocab_id")
        for name in names:
            entry = index.entries.get(vocab_id) if vocab_id and len(names) == 1 else None
            entry = entry or index.lookup(name)
            readings.append((span, name, entry))
    # A paper's own definition beats the vocabulary: "Inter-Consistency Loss (ICL)" is not in-context learning.
    redefined = set()
    for span, name, entry in readings:
        lf = span_value(span, "long_form")
        if lf is not None and entry is not None and norm_name(lf.text) not in {norm_name(a) for a in entry.aliases}:
            redefined.add(norm_name(name))
    readings = [(s, n, None if norm_name(n) in redefined else e) for s, n, e in readings]
    uf = _UnionFind()
    first_by_key: dict[str, int] = {}
    by_span: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, (span, name, entry) in enumerate(readings):
        uf.find(i)
        by_span[(span.start_char, span.end_char)].append(i)
        for key in (entry.id if entry else None, "n:" + norm_name(name)):
            if key is None:
                continue
            if key in first_by_key:
                uf.union(i, first_by_key[key])
            else:
                first_by_key[key] = i
    # A defined short form belongs with its long form.
    for i, (span, _, _) in enumerate(readings):
        long_form = span_value(span, "long_form")
        if long_form is not None:
            for j in by_span.get((long_form.start_char, long_form.end_char), []):
                uf.union(i, j)
            key = "n:" + norm_name(long_form.text)
            if key in first_by_key:
                uf.union(i, first_by_key[key])
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(readings)):
        groups[uf.find(i)].append(i)
    text = doc_text(doc)
    title_end = text.find("\n")
    sentences = _Sentences(doc)
    entities = []
    for root in sorted(groups, key=lambda r: readings[groups[r][0]][0].start_char):
        members = [readings[i] for i in groups[root]]
        entries = [e for _, _, e in members if e is not None]
        entry = Counter(e.id for e in entries).most_common(1)[0][0] if entries else None
        entry = index.entries[entry] if entry else None
        long_forms = [lf.text for s, _, _ in members if (lf := span_value(s, "long_form")) is not None]
        long_forms += [n for s, n, _ in members if span_value(s, "source") == "abbrev-long"]
        if entry is not None:
            name, type_ = entry.label, entry.type
        else:
            name = Counter(long_forms).most_common(1)[0][0] if long_forms else \
                Counter(n for _, n, _ in members).most_common(1)[0][0]
            type_ = Counter(s.label_ for s, _, _ in members).most_common(1)[0][0]
        spans = {(s.start_char, s.end_char): s for s, _, _ in members}
        mentions = [Mention(a, b, s.text) for (a, b), s in sorted(spans.items())]
        role = max((span_value(s, "role") or "mentioned" for s, _, _ in members), key=ROLE_RANK.__getitem__)
        best = max(confidence.get(span_value(s, "source"), 0.5) for s, _, _ in members)
        score = min(0.99, best + 0.03 * (len(mentions) - 1))
        aliases = {n for _, n, _ in members} | {m.text for m in mentions
                                                if len(span_value(spans[(m.start, m.end)], "names") or []) < 2}
        aliases = sorted(aliases | _headed_forms(text, mentions))
        first = spans[(mentions[0].start, mentions[0].end)]
        if title_end >= 0 and first.start_char < title_end:
            evidence = (0, title_end)
        else:
            evidence = sentences.of(first.start)
        entities.append(Entity(name=name, type=type_, role=role, confidence=score,
                               aliases=aliases, mentions=mentions, evidence=evidence,
                               vocab_id=entry.id if entry else None))
    _propose_family(entities, title_end)
    _propose_variants(entities)
    return entities


class _Sentences:
    """Character bounds of a Doc's sentences, found once (Span.sent walks the tokens on every call)."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.bounds: list[tuple[int, int]] | None = None
        self.token_starts: list[int] = []

    def of(self, token: int) -> tuple[int, int]:
        """(start_char, end_char) of the sentence holding token index `token`."""
        if self.bounds is None:
            sents = list(self.doc.sents)
            self.bounds = [(s.start_char, s.end_char) for s in sents]
            self.token_starts = [s.start for s in sents]
        return self.bounds[bisect.bisect_right(self.token_starts, token) - 1]


# "the FooNet framework", "a gating mechanism": the name with the noun that says what it is, as the
# text writes it, is a surface form of the same entity.
_HEAD_AFTER = re.compile(r"[ \-](?:module|mechanism|network|framework|model|algorithm|strategy|method|approach|"
                         r"architecture|loss|dataset|benchmark|corpus|metric|score|task|problem|policy|"
                         r"pipeline|system|technique|paradigm|scheme|encoder|decoder)s?\b")


def _headed_forms(text: str, mentions: list[Mention]) -> set[str]:
    """Each mention extended by the generic head noun that follows it in the text."""
    out = set()
    for m in mentions:
        h = _HEAD_AFTER.match(text, m.end)
        if h:
            out.add(text[m.start:h.end()])
    return out


def _propose_variants(entities: list[Entity]) -> None:
    """Sized or named variants of a proposed name are proposed too: "GLM-4-Air", "UL2 20B", "LI-DiT-10B"."""
    # Only variants new to the vocabularies, and an explicit comparison ("outperforms LoRA-XS") outranks
    # the name.
    names = {a for e in entities if e.role == "proposed" and e.type in ("Model", "Method")
             for a in (e.name, *e.aliases) if len(a) >= 2 and any(c.isupper() or c.isdigit() for c in a)}
    for e in entities:
        if e.role in ("used", "mentioned") and e.type in ("Model", "Method") and e.vocab_id is None and any(
                a.startswith(n) and a[len(n):len(n) + 1] in ("-", " ") and a[len(n) + 1:len(n) + 2].isalnum()
                for a in e.aliases for n in names):
            e.role = "proposed"


_STEM = re.compile(r"[A-Z][A-Za-z]*[A-Z][A-Za-z]*|[A-Z]{3,}")


def _propose_family(entities: list[Entity], title_end: int) -> None:
    """Models named in the title that share the proposed name's stem are proposed too.

    "ChatGLM: ... from GLM-130B to GLM-4": a report on a model family names its members.
    """
    stems = {m.group() for e in entities if e.role == "proposed" and e.type == "Model"
             for alias in e.aliases for m in _STEM.finditer(alias)}
    stems = {s[i:j] for s in stems for i in range(len(s)) for j in range(i + 3, len(s) + 1)
             if s[i:j].isupper()}
    for e in entities:
        if e.type == "Model" and e.role != "proposed" and e.mentions[0].start < title_end \
                and any(stem in alias for stem in stems for alias in e.aliases):
            e.role = "proposed"
