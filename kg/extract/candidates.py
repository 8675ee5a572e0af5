"""Names no vocabulary knows: defined acronyms, name-shaped tokens, title prefixes, "the X dataset"."""
from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from .batching import Batched
from .extensions import span_value
from . import extensions  # noqa: F401  (registers the Doc and Span extensions)
from .cues import DATASET_NOUNS, METRIC_NOUNS, PROPOSE, alternation, plurals
from .entity_types import is_generic, type_of_long_form, type_of_name
from .gazetteer import SPANS_KEY, doc_text

__all__ = ["CandidateFinder", "name_shaped", "relabel", "split_conjoined"]

_TOKEN = re.compile(r"(?<![\w\-+])([A-Za-z][A-Za-z0-9]*(?:[\-+.][A-Za-z0-9]+)*(?:/\d+)?(?:-[A-Za-z0-9]+)*)(?![\w+]|-\w)")
_DATASET_WORDS = plurals(DATASET_NOUNS)
_CUE_DATASET = re.compile(
    r"\b(?:the|on|of|in|and)\s+((?:[A-Z][\w\-+]*\s+){1,4}?)" + alternation(_DATASET_WORDS) + r"\b")
_TITLE_DATASET = re.compile(r"\b" + alternation(_DATASET_WORDS) + r"\b", re.IGNORECASE)
_TITLE_PREFIX = re.compile(r"^\s*([^:\n]{1,40}?)\s*:\s+\S")
# A list typed by the noun before it: "models (WRN-28-8, ResNet-32 and FastGRNN)",
# "benchmarks, including PRCC, LTCC and LaST", "pretrained models, i.e. ViLT and METER".
_LIST_TYPES = {**{w: "Dataset" for w in _DATASET_WORDS}, **{w: "Metric" for w in plurals(METRIC_NOUNS)}}
_LIST_HEAD = re.compile(
    r"\b(?P<head>" + alternation(frozenset(w for w in _LIST_TYPES if w.endswith(("s", "ora"))) |
                                 {"models", "architectures", "backbones", "llms", "mllms", "vlms"}) + ")"
    r"(?:\s*\(|,?\s+(?:including|such as|like|namely|i\.e\.|e\.g\.)[,:]?\s+)", re.IGNORECASE)
_LIST_SEP = re.compile(r"(?:-[a-z]+)*\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)")  # "-light": cut off the name
# A model size or version right after a model's name belongs to it: "Gemma 7B", "UL2 20B", "Midjourney V6".
_SIZE = re.compile(r"[ \-]((?:\d+(?:\.\d+)?[BMT])|[Vv]\d+(?:\.\d+)?)\b(?![\-.]\w)")
# A known name with a variant suffix is of the known name's type: "ResNet-32", "CIFAR-10-C".
_VARIANT_SUFFIX = re.compile(r"[\- ][A-Za-z]*\d+[A-Za-z]*$|-[A-Za-z0-9]+$")
# "eDiff-I: Text-to-Image Diffusion Models with ...": the title says what the named thing is.
_TITLE_MODEL = re.compile(r"(?![\w\-]+ing\b)(?:(?!(?:with|for|via|using|from|on|in|by|to)\b)[\w\-]+\s+){0,5}?(?:models?|LLMs?)\b",
                          re.IGNORECASE)
# "CIFAR-10/100-LT" names two datasets: CIFAR-10-LT and CIFAR-100-LT.
_CONJOINED = re.compile(r"^(?P<stem>[A-Za-z][A-Za-z\-]*?)-?(?P<a>\d+)/(?P<b>\d+)(?P<suffix>(?:-[A-Za-z0-9]+)*)$")


_CAMEL = re.compile(r"[a-z][A-Z]")
_NAME_PARTS = re.compile(r"[\-+./]")
_PLAIN_WORD = re.compile(r"[A-Z][a-z]+|[a-z]+")
_LOWER_SUFFIXES = re.compile(r"(?:-[a-z]+)+$")


@lru_cache(maxsize=65536)
def name_shaped(token: str) -> bool:
    """True for tokens that look like a coined name: "GLM-4", "TokenFormer", "pFL", "SSE-C"."""
    letters = [c for c in token if c.isalpha()]
    if len(letters) < 2 and not (letters and any(c.isdigit() for c in token) and token[0].isupper()):
        return False
    uppers = sum(c.isupper() for c in token)
    camel = _CAMEL.search(token) is not None
    has_digit = any(c.isdigit() for c in token)
    parts = _NAME_PARTS.split(token)
    # "General-Purpose", "Long-Tailed": ordinary capitalised words, not a coined name.
    if not has_digit and all(_PLAIN_WORD.fullmatch(p) for p in parts if p):
        return False
    return uppers >= 2 or camel or (uppers >= 1 and has_digit)


@lru_cache(maxsize=65536)
def _coined_part(token: str) -> str | None:
    """The name-shaped part of a token, or None: "GPT-involved", "LLM-based" name the part before the
    lower-case suffix. (Cached: the same words recur across abstracts.)"""
    token = _LOWER_SUFFIXES.sub("", token.rstrip("."))
    return token if name_shaped(token) else None


# "Does Localization Inform Editing?", "Stacking Your Transformers:", "LLM See, LLM Do:": a title that
# opens with a question, a clause or a slogan names nothing.
_TITLE_CLAUSE = re.compile(r"[,?!]|^(?:Does|Do|Is|Are|Can|Could|Should|How|What|Why|When|Where|Which|Who|Will|Towards?|"
                           r"On|Beyond|Rethinking|Revisiting|Learning|Training|Making|Improving|Stacking|Scaling|"
                           r"Unleashing|Exploring|Understanding|Mitigating|Bridging|Boosting)\b|\b(?:Your|You|We|Our|My|Us)\b")


def _proposed_here(text: str, start: int) -> bool:
    """True when the sentence before `start` proposes what follows: "we propose ... X (XX)", "termed X"."""
    before = text[max(0, start - 120):start]
    cue = None
    for cue in PROPOSE.finditer(before):
        pass
    return cue is not None and not re.search(r"[.;]", before[cue.end():]) and len(before) - cue.end() <= 50


def _names_something(prefix: str) -> bool:
    """False for a title prefix that is a clause, a question or a slogan rather than a name."""
    return len(prefix.split()) == 1 or not _TITLE_CLAUSE.search(prefix)


def split_conjoined(name: str) -> list[str]:
    """["CIFAR-10-LT", "CIFAR-100-LT"] for "CIFAR-10/100-LT"; [name] when nothing is conjoined."""
    m = _CONJOINED.match(name)
    if not m:
        return [name]
    stem, suffix = m.group("stem"), m.group("suffix")
    return [f"{stem}-{m.group('a')}{suffix}", f"{stem}-{m.group('b')}{suffix}"]


@Language.factory(
    "paperkg_candidates",
    requires=["doc._.abbreviations"],
    assigns=["doc.spans", "span._.source", "span._.long_form"],
    default_config={"spans_key": SPANS_KEY},
)
class CandidateFinder(Batched):
    """Adds candidate spans for coined names; the label is a typed guess from shape and context."""

    def __init__(self, nlp: Language, name: str, spans_key: str = SPANS_KEY) -> None:
        self.name = name
        self.spans_key = spans_key
        self.nlp = nlp
        self._known: dict[str, str] | None = None

    def known_types(self) -> dict[str, str]:
        """Lower-cased vocabulary names of Models and Datasets -> type (for variants of known names)."""
        if self._known is None:
            entries = self.nlp.get_pipe("paperkg_gazetteer").entries if "paperkg_gazetteer" in self.nlp.pipe_names \
                else {}
            self._known = {a.lower(): e.type for e in entries.values() if e.type in ("Model", "Dataset")
                           for a in (e.label, *e.aliases)}
        return self._known

    def _variant_type(self, token: str) -> str | None:
        """The type of the known name a token extends ("ResNet-32" -> ResNet's Model), if any."""
        known = self.known_types()
        stem = token
        for _ in range(3):
            stem = _VARIANT_SUFFIX.sub("", stem)
            if not stem or stem == token:
                return None
            if stem.lower() in known:
                return known[stem.lower()]
            token = stem
        return None

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
        group = doc.spans.get(self.spans_key) or SpanGroup(doc, name=self.spans_key)
        # A span found twice keeps its first (more trusted) reading: extension values are keyed by offsets.
        seen = {(s.start_char, s.end_char) for s in group}
        # Defined acronyms: both forms get the long form's type.
        for long_span, short_span in doc._.abbreviations or []:
            if is_generic(short_span.text.rstrip("s")):
                continue
            after = text[short_span.end_char:short_span.end_char + 30].lstrip(") ")
            label = type_of_long_form(long_span.text, after)
            if label == "Task" and _proposed_here(text, long_span.start_char):
                # "we propose Cross-ID Similarity Learning (CSL)": what a paper proposes is a technique.
                label = "Method"
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
        if m and len(m.group(1).split()) <= 4 and _names_something(m.group(1)):
            rest = text[m.end(1):title_end] if title_end >= 0 else ""
            label = "Dataset" if _TITLE_DATASET.search(rest) else \
                type_of_name(m.group(1), rest.lstrip(": "))
            if label == "Method" and " " not in m.group(1) and _TITLE_MODEL.match(rest.lstrip(": ")):
                label = "Model"
            self._add(group, seen, doc, m.start(1), m.end(1), label, "title")
        # Name-shaped tokens anywhere.
        for m in _TOKEN.finditer(text):
            token = _coined_part(m.group(1))
            if token is None:
                continue
            end = m.start(1) + len(token)
            label = type_of_name(token, text[end:end + 30], text[max(0, m.start(1) - 40):m.start(1)])
            if label == "Method":
                label = self._variant_type(token) or label
            self._add(group, seen, doc, m.start(1), end, label, "shape")
        # "the Revisited Oxford dataset", "on the VisDA benchmark".
        for m in _CUE_DATASET.finditer(text):
            name = m.group(1).strip()
            if name.split()[0].lower() in {"the", "a", "an", "this", "our", "these"}:
                continue
            self._add(group, seen, doc, m.start(1), m.start(1) + len(name), "Dataset", "cue")
        self._add_sizes(group, seen, doc, text)
        doc.spans[self.spans_key] = _type_lists(doc, text, group)
        return doc

    def _add_sizes(self, group: SpanGroup, seen: set, doc: Doc, text: str) -> None:
        """"Gemma 7B": a Model's name followed by a size or version is a name of its own (a checkpoint)."""
        for span in list(group):
            if span.label_ != "Model":
                continue
            m = _SIZE.match(text, span.end_char)
            # Only where the size is a token of its own ("Flan-UL2 20B." is one token to spaCy).
            if m and "\n" not in text[span.start_char:m.end()] and doc.char_span(span.start_char, m.end()) is not None:
                self._add(group, seen, doc, span.start_char, m.end(), "Model", "shape")


def _type_lists(doc: Doc, text: str, group: SpanGroup) -> SpanGroup:
    """Retypes the names of a list the noun before it types ("datasets (CIFAR-10, ImageNet and HAR-2)").

    Only names typed by shape rules are retyped; vocabulary types stand.
    """
    retype: dict[tuple[int, int], str] = {}
    spans = sorted(group, key=lambda s: (s.start_char, -s.end_char))
    for m in _LIST_HEAD.finditer(text):
        label = _LIST_TYPES.get(m.group("head").lower(), "Model")
        pos = m.end()
        while True:
            nxt = next((s for s in spans if s.start_char == pos), None)
            if nxt is None:
                break
            if span_value(nxt, "source") in ("shape", "abbrev-short", "cue"):
                retype[(nxt.start_char, nxt.end_char)] = label
            sep = _LIST_SEP.match(text, nxt.end_char)
            if not sep:
                break
            pos = sep.end()
    return relabel(doc, group, retype) if retype else group


def relabel(doc: Doc, group: SpanGroup, labels: dict[tuple[int, int], str]) -> SpanGroup:
    """The group with the spans at the given (start_char, end_char) offsets relabelled.

    A new Span keeps its extension values: they are keyed by offsets, which do not change.
    """
    out = [Span(doc, s.start, s.end, label=labels.get((s.start_char, s.end_char), s.label_)) for s in group]
    return SpanGroup(doc, name=group.name, spans=out)
