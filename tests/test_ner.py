"""The statistical NER: the shipped model, its numpy tagger, and training a tiny model end to end."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from spacy.tokens import Span

from kg.extract.ner import (DEFAULT_MODEL_DIR, MODEL_FILE, CompiledCRF, doc_features, has_default_model,
                            spans_to_tags, tags_to_spans)
from kg.extract.pipeline import PIPE_NAMES, build_pipeline

ROOT = Path(__file__).resolve().parents[1]
SCIREX = ROOT.parent / "shared" / "bench" / "scirex-dev.jsonl"
GUIDELINE_DEV = ROOT / "tests" / "data" / "guideline_dev.jsonl"


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline()


@pytest.fixture(scope="module")
def scirex_records():
    if not SCIREX.is_file():
        pytest.skip(f"needs ../shared beside the repository ({SCIREX} not found)")
    return [json.loads(line) for line in SCIREX.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_shipped_model_is_in_the_default_pipeline(nlp):
    assert has_default_model(), f"no model at {DEFAULT_MODEL_DIR / MODEL_FILE} (python -m bench.train_ner)"
    assert "paperkg_ner" in PIPE_NAMES and tuple(nlp.pipe_names) == PIPE_NAMES
    assert "paperkg_ner" not in build_pipeline(use_ner=False).pipe_names
    assert nlp.pipe_names.index("paperkg_candidates") < nlp.pipe_names.index("paperkg_ner")
    meta = json.loads((DEFAULT_MODEL_DIR / "meta.json").read_text())
    # Trained for the guideline (bench/train_extractor.py): the demo-corpus training and dev gold and the
    # arxiv-recent train split, 2,007 papers, never a test file.
    assert meta["target"] == "guideline" and meta["papers_by_domain"] == {"guideline": 2007}
    assert meta["features_version"] == nlp.get_pipe("paperkg_ner").meta["features_version"]
    crf_size = sum(p.stat().st_size for p in DEFAULT_MODEL_DIR.iterdir() if p.name != "bilstm.npz")
    assert crf_size < 5 * 2**20
    # The BiLSTM-CRF's arrays (kg/extract/bilstm.py) are the largest file; the package stays < 50 MB (issue 12).
    assert (DEFAULT_MODEL_DIR / "bilstm.npz").stat().st_size < 20 * 2**20
    package = ROOT / "kg"
    assert sum(p.stat().st_size for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts) < 50e6


def test_shipped_model_tags_a_real_abstract(nlp):
    rec = json.loads(GUIDELINE_DEV.read_text(encoding="utf-8").splitlines()[0])  # FedLoGe
    doc = nlp(f"{rec['title']}\n{rec['abstract']}")
    ner = [s for s in doc.spans["kg_candidates"] if s._.source == "ner"]
    # The model fills what the vocabularies and rules leave: here a technique phrase and a long name.
    assert {s.label_ for s in ner} <= {"Method", "Model", "Task", "Dataset", "Metric"}
    assert ("classifier alignment", "Method") in {(s.text, s.label_) for s in ner}
    rules = [s for s in doc.spans["kg_candidates"] if s._.source != "ner"]
    assert not any(r.start_char == s.start_char and r.end_char == s.end_char for r in rules for s in ner)
    # Offsets are unique among candidates (span extensions are keyed by them).
    offsets = [(s.start_char, s.end_char) for s in doc.spans["kg_candidates"]]
    assert len(offsets) == len(set(offsets))


def test_ner_never_overrides_vocabularies_and_rules(demo_papers):
    """With the NER the known names stay as the rules read them: split, without a trailing "dataset"."""
    from kg.extract.pipeline import extract_papers

    wanted = {"FedLoGe": ("CIFAR-10-LT", "CIFAR-100-LT", "ImageNet", "iNaturalist"),
              "Q-Bench": ("LLVisionQA", "LLDescribe")}
    papers = [p for t, p in demo_papers.items() if t.split(":")[0] in wanted]
    assert len(papers) == 2
    for paper, entities in extract_papers(papers):
        names = {e.name: e for e in entities}
        for ds in wanted[paper.title.split(":")[0]]:
            assert names[ds].type == "Dataset", ds
        assert "CIFAR-10/100-LT" not in names and "LLVisionQA dataset" not in names


def test_batched_viterbi_equals_one_by_one(nlp):
    crf = nlp.get_pipe("paperkg_ner").crf
    texts = ["", "BERT", "We evaluate ResNet-50 on ImageNet and report top-1 accuracy.",
             "Semantic segmentation with fully convolutional networks (FCN) on PASCAL VOC 2012 " * 5]
    docs = list(nlp.pipe(texts))
    batch = crf.tag_docs(docs)
    assert [len(t) for t in batch] == [len(d) for d in docs]
    assert batch == [crf.tag(d) for d in docs]
    doc = docs[2]
    tags = ["O", "O", "B-Method", "O", "B-Dataset", "O", "O", "B-Metric", "I-Metric", "O"]
    spans = tags_to_spans(tags)
    assert [(doc[a:b].text, label) for a, b, label in spans] == [
        ("ResNet-50", "Method"), ("ImageNet", "Dataset"), ("top-1 accuracy", "Metric")]
    assert spans_to_tags(doc, [Span(doc, a, b, label=label) for a, b, label in spans]) == tags


def test_emissions_are_the_sums_of_each_tokens_feature_weights():
    """The per-word-type sums, the searchsorted bigram lookup and the cache emptied when full give
    what adding up the weights of `doc_features` (the strings CRFsuite trains on) gives."""
    from bench.train_ner import feature_pipeline

    dev = ROOT / "tests" / "data" / "arxiv_recent" / "dev.jsonl"
    records = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines()[:8]]
    texts = [f"{r['title']}\n{r['abstract']}" for r in records] + ["", "BERT", "bert BERT bert", "\n\n"]
    docs = list(feature_pipeline().pipe(texts))
    crf = CompiledCRF(DEFAULT_MODEL_DIR / MODEL_FILE, cache_limit=400)  # emptied several times
    assert sum(len(d) for d in docs) > 3 * crf.capacity
    bigram_hits = 0
    for doc in docs * 2:
        expected = np.zeros((len(doc), crf.n_labels))
        for i, feats in enumerate(doc_features(doc, crf.clusters)):
            rows = [crf.index[f] for f in feats if f in crf.index]
            bigram_hits += sum(f.startswith(("b-=", "b+=")) for f in feats if f in crf.index)
            expected[i] = crf.weights[rows].sum(axis=0)
        assert np.allclose(crf.emissions(doc), expected, atol=1e-9)
    assert bigram_hits > 100  # the bigram weights were exercised


def test_train_tiny_model_end_to_end(tmp_path, scirex_records):
    pycrfsuite = pytest.importorskip("pycrfsuite")
    from bench.train_ner import feature_pipeline, train

    records = scirex_records[:6]
    meta = train(records, tmp_path / "ner", seed=0, grid=((0.1, 0.01), (0.5, 0.01)), dev_fraction=0.34,
                 max_iterations=2)
    assert meta["papers"] == 6 and meta["inner_dev_papers"] == 2 and len(meta["grid_inner_dev_f1"]) == 2
    assert (tmp_path / "ner" / "model.npz").is_file() and (tmp_path / "ner" / "heads.json").is_file()
    # The numpy tagger decodes exactly like CRFsuite on the same model.
    from bench.train_ner import _fit, prepare

    _fit(prepare(records[:3]), tmp_path / "m.crfsuite", 0.1, 0.01, 5)
    from kg.extract.ner import compile_crfsuite

    compile_crfsuite(tmp_path / "m.crfsuite", tmp_path / "m.npz")
    tagger = pycrfsuite.Tagger()
    tagger.open(str(tmp_path / "m.crfsuite"))
    crf = CompiledCRF(tmp_path / "m.npz")
    fnlp = feature_pipeline()
    docs = list(fnlp.pipe(f"{r['title']}\n{r['abstract']}" for r in records[3:6]))
    assert crf.tag_docs(docs) == [tagger.tag(doc_features(d)) for d in docs]
    # A pipeline with the new model runs; the same training gives the same model.
    nlp = build_pipeline(ner_model=str(tmp_path / "ner"))
    assert "paperkg_ner" in nlp.pipe_names
    nlp("We train a convolutional neural network on CIFAR-10.")
    train(records, tmp_path / "again", seed=0, grid=((0.1, 0.01), (0.5, 0.01)), dev_fraction=0.34, max_iterations=2)
    with np.load(tmp_path / "ner" / "model.npz") as a, np.load(tmp_path / "again" / "model.npz") as b:
        assert all(np.array_equal(a[k], b[k]) for k in a.files)


GUIDELINE_TRAIN = Path(__file__).parent / "data" / "guideline_train.jsonl"


def test_guideline_gold_becomes_mentions():
    from bench.train_ner import alias_mentions, load_records

    rec = {"title": "LoRA-X: Low-Rank Adaptation for ViTs", "abstract": "We tune ViT and ViT-B on ImageNet; lora.",
           "entities": [{"name": "ViT", "type": "Model", "aliases": ["ViT", "ViTs"]},
                        {"name": "ImageNet", "type": "Dataset", "aliases": ["ImageNet"]},
                        {"name": "Low-Rank Adaptation", "type": "Method", "aliases": ["Low-Rank Adaptation"]}]}
    text = rec["title"] + "\n" + rec["abstract"]
    got = [(text[m["start"]:m["end"]], m["type"]) for m in alias_mentions(rec)]
    # Whole words only ("ViT" not inside "ViT-B"), the longest alias first, Model tagged as Method.
    assert got == [("Low-Rank Adaptation", "Method"), ("ViTs", "Method"), ("ViT", "Method"), ("ImageNet", "Dataset")]
    if GUIDELINE_TRAIN.exists():
        for rec in load_records(GUIDELINE_TRAIN)[:20]:
            text = rec["title"] + "\n" + rec["abstract"]
            forms = {a for e in rec["entities"] for a in e["aliases"]}
            assert all(text[m["start"]:m["end"]] in forms for m in alias_mentions(rec))


def test_mixed_domains_train_one_model_per_target(tmp_path, scirex_records):
    pycrfsuite = pytest.importorskip("pycrfsuite")
    from bench.train_ner import _augment, _fit, feature_pipeline, load_records, prepare, train

    guideline = load_records(GUIDELINE_TRAIN)[:4]
    records = scirex_records[:4] + guideline
    meta = train(records, tmp_path / "g", seed=0, grid=((0.1, 0.01),), max_iterations=2)
    assert meta["target"] == "guideline" and meta["papers_by_domain"] == {"guideline": 4, "scirex": 4}
    # The model written for a target tags exactly like CRFsuite given the shared and the target's features.
    domains = ["scirex"] * 4 + ["guideline"] * 4
    _fit(prepare(records, domains=domains), tmp_path / "m.crfsuite", 0.1, 0.01, 5)
    tagger = pycrfsuite.Tagger()
    tagger.open(str(tmp_path / "m.crfsuite"))
    docs = list(feature_pipeline().pipe(f"{r['title']}\n{r['abstract']}" for r in scirex_records[5:8]))
    from kg.extract.ner import compile_crfsuite

    tagged = {}
    for target in ("guideline", "scirex"):
        compile_crfsuite(tmp_path / "m.crfsuite", tmp_path / f"{target}.npz", domain=target)
        crf = CompiledCRF(tmp_path / f"{target}.npz")
        tagged[target] = crf.tag_docs(docs)
        assert tagged[target] == [tagger.tag(_augment(doc_features(d), target)) for d in docs]
        assert not any("§" in a for a in crf.index)
    assert tagged["guideline"] != tagged["scirex"]
