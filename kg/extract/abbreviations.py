"""Abbreviation detection: "Vision Transformer (ViT)" pairs a long form with its short form.

The algorithm is Schwartz & Hearst (2003), "A simple algorithm for identifying abbreviation
definitions in biomedical text", as scispacy implements it. We keep our own ~80 lines because
scispacy pulls scipy, scikit-learn and nmslib for it, and because we need both directions
("ViT (Vision Transformer)" too) and every later use of the short form marked.
"""
from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span

from .batching import Batched
from . import extensions  # noqa: F401  (registers the Doc and Span extensions)
from .gazetteer import doc_text

__all__ = ["AbbreviationDetector", "find_definitions"]

# Short forms: up to 12 chars, a letter, starts alphanumeric, at most two words.
_PAREN = re.compile(r"\(([^()\n]{1,40})\)")
_SHORT = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-+./&']{0,11}(?: [A-Za-z0-9\-]{1,6})?")
_WORD = re.compile(r"\S+")
_NOT_SHORT = {"i.e", "e.g", "ie", "eg", "cf", "etc", "et al", "see", "resp", "vs"}


def _best_long_form(short: str, candidate: str) -> int | None:
    """Start index in `candidate` of the shortest long form whose letters spell `short`, or None."""
    s = len(short) - 1
    l = len(candidate) - 1
    while s >= 0:
        c = short[s].lower()
        if not c.isalnum():
            s -= 1
            continue
        while l >= 0 and (candidate[l].lower() != c or
                          (s == 0 and l > 0 and candidate[l - 1].isalnum())):
            l -= 1
        if l < 0:
            return None
        l -= 1
        s -= 1
    start = candidate.rfind(" ", 0, l + 1) + 1
    return start


def _valid_short(short: str) -> bool:
    if not _SHORT.fullmatch(short) or short.lower().rstrip(".") in _NOT_SHORT:
        return False
    letters = sum(ch.isalpha() for ch in short)
    return letters >= 1 and not short.isdigit() and (short[0].isupper() or any(ch.isupper() for ch in short))


def find_definitions(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(long form (start, end), short form (start, end)) character spans defined in `text`."""
    out: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for m in _PAREN.finditer(text):
        inner = m.group(1).strip()
        inner_start = m.start(1) + m.group(1).index(inner) if inner else m.start(1)
        # "Long Form (LF)" or "Long Form (LF, 2023)": the short form is the first comma/semicolon part.
        short = re.split(r"[;,]\s", inner)[0].strip()
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = text[line_start:m.start()].rstrip()
        if _valid_short(short) and len(short) >= 2:
            words = list(_WORD.finditer(before))
            window = min(len(short) + 5, 2 * len(short))
            if not words:
                continue
            first = words[max(0, len(words) - window)].start()
            cand = before[first:]
            # A sentence boundary inside the window ends the candidate.
            cut = max(cand.rfind(". "), cand.rfind("; "), cand.rfind(": "))
            if cut >= 0:
                first += cut + 2
                cand = before[first:]
            rel = _best_long_form(short, cand)
            if rel is None:
                continue
            long_text = cand[rel:]
            if len(long_text) <= len(short) or long_text.strip().lower() == short.lower():
                continue
            if len(long_text.split()) > len(short) * 2 + 2:
                continue
            ls = line_start + first + rel
            out.append(((ls, ls + len(long_text.rstrip(" ,"))), (inner_start, inner_start + len(short))))
        else:
            # "ViT (Vision Transformer)": the short form stands right before the parenthesis.
            prev = re.search(r"([A-Za-z][A-Za-z0-9\-]{1,11})\s*$", before)
            if not prev or not _valid_short(prev.group(1)) or len(inner.split()) < 2:
                continue
            sh = prev.group(1)
            if _best_long_form(sh, inner) != 0 or sum(c.isupper() for c in sh) < 2:
                continue
            s0 = line_start + prev.start(1)
            out.append(((inner_start, inner_start + len(inner)), (s0, s0 + len(sh))))
    return out




@Language.factory(
    "paperkg_abbreviations",
    assigns=["doc._.abbreviations", "span._.long_form"],
)
class AbbreviationDetector(Batched):
    """Finds "long form (SF)" definitions and marks every later use of each short form."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        pairs: list[tuple[Span, Span]] = []
        seen: dict[str, Span] = {}
        for (ls, le), (ss, se) in find_definitions(text):
            long_span = doc.char_span(ls, le, alignment_mode="expand")
            short_span = doc.char_span(ss, se, alignment_mode="expand")
            if long_span is None or short_span is None or short_span.text in seen:
                continue
            seen[short_span.text] = long_span
            pairs.append((long_span, short_span))
        # Every other occurrence of a defined short form (plural "LLMs" for "LLM" too).
        for short, long_span in seen.items():
            for m in re.finditer(r"(?<![\w-])" + re.escape(short) + r"s?(?![\w-])", text):
                span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                if span is not None and not any(span.start == s.start for _, s in pairs):
                    pairs.append((long_span, span))
        for long_span, short_span in pairs:
            short_span._.long_form = long_span
        doc._.abbreviations = sorted(pairs, key=lambda p: p[1].start_char)
        return doc
