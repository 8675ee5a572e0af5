"""The entity scorer and the pipeline as spaCy components: configured through factories, replaceable."""
from __future__ import annotations

import pytest

from kg.extract.pipeline import PIPE_NAMES, build_pipeline
from kg.extract.scorer import LinearModel, load_scorer

TEXT = ("FooBench-3D: A Benchmark for Embodied Spatial Reasoning\n"
        "We introduce FooBench-3D, a benchmark of 2,000 scenes, and FooVLM-7B, a vision-language model "
        "fine-tuned from Qwen2.5-VL-7B. FooVLM-7B outperforms GPT-4o on FooBench-3D and ScanQA in accuracy.")


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline()


def test_default_pipeline_is_made_of_registered_components(nlp):
    assert tuple(nlp.pipe_names) == PIPE_NAMES
    # every component takes its settings from its factory's config
    cfg = nlp.config["components"]
    assert cfg["paperkg_select"]["spans_key"] == "kg_entities"
    assert cfg["paperkg_gazetteer"]["spans_key"] == cfg["paperkg_select"]["candidates_key"] == "kg_candidates"
    assert cfg["paperkg_entities"]["confidence"]["vocab"] > cfg["paperkg_entities"]["confidence"]["ner"]
    assert "min_confidence" in cfg["paperkg_entity_scorer"]


def test_coined_names_are_typed_from_context(nlp):
    ents = {e.name: e for e in nlp(TEXT)._.entities}
    assert ents["FooBench-3D"].type == "Dataset" and ents["FooBench-3D"].role == "proposed"
    assert ents["FooVLM-7B"].type == "Model"
    assert ents["GPT-4o"].type == "Model" and ents["GPT-4o"].role == "compared"
    assert ents["Qwen2.5-VL-7B"].type == "Model"
    assert 0.0 < min(e.confidence for e in ents.values()) <= max(e.confidence for e in ents.values()) < 1.0


def test_coined_names_are_typed_by_what_the_text_says_they_are(nlp):
    # Names no vocabulary or shape rule knows: the appositive ("X, an embodied world model") and a
    # title's subtitle ("X: A Benchmark for ...") say what they are.
    text = ("Grounded World Simulation for Embodied Agents\nEmbodied agents need to predict the consequences "
            "of actions. We propose Zorvex, an embodied world model that predicts future frames from multi-view "
            "video and actions. We also release Quillset, a benchmark of 5,000 manipulation episodes. Zorvex "
            "improves success rates over prior world models on Quillset.")
    ents = {e.name: e for e in nlp(text)._.entities}
    assert (ents["Zorvex"].type, ents["Zorvex"].role) == ("Model", "proposed")
    assert (ents["Quillset"].type, ents["Quillset"].role) == ("Dataset", "proposed")
    titled = ("Korvath: A Benchmark for Long-Horizon Tool Use\nLarge language models increasingly call tools. "
              "Korvath contains 1,200 tasks across 40 tools; we evaluate 12 LLMs on it.")
    ents = {e.name: e for e in nlp(titled)._.entities}
    assert (ents["Korvath"].type, ents["Korvath"].role) == ("Dataset", "proposed")


def test_appositive_and_subtitle_cues_name_the_head_noun():
    from kg.extract.cues import APPOSITIVE, SUBTITLE

    heads = [m.group(1) if (m := APPOSITIVE.match(t)) else None for t in (
        ", an embodied world model that predicts", " (LCDrive): a model that expresses",
        " is a large-scale benchmark for", ", a simple and effective method.", " and MViTv2-S models")]
    assert heads == ["model", "model", "benchmark", "method", None]
    title = "Mirelo: Training a Foundation Model for Social Navigation"
    assert SUBTITLE.match(title, title.index(":")).group(1) == "Model"


def test_min_confidence_trades_recall_for_precision(nlp):
    default = nlp(TEXT)._.entities
    strict = build_pipeline(min_confidence=0.9)(TEXT)._.entities
    loose = build_pipeline(min_confidence=0.05)(TEXT)._.entities
    assert {e.name for e in strict} <= {e.name for e in default} <= {e.name for e in loose}
    assert all(e.confidence >= 0.9 for e in strict)
    scorer = build_pipeline().get_pipe("paperkg_entity_scorer")
    assert scorer.threshold == load_scorer()["threshold"]
    assert all(e.confidence >= scorer.calibrated(scorer.threshold) - 1e-9 for e in default)


def test_min_confidence_has_a_step_for_every_setting(nlp):
    """--min-confidence is a fine knob: on the dev papers, each 0.02 more keeps fewer entities (the
    calibration is a rising line between its blocks, not a staircase of 20 values)."""
    import json
    from pathlib import Path

    dev = Path(__file__).resolve().parent / "data" / "arxiv_recent" / "dev.jsonl"
    texts = [f"{r['title']}\n{r['abstract']}" for r in map(json.loads, dev.read_text(encoding="utf-8").splitlines())]
    confidences = [e.confidence for doc in nlp.pipe(texts) for e in doc._.entities]
    kept = [sum(c >= x / 100 for c in confidences) for x in range(52, 98, 2)]
    assert all(a > b for a, b in zip(kept, kept[1:])), kept
    assert len(set(confidences)) > 100


def test_components_can_be_removed_and_reordered_with_spacys_api():
    nlp = build_pipeline()
    nlp.remove_pipe("paperkg_entity_scorer")
    unscored = nlp(TEXT)._.entities
    assert len(unscored) >= len(build_pipeline()(TEXT)._.entities)  # every candidate, rule types and roles
    nlp.remove_pipe("paperkg_ner")
    assert "paperkg_ner" not in nlp.pipe_names and nlp(TEXT)._.entities
    # a component added again by its factory name, with a setting of its own
    nlp.add_pipe("paperkg_ner", before="paperkg_select", config={"alt_min_p": 0.0})
    assert nlp.get_pipe("paperkg_ner").alt_min_p == 0.0 and nlp(TEXT)._.entities


def test_pipe_in_batches_gives_what_each_doc_alone_gives(nlp):
    # Each component takes a batch at a time through nlp.pipe (kg.extract.batching); batches of 2 over
    # 5 texts cross batch edges, and every Doc must come out as nlp(text) makes it.
    texts = [TEXT, "We fine-tune BERT on SQuAD and report F1.", "", "Diffusion models for video generation.",
             TEXT.replace("FooBench-3D", "BarBench")]
    piped = [[(e.name, e.type, e.role, e.confidence) for e in d._.entities] for d in nlp.pipe(texts, batch_size=2)]
    alone = [[(e.name, e.type, e.role, e.confidence) for e in nlp(t)._.entities] for t in texts]
    assert piped == alone and piped[0] and piped[1]


def test_linear_model_is_a_softmax_over_summed_weights():
    m = LinearModel(["O", "Task", "Method"], {"a": [0.0, 1.0, 0.0], "b": [0.0, 0.0, 2.0]}, [0.0, 0.0, 0.0])
    p = m.proba(["a", "b", "never seen"])
    assert abs(sum(p) - 1) < 1e-9 and p[2] > p[1] > p[0]
