"""Names no vocabulary knows: defined acronyms, name-shaped tokens, title prefixes, "the X dataset"."""
from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from .entity_types import is_generic, type_of_long_form, type_of_name
from .gazetteer import SPANS_KEY, doc_text

__all__ = ["CandidateFinder", "name_shaped", "split_conjoined"]

_TOKEN = re.compile(r"(?<![\w\-+])([A-Za-z][A-Za-z0-9]*(?:[\-+.][A-Za-z0-9]+)*(?:/\d+)?(?:-[A-Za-z0-9]+)*)(?![\w+]|-\w)")
_CUE_DATASET = re.compile(
    r"\b(?:the|on|of|in|and)\s+((?:[A-Z][\w\-+]*\s+){1,4}?)(?:dataset|benchmark|corpus|challenge)s?\b")
_TITLE_PREFIX = re.compile(r"^\s*([^:\n]{1,40}?)\s*:\s+\S")
# "CIFAR-10/100-LT" names two datasets: CIFAR-10-LT and CIFAR-100-LT.
_CONJOINED = re.compile(r"^(?P<stem>[A-Za-z][A-Za-z\-]*?)-?(?P<a>\d+)/(?P<b>\d+)(?P<suffix>(?:-[A-Za-z0-9]+)*)$")


@lru_cache(maxsize=65536)
def name_shaped(token: str) -> bool:
    """True for tokens that look like a coined name: "GLM-4", "TokenFormer", "pFL", "SSE-C"."""
    letters = [c for c in token if c.isalpha()]
    if len(letters) < 2 and not (letters and any(c.isdigit() for c in token) and token[0].isupper()):
        return False
    uppers = sum(c.isupper() for c in token)
    camel = re.search(r"[a-z][A-Z]", token) is not None
    has_digit = any(c.isdigit() for c in token)
    parts = re.split(r"[\-+./]", token)
    # "General-Purpose", "Long-Tailed": ordinary capitalised words, not a coined name.
    if not has_digit and all(re.fullmatch(r"[A-Z][a-z]+|[a-z]+", p) for p in parts if p):
        return False
    return uppers >= 2 or camel or (uppers >= 1 and has_digit)


def split_conjoined(name: str) -> list[str]:
    """["CIFAR-10-LT", "CIFAR-100-LT"] for "CIFAR-10/100-LT"; [name] when nothing is conjoined."""
    m = _CONJOINED.match(name)
    if not m:
        return [name]
    stem, suffix = m.group("stem"), m.group("suffix")
    return [f"{stem}-{m.group('a')}{suffix}", f"{stem}-{m.group('b')}{suffix}"]


for _ext in ("name", "names"):
    if not Span.has_extension(_ext):
        Span.set_extension(_ext, default=None)


@Language.factory(
    "paperkg_candidates",
    requires=["doc._.abbreviations"],
    assigns=["doc.spans", "span._.source", "span._.long_form"],
)
class CandidateFinder:
    """Adds candidate spans for coined names; the label is a typed guess from shape and context."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def _add(self, group: SpanGroup, seen: set, doc: Doc, start: int, end: int, label: str, source: str,
             long_form: Span | None = None) -> Span | None:
        span = doc.char_span(start, end, label=label, alignment_mode="expand")
        if span is None or is_generic(span.text) or (span.start_char, span.end_char) in seen:
            return None
        seen.add((span.start_char, span.end_char))
        span._.source = source
        if long_form is not None:
            span._.long_form = long_form
        names = split_conjoined(span.text)
        if len(names) > 1:
            span._.names = names
        group.append(span)
        return span

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        group = doc.spans.get(SPANS_KEY) or SpanGroup(doc, name=SPANS_KEY)
        # A span found twice keeps its first (more trusted) reading: extension values are keyed by offsets.
        seen = {(s.start_char, s.end_char) for s in group}
        # Defined acronyms: both forms get the long form's type.
        for long_span, short_span in doc._.abbreviations:
            if is_generic(short_span.text.rstrip("s")):
                continue
            after = text[short_span.end_char:short_span.end_char + 30].lstrip(") ")
            label = type_of_long_form(long_span.text, after)
            self._add(group, seen, doc, long_span.start_char, long_span.end_char, label, "abbrev-long")
            added = self._add(group, seen, doc, short_span.start_char, short_span.end_char, label,
                              "abbrev-short", long_form=long_span)
            if added is None:
                # Already a vocabulary match ("ViT"): still tie it to its long form.
                for span in group:
                    if (span.start_char, span.end_char) == (short_span.start_char, short_span.end_char):
                        span._.long_form = long_span
        # Title prefix: "FedLoGe: Joint Local and ..." names what the paper proposes.
        title_end = text.find("\n")
        m = _TITLE_PREFIX.match(text[: title_end if title_end >= 0 else len(text)])
        if m and len(m.group(1).split()) <= 4:
            rest = text[m.end(1):title_end] if title_end >= 0 else ""
            label = "Dataset" if re.search(r"\b(?:benchmark|dataset|corpus)\b", rest, re.I) else \
                type_of_name(m.group(1), rest.lstrip(": "))
            self._add(group, seen, doc, m.start(1), m.end(1), label, "title")
        # Name-shaped tokens anywhere.
        for m in _TOKEN.finditer(text):
            # "GPT-involved", "LLM-based": the name is the part before the lower-case suffix.
            token = re.sub(r"(?:-[a-z]+)+$", "", m.group(1).rstrip("."))
            if not name_shaped(token):
                continue
            end = m.start(1) + len(token)
            label = type_of_name(token, text[end:end + 30], text[max(0, m.start(1) - 40):m.start(1)])
            self._add(group, seen, doc, m.start(1), end, label, "shape")
        # "the Revisited Oxford dataset", "on the VisDA benchmark".
        for m in _CUE_DATASET.finditer(text):
            name = m.group(1).strip()
            if name.split()[0].lower() in {"the", "a", "an", "this", "our", "these"}:
                continue
            self._add(group, seen, doc, m.start(1), m.start(1) + len(name), "Dataset", "cue")
        doc.spans[SPANS_KEY] = group
        return doc
