"""Choose one reading where candidate spans overlap; expose the result as doc.ents too."""
from __future__ import annotations

import bisect
import re

from spacy.attrs import IDX
from spacy.language import Language
from spacy.tokens import Doc, SpanGroup
from spacy.util import filter_spans

from .batching import Batched
from .extensions import span_value
from .candidates import name_shaped
from .gazetteer import ENTITIES_KEY, SPANS_KEY, doc_text

__all__ = ["SpanSelector", "SOURCE_PRIORITY", "line_breaks", "in_formula"]

_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+", re.IGNORECASE)
# Words of formulas and pseudo-code in full texts extracted from PDFs: single symbols ("x", "⇥", "2"),
# operators, bracketed arguments ("(x)", "F(y,"). "C963 ⇥ 3! MP23 ⇥ 3!" or "x ∈ RM×N" name nothing.
_MATH_WORD = re.compile(r"^(?!(?:e\.g|i\.e)\.)(?:[^\sAaI]|[\W\d_]{1,3}|\W*\w\W+\w?\W*|.*[=<>±×÷∈∉⊂∑∏√∞≤≥≈≠⇥∀∃∇∂⇤→←].*)$")
_MATH_WINDOW = 5  # words on each side
_MATH_MIN = 5     # of the 10 around a candidate, this many math words make it a formula


def in_formula(text: str, start: int, end: int) -> bool:
    """True when the words around text[start:end] are mostly formula symbols, not prose."""
    before = text[max(0, start - 80):start].split()[-_MATH_WINDOW:]
    after = text[end:end + 80].split()[:_MATH_WINDOW]
    return sum(bool(_MATH_WORD.match(w)) for w in before + after) >= _MATH_MIN

# The statistical NER's spans: its best path, then its posterior's alternatives; they fill gaps.
_STATISTICAL = ("ner", "ner-alt")
# Equal-length overlaps go to the more trustworthy source.
SOURCE_PRIORITY = {"vocab": 0, "ner": 1, "lexicon": 1, "title": 2, "abbrev-long": 3, "abbrev-short": 3, "cue": 4, "shape": 5}


def _common_term(span) -> bool:
    """A vocabulary term or long form of ordinary words ("contrastive learning", "Zero-Shot Learning"),
    not a coined name ("ViT", "ResNet-50")."""
    return span_value(span, "source") in ("vocab", "abbrev-long") and not any(c.isdigit() for c in span.text) and \
        not any(name_shaped(t.text) for t in span)


@Language.component("paperkg_line_breaks", requires=["token.is_sent_start"], assigns=["token.is_sent_start"])
def line_breaks(doc: Doc) -> Doc:
    """A new line starts a new sentence: the title never runs into the abstract."""
    text = doc_text(doc)
    if "\n" not in text:
        return doc
    starts = doc.to_array(IDX).tolist()
    pos = text.find("\n")
    while pos >= 0:
        tok = bisect.bisect_right(starts, pos) - 1  # the token holding the line break
        pos = text.find("\n", pos + 1)
        if 0 <= tok < len(doc) - 1:
            doc[tok + 1].is_sent_start = True
    return doc


@Language.factory(
    "paperkg_select",
    requires=["doc.spans"],
    assigns=["doc.spans", "doc.ents"],
    default_config={"candidates_key": SPANS_KEY, "spans_key": ENTITIES_KEY, "source_priority": SOURCE_PRIORITY},
)
class SpanSelector(Batched):
    """Keeps the longest, most trusted candidate where candidates overlap.

    Reads ``doc.spans[candidates_key]``, writes the chosen spans to ``doc.spans[spans_key]`` and
    ``doc.ents``; `source_priority` ranks the finders for equal-length overlaps (lower wins).
    """

    def __init__(self, nlp: Language, name: str, candidates_key: str = SPANS_KEY, spans_key: str = ENTITIES_KEY,
                 source_priority: dict[str, int] = SOURCE_PRIORITY) -> None:
        self.name = name
        self.candidates_key = candidates_key
        self.spans_key = spans_key
        self.source_priority = dict(source_priority)

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        urls = [m.span() for m in _URL.finditer(text)]
        # Nothing inside a URL or e-mail address is an entity ("github.com/.../Q-Bench"), nor a name
        # no vocabulary knows amid formula symbols.
        spans = list(doc.spans.get(self.candidates_key, []))
        if urls:
            spans = [s for s in spans if not any(a < s.end_char and s.start_char < b for a, b in urls)]
        spans = [s for s in spans
                 if span_value(s, "source") == "vocab" or not in_formula(text, s.start_char, s.end_char)]
        cands = sorted((s for s in spans if span_value(s, "source") not in _STATISTICAL),
                       key=lambda s: (self.source_priority.get(span_value(s, "source"), 9), s.start, s.end))
        chosen = filter_spans(cands)
        # The statistical NER fills gaps: its boundaries are less reliable than the vocabularies' and the
        # rules' ("LLVisionQA dataset", an unsplit "CIFAR-10/100-LT"), so it never overrides a name; it
        # only extends a common term it wholly contains.
        taken = {i for s in chosen for i in range(s.start, s.end)}
        statistical = [x for src in _STATISTICAL
                       for x in filter_spans([s for s in spans if span_value(s, "source") == src])]
        for s in statistical:
            overlap = taken.intersection(range(s.start, s.end))
            if not overlap:
                chosen.append(s)
                taken.update(range(s.start, s.end))
                continue
            # A more specific concept around a common term: "compositional zero-shot learning",
            # "binary cross-entropy loss". Names (capitals, digits) are never absorbed.
            inside = [c for c in chosen if s.start <= c.start and c.end <= s.end]
            if inside and sum(len(c) for c in inside) == len(overlap) and all(map(_common_term, inside)):
                chosen = [c for c in chosen if c not in inside] + [s]
                taken.update(range(s.start, s.end))
        chosen = sorted(chosen, key=lambda s: s.start)
        doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=chosen)
        doc.ents = chosen
        return doc
