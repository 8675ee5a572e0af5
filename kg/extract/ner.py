"""Statistical NER: a linear-chain CRF (CRFsuite) that tags Method, Task, Dataset and Metric mentions.

The model is trained by `bench/train_ner.py` (with python-crfsuite) from recent papers annotated
under the entity guideline (tests/data/guideline_train.jsonl and guideline_dev.jsonl; the script can
also mix in SciREX, which did not help) and ships in `kg/data/ner/` as plain arrays (`model.npz` +
`meta.json`): tagging needs only numpy. It is part of the default pipeline. Its spans join the other candidates in
`doc.spans["kg_candidates"]` with `span._.source == "ner"`; `paperkg_select` then resolves overlaps.

Why a CRF and not spaCy's `ner`: the smallest useful spaCy NER (HashEmbedCNN width 64, depth 2)
ran at ~130 abstracts/s on its own here, which leaves no room for the rest of the pipeline within the
120 abstracts/s budget. A CRF's state scores are sums of feature weights, so the weights of a word
type's features are summed once and cached, and tagging is a few vector additions per token plus
Viterbi (figures in bench/README.md).

Features use only the text and the abbreviation component's "long form (SF)" pairs, never the
vocabularies, so the model can be scored on its own and does not learn from curated names.
After tagging: generic modifiers and head words are trimmed off ("existing pruning methods" ->
"pruning"), every other occurrence of a tagged phrase in the paper gets the same label, and a
single name-shaped Method is typed Model when the shape rules say so (the labels are SciREX's four:
a CRF with a separate Model label scored lower). A coined name the shape rules could only type by
default takes the model's reading when it is Dataset, Task or Metric.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from spacy.attrs import ORTH, SENT_START
from spacy.language import Language
from spacy.strings import hash_string
from spacy.tokens import Doc, Span, SpanGroup
from spacy.util import minibatch

from .extensions import span_value
from . import extensions  # noqa: F401  (registers the Doc and Span extensions)
from .candidates import name_shaped, relabel, split_conjoined
from .entity_types import is_generic, type_of_name
from .gazetteer import SPANS_KEY, doc_text

__all__ = ["NerTagger", "CompiledCRF", "compile_crfsuite", "clusters_beside", "DEFAULT_MODEL_DIR", "MODEL_FILE", "BILSTM_FILE", "FEATURES_VERSION",
           "DOMAINS", "DOMAIN_SEP", "CLUSTERS_FILE", "POSTERIOR_KEY", "span_posterior",
           "doc_features", "word_features", "tags_to_spans", "spans_to_tags", "has_default_model", "LABELS"]

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "ner"
MODEL_FILE = "model.npz"
# The BiLSTM-CRF beside the CRF (kg/extract/bilstm.py), when the model directory holds one.
BILSTM_FILE = "bilstm.npz"
META_FILE = "meta.json"
HEADS_FILE = "heads.json"
# doc.user_data key of the per-token posterior table the NER leaves for later components.
POSTERIOR_KEY = "kg_ner_posterior"
# Word clusters the model's features use (bench/train_clusters.py), beside model.npz.
CLUSTERS_FILE = "clusters.json"
# An optional precision gate (off by default; config "min_headness" / "min_count"): a lower-case NER span
# that no other candidate overlaps is kept only if its last word ends a gold mention at least
# `min_headness` of the times it occurs in the training data (heads.json), or if it occurs `min_count`
# times in the paper. Names with capitals or digits always pass. SciREX marks many generic phrases
# ("objective function", "training"), which the guideline does not; the gate trades one for the other
# (figures in bench/README.md).
MIN_HEADNESS = 0.0
MIN_COUNT = 2
FEATURES_VERSION = 4
# Annotation styles a model can be trained for (bench/train_ner.py); a feature's copy for one domain is
# named domain + DOMAIN_SEP + feature. No base feature starts with a domain name and the separator.
DOMAINS = ("guideline", "scirex")
DOMAIN_SEP = "§"
LABELS = ("Method", "Task", "Dataset", "Metric")


def has_default_model() -> bool:
    """True when the shipped model is present (the default pipeline then includes the NER)."""
    return (DEFAULT_MODEL_DIR / MODEL_FILE).is_file()


# ---------------------------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------------------------
# A token's features are (a) the features of the word types around it, each prefixed with its
# offset in the window (-2..+2) and cached per word type, and (b) a few token-level ones: a bias,
# sentence start, inside an acronym definition, and the two word bigrams. Training feeds them to
# CRFsuite as strings (doc_features); tagging adds up their weights per word type (CompiledCRF).

_SHAPE_SUB = [(re.compile(r"[A-Z]"), "X"), (re.compile(r"[a-z]"), "x"), (re.compile(r"[0-9]"), "d")]
_RUNS = re.compile(r"(.)\1+")
_PUNCT = re.compile(r"^[^\w]+$")
_CAMEL = re.compile(r"[a-z][A-Z]")
OFFSETS = (-2, -1, 0, 1, 2)
_SPECIFIC = re.compile(r"[A-Z0-9]")
_PAD = {-2: ["-2BOS"], -1: ["-1BOS"], 1: ["+1EOS"], 2: ["+2EOS"]}


def _shape(text: str) -> str:
    s = text
    for pat, rep in _SHAPE_SUB:
        s = pat.sub(rep, s)
    return _RUNS.sub(r"\1", s)[:8]


def word_features(text: str, clusters: dict[str, list[int]] | None = None) -> tuple[list[str], ...]:
    """Features of one word type, prefixed for each window position (-2, -1, 0, +1, +2).

    `clusters`: lower-cased word -> [coarse, fine] cluster ids (bench/train_clusters.py), so that
    words used alike share features.
    """
    if not text.strip():
        # Whitespace tokens (line breaks): one feature, and nothing with a space or newline in it.
        feats = ["nl" if "\n" in text else "sp"]
        return tuple([f"{o:+d}{f}" if o else f for f in feats] for o in OFFSETS)
    low = text.lower()
    shape = _shape(text)
    flags = []
    if text[:1].isupper():
        flags.append("T")
    if text.isupper() and len(text) > 1:
        flags.append("U")
    if any(c.isdigit() for c in text):
        flags.append("D")
    if "-" in text and len(text) > 1:
        flags.append("H")
    if _CAMEL.search(text):
        flags.append("M")
    if _PUNCT.match(text):
        flags.append("P")
    if name_shaped(text):
        flags.append("N")
    n = len(text)
    length = "1" if n == 1 else "2" if n <= 3 else "4" if n <= 6 else "7"
    stem = low[:-1] if n > 3 and low.endswith("s") and not low.endswith("ss") else low
    centre = ["w=" + low, "n=" + stem, "s=" + shape, "p3=" + low[:3], "x2=" + low[-2:], "x3=" + low[-3:],
              "x4=" + low[-4:], "l=" + length] + ["f=" + f for f in flags]
    near = ["w=" + stem, "s=" + shape, "x3=" + low[-3:]] + ["f=" + f for f in flags]
    far = ["w=" + stem, "s=" + shape]
    cluster = clusters.get(low) if clusters else None
    if cluster is not None:
        centre += [f"c1={cluster[0]}", f"c2={cluster[1]}"]
        near += [f"c1={cluster[0]}", f"c2={cluster[1]}"]
        far.append(f"c1={cluster[0]}")
    return (["-2" + f for f in far], ["-1" + f for f in near], centre,
            ["+1" + f for f in near], ["+2" + f for f in far])


def _bigram_word(text: str) -> str | None:
    return None if not text.strip() else text.lower()


def _marks(doc: Doc) -> dict[int, str]:
    """Token index -> "abL" / "abS" for tokens in a defined long form / short form."""
    marks: dict[int, str] = {}
    for long_span, short_span in getattr(doc._, "abbreviations", None) or []:
        for i in range(long_span.start, long_span.end):
            marks[i] = "abL"
        for i in range(short_span.start, short_span.end):
            marks[i] = "abS"
    return marks


def doc_features(doc: Doc, clusters: dict[str, list[int]] | None = None) -> list[list[str]]:
    """One feature list per token (the strings CRFsuite trains on).

    `doc` should have sentence starts and `doc._.abbreviations` (paperkg_abbreviations) set;
    `clusters` as for `word_features`.
    """
    words = [t.text for t in doc]
    n = len(words)
    table = [word_features(w, clusters) for w in words]
    bigram = [_bigram_word(w) for w in words]
    marks = _marks(doc)
    sent_starts = {s.start for s in doc.sents} if doc.has_annotation("SENT_START") else {0}
    out = []
    for i in range(n):
        feats = ["b"] + table[i][2]
        for off in (-2, -1, 1, 2):
            j = i + off
            feats += table[j][off + 2] if 0 <= j < n else _PAD[off]
        prev = bigram[i - 1] if i else "BOS"
        nxt = bigram[i + 1] if i + 1 < n else "EOS"
        if bigram[i] is not None:
            if prev is not None:
                feats.append("b-=" + prev + "|" + bigram[i])
            if nxt is not None:
                feats.append("b+=" + bigram[i] + "|" + nxt)
        if i in sent_starts:
            feats.append("ss")
        if i in marks:
            feats.append(marks[i])
        out.append(feats)
    return out


class CompiledCRF:
    """A trained linear-chain CRF as numpy arrays, with Viterbi decoding (no CRFsuite at run time).

    `model.npz` holds `weights` (attributes x labels), `transitions` (labels x labels), the labels
    and the attribute strings; bench/train_ner.py writes it from CRFsuite's model (`compile_crfsuite`).
    Word-type features are summed once per word type and cached, so tagging a token costs a few
    vector additions; the result equals CRFsuite's Viterbi path (tests/test_ner.py checks).
    """

    def __init__(self, path: Path | str, cache_limit: int = 100_000) -> None:
        with np.load(path, allow_pickle=False) as z:
            self._setup(z["weights"].astype(np.float64), z["transitions"].astype(np.float64),
                        _strings(z["labels"]), _strings(z["attributes"]), clusters_beside(path),
                        cache_limit)

    @classmethod
    def from_arrays(cls, weights: np.ndarray, transitions: np.ndarray, labels: Sequence[str],
                    attributes: Sequence[str], clusters: dict[str, list[int]] | None,
                    cache_limit: int = 100_000) -> "CompiledCRF":
        """A model from its arrays: `weights` (attributes x labels) over the feature strings `attributes`.

        The same sums serve any per-feature vectors: kg.extract.bilstm adds up feature embeddings with it.
        """
        crf = cls.__new__(cls)
        crf._setup(weights, transitions, list(labels), list(attributes), clusters, cache_limit)
        return crf

    def _setup(self, weights: np.ndarray, transitions: np.ndarray, labels: list[str], attrs: list[str],
               clusters: dict[str, list[int]] | None, cache_limit: int) -> None:
        self.clusters = clusters
        self.weights, self.transitions, self.labels = weights, transitions, labels
        self.index = {a: i for i, a in enumerate(attrs)}
        self.n_labels = len(self.labels)
        zero = np.zeros(self.n_labels, dtype=weights.dtype)
        self._zero = zero
        self.bias = self._vec(["b"])
        self.extra = {k: self._vec([k]) for k in ("ss", "abL", "abS")}
        self.pad = {o: self._vec(f) for o, f in _PAD.items()}
        # Word types seen so far: orth -> row in self.table; the row's lower-cased word's hash, if it has one.
        self.capacity = cache_limit
        self.table = np.zeros((cache_limit, len(OFFSETS), self.n_labels), dtype=weights.dtype)
        self.cache: dict[int, int] = {}
        self.low_hash = np.zeros(cache_limit, dtype=np.uint64)
        self.has_low = np.zeros(cache_limit, dtype=bool)

    @functools.cached_property
    def bigrams(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """The bigram weights, of the bigram before a token and of the one after it: (sorted keys, their
        rows in `weights`), keyed by one 64-bit key of the two lower-cased words' spaCy string hashes
        (_pair_keys), so a document's bigrams are looked up in one searchsorted. Built on first use:
        a model whose features only feed a shared table (kg.extract.bilstm) never needs them."""
        bigrams: tuple[dict[int, int], dict[int, int]] = ({}, {})
        for attr, row in self.index.items():
            if attr.startswith(("b-=", "b+=")) and "|" in attr[3:]:
                a, b = attr[3:].split("|", 1)
                bigrams[attr[1] == "+"][_pair_key(_hash(a), _hash(b))] = row
        return _sorted_table(bigrams[0]), _sorted_table(bigrams[1])

    def emissions_batch(self, docs: Sequence[Doc]) -> list[np.ndarray]:
        """`emissions` of each doc."""
        return [self.emissions(d) for d in docs]

    def _vec(self, feats: list[str]) -> np.ndarray:
        rows = [self.index[f] for f in feats if f in self.index]
        return self.weights[rows].sum(axis=0) if rows else self._zero

    def _word(self, orth: int, strings) -> int:
        if orth in self.cache:  # met earlier in the same document
            return self.cache[orth]
        text = strings[orth]
        row = len(self.cache)
        get = self.index.get
        rows, starts, slots = [], [], []
        for k, feats in enumerate(word_features(text, self.clusters)):
            found = [j for j in map(get, feats) if j is not None]
            if found:
                starts.append(len(rows))
                slots.append(k)
                rows += found
        if rows:
            self.table[row, slots] = np.add.reduceat(self.weights[rows], starts, axis=0)
        low = _bigram_word(text)
        self.has_low[row] = low is not None
        self.low_hash[row] = 0 if low is None else _hash(low)
        self.cache[orth] = row
        return row

    def emissions(self, doc: Doc) -> np.ndarray:
        """(tokens x labels) state scores."""
        n = len(doc)
        arr = doc.to_array([ORTH, SENT_START])
        cache, strings = self.cache, doc.vocab.strings
        if len(cache) + n > self.capacity:
            cache.clear()  # bounded memory over millions of abstracts; never mid-document
            self.table[:] = 0.0
        orths = arr[:, 0].tolist()
        rows = list(map(cache.get, orths))
        if None in rows:
            rows = [self._word(o, strings) if r is None else r for o, r in zip(orths, rows)]
        idx = np.array(rows, dtype=np.intp)
        m = self.table[idx]  # n x 5 x labels
        em = m[:, 2] + self.bias
        for off in (-2, -1, 1, 2):
            k = abs(off)
            if off < 0:
                em[k:] += m[:-k, off + 2]
                em[:k] += self.pad[off]
            else:
                em[:-k] += m[k:, off + 2]
                em[-k:] += self.pad[off]
        # Bigram weights, the previous word's before the next word's for every token (the order of the
        # additions fixes the floating-point result). A word without a bigram form has no bigrams.
        low, has = self.low_hash[idx], self.has_low[idx]
        before = np.concatenate((_HASH_BOS, low[:-1])), np.concatenate(([True], has[:-1]))
        after = np.concatenate((low[1:], _HASH_EOS)), np.concatenate((has[1:], [True]))
        for (keys, key_rows), first, second, ok in ((self.bigrams[0], before[0], low, before[1] & has),
                                                    (self.bigrams[1], low, after[0], has & after[1])):
            if not len(keys):
                continue
            query = _pair_keys(first, second)
            pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
            hits = np.flatnonzero(ok & (keys[pos] == query))
            if len(hits):
                em[hits] += self.weights[key_rows[pos[hits]]]
        em[arr[:, 1] == 1] += self.extra["ss"]
        if not doc.has_annotation("SENT_START"):
            em[0] += self.extra["ss"]
        for i, mark in _marks(doc).items():
            em[i] += self.extra[mark]
        return em

    def viterbi(self, ems: Sequence[np.ndarray]) -> list[list[int]]:
        """Best label sequence for each (tokens x labels) score matrix, decoded as one batch.

        One numpy step per token position for the whole batch: the per-call overhead of numpy, not
        arithmetic, is what a 9-label Viterbi costs, so batching documents makes it ~50x cheaper.
        """
        ems = list(ems)
        if not ems:
            return []
        lens = np.array([len(e) for e in ems])
        n_batch, length, n_labels = len(ems), int(lens.max()), self.n_labels
        if length == 0:
            return [[] for _ in ems]
        # Layout (position, label, document): every step reduces over the "from" axis with the
        # documents contiguous, several times faster in numpy than a (document, from, to) layout.
        em = np.zeros((length, n_labels, n_batch))
        for i, e in enumerate(ems):
            em[: len(e), :, i] = e
        trans = np.ascontiguousarray(self.transitions.T)[:, :, None]  # to x from x 1
        back = np.empty((length, n_labels, n_batch), dtype=np.intp)
        # Backpointers past a document's end are never read: keep each document's score at its last token.
        final = em[0].copy()
        ends: dict[int, list[int]] = {}
        for i, n in enumerate(lens.tolist()):
            ends.setdefault(n - 1, []).append(i)
        score = em[0]
        for t in range(1, length):
            cand = score[None] + trans  # to x from x document
            back[t] = cand.argmax(axis=1)
            score = cand.max(axis=1)
            score += em[t]
            done = ends.get(t)
            if done:
                final[:, done] = score[:, done]
        score = final.T
        last = score.argmax(axis=1).tolist()
        paths = []
        for i, n in enumerate(lens.tolist()):
            if not n:
                paths.append([])
                continue
            y = last[i]
            path = [y]
            for row in back[n - 1:0:-1, :, i].tolist():
                y = row[y]
                path.append(y)
            paths.append(path[::-1])
        return paths

    def marginals(self, ems: Sequence[np.ndarray]) -> list[np.ndarray]:
        """P(label | document) of every token (tokens x labels), by forward-backward, batched.

        Scaled forward-backward in probability space (each step normalised, emissions shifted by their
        maximum), with the same layout trick as `viterbi`: one small numpy step per position for all
        documents, several times faster than summing in log space.
        """
        ems = list(ems)
        if not ems:
            return []
        lens = np.array([len(e) for e in ems])
        n_batch, length, n_labels = len(ems), int(lens.max()), self.n_labels
        if length == 0:
            return [np.zeros((0, n_labels)) for _ in ems]
        em = np.zeros((length, n_labels, n_batch))
        for i, e in enumerate(ems):
            em[: len(e), :, i] = e
        em = np.exp(em - em.max(axis=1, keepdims=True))
        # Past a document's end the emissions are 1 and the steps are not used.
        valid = np.arange(length)[:, None] < lens[None, :]
        trans = np.exp(self.transitions)  # from x to
        trans_t = np.ascontiguousarray(trans.T)
        alpha = np.empty((length, n_labels, n_batch))
        alpha[0] = em[0] / em[0].sum(axis=0, keepdims=True)
        for t in range(1, length):
            a = (trans_t @ alpha[t - 1]) * em[t]  # to x batch
            alpha[t] = a / a.sum(axis=0, keepdims=True)
        beta = np.ones((length, n_labels, n_batch))
        for t in range(length - 2, -1, -1):
            b = trans @ (em[t + 1] * beta[t + 1])  # from x batch
            b = b / b.sum(axis=0, keepdims=True)
            beta[t] = np.where(valid[t + 1][None, :], b, 1.0)
        out = []
        for i, n in enumerate(lens.tolist()):
            m = alpha[:n, :, i] * beta[:n, :, i]
            out.append(m / m.sum(axis=1, keepdims=True))
        return out

    def tag_docs(self, docs: Sequence[Doc]) -> list[list[str]]:
        """BIO labels of the tokens of each doc."""
        labels = self.labels
        return [[labels[y] for y in path] for path in self.viterbi(self.emissions_batch(docs))]

    def tag(self, doc: Doc) -> list[str]:
        """BIO labels of the tokens of `doc`."""
        return self.tag_docs([doc])[0]


def _posterior_table(labels: Sequence[str], marg: np.ndarray) -> tuple:
    """(cumulative P(inside), P(begin), P(continue)) per token, so any span's posterior is O(1)."""
    o = list(labels).index("O")
    b_cols = [i for i, l in enumerate(labels) if l.startswith("B-")]
    i_cols = [i for i, l in enumerate(labels) if l.startswith("I-")]
    inside = np.concatenate([[0.0], np.cumsum(1.0 - marg[:, o])])
    # As Python floats: span_posterior reads a few of them per span, and a numpy scalar costs more to
    # index and convert (the arithmetic on them is the same IEEE double arithmetic).
    return inside.tolist(), marg[:, b_cols].sum(axis=1).tolist(), marg[:, i_cols].sum(axis=1).tolist()


def span_posterior(doc: Doc, start: int, end: int) -> tuple[float, float, float] | None:
    """(P(inside an entity), P(one starts here), P(it ends here)) for tokens start..end of `doc`, from
    the marginals the NER left in ``doc.user_data`` (None without them)."""
    table = doc.user_data.get(POSTERIOR_KEY)
    if table is None or start >= end:
        return None
    inside, begin, cont = table
    end_p = 1.0 - cont[end] if end < len(cont) else 1.0
    return round((inside[end] - inside[start]) / (end - start), 3), round(begin[start], 3), round(end_p, 3)


def _hash(s: str) -> int:
    return hash_string(s)


def clusters_beside(model_path: Path | str) -> dict[str, list[int]] | None:
    """The word clusters a model's features were computed with (CLUSTERS_FILE beside it), or None."""
    path = Path(model_path).with_name(CLUSTERS_FILE)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _strings(arr: np.ndarray) -> list[str]:
    """The newline-joined UTF-8 strings of a uint8 array (how model files keep labels and attributes)."""
    return bytes(arr).decode("utf-8").split("\n")


_HASH_BOS, _HASH_EOS = (np.array([hash_string(w)], dtype=np.uint64) for w in ("BOS", "EOS"))
# An odd 64-bit multiplier (2**64 / the golden ratio) that spreads the first word's hash over the key.
_PAIR_MULT = 0x9E3779B97F4A7C15


def _pair_key(a: int, b: int) -> int:
    """One 64-bit key for two 64-bit string hashes, in order: `_pair_keys` for Python ints.

    >>> _pair_key(1, 2) == int(_pair_keys(np.array([1], dtype=np.uint64), np.array([2], dtype=np.uint64))[0])
    True
    >>> _pair_key(1, 2) != _pair_key(2, 1)
    True
    """
    return ((a * _PAIR_MULT) & 0xFFFFFFFFFFFFFFFF) ^ b


def _pair_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`_pair_key` of uint64 arrays, element by element (uint64 arithmetic wraps around)."""
    return (a * np.uint64(_PAIR_MULT)) ^ b


def _sorted_table(rows_by_key: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(sorted uint64 keys, their rows) of a key -> row map."""
    keys = np.fromiter(rows_by_key, dtype=np.uint64, count=len(rows_by_key))
    rows = np.fromiter(rows_by_key.values(), dtype=np.intp, count=len(rows_by_key))
    order = np.argsort(keys, kind="stable")
    return keys[order], rows[order]


def compile_crfsuite(model_path: Path | str, out_path: Path | str, domain: str | None = None) -> None:
    """Write CRFsuite's model as `model.npz` for CompiledCRF (needs python-crfsuite).

    `domain`: the model was trained with per-domain feature copies; write the one for `domain` (each
    feature's shared weight plus its copy for `domain`; the other domains' copies are left out).
    """
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(model_path))
    info = tagger.info()
    labels = sorted(info.labels, key=lambda l: int(info.labels[l]))
    lab = {l: i for i, l in enumerate(labels)}
    prefixes = tuple(d + DOMAIN_SEP for d in DOMAINS)
    own = domain + DOMAIN_SEP if domain else None
    state: dict[tuple[str, str], float] = {}
    for (a, l), w in sorted(info.state_features.items()):
        if a.startswith(prefixes):
            if own is None or not a.startswith(own):
                continue
            a = a[len(own):]
        state[(a, l)] = state.get((a, l), 0.0) + w
    attrs = sorted({a for a, _ in state})
    row = {a: i for i, a in enumerate(attrs)}
    weights = np.zeros((len(attrs), len(labels)), dtype=np.float32)
    for (a, l), w in state.items():
        weights[row[a], lab[l]] = w
    trans = np.zeros((len(labels), len(labels)), dtype=np.float32)
    for (a, b), w in info.transitions.items():
        trans[lab[a], lab[b]] = w
    np.savez_compressed(out_path, weights=weights, transitions=trans,
                        labels=np.frombuffer("\n".join(labels).encode("utf-8"), dtype=np.uint8),
                        attributes=np.frombuffer("\n".join(attrs).encode("utf-8"), dtype=np.uint8))


def spans_to_tags(doc: Doc, spans: Iterable[Span]) -> list[str]:
    """BIO tags of non-overlapping token spans."""
    tags = ["O"] * len(doc)
    for span in spans:
        tags[span.start] = "B-" + span.label_
        for i in range(span.start + 1, span.end):
            tags[i] = "I-" + span.label_
    return tags


def tags_to_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, label) token spans of BIO tags; a stray I- starts a span."""
    out: list[tuple[int, int, str]] = []
    start, label = -1, ""
    for i, tag in enumerate(list(tags) + ["O"]):
        if tag.startswith("I-") and start >= 0 and tag[2:] == label:
            continue
        if start >= 0:
            out.append((start, i, label))
            start = -1
        if tag != "O":
            start, label = i, tag[2:]
    return out


# SciREX marks generic phrases too ("pruning methods", "existing approaches"); the guideline wants
# the name inside them. Trimming keeps a mention-overlap hit and gives the paper-level entity its name.
_GENERIC_HEADS = {
    "method", "methods", "approach", "approaches", "technique", "techniques", "framework", "frameworks",
    "paradigm", "paradigms", "process", "processes", "task", "tasks", "problem", "problems", "setting",
    "settings", "scenario", "scenarios", "application", "applications", "strategy", "strategies", "scheme",
    "schemes", "community", "practitioners", "library", "libraries", "pattern", "patterns", "issue",
    "issues", "domain", "domains", "field", "fields", "area", "areas", "pipeline", "pipelines",
    "solution", "solutions", "mechanism", "mechanisms", "procedure", "procedures", "family", "families",
    "variant", "variants", "version", "versions", "design", "designs", "system", "systems", "module",
    "modules", "component", "components", "capabilities", "capability", "abilities", "ability",
}
_GENERIC_MODIFIERS = {
    "a", "an", "the", "this", "these", "those", "that", "our", "their", "its", "such", "other", "different",
    "existing", "various", "several", "many", "most", "some", "all", "both", "each", "multiple", "prior",
    "previous", "conventional", "traditional", "standard", "novel", "new", "proposed", "current", "recent",
    "popular", "typical", "modern", "general", "common", "specific", "comprehensive", "effective",
    "efficient", "simple", "strong", "powerful", "suboptimal", "expensive", "high-quality", "distinct",
    "state-of-the-art", "advanced", "robust", "further", "additional", "related", "similar", "corresponding",
    "overall", "whole", "entire", "real-world", "downstream", "underlying", "alternative", "improved",
}


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def _norm(text: str) -> str:
    low = _NON_ALNUM.sub("", text.lower())
    return low[:-1] if len(low) > 3 and low.endswith("s") and not low.endswith("ss") else low


def head_key(word: str) -> str:
    """Lower-cased, singular-ish form of a head word ("networks" -> "network")."""
    low = word.lower()
    return low[:-1] if len(low) > 3 and low.endswith("s") and not low.endswith("ss") else low


def _trim_generic(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Strips leading generic modifiers and a trailing generic head word off a token span."""
    while start < end and doc[start].lower_ in _GENERIC_MODIFIERS:
        start += 1
    if end - start > 1 and doc[end - 1].lower_ in _GENERIC_HEADS:
        end -= 1
        while end > start and doc[end - 1].is_punct:
            end -= 1
    return start, end


def _propagate(doc: Doc, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """One reading per document: every other occurrence of a tagged phrase gets the same label."""
    taken = [False] * len(doc)
    for start, end, _ in spans:
        for i in range(start, end):
            taken[i] = True
    words = doc.to_array(ORTH).tolist()
    first: dict[tuple[str, ...], str] = {}
    for start, end, label in spans:
        key = tuple(words[start:end])
        if key not in first and (end - start > 1 or len(doc[start]) > 2) and not doc[start].is_punct:
            first[key] = label
    if not first:
        return spans
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for key in first:
        by_first.setdefault(key[0], []).append(key)
    out = list(spans)
    for i, w in enumerate(words):
        if taken[i] or w not in by_first:
            continue
        for key in sorted(by_first[w], key=len, reverse=True):
            j = i + len(key)
            if tuple(words[i:j]) == key and not any(taken[i:j]):
                out.append((i, j, first[key]))
                for k in range(i, j):
                    taken[k] = True
                break
    return sorted(out)


# ---------------------------------------------------------------------------------------------
# The component
# ---------------------------------------------------------------------------------------------


@Language.factory(
    "paperkg_ner",
    requires=["doc._.abbreviations", "token.is_sent_start"],
    assigns=["doc.spans", "span._.source"],
    default_config={"model_path": None, "min_headness": MIN_HEADNESS, "min_count": MIN_COUNT, "propagate": True,
                    "spans_key": SPANS_KEY, "trim_generic": False, "alt_min_p": 0.2, "score_spans": True,
                    "bilstm": True},
)
class NerTagger:
    """Adds a candidate span (source "ner", label = type) for every mention the CRF tags.

    `model_path` is a directory holding `model.npz` (default: the model shipped in kg/data/ner);
    `propagate` labels every occurrence of a tagged phrase; `min_headness` / `min_count`: see MIN_HEADNESS;
    `spans_key`: the span group the candidates go to; `trim_generic` strips generic modifiers and heads
    off tagged spans ("existing pruning methods" -> "pruning"), for a model trained on SciREX-style
    gold (the guideline keeps "gating mechanism", "feature fusion module" whole); `alt_min_p` > 0 also
    adds, where the best path tagged nothing, the spans the model's posterior gives at least that
    probability of being an entity (source "ner-alt": more recall for the entity scorer to sort);
    `score_spans` sets each span's ``span._.score`` (its mean token posterior); `bilstm`: when the model
    directory also holds a BiLSTM-CRF (`bilstm.npz`, kg.extract.bilstm), tag with the product of the two.
    """

    def __init__(self, nlp: Language, name: str, model_path: str | None = None,
                 min_headness: float = MIN_HEADNESS, min_count: int = MIN_COUNT, propagate: bool = True,
                 spans_key: str = SPANS_KEY, trim_generic: bool = False, alt_min_p: float = 0.2,
                 score_spans: bool = True, bilstm: bool = True) -> None:
        self.name = name
        self.alt_min_p = alt_min_p
        self.score_spans = score_spans
        self.spans_key = spans_key
        self.trim_generic = trim_generic
        self.propagate = propagate
        self.min_headness = min_headness
        self.min_count = min_count
        self.model_dir = Path(model_path) if model_path else DEFAULT_MODEL_DIR
        model = self.model_dir / MODEL_FILE
        if not model.is_file():
            raise FileNotFoundError(f"no NER model at {model} (train one with bench/train_ner.py)")
        meta_path = self.model_dir / META_FILE
        self.meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        version = self.meta.get("features_version", FEATURES_VERSION)
        if version != FEATURES_VERSION:
            raise ValueError(f"NER model at {model} uses features v{version}; this code has v{FEATURES_VERSION}")
        self.crf = CompiledCRF(model)
        if bilstm and (self.model_dir / BILSTM_FILE).is_file():
            from .bilstm import BiLstmCRF, ProductCRF  # it builds on this module

            self.crf = ProductCRF(self.crf, BiLstmCRF(self.model_dir / BILSTM_FILE))
        heads_path = self.model_dir / HEADS_FILE
        self.headness = json.loads(heads_path.read_text(encoding="utf-8")) if heads_path.is_file() else None

    def predict(self, docs: Sequence[Doc]) -> list[list[tuple[int, int, str]]]:
        """(start, end, label) token spans the model tags, for each doc."""
        return [tags_to_spans(tags) for tags in self.crf.tag_docs(docs)]

    def predict_scored(self, docs: Sequence[Doc]) -> list[tuple[list[tuple[int, int, str]], np.ndarray]]:
        """For each doc: its Viterbi spans and the token marginals (tokens x labels)."""
        ems = self.crf.emissions_batch(docs)
        paths = self.crf.viterbi(ems)
        margs = self.crf.marginals(ems) if self.alt_min_p > 0 or self.score_spans else [None] * len(docs)
        labels = self.crf.labels
        return [(tags_to_spans([labels[y] for y in path]), m) for path, m in zip(paths, margs)]

    def __call__(self, doc: Doc) -> Doc:
        spans, marg = self.predict_scored([doc])[0]
        return self.set_annotations(doc, spans, marg)

    def pipe(self, stream: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        """Tags docs in batches (one Viterbi and forward-backward pass per batch)."""
        for batch in minibatch(stream, size=batch_size):
            for doc, (spans, marg) in zip(batch, self.predict_scored(batch)):
                yield self.set_annotations(doc, spans, marg)

    def _alternatives(self, marg: np.ndarray, taken: list[bool]) -> list[tuple[int, int, str]]:
        """Spans the posterior gives at least `alt_min_p` of being an entity, where Viterbi tagged nothing."""
        labels = self.crf.labels
        o = labels.index("O")
        b_cols = [i for i, l in enumerate(labels) if l.startswith("B-")]
        i_cols = [i for i, l in enumerate(labels) if l.startswith("I-")]
        types = sorted({l[2:] for l in labels if l != "O"})
        cols = {t: [i for i, l in enumerate(labels) if l[2:] == t] for t in types}
        p_ent = 1.0 - marg[:, o]
        p_b = marg[:, b_cols].sum(axis=1)
        p_i = marg[:, i_cols].sum(axis=1)
        out, i, n = [], 0, len(marg)
        while i < n:
            if p_ent[i] < self.alt_min_p or taken[i]:
                i += 1
                continue
            j = i + 1
            while j < n and p_ent[j] >= self.alt_min_p and not taken[j] and p_i[j] >= p_b[j]:
                j += 1
            label = max(types, key=lambda t: marg[i:j][:, cols[t]].sum())
            out.append((i, j, label))
            i = j
        return out

    def set_annotations(self, doc: Doc, spans: list[tuple[int, int, str]], marg: np.ndarray | None = None) -> Doc:
        """Adds the tagged spans to doc.spans["kg_candidates"] (source "ner"; "ner-alt" for the posterior's
        alternatives), each with ``span._.score``, the model's mean token posterior of its label."""
        if self.propagate and spans:
            spans = _propagate(doc, spans)
        sources = {(a, b): "ner" for a, b, _ in spans}
        if marg is not None and self.alt_min_p > 0:
            taken = [False] * len(doc)
            for a, b, _ in spans:
                taken[a:b] = [True] * (b - a)
            for a, b, label in self._alternatives(marg, taken):
                spans.append((a, b, label))
                sources[(a, b)] = "ner-alt"
            spans.sort()
        group = doc.spans.get(self.spans_key) or SpanGroup(doc, name=self.spans_key)
        # Extension values are keyed by offsets: never add a second span where a candidate already is.
        seen = {(s.start_char, s.end_char) for s in group}
        # A coined name the shape rules could only type by default ("Method") takes the type the
        # model reads from its context: "32.6% on CaseHOLD" is a Dataset.
        defaulted = {(s.start_char, s.end_char) for s in group
                     if span_value(s, "source") == "shape" and s.label_ == "Method"}
        retyped: dict[tuple[int, int], str] = {}
        text = None
        gate = self.min_headness > 0
        counts: dict[str, int] = {}
        for start, end, _ in spans if gate else ():
            key = _norm(doc[start:end].text)
            counts[key] = counts.get(key, 0) + 1
        labels = self.crf.labels
        cols = {l[2:]: [i for i, x in enumerate(labels) if x[2:] == l[2:]] for l in labels if l != "O"}
        for start, end, label in spans:
            source = sources.get((start, end), "ner")
            # Trim punctuation the tagger let in at the edges ("(", ",").
            while start < end and doc[start].is_punct and doc[start].text not in "-+":
                start += 1
            while end > start and doc[end - 1].is_punct and doc[end - 1].text not in "+":
                end -= 1
            if self.trim_generic:
                start, end = _trim_generic(doc, start, end)
            if start >= end:
                continue
            span = Span(doc, start, end, label=label)
            key = (span.start_char, span.end_char)
            if key in defaulted and label in ("Dataset", "Task", "Metric"):
                retyped[key] = label
            if key in seen or is_generic(span.text):
                continue
            if gate and not _SPECIFIC.search(span.text) and not any(
                    o.start < end and start < o.end for o in group if span_value(o, "source") != "ner"):
                # A lower-case phrase only the NER found: keep it if it recurs or its head word is
                # a typical mention head in the training data.
                head = (self.headness or {}).get(head_key(doc[end - 1].text), 0.0)
                if head < self.min_headness and counts.get(_norm(span.text), 0) < self.min_count:
                    continue
            if label == "Method" and end - start == 1 and name_shaped(span.text):
                # SciREX has no Model type: the same shape rules as for coined names decide it.
                text = doc_text(doc) if text is None else text
                if type_of_name(span.text, text[span.end_char:span.end_char + 30],
                                text[max(0, span.start_char - 40):span.start_char]) == "Model":
                    span = Span(doc, start, end, label="Model")
            seen.add((span.start_char, span.end_char))
            span._.source = source
            if marg is not None and label in cols:
                span._.score = round(float(marg[start:end][:, cols[label]].sum(axis=1).mean()), 3)
            names = split_conjoined(span.text)
            if len(names) > 1:
                span._.names = names
            group.append(span)
        if marg is not None and self.score_spans:
            self._set_posteriors(group, marg)
        doc.spans[self.spans_key] = relabel(doc, group, retyped) if retyped else group
        return doc

    def _set_posteriors(self, group: SpanGroup, marg: np.ndarray) -> None:
        """``span._.posterior`` of every candidate (whoever found it): the model's mean probability that
        its tokens are inside an entity, that it starts one, and that the entity ends where the span does.
        The marginals stay in ``doc.user_data`` for spans no finder proposed (the entity scorer's)."""
        doc = group.doc
        doc.user_data[POSTERIOR_KEY] = _posterior_table(self.crf.labels, marg)
        for span in group:
            span._.posterior = span_posterior(doc, span.start, span.end)
