"""Roles from cue phrases: proposed ("we propose X"), compared ("outperforms X"), used, mentioned."""
from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span

from .batching import Batched
from .extensions import span_value
from . import extensions  # noqa: F401  (registers the Doc and Span extensions)
from .candidates import name_shaped
from .cues import COMPARE, OWN_WORK, PROPOSE, USE
from .gazetteer import ENTITIES_KEY, doc_text

__all__ = ["RoleTagger", "role_of"]

# On held-out guideline folds, cue-less mentions after the start of the paper's own work (cues.OWN_WORK)
# were "used" in 304 of 387 cases, before it "mentioned" in 232 of 413.
_STOP = re.compile(r"[,;:]\s|\band\b|\bwhich\b|\bthat\b", re.IGNORECASE)


def _last(pattern: re.Pattern, text: str) -> re.Match | None:
    last = None
    for last in pattern.finditer(text):
        pass
    return last


def _title_prefix_end(text: str) -> int:
    """End offset of "Name" in a "Name: subtitle" title, or -1."""
    line_end = text.find("\n")
    colon = text.find(": ", 0, line_end if line_end >= 0 else len(text))
    return colon if 0 < colon <= 60 else -1


def own_work_start(text: str) -> int:
    """Offset of the abstract's first sentence that speaks of the paper's own work (len(text) if none)."""
    title_end = text.find("\n")
    m = OWN_WORK.search(text, max(title_end, 0))
    if m is None:
        return len(text)
    return max(text.rfind(". ", 0, m.start()) + 2, title_end + 1)


def role_of(span: Span, in_title: bool, text: str | None = None, own_work: int | None = None) -> str:
    """The role a mention plays, from cue phrases before it in its sentence and where it is.

    `text` is `span.doc.text`, passed in by callers that have it: Doc.text joins every token anew;
    `own_work` is own_work_start(text) (computed if not given).
    """
    text = span.doc.text if text is None else text
    sent = span.sent
    before = text[sent.start_char:span.start_char]
    known = span_value(span, "source") == "vocab"
    if span.end_char <= _title_prefix_end(text) or span_value(span, "source") == "title":
        return "proposed"  # "FedLoGe: Joint Local and ...": the paper's own name for its work
    if not known and in_title and span.label_ != "Task":
        # A task in the title is the problem the paper addresses (used), unless a cue says it is new.
        return "proposed"
    prop = _last(PROPOSE, before)
    if prop is not None and not known:
        gap = before[prop.end():]
        # "we propose X" / "termed X": X follows the cue closely, not inside a later clause.
        if len(gap) <= 70 and not (USE.search(gap) or COMPARE.search(gap) or _STOP.search(gap)):
            return "proposed"
    if (prop is not None and known and len(before) - prop.end() <= 12
            and (span.label_ in ("Model", "Dataset") or name_shaped(span.text))):
        # "We introduce ChatGLM": even a known name is proposed when it is the direct object.
        return "proposed"
    own = (own_work_start(text) if own_work is None else own_work) <= span.start_char
    if span.label_ in ("Model", "Method"):
        cmp_m = _last(COMPARE, before)
        use_m = _last(USE, before)
        if cmp_m and (not use_m or cmp_m.start() > use_m.start()):
            return "compared"
        if use_m or prop is not None:
            return "used"
        return "used" if in_title or own else "mentioned"
    if span.label_ in ("Dataset", "Metric"):
        return "used"
    # Tasks: what the paper is about when the title or a proposing sentence names it.
    return "used" if in_title or prop is not None or own else "mentioned"


@Language.factory(
    "paperkg_roles",
    requires=["doc.spans", "token.is_sent_start"],
    assigns=["span._.role"],
    default_config={"spans_key": ENTITIES_KEY},
)
class RoleTagger(Batched):
    """Sets span._.role on every selected entity span (those in ``doc.spans[spans_key]``)."""

    def __init__(self, nlp: Language, name: str, spans_key: str = ENTITIES_KEY) -> None:
        self.name = name
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        title_end = text.find("\n")
        own_work = own_work_start(text)
        for span in doc.spans.get(self.spans_key, []):
            span._.role = role_of(span, in_title=title_end < 0 or span.start_char < title_end, text=text,
                                  own_work=own_work)
        return doc
