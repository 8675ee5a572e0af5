"""Gazetteer: match the SKOS vocabularies of well-known concepts (ontology/vocab) with PhraseMatcher."""
from __future__ import annotations

import re
from collections.abc import Iterable

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, SpanGroup
from spacy.util import filter_spans

from ..vocab import VocabEntry, load_vocab
from .batching import Batched
from . import extensions  # noqa: F401  (registers the Doc and Span extensions)

__all__ = ["Gazetteer", "case_sensitive_alias", "SPANS_KEY", "ENTITIES_KEY", "TEXT_KEY", "doc_text"]

# Default span keys: every finder adds its candidates to SPANS_KEY; paperkg_select writes the chosen
# reading to ENTITIES_KEY. Each component takes its key from its config ("spans_key").
SPANS_KEY = "kg_candidates"
ENTITIES_KEY = "kg_entities"
_SHORT_UPPER = re.compile(r"[A-Z0-9][A-Z0-9\-.&+]{0,6}s?")



# Where a Doc keeps its text (the pipeline's tokenizer puts it there; doc_text otherwise).
TEXT_KEY = "kg_text"


def doc_text(doc: Doc) -> str:
    """`doc.text`, computed once per Doc: spaCy joins every token anew on each access."""
    text = doc.user_data.get(TEXT_KEY)
    if text is None:
        text = doc.user_data[TEXT_KEY] = doc.text
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
    default_config={"vocab_dir": None, "spans_key": SPANS_KEY},
)
class Gazetteer(Batched):
    """Adds a candidate span (label = entity type) for every vocabulary label or alias found.

    `vocab_dir`: a folder of SKOS vocabularies (default ontology/vocab); `spans_key`: the span group
    the candidates go to.
    """

    def __init__(self, nlp: Language, name: str, vocab_dir: str | None = None, spans_key: str = SPANS_KEY) -> None:
        self.name = name
        self.spans_key = spans_key
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
        group = doc.spans.get(self.spans_key) or SpanGroup(doc, name=self.spans_key)
        for span in filter_spans([s for s, _ in spans]):
            span._.vocab_id = ids[(span.start, span.end)]
            span._.source = "vocab"
            group.append(span)
        doc.spans[self.spans_key] = group
        return doc
