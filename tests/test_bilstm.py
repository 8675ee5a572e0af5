"""The BiLSTM-CRF beside the CRF: the numpy LSTM against a plain one, the shipped model, the product."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from spacy.tokens import Doc

from kg.extract.bilstm import BILSTM_FILE, BiLstmCRF, ProductCRF, lstm_layer, pack, unpack
from kg.extract.ner import DEFAULT_MODEL_DIR, MODEL_FILE, CompiledCRF, tags_to_spans
from kg.extract.pipeline import build_pipeline

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "arxiv_recent" / "dev.jsonl"
SHIPPED = DEFAULT_MODEL_DIR / BILSTM_FILE


def _plain_lstm(seq: np.ndarray, w_ih, w_hh, bias) -> np.ndarray:
    """The textbook LSTM over one unpadded sequence (tokens x inputs), gate order i, f, g, o."""
    size = w_hh.shape[1]
    h, c, out = np.zeros(size), np.zeros(size), []
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    for x in seq:
        g = w_ih @ x + w_hh @ h + bias
        i, f, cell, o = sig(g[:size]), sig(g[size:2 * size]), np.tanh(g[2 * size:3 * size]), sig(g[3 * size:])
        c = f * c + i * cell
        h = o * np.tanh(c)
        out.append(h)
    return np.array(out)


def test_batched_lstm_equals_one_sequence_at_a_time_in_both_directions():
    rng = np.random.default_rng(0)
    w_ih, w_hh, bias = rng.normal(size=(20, 3)), rng.normal(size=(20, 5)), rng.normal(size=20)
    seqs = [rng.normal(size=(n, 3)) for n in (7, 4, 4, 1)]  # longest first, as BiLstmCRF sorts them
    rows, steps = pack(seqs)
    assert steps.tolist() == [4, 3, 3, 3, 1, 1, 1]
    assert all(np.array_equal(a, b) for a, b in zip(unpack(rows, steps), seqs))
    fwd = unpack(lstm_layer(rows, steps, w_ih, w_hh, bias), steps)
    bwd = unpack(lstm_layer(rows, steps, w_ih, w_hh, bias, reverse=True), steps)
    for seq, f, b in zip(seqs, fwd, bwd):
        assert np.allclose(f, _plain_lstm(seq, w_ih, w_hh, bias))
        assert np.allclose(b, _plain_lstm(seq[::-1], w_ih, w_hh, bias)[::-1])


@pytest.fixture(scope="module")
def docs():
    from bench.train_ner import feature_pipeline

    if not SHIPPED.is_file():
        pytest.fail(f"no BiLSTM-CRF at {SHIPPED} (python -m bench.train_tagger)")
    records = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines()[:12]]
    return list(feature_pipeline().pipe(f"{r['title']}\n{r['abstract']}" for r in records))


def test_shipped_model_scores_a_batch_as_it_scores_each_doc(docs):
    model = BiLstmCRF(SHIPPED)
    batch = model.emissions_batch([docs[3], docs[0], docs[7], docs[5]])
    for em, doc in zip(batch, [docs[3], docs[0], docs[7], docs[5]]):
        assert em.shape == (len(doc), model.n_labels)
        assert np.allclose(em, model.emissions(doc), atol=1e-5)
    # The chain cannot start inside an entity.
    inside = [i for i, label in enumerate(model.labels) if label.startswith("I-")]
    assert (model.start[inside] < -1e3).all()


def test_product_tags_valid_bio_in_the_crf_label_order(docs):
    crf = CompiledCRF(DEFAULT_MODEL_DIR / MODEL_FILE)
    both = ProductCRF(crf, BiLstmCRF(SHIPPED))
    assert both.labels == crf.labels
    tagged = both.tag_docs(docs)
    assert sum(len(tags_to_spans(t)) for t in tagged) > 3 * len(docs)
    for tags in tagged:
        for prev, tag in zip(["O", *tags], tags):
            assert not tag.startswith("I-") or prev[2:] == tag[2:], (prev, tag)
    # Marginals are distributions over the labels of every token.
    for m in both.marginals(both.emissions_batch(docs[:3])):
        assert np.allclose(m.sum(axis=1), 1.0)


def test_shared_feature_table_scores_as_the_two_models_do_apart(docs):
    crf, lstm = CompiledCRF(DEFAULT_MODEL_DIR / MODEL_FILE), BiLstmCRF(SHIPPED)
    both = ProductCRF(crf, lstm)
    assert both.shared is not None  # one lookup of each word type's features for both models
    empty = Doc(docs[0].vocab, words=[])
    batch = [docs[2], empty, docs[4], docs[9]]
    shared = both.emissions_batch(batch)
    apart = [a + b[:, both._perm] for a, b in zip(crf.emissions_batch(batch), lstm.emissions_batch(batch))]
    assert [e.shape for e in shared] == [e.shape for e in apart] and shared[1].shape == (0, crf.n_labels)
    # float32 sums against the CRF's float64 ones: rounding apart, the same scores and the same tags
    assert max(float(np.abs(a - b).max()) for a, b in zip(shared, apart) if len(a)) < 1e-3
    assert both.viterbi(shared) == both.viterbi(apart)


def test_the_default_ner_tags_with_both_models_and_can_be_configured_back_to_the_crf():
    default = build_pipeline().get_pipe("paperkg_ner")
    assert isinstance(default.crf, ProductCRF)
    alone = build_pipeline(ner_config={"bilstm": False}).get_pipe("paperkg_ner")
    assert type(alone.crf) is CompiledCRF
