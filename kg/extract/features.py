"""Features of a candidate entity for the entity scorer: what found it, its shape, its words, its context.

One function each for the two decisions the scorer makes (is it an entity and of what type; what
role it plays), shared by the pipeline component (kg/extract/scorer.py) and its training script
(bench/train_extractor.py), so that training and tagging see the same strings. Features are plain
strings ("src=vocab", "head=benchmark", "p3=propose"); a linear model weighs them.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from ..model import Entity
from .extensions import span_value
from .candidates import name_shaped
from .cues import (APPOSITIVE, COMPARE, DATASET_NOUNS, METRIC_NOUNS, MODEL_NOUNS, OWN_WORK, PROPOSE, SUBTITLE, USE,
                   plurals)
from .gazetteer import ENTITIES_KEY, doc_text
from .ner import span_posterior

__all__ = ["DocContext", "entity_features", "role_features", "name_key", "boundary_uncertain"]

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-']*|\d+(?:\.\d+)?%?")
_SIZE = re.compile(r"(?:^|[\s\-_])\d+(?:\.\d+)?\s?[BMK]\b|\b\d+x\d+B\b", re.IGNORECASE)
_VERSION = re.compile(r"(?:[\-\s]?v?\d+(?:\.\d+)+|[\-\s]v\d+)$", re.IGNORECASE)
_DATASET_WORDS = plurals(DATASET_NOUNS)
_MODEL_WORDS = plurals(MODEL_NOUNS)
_METRIC_WORDS = plurals(METRIC_NOUNS)


def name_key(name: str) -> str:
    """Lower-case name with single spaces, the key of name features ("name=...")."""
    return " ".join(name.lower().split())


_TYPED_SHAPES = frozenset({"lower", "caps", "digit", "size", "bench"})
_CAMEL = re.compile(r"[a-z][A-Z]")
_BENCH = re.compile(r"bench", re.IGNORECASE)
_LEFT_CUT = re.compile(r"[.;:!?\n]\s")
_RIGHT_CUT = re.compile(r"[.;:!?\n](?:\s|$)")


@functools.lru_cache(maxsize=1 << 16)
def _shape(text: str) -> tuple[str, ...]:
    words = text.split()
    out = [f"nw={min(len(words), 5)}"]
    if any(c.isupper() for c in text[1:]):
        out.append("caps")
    if text[:1].isupper():
        out.append("init_cap")
    if text.isupper() and len(text) > 1:
        out.append("allcaps")
    if text == text.lower():
        out.append("lower")
    if any(c.isdigit() for c in text):
        out.append("digit")
    if "-" in text:
        out.append("hyphen")
    if _CAMEL.search(text):
        out.append("camel")
    if any(name_shaped(w) for w in words):
        out.append("name_shaped")
    if all(w[:1].isupper() for w in words if w[:1].isalpha()) and len(words) > 1:
        out.append("title_case")
    if _SIZE.search(text):
        out.append("size")
    if _VERSION.search(text):
        out.append("version")
    if _BENCH.search(text):
        out.append("bench")
    if len(text) <= 3:
        out.append("short")
    return tuple(out)


@dataclass
class DocContext:
    """What every candidate of one Doc shares: text, title end, where the paper's own work starts."""

    doc: Doc
    text: str = ""
    title_end: int = -1
    own_work: int = 0
    spans: dict[tuple[int, int], Span] = field(default_factory=dict)
    clusters: dict[str, list[int]] | None = None
    # Memos: the words around a position, and what found a candidate (its variants ask again).
    _before: dict = field(default_factory=dict, repr=False)
    _after: dict = field(default_factory=dict, repr=False)
    _found: dict = field(default_factory=dict, repr=False)
    _tokens: dict = field(default_factory=dict, repr=False)
    _posterior: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, doc: Doc, spans_key: str = ENTITIES_KEY, clusters: dict[str, list[int]] | None = None) -> "DocContext":
        """The context of a processed Doc (its selected spans under `spans_key`; word clusters if given)."""
        text = doc_text(doc)
        title_end = text.find("\n")
        m = OWN_WORK.search(text, max(title_end, 0))
        own = len(text) if m is None else m.start()
        spans = {(s.start_char, s.end_char): s for s in doc.spans.get(spans_key, [])}
        return cls(doc, text, title_end if title_end >= 0 else len(text), own, spans, clusters)

    def words_before(self, start: int, n: int) -> list[str]:
        """The last `n` words before character `start`, within its sentence or line."""
        words = self._before.get(start)
        if words is None:
            left = self.text[max(0, start - 80):start]
            left = _LEFT_CUT.split(left)[-1] if start > 0 else ""
            words = self._before[start] = [w.lower() for w in _WORD.findall(left)]
        return words[-n:]

    def words_after(self, end: int, n: int) -> list[str]:
        """The first `n` words after character `end`, within its sentence or line."""
        words = self._after.get(end)
        if words is None:
            right = _RIGHT_CUT.split(self.text[end:end + 60])[0]
            words = self._after[end] = [w.lower() for w in _WORD.findall(right)]
        return words[:n]

    def tokens(self, start: int, end: int) -> tuple[int, int] | None:
        """Token bounds of characters `start`..`end` (spaCy's ``char_span``, expanded to whole tokens)."""
        key = (start, end)
        if key not in self._tokens:
            span = self.doc.char_span(start, end, alignment_mode="expand")
            self._tokens[key] = None if span is None else (span.start, span.end)
        return self._tokens[key]

    def posterior(self, start: int, end: int) -> tuple[float, float, float] | None:
        """kg.extract.ner.span_posterior of tokens `start`..`end` (a candidate and its variants ask again)."""
        key = (start, end)
        if key not in self._posterior:
            self._posterior[key] = span_posterior(self.doc, start, end)
        return self._posterior[key]

    def sentence_before(self, start: int) -> str:
        """The text of the sentence (or title) holding `start`, up to `start`."""
        cut = max(self.text.rfind(". ", 0, start), self.text.rfind("\n", 0, start))
        return self.text[cut + 1:start]


def _members(ent: Entity, ctx: DocContext) -> list[Span]:
    return [s for m in ent.mentions if (s := ctx.spans.get((m.start, m.end))) is not None]


def boundary_uncertain(ent: Entity, ctx: DocContext, sure: float = 0.8, outside: float = 0.2) -> bool:
    """True when the NER's posterior doubts where the candidate's first mention starts or ends (below
    `sure` that an entity starts there or ends there, or a neighbouring word above `outside` of being
    inside one): only then are other boundaries worth scoring (without the NER: always)."""
    m0 = ent.mentions[0]
    bounds = ctx.tokens(m0.start, m0.end)
    if bounds is None:
        return False
    start, end = bounds
    post = ctx.posterior(start, end)
    if post is None:
        return True
    if post[1] < sure or post[2] < sure:
        return True
    left = ctx.posterior(start - 1, start) if start > 0 else None
    right = ctx.posterior(end, end + 1) if end < len(ctx.doc) else None
    return bool(left and left[0] > outside or right and right[0] > outside)


def _found_by(ent: Entity, ctx: DocContext) -> dict:
    """What found a candidate: its sources, the NER's label and score, a vocabulary id, an acronym."""
    info = ctx._found.get(id(ent))
    if info is None:
        members = _members(ent, ctx)
        scores = [x for s in members if (x := span_value(s, "score")) is not None]
        sources = [span_value(s, "source") for s in members]
        info = ctx._found[id(ent)] = {
            "sources": sorted({s or "?" for s in sources}) or ["?"],
            "ner": [f"ner={s.label_}" for s, src in zip(members, sources) if src in ("ner", "ner-alt")][:1],
            "vocab": any(span_value(s, "vocab_id") for s in members),
            "acronym": any(span_value(s, "long_form") is not None for s in members),
            "score": max(scores) if scores else None,
        }
    return info


def entity_features(ent: Entity, ctx: DocContext, base: Entity | None = None, kind: str | None = None) -> list[str]:
    """Features for "is this an entity, and of which type" (the scorer's type model).

    For a boundary variant (kg/extract/boundaries.py) `base` is the candidate it was made from (what
    found it) and `kind` how it differs ("L+": one word more on the left, ...).
    """
    found = _found_by(base or ent, ctx)
    sources = found["sources"]
    feats = ["bias", f"rtype={ent.type}", f"nsrc={len(sources)}"]
    feats += [f"src={s}" for s in sources]
    feats += [f"src_type={s}:{ent.type}" for s in sources]
    feats += found["ner"]
    if kind:
        feats += [f"var={kind}", f"var_type={kind}:{ent.type}"] + [f"var_src={kind}:{s}" for s in sources]
        first, base_first = ent.mentions[0], (base or ent).mentions[0]
        if kind.endswith("+"):
            added = ent.name[: len(ent.name) - len(base_first.text)] if kind == "L+" else ent.name[len(base_first.text):]
        else:
            added = base_first.text[: len(base_first.text) - len(first.text)] if kind == "L-" else \
                base_first.text[len(first.text):]
        for w in added.lower().split():
            feats += [f"var_word={kind}:{w}", f"var_shape={kind}:{'|'.join(_shape(w)[1:3])}"]
    elif found["vocab"] or ent.vocab_id:
        feats.append("vocab")
    if found["acronym"]:
        feats.append("defined_acronym")
    if found["score"] is not None:
        feats.append(f"ner_p={min(int(found['score'] * 10), 9)}")
    m0 = ent.mentions[0]
    bounds = ctx.tokens(m0.start, m0.end)
    post = ctx.posterior(*bounds) if bounds is not None else None
    if post:
        inside, begin, end = post
        feats += [f"crf_in={min(int(inside * 5), 4)}", f"crf_b={min(int(begin * 5), 4)}",
                  f"crf_e={min(int(end * 5), 4)}", f"crf_in_type={min(int(inside * 5), 4)}:{ent.type}"]
        if min(begin, end) >= 0.5:
            feats.append("crf_whole")
    n = len(ent.mentions)
    feats.append(f"nm={min(n, 4)}")
    first = ent.mentions[0]
    if first.start < ctx.title_end:
        feats.append("in_title")
        if ctx.text[first.end:first.end + 1] == ":" and first.start == 0:
            feats.append("title_prefix")
            sub = SUBTITLE.match(ctx.text, first.end, ctx.title_end)
            if sub is not None:
                feats += _said_to_be("sub", sub.group(1).lower(), ent.type)
    surface = first.text
    shape = _shape(surface)
    feats += [f"shape={f}" for f in shape]
    feats += [f"lshape={f}:{ent.type}" for f in shape if f in _TYPED_SHAPES]
    words = [w.lower() for w in surface.split()]
    clusters = ctx.clusters
    if words and clusters:
        for pos, w in (("hc", words[-1]), ("fc", words[0])):
            c = clusters.get(w)
            if c is not None:
                feats += [f"{pos}1={c[0]}", f"{pos}2={c[1]}", f"{pos}1_type={c[0]}:{ent.type}"]
    if words:
        feats.append(f"head={words[-1]}")
        feats.append(f"head_type={words[-1]}:{ent.type}")
        feats.append(f"suf3={words[-1][-3:]}")
        if len(words) > 1:
            feats.append(f"first={words[0]}")
    feats.append(f"name={name_key(ent.name)}")
    for m in ent.mentions[:3]:
        before, after = ctx.words_before(m.start, 3), ctx.words_after(m.end, 2)
        feats += [f"p3={w}" for w in before]
        feats += [f"n2={w}" for w in after]
        if before:
            feats.append(f"prev={before[-1]}")
        if after:
            feats.append(f"next={after[0]}")
        near = set(before[-2:]) | set(after)
        if near & _DATASET_WORDS:
            feats.append("near_dataset_noun")
        if near & _MODEL_WORDS:
            feats.append("near_model_noun")
        if near & _METRIC_WORDS:
            feats.append("near_metric_noun")
        appos = APPOSITIVE.match(ctx.text, m.end, m.end + 160)
        if appos is not None:
            feats += _said_to_be("appos", appos.group(1).lower(), ent.type)
    return sorted(set(feats))


def _said_to_be(kind: str, head: str, type_: str) -> list[str]:
    """Features of the noun a text calls a name ("X, an embodied world model", "X: a benchmark for"):
    the word itself, with the rules' type, and whether it is a dataset, model or metric noun."""
    feats = [f"{kind}={head}", f"{kind}_type={head}:{type_}"]
    for noun_kind, nouns in (("dataset", _DATASET_WORDS), ("model", _MODEL_WORDS), ("metric", _METRIC_WORDS)):
        if head in nouns:
            feats.append(f"said_{noun_kind}")
    return feats


_ROLE_CUES = (("propose", PROPOSE), ("compare", COMPARE), ("use", USE))


def role_features(ent: Entity, ctx: DocContext, type_: str) -> list[str]:
    """Features for "what role does the paper give this entity" (the scorer's role model)."""
    members = _members(ent, ctx)
    sources = sorted({span_value(s, "source") or "?" for s in members})
    feats = ["bias", f"rrole={ent.role}", f"type={type_}", f"rrole_type={ent.role}:{type_}"]
    feats += [f"src={s}" for s in sources]
    if ent.vocab_id:
        feats.append("vocab")
    if any(name_shaped(w) for w in ent.name.split()):
        feats.append("coined")
    first = ent.mentions[0]
    if first.start < ctx.title_end:
        feats.append("in_title")
        feats.append(f"in_title_type={type_}")
        if first.start == 0 and ctx.text[first.end:first.end + 1] == ":":
            feats.append("title_prefix")
    feats.append("after_own_work" if first.start >= ctx.own_work else "before_own_work")
    feats.append(f"nm={min(len(ent.mentions), 4)}")
    for m in ent.mentions[:4]:
        sent = ctx.sentence_before(m.start)
        tail = sent[-60:]
        for name, pat in _ROLE_CUES:
            in_sent = pat.search(sent) is not None
            # `tail` ends the sentence: a match in it is one in the sentence, unless it starts right at
            # the cut, where \b can see a word start that the sentence does not have.
            if len(sent) <= 60:
                in_tail = in_sent
            elif in_sent:
                in_tail = pat.search(tail) is not None
            else:
                in_tail = pat.match(tail) is not None
            if in_tail:
                feats.append(f"cue_{name}")
            if in_sent:
                feats.append(f"sent_{name}")
        feats += [f"rp={w}" for w in ctx.words_before(m.start, 4)]
        feats += [f"rn={w}" for w in ctx.words_after(m.end, 2)]
    return sorted(set(feats))
