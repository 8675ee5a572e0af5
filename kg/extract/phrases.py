"""Noun phrases ending in a head word that annotators' names end in: "in-hand object rotation", "urban planning".

Most names no vocabulary knows and the CRF misses are ordinary noun phrases with a telling last
word (a task's "planning", "estimation", a metric's "rate", a method's "loss"). The head words and
their usual types come from the mined lexicon (kg/extract/lexicon.py). This finder proposes, for
each such head, the phrase of up to `max_modifiers` words before it within its clause; it fills
gaps only (kg/extract/select.py) and only the entity scorer, which sees the head word, the NER's
posterior and the lexicon's termhood, decides whether a phrase is kept, and with how many words
(its boundary variants).
"""
from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc, SpanGroup

from . import extensions  # noqa: F401  (registers the Doc and Span extensions)
from .gazetteer import SPANS_KEY, doc_text

__all__ = ["PhraseFinder", "phrase_starts"]

_WORD_BEFORE = re.compile(r"([A-Za-z0-9][A-Za-z0-9\-]*)\s+$")
# Evaluative and deictic words open no name: "a novel pose estimation", "existing motion planning".
_NOT_MODIFIER = frozenset(STOP_WORDS) | {
    "novel", "new", "proposed", "existing", "various", "different", "several", "multiple", "previous", "prior",
    "recent", "current", "traditional", "conventional", "standard", "typical", "specific", "simple", "strong",
    "significant", "better", "improved", "superior", "effective", "efficient", "accurate", "challenging", "key",
    "state-of-the-art", "sota", "based", "like", "such", "via", "using", "while",
    # Verbs abstracts put before what they study (a blank pipeline has no tagger to tell them).
    *(v + e for v in ("study", "studie", "propose", "present", "introduce", "use", "evaluate", "improve", "enable",
                      "achieve", "address", "tackle", "perform", "consider", "investigate", "explore", "develop",
                      "apply", "applie", "leverage", "require", "support", "show", "demonstrate", "boost", "enhance",
                      "facilitate", "target", "focus", "allow", "outperform", "combine", "integrate", "learn",
                      "benchmark", "formulate", "solve", "handle", "design", "build", "adopt", "employ", "yield",
                      "reduce", "increase", "guide")
      for e in ("", "s", "d", "ed", "es")),
    "studied", "studies", "applied", "applies", "built", "shown"}


def phrase_starts(text: str, head_start: int, max_modifiers: int = 3) -> list[int]:
    """Start offsets of the phrases ending in the head word at `head_start`, longest first: each adds
    one modifier word on the left, stopping at punctuation, a stop word, a common verb, an adverb or a
    line break.

    >>> t = "We study in-hand object rotation."
    >>> [t[s:t.index(" rotation")] for s in phrase_starts(t, t.index("rotation"))]
    ['in-hand object', 'object']
    """
    starts = []
    pos = head_start
    for _ in range(max_modifiers):
        m = _WORD_BEFORE.search(text, max(0, pos - 40), pos)
        word = m.group(1).lower() if m else ""
        if m is None or m.end() != pos or "\n" in text[m.start():pos] or word in _NOT_MODIFIER or word.endswith("ly"):
            break
        pos = m.start(1)
        starts.append(pos)
    return starts[::-1]


@Language.factory(
    "paperkg_phrases",
    requires=["doc.spans"],
    assigns=["doc.spans", "span._.source"],
    default_config={"lexicon_pipe": "paperkg_lexicon", "max_modifiers": 3, "min_heads": 5,
                    "spans_key": SPANS_KEY},
)
class PhraseFinder:
    """Adds a candidate span (source "phrase", label = the head's usual type) for the longest phrase
    ending in each head word of the lexicon of `lexicon_pipe` (heads of at least `min_heads` marked
    names), with up to `max_modifiers` words before the head."""

    def __init__(self, nlp: Language, name: str, lexicon_pipe: str = "paperkg_lexicon", max_modifiers: int = 3,
                 min_heads: int = 5, spans_key: str = SPANS_KEY) -> None:
        self.name = name
        self.nlp = nlp
        self.lexicon_pipe = lexicon_pipe
        self.max_modifiers = max_modifiers
        self.min_heads = min_heads
        self.spans_key = spans_key
        self._pattern: re.Pattern | None = None
        self._types: dict[str, str] = {}

    def _heads(self) -> re.Pattern | None:
        if self._pattern is None and self.lexicon_pipe in self.nlp.pipe_names:
            heads = self.nlp.get_pipe(self.lexicon_pipe).lexicon.heads
            keep = {h: t for h, t in heads.items() if sum(t.values()) >= self.min_heads}
            self._types = {h: min(t.items(), key=lambda kv: (-kv[1], kv[0]))[0] for h, t in keep.items()}
            if keep:
                self._pattern = re.compile(r"(?<![\w\-])(" + "|".join(map(re.escape, sorted(keep, key=lambda h: (-len(h), h))))
                                           + r")(?![\w\-])")
        return self._pattern

    def __call__(self, doc: Doc) -> Doc:
        pattern = self._heads()
        if pattern is None:
            return doc
        text = doc_text(doc)
        group = doc.spans.get(self.spans_key) or SpanGroup(doc, name=self.spans_key)
        held = {(s.start_char, s.end_char) for s in group}
        for m in pattern.finditer(text):
            starts = phrase_starts(text, m.start(), self.max_modifiers)
            if not starts or (starts[0], m.end()) in held:
                continue
            span = doc.char_span(starts[0], m.end(), label=self._types[m.group(1)])
            if span is None:
                continue
            span._.source = "phrase"
            held.add((starts[0], m.end()))
            group.append(span)
        doc.spans[self.spans_key] = group
        return doc
