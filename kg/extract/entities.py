"""Group a processed Doc's entity spans into paper-level Entities (one per distinct thing)."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict

from spacy.tokens import Doc, Span

from ..model import ROLE_RANK, Entity, Mention
from ..vocab import VocabEntry
from .gazetteer import doc_text
from .roles import ENTITIES_KEY

__all__ = ["norm_name", "doc_entities", "VocabIndex"]

# An entity's confidence is the share of such entities that are right (typed, entity-level) on held-out
# guideline folds, by its most trusted source (`python -m bench.extraction --gold
# tests/data/guideline_train.jsonl --folds 5 --calibration`); each further mention adds 0.03. "cue" is
# too rare there to measure.
CONFIDENCE = {"vocab": 0.87, "title": 0.83, "abbrev-long": 0.66, "abbrev-short": 0.66, "cue": 0.7,
              "shape": 0.53, "ner": 0.48}


def norm_name(name: str) -> str:
    """Surface-form key: case, accents, punctuation and a plural 's' do not matter."""
    s = unicodedata.normalize("NFKC", name).lower()
    s = re.sub(r"[^0-9a-z+]+", "", s)
    if len(s) > 3 and s.endswith("s") and not s.endswith("ss"):
        s = s[:-1]
    return s


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


def doc_entities(doc: Doc, index: VocabIndex) -> list[Entity]:
    """Paper-level entities from doc.spans['kg_entities'], in order of first mention."""
    # Each (span, name) reading: a conjoined span ("CIFAR-10/100-LT") reads as several names.
    readings: list[tuple[Span, str, VocabEntry | None]] = []
    for span in doc.spans.get(ENTITIES_KEY, []):
        names = span._.names or [span.text]
        for name in names:
            entry = index.entries.get(span._.vocab_id) if span._.vocab_id and len(names) == 1 else None
            entry = entry or index.lookup(name)
            readings.append((span, name, entry))
    # A paper's own definition beats the vocabulary: "Inter-Consistency Loss (ICL)" is not in-context learning.
    redefined = set()
    for span, name, entry in readings:
        lf = span._.long_form
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
        long_form = span._.long_form
        if long_form is not None:
            for j in by_span.get((long_form.start_char, long_form.end_char), []):
                uf.union(i, j)
            key = "n:" + norm_name(long_form.text)
            if key in first_by_key:
                uf.union(i, first_by_key[key])
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(readings)):
        groups[uf.find(i)].append(i)
    title_end = doc_text(doc).find("\n")
    entities = []
    for root in sorted(groups, key=lambda r: readings[groups[r][0]][0].start_char):
        members = [readings[i] for i in groups[root]]
        entries = [e for _, _, e in members if e is not None]
        entry = Counter(e.id for e in entries).most_common(1)[0][0] if entries else None
        entry = index.entries[entry] if entry else None
        long_forms = [s._.long_form.text for s, _, _ in members if s._.long_form is not None]
        long_forms += [n for s, n, _ in members if s._.source == "abbrev-long"]
        if entry is not None:
            name, type_ = entry.label, entry.type
        else:
            name = Counter(long_forms).most_common(1)[0][0] if long_forms else \
                Counter(n for _, n, _ in members).most_common(1)[0][0]
            type_ = Counter(s.label_ for s, _, _ in members).most_common(1)[0][0]
        spans = {(s.start_char, s.end_char): s for s, _, _ in members}
        mentions = [Mention(a, b, s.text) for (a, b), s in sorted(spans.items())]
        role = max((s._.role or "mentioned" for s, _, _ in members), key=ROLE_RANK.__getitem__)
        best = max(CONFIDENCE.get(s._.source, 0.5) for s, _, _ in members)
        confidence = min(0.99, best + 0.03 * (len(mentions) - 1))
        aliases = sorted({n for _, n, _ in members} | {m.text for m in mentions
                                                       if len(spans[(m.start, m.end)]._.names or []) < 2})
        first = spans[(mentions[0].start, mentions[0].end)]
        sent = first.sent
        if title_end >= 0 and first.start_char < title_end:
            evidence = (0, title_end)
        else:
            evidence = (sent.start_char, sent.end_char)
        entities.append(Entity(name=name, type=type_, role=role, confidence=confidence,
                               aliases=aliases, mentions=mentions, evidence=evidence,
                               vocab_id=entry.id if entry else None))
    _propose_family(entities, title_end)
    _propose_variants(entities)
    return entities


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
