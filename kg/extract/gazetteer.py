"""Gazetteer: match the SKOS vocabularies of well-known concepts (ontology/vocab) with PhraseMatcher."""
from __future__ import annotations

import re
from collections.abc import Iterable

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, SpanGroup
from spacy.util import filter_spans

from ..vocab import VocabEntry, load_vocab

__all__ = ["Gazetteer", "case_sensitive_alias", "SPANS_KEY", "doc_text"]

SPANS_KEY = "kg_candidates"
_SHORT_UPPER = re.compile(r"[A-Z0-9][A-Z0-9\-.&+]{0,6}s?")

for _ext in ("vocab_id", "source", "role"):
    if not Span.has_extension(_ext):
        Span.set_extension(_ext, default=None)


def doc_text(doc: Doc) -> str:
    """`doc.text`, computed once per Doc: spaCy joins every token anew on each access."""
    text = doc.user_data.get("kg_text")
    if text is None:
        text = doc.user_data["kg_text"] = doc.text
    return text


def case_sensitive_alias(alias: str, entry_case_sensitive: bool = False) -> bool:
    """Short upper-case aliases ("MATH", "SAM", "IS") only match as written."""
    return entry_case_sensitive or bool(_SHORT_UPPER.fullmatch(alias))


def _variants(alias: str) -> Iterable[str]:
    yield alias
    last = alias.split()[-1] if alias.split() else alias
    # Plurals people write: "LLMs", "CNNs", "diffusion models".
    if last[-1:].isalpha() and not last.endswith("s") and (len(last) >= 4 or last.isupper()):
        yield alias + "s"


@Language.factory(
    "paperkg_gazetteer",
    assigns=["doc.spans", "span._.vocab_id", "span._.source"],
    default_config={"vocab_dir": None},
)
class Gazetteer:
    """Adds a candidate span (label = entity type) for every vocabulary label or alias found."""

    def __init__(self, nlp: Language, name: str, vocab_dir: str | None = None) -> None:
        self.name = name
        entries = load_vocab(vocab_dir) if vocab_dir else load_vocab()
        self.entries: dict[str, VocabEntry] = {e.id: e for e in entries}
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        exact: dict[str, list[str]] = {}
        lower: dict[str, list[str]] = {}
        for e in entries:
            for alias in e.aliases:
                for form in _variants(alias):
                    if case_sensitive_alias(alias, e.case_sensitive):
                        exact.setdefault(e.id, []).append(form)
                    else:
                        lower.setdefault(e.id, []).append(form)
        # One tokenizer pass for all patterns (nlp.pipe is much faster than nlp() per phrase).
        for table, matcher in ((exact, self.exact), (lower, self.lower)):
            for key in sorted(table):
                forms = sorted(set(table[key]))
                matcher.add(key, list(nlp.tokenizer.pipe(forms)))

    def __call__(self, doc: Doc) -> Doc:
        strings = doc.vocab.strings
        spans = []
        for matcher in (self.exact, self.lower):
            for match_id, start, end in matcher(doc):
                entry = self.entries[strings[match_id]]
                span = Span(doc, start, end, label=entry.type)
                spans.append((span, entry.id))
        ids = {(s.start, s.end): vid for s, vid in spans}
        group = doc.spans.get(SPANS_KEY) or SpanGroup(doc, name=SPANS_KEY)
        for span in filter_spans([s for s, _ in spans]):
            span._.vocab_id = ids[(span.start, span.end)]
            span._.source = "vocab"
            group.append(span)
        doc.spans[SPANS_KEY] = group
        return doc
