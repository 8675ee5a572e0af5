"""Tests for the curated SKOS vocabularies in ontology/vocab/ and their loader kg.vocab."""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SKOS

from kg.ids import concept_id, slug
from kg.vocab import ENTITY_TYPES, KG, KGV, VocabEntry, load_vocab, vocab_folder

VOCAB = Path(__file__).resolve().parents[1] / "ontology" / "vocab"
FILES = {"datasets.ttl": "Dataset", "models.ttl": "Model", "methods.ttl": "Method",
         "tasks.ttl": "Task", "metrics.ttl": "Metric"}
MINIMUM = {"Dataset": 350, "Model": 350, "Method": 400, "Task": 250, "Metric": 120}
GENERIC = {"model", "models", "network", "networks", "data", "dataset", "datasets", "method", "methods",
           "framework", "approach", "attention", "benchmark", "benchmarks", "baseline", "baselines",
           "task", "tasks", "algorithm", "learning", "training", "evaluation", "performance", "score",
           "error", "loss", "system", "features", "state-of-the-art"}


@pytest.fixture(scope="module")
def graphs() -> dict[str, Graph]:
    """Each vocabulary file parsed on its own."""
    return {name: Graph().parse(VOCAB / name, format="turtle") for name in FILES}


@pytest.fixture(scope="module")
def vocab() -> list[VocabEntry]:
    """The packaged vocabulary through the loader."""
    return load_vocab()


@pytest.fixture(scope="module")
def by_id(vocab: list[VocabEntry]) -> dict[str, VocabEntry]:
    """Entries keyed by id."""
    return {e.id: e for e in vocab}


def _find(vocab: list[VocabEntry], alias: str, type_: str | None = None) -> list[VocabEntry]:
    """Entries (optionally of one type) that list alias exactly."""
    return [e for e in vocab if alias in e.aliases and (type_ is None or e.type == type_)]


def test_exactly_the_five_files_exist_and_parse(graphs: dict[str, Graph]) -> None:
    assert sorted(p.name for p in VOCAB.glob("*.ttl")) == sorted(FILES)
    for name, graph in graphs.items():
        assert len(graph) > 0, name


def test_one_concept_scheme_per_file(graphs: dict[str, Graph]) -> None:
    for name, graph in graphs.items():
        schemes = list(graph.subjects(RDF.type, SKOS.ConceptScheme))
        assert schemes == [KGV[name.removesuffix(".ttl")]], name


def test_every_concept_is_well_formed(graphs: dict[str, Graph]) -> None:
    for name, graph in graphs.items():
        type_ = FILES[name]
        scheme = KGV[name.removesuffix(".ttl")]
        for node in graph.subjects(RDF.type, SKOS.Concept):
            assert isinstance(node, URIRef) and str(node).startswith(str(KGV)), node
            labels = list(graph.objects(node, SKOS.prefLabel))
            assert len(labels) == 1, f"{node} has {len(labels)} prefLabels"
            types = [str(t) for t in graph.objects(node, KG.entityType)]
            assert types == [type_], f"{node} entityType {types} in {name}"
            assert list(graph.objects(node, SKOS.inScheme)) == [scheme], node
            local = str(node)[len(str(KGV)):]
            assert local == f"{type_.lower()}-{slug(str(labels[0]))}", f"IRI {local} vs label {labels[0]!r}"
            for literal in [labels[0], *graph.objects(node, SKOS.altLabel)]:
                assert literal.language == "en", (node, literal)


def test_loader_reads_every_concept(graphs: dict[str, Graph], vocab: list[VocabEntry]) -> None:
    total = sum(len(set(g.subjects(RDF.type, SKOS.Concept))) for g in graphs.values())
    assert len(vocab) == total
    assert [e.id for e in vocab] == sorted(e.id for e in vocab)


def test_ids_are_unique_and_derived_from_labels(vocab: list[VocabEntry]) -> None:
    ids = [e.id for e in vocab]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for e in vocab:
        assert e.type in ENTITY_TYPES
        assert e.id == concept_id(e.type, e.label)


def test_aliases_are_sorted_clean_and_include_the_label(vocab: list[VocabEntry]) -> None:
    for e in vocab:
        assert e.label in e.aliases, e.id
        assert list(e.aliases) == sorted(e.aliases), e.id
        assert len(set(e.aliases)) == len(e.aliases), e.id
        for alias in e.aliases:
            assert alias == alias.strip() and alias, (e.id, alias)
            assert "  " not in alias, (e.id, alias)
            assert alias.casefold() not in GENERIC, (e.id, alias)


def test_no_alias_in_two_concepts_of_a_type(vocab: list[VocabEntry]) -> None:
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in vocab:
        for alias in e.aliases:
            owners[(e.type, alias.casefold())].add(e.id)
    clashes = {k: v for k, v in owners.items() if len(v) > 1}
    assert not clashes, clashes


def test_no_alias_in_two_types(vocab: list[VocabEntry]) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for e in vocab:
        for alias in e.aliases:
            owners[alias.casefold()].add(e.id)
    clashes = {k: v for k, v in owners.items() if len({i.split("/")[0] for i in v}) > 1}
    assert not clashes, clashes


def test_broader_links_stay_within_a_type_and_have_no_cycles(by_id: dict[str, VocabEntry]) -> None:
    for e in by_id.values():
        for parent in e.broader:
            assert parent in by_id, f"{e.id} broader {parent} is unknown"
            assert by_id[parent].type == e.type, (e.id, parent)
            assert parent != e.id
    for e in by_id.values():
        seen, todo = set(), list(e.broader)
        while todo:
            parent = todo.pop()
            assert parent != e.id, f"broader cycle through {e.id}"
            if parent not in seen:
                seen.add(parent)
                todo.extend(by_id[parent].broader)


@pytest.mark.parametrize("type_,minimum", sorted(MINIMUM.items()))
def test_counts_meet_targets(vocab: list[VocabEntry], type_: str, minimum: int) -> None:
    assert sum(e.type == type_ for e in vocab) >= minimum


def test_spot_checks(vocab: list[VocabEntry], by_id: dict[str, VocabEntry]) -> None:
    imagenet = by_id["dataset/imagenet"]
    assert imagenet.label == "ImageNet" and "ILSVRC" in imagenet.aliases
    assert by_id["model/gpt-4"].type == "Model"
    assert by_id["model/gpt-4v"].broader == ("model/gpt-4",)
    assert by_id["model/resnet-50"].broader == ("model/resnet",)
    assert by_id["dataset/cifar-10-lt"].broader == ("dataset/cifar-10",)
    assert by_id["model/vision-transformer"].aliases.count("ViT") == 1
    [lora] = _find(vocab, "LoRA")
    assert lora.type == "Method" and lora.id == "method/low-rank-adaptation"
    [fid] = _find(vocab, "FID")
    assert fid.type == "Metric"
    llms = by_id["method/large-language-models"]
    assert {"LLMs", "LLM", "large language model"} <= set(llms.aliases)
    for name, type_ in [("COCO", "Dataset"), ("MMLU", "Dataset"), ("IM2GPS3k", "Dataset"), ("YFCC4k", "Dataset"),
                        ("Atari", "Dataset"), ("CLIP", "Model"), ("Stable Diffusion", "Model"), ("SAM", "Model"),
                        ("Transformer", "Method"), ("knowledge distillation", "Method"), ("RAG", "Method"),
                        ("gradient boosting trees", "Method"), ("worldwide geolocalization", "Task"),
                        ("federated learning", "Task"), ("class-incremental learning", "Task"),
                        ("BLEU", "Metric"), ("mIoU", "Metric"), ("pass@k", "Metric")]:
        found = _find(vocab, name)
        assert [e.type for e in found] == [type_], (name, found)


def test_ambiguous_short_forms_are_handled(vocab: list[VocabEntry], by_id: dict[str, VocabEntry]) -> None:
    assert not _find(vocab, "MAE") and not _find(vocab, "IS")
    assert by_id["metric/mean-absolute-error"].type == "Metric"
    assert by_id["metric/inception-score"].type == "Metric"
    for id_ in ["dataset/math", "model/segment-anything-model", "model/dino", "metric/mean-average-precision",
                "method/chain-of-thought", "model/clip"]:
        assert by_id[id_].case_sensitive, id_
    assert not by_id["dataset/imagenet"].case_sensitive


def test_load_vocab_is_cached_but_returns_fresh_lists() -> None:
    first, second = load_vocab(), load_vocab()
    assert first == second and first is not second
    assert vocab_folder().is_dir()


def test_load_vocab_from_another_folder(tmp_path: Path) -> None:
    (tmp_path / "mini.ttl").write_text(
        "@prefix kgv: <https://w3id.org/paperkg/vocab/> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix kg: <https://w3id.org/paperkg/ontology#> .\n"
        'kgv:method-foo-net a skos:Concept ; skos:inScheme kgv:methods ; kg:entityType "Method" ;\n'
        '    skos:prefLabel "Foo Net"@en ; skos:altLabel "FN"@en ; kg:caseSensitive true ;\n'
        "    skos:broader kgv:method-bar .\n",
        encoding="utf-8",
    )
    assert load_vocab(tmp_path) == [VocabEntry(id="method/foo-net", type="Method", label="Foo Net",
                                               aliases=("FN", "Foo Net"), case_sensitive=True,
                                               broader=("method/bar",))]


def test_bad_entity_type_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "bad.ttl").write_text(
        "@prefix kgv: <https://w3id.org/paperkg/vocab/> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix kg: <https://w3id.org/paperkg/ontology#> .\n"
        'kgv:widget-x a skos:Concept ; kg:entityType "Widget" ; skos:prefLabel "X"@en .\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError):
        load_vocab(tmp_path)
