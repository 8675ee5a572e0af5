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

__all__ = ["BILSTM_FILE", "BiLstmCRF", "ProductCRF", "lstm_layer", "pack", "unpack"]

# Word types whose feature-embedding sums are cached (rows of `emb` floats, five window slots each).
_CACHE_TYPES = 20_000
# The same for the table the CRF and the BiLSTM share (ProductCRF): about 70 MB of float32.
_SHARED_CACHE_TYPES = 50_000


def _offsets(steps: np.ndarray) -> np.ndarray:
    """Where each step's rows start in a packing, and the total rows last."""
    return np.concatenate([[0], np.cumsum(steps)])


def pack(seqs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Sequences (each tokens x inputs, longest first) packed time-major, as PyTorch's packed
    sequences: the rows of step t are those of the sequences longer than t, in order. Returns the
    rows and `steps`, how many sequences each step holds.

    >>> rows, steps = pack([np.array([[1], [2], [3]]), np.array([[4]])])
    >>> rows[:, 0].tolist(), steps.tolist()
    ([1, 4, 2, 3], [2, 1, 1])
    """
    lengths = np.array([len(s) for s in seqs])
    steps = np.searchsorted(-lengths, -np.arange(int(lengths[0])), side="left")
    rows = np.empty((int(lengths.sum()), seqs[0].shape[1]), dtype=seqs[0].dtype)
    starts = _offsets(steps)
    for k, s in enumerate(seqs):
        rows[starts[: len(s)] + k] = s
    return rows, steps


def unpack(rows: np.ndarray, steps: np.ndarray) -> list[np.ndarray]:
    """The sequences `pack` packed into `rows` (copies).

    >>> [s[:, 0].tolist() for s in unpack(*pack([np.array([[1], [2], [3]]), np.array([[4]])]))]
    [[1, 2, 3], [4]]
    """
    starts = _offsets(steps)
    lengths = np.searchsorted(-steps, -np.arange(int(steps[0])), side="left") if len(steps) else []
    return [rows[starts[:n] + k] for k, n in enumerate(lengths)]


def lstm_layer(rows: np.ndarray, steps: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, bias: np.ndarray,
               reverse: bool = False) -> np.ndarray:
    """One direction of an LSTM layer (PyTorch's gate order i, f, g, o) over packed sequences (`pack`):
    its output rows, in the same packing.

    Packed, the input projection is computed for the real tokens only, and each step's running
    sequences (a prefix of the batch) and their previous outputs are contiguous rows.

    >>> x = np.ones((2, 2)); w_ih = np.zeros((4, 2)); w_hh = np.zeros((4, 1))
    >>> b = np.array([0.0, 0.0, 1.0, 0.0])  # every gate 0.5, cell input tanh(1)
    >>> np.round(lstm_layer(x, np.array([1, 1]), w_ih, w_hh, b)[:, 0], 3).tolist()
    [0.182, 0.258]
    >>> np.round(lstm_layer(x, np.array([1, 1]), w_ih, w_hh, b, reverse=True)[:, 0], 3).tolist()
    [0.258, 0.182]
    """
    size = w_hh.shape[1]
    # Gates reordered i, f, o, g, and the three sigmoid gates' weights halved (exact in binary floating
    # point): sigmoid(z) = (tanh(z / 2) + 1) / 2, so one tanh over the whole row serves all four.
    order = np.r_[0:2 * size, 3 * size:4 * size, 2 * size:3 * size]
    scale = np.where(np.arange(4 * size) < 3 * size, 0.5, 1.0).astype(rows.dtype)
    proj = rows @ (w_ih[order] * scale[:, None]).T
    proj += bias[order] * scale
    w_hh_t = np.ascontiguousarray((w_hh[order] * scale[:, None]).T)
    out = np.empty((len(rows), size), dtype=rows.dtype)
    batch = int(steps[0]) if len(steps) else 0
    gates = np.empty((batch, 4 * size), dtype=rows.dtype)
    cell = np.zeros((batch, size), dtype=rows.dtype)
    spare = np.empty((batch, size), dtype=rows.dtype)
    starts = _offsets(steps).tolist()
    counts = steps.tolist()
    for t in (range(len(counts) - 1, -1, -1) if reverse else range(len(counts))):
        k, start = counts[t], starts[t]
        g, c, tmp = gates[:k], cell[:k], spare[:k]
        prev = t + 1 if reverse else t - 1  # the step before, in reading order
        if 0 <= prev < len(counts):
            # Going backwards, the sequences that start at this step have no previous output (zeros).
            n = min(k, counts[prev])
            np.matmul(out[starts[prev]:starts[prev] + n], w_hh_t, out=g[:n])
            g[:n] += proj[start:start + n]
            if n < k:
                g[n:] = proj[start + n:start + k]
        else:
            g[:] = proj[start:start + k]
        np.tanh(g, out=g)
        sig = g[:, :3 * size]
        sig *= 0.5
        sig += 0.5
        c *= g[:, size:2 * size]
        np.multiply(g[:, :size], g[:, 3 * size:], out=tmp)
        c += tmp
        h = out[start:start + k]
        np.tanh(c, out=h)
        h *= g[:, 2 * size:3 * size]
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
        live.sort(key=lambda i: -len(inputs[i]))  # longest first: see pack
        x, steps = pack([inputs[i] for i in live])
        x = x.astype(np.float32, copy=False)
        for fwd, bwd in self.layers:
            x = np.concatenate([lstm_layer(x, steps, *fwd), lstm_layer(x, steps, *bwd, reverse=True)], axis=1)
        scores = (x @ self.out_w.T + self.out_b).astype(np.float64)
        for i, e in zip(live, unpack(scores, steps)):
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
