"""The Doc and Span extensions paperkg's components read and write, registered in one place.

Components exchange their results through these (the scispacy way): the gazetteer marks
``span._.vocab_id``, every candidate finder ``span._.source``, the abbreviation detector
``doc._.abbreviations`` and ``span._.long_form``, the role tagger ``span._.role``, and the entity
grouper ``doc._.entities`` (the paper-level :class:`kg.model.Entity` list that ``kg extract`` writes).
Importing this module registers them; it is idempotent.
"""
from __future__ import annotations

from typing import Any

from spacy.tokens import Doc, Span

__all__ = ["SPAN_EXTENSIONS", "DOC_EXTENSIONS", "register", "span_value"]

# Span extensions, all defaulting to None:
#   source     which finder proposed the span ("vocab", "lexicon", "abbrev-long", "abbrev-short", "title",
#              "shape", "cue", "ner")
#   vocab_id   the vocabulary concept a gazetteer match names ("dataset/imagenet")
#   long_form  the defining long form of a short form ("ViT" -> the span "Vision Transformer")
#   names      the names a conjoined span reads as ("CIFAR-10/100-LT" -> CIFAR-10-LT, CIFAR-100-LT)
#   role       proposed | used | compared | mentioned
#   score      the finder's own confidence in the span (the NER's posterior of its label)
#   posterior  what the NER's model says of any candidate span: (P(inside an entity), P(an entity
#              starts here), P(the entity ends here)), for the entity scorer
SPAN_EXTENSIONS = ("source", "vocab_id", "long_form", "names", "role", "score", "posterior")
# Doc extensions: (long form, short form) span pairs; the paper-level entities.
DOC_EXTENSIONS = ("abbreviations", "entities")


def register() -> None:
    """Register every extension (once)."""
    for name in SPAN_EXTENSIONS:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)
    for name in DOC_EXTENSIONS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


register()


def span_value(span: Span, name: str) -> Any:
    """``span._.<name>`` for one of SPAN_EXTENSIONS, read without building spaCy's Underscore object.

    The components read these values hundreds of thousands of times per thousand abstracts, and each
    ``span._`` access builds an object; spaCy keeps the values in ``doc.user_data`` under
    ``("._.", name, start_char, end_char)``, which this reads (checked against spaCy at import).

    >>> from spacy.lang.en import English
    >>> doc = English()("We use BERT.")
    >>> doc[2:3]._.source = "vocab"
    >>> span_value(doc[2:3], "source"), span_value(doc[0:1], "source")
    ('vocab', None)
    """
    return span.doc.user_data.get(("._.", name, span.start_char, span.end_char))


def _check_layout() -> None:
    """Fail loudly (at import, not with wrong results) if spaCy ever keys extension values otherwise."""
    from spacy.vocab import Vocab

    doc = Doc(Vocab(), words=["a", "b"])  # not a Language: this runs at every import
    doc[1:2]._.role = "used"
    if span_value(doc[1:2], "role") != "used":
        raise RuntimeError("spaCy stores span extensions differently from what kg.extract.extensions "
                           "expects; update span_value")


_check_layout()
