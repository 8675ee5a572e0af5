"""A BiLSTM-CRF tagger over the CRF's own features, combined with the CRF as a product of experts.

The CRF (kg.extract.ner) sees a window of two words each side; a bidirectional LSTM reads the whole
abstract, so a phrase's label can depend on what the paper says about it further away ("... a new
benchmark. We evaluate on X"). The network is trained by `bench/train_tagger.py` (PyTorch, training
only) on the same gold as the CRF and ships as plain arrays in `kg/data/ner/bilstm.npz`; tagging runs
in numpy. Its input is, per token, the sum of the embeddings of the token's features (the strings
`doc_features` makes for CRFsuite, as in an EmbeddingBag), so the feature sums reuse CompiledCRF's
per-word-type cache.

With both models the NER tags with their product (`ProductCRF`: emissions and transitions added),
which scored above either alone on arxiv-recent dev (bench/README.md, "BiLSTM"); the two read one
shared feature table, so a token's features are looked up once for both.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from spacy.tokens import Doc

from .ner import BILSTM_FILE, CompiledCRF, _strings, clusters_beside

__all__ = ["BILSTM_FILE", "BiLstmCRF", "ProductCRF", "lstm_layer"]

# Word types whose feature-embedding sums are cached (rows of `emb` floats, five window slots each).
_CACHE_TYPES = 20_000
# The same for the table the CRF and the BiLSTM share (ProductCRF): about 70 MB of float32.
_SHARED_CACHE_TYPES = 50_000


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1 / (1 + exp(-x)), without overflow warnings


def lstm_layer(x: np.ndarray, lengths: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, bias: np.ndarray,
               reverse: bool = False) -> np.ndarray:
    """One direction of an LSTM layer (PyTorch's gate order i, f, g, o) over a padded batch.

    `x` is (positions x documents x inputs), the documents sorted by `lengths`, longest first; a
    document's positions past its length are padding and output zeros, as PyTorch's packed sequences
    do. Each step computes only the documents still running (a prefix of the batch), so the work is
    that of the real tokens, not of the padded rectangle.

    >>> x = np.ones((3, 1, 2)); w_ih = np.zeros((4, 2)); w_hh = np.zeros((4, 1))
    >>> b = np.array([0.0, 0.0, 1.0, 0.0])  # every gate 0.5, cell input tanh(1); two tokens, one padding
    >>> np.round(lstm_layer(x, np.array([2]), w_ih, w_hh, b)[:, 0, 0], 3).tolist()
    [0.182, 0.258, 0.0]
    >>> np.round(lstm_layer(x, np.array([2]), w_ih, w_hh, b, reverse=True)[:, 0, 0], 3).tolist()
    [0.258, 0.182, 0.0]
    """
    length, batch, _ = x.shape
    size = w_hh.shape[1]
    proj = x @ w_ih.T + bias
    w_hh_t = np.ascontiguousarray(w_hh.T)
    out = np.zeros((length, batch, size), dtype=x.dtype)
    h = np.zeros((batch, size), dtype=x.dtype)
    c = np.zeros((batch, size), dtype=x.dtype)
    # running[t]: how many documents are longer than t (lengths descending: they are the first ones).
    running = np.searchsorted(-lengths, -np.arange(length), side="left")
    for t in (range(length - 1, -1, -1) if reverse else range(length)):
        k = int(running[t])
        g = proj[t, :k] + h[:k] @ w_hh_t
        g[:, :2 * size] = _sigmoid(g[:, :2 * size])
        g[:, 3 * size:] = _sigmoid(g[:, 3 * size:])
        ck = g[:, size:2 * size] * c[:k] + g[:, :size] * np.tanh(g[:, 2 * size:3 * size])
        c[:k] = ck
        h[:k] = out[t, :k] = g[:, 3 * size:] * np.tanh(ck)
    return out


class BiLstmCRF(CompiledCRF):
    """The trained BiLSTM-CRF as numpy arrays (`bilstm.npz`, written by bench/train_tagger.py)."""

    def __init__(self, path: Path | str) -> None:
        clusters = clusters_beside(path)
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        labels = _strings(arrays["labels"])
        self.features = CompiledCRF.from_arrays(arrays["embedding"].astype(np.float32),
                                                np.zeros((0, 0)), [str(i) for i in range(arrays["embedding"].shape[1])],
                                                _strings(arrays["attributes"]), clusters, cache_limit=_CACHE_TYPES)
        self.layers = [[tuple(arrays[f"l{k}_{d}_{w}"].astype(np.float32) for w in ("w_ih", "w_hh", "bias"))
                        for d in ("fwd", "bwd")] for k in range(int(arrays["n_layers"]))]
        self.out_w = arrays["out_w"].astype(np.float32)
        self.out_b = arrays["out_b"].astype(np.float32)
        self.start = arrays["start"].astype(np.float64)
        self.end = arrays["end"].astype(np.float64)
        self.transitions = arrays["transitions"].astype(np.float64)
        self.labels = labels
        self.n_labels = len(labels)
        self.clusters = clusters

    def emissions(self, doc: Doc) -> np.ndarray:
        """(tokens x labels) state scores of one doc."""
        return self.emissions_batch([doc])[0]

    def emissions_batch(self, docs: Sequence[Doc]) -> list[np.ndarray]:
        """(tokens x labels) state scores of each doc, the LSTM run once over the batch.

        The start and end scores of the chain are folded into the first and last token's rows, so
        CompiledCRF's Viterbi and forward-backward decode them unchanged.
        """
        return self.scores([self.features.emissions(d) if len(d) else None for d in docs])

    def scores(self, inputs: Sequence[np.ndarray | None]) -> list[np.ndarray]:
        """`emissions_batch` from each doc's (tokens x emb) feature-embedding sums (None: an empty doc)."""
        out: list[np.ndarray] = [np.zeros((0, self.n_labels)) for _ in inputs]
        live = [i for i, e in enumerate(inputs) if e is not None and len(e)]
        if not live:
            return out
        live.sort(key=lambda i: -len(inputs[i]))  # longest first: see lstm_layer
        lengths = np.array([len(inputs[i]) for i in live])
        x = np.zeros((int(lengths.max()), len(live), inputs[live[0]].shape[1]),
                     dtype=np.float32)
        for k, i in enumerate(live):
            x[: lengths[k], k] = inputs[i]
        for fwd, bwd in self.layers:
            x = np.concatenate([lstm_layer(x, lengths, *fwd), lstm_layer(x, lengths, *bwd, reverse=True)], axis=2)
        scores = (x @ self.out_w.T + self.out_b).astype(np.float64)
        for k, i in enumerate(live):
            e = scores[: lengths[k], k].copy()
            e[0] += self.start
            e[-1] += self.end
            out[i] = e
        return out


class ProductCRF(CompiledCRF):
    """Two linear-chain models over the same labels tagging as one: their scores are added (a product
    of their distributions), in the first model's label order.

    A CRF and a BiLSTM-CRF read the same feature strings: their per-feature vectors are then kept side
    by side in one table (`shared`), so each word type's features are looked up once for both.
    """

    def __init__(self, first: CompiledCRF, second: CompiledCRF) -> None:
        self.first, self.second = first, second
        self._perm = [second.labels.index(label) for label in first.labels]
        self.labels, self.n_labels, self.clusters = first.labels, first.n_labels, first.clusters
        self.transitions = first.transitions + second.transitions[np.ix_(self._perm, self._perm)]
        self.shared = _shared_features(first, second.features) if (
            type(first) is CompiledCRF and isinstance(second, BiLstmCRF) and first.clusters == second.clusters) else None

    def emissions(self, doc: Doc) -> np.ndarray:
        """(tokens x labels) state scores of one doc."""
        return self.emissions_batch([doc])[0]

    def emissions_batch(self, docs: Sequence[Doc]) -> list[np.ndarray]:
        """The sum of both models' state scores of each doc."""
        docs = list(docs)
        if self.shared is None:
            return [a + b[:, self._perm] for a, b in zip(self.first.emissions_batch(docs),
                                                          self.second.emissions_batch(docs))]
        n = self.first.n_labels
        sums = [self.shared.emissions(d) if len(d) else None for d in docs]
        lstm = self.second.scores([None if s is None else s[:, n:] for s in sums])
        return [b[:, self._perm] if s is None else s[:, :n].astype(np.float64) + b[:, self._perm]
                for s, b in zip(sums, lstm)]


def _shared_features(crf: CompiledCRF, embeddings: CompiledCRF) -> CompiledCRF:
    """One feature table for a CRF's weights and a BiLSTM's feature embeddings: the columns of the
    first, then those of the second, over the union of their feature strings (float32, like the
    embeddings: the CRF's columns differ from its own float64 sums by rounding alone)."""
    attrs = list(crf.index)
    extra = [a for a in embeddings.index if a not in crf.index]
    attrs += extra
    rows = {a: i for i, a in enumerate(attrs)}
    n = crf.weights.shape[1]
    table = np.zeros((len(attrs), n + embeddings.weights.shape[1]), dtype=np.float32)
    table[: len(crf.index), :n] = crf.weights  # its rows are in its index's order
    table[[rows[a] for a in embeddings.index], n:] = embeddings.weights[list(embeddings.index.values())]
    return CompiledCRF.from_arrays(table, np.zeros((0, 0)), [str(i) for i in range(table.shape[1])], attrs,
                                   crf.clusters, cache_limit=_SHARED_CACHE_TYPES)
