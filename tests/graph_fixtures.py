"""Small named graphs built by hand after the kg.graph schema, for the RDF and query tests."""
from __future__ import annotations

import math
import re
from typing import Any

import networkx as nx

EXTRACTOR = "paperkg-extract/0.1.0"

VIT_PAPER = "paper/arxiv-2403.12345"
GBRL_PAPER = "paper/t-0123456789abcdef"
OLD_PAPER = "paper/arxiv-2401.00001"

IMAGENET = "concept/dataset/imagenet"
CIFAR = "concept/dataset/cifar-10"
VIT = "concept/model/vision-transformer"
RESNET = "concept/model/resnet-50"
GBRL = "concept/method/gbrl"
CONTRASTIVE = "concept/method/contrastive-learning"
CLASSIFICATION = "concept/task/image-classification"
TOP1 = "concept/metric/top-1-accuracy"
REPO = "repo/github.com/nvlabs/gbrl"


def _paper(title: str, abstract: str, *, url: str | None, authors: list[str], date: str | None,
           arxiv_id: str | None, categories: list[str], sources: list[str],
           record_id: str | None = None) -> dict[str, Any]:
    return {"kind": "Paper", "title": title, "abstract": abstract, "url": url, "authors": authors,
            "date": date, "arxiv_id": arxiv_id, "categories": categories, "sources": sources,
            "record_id": record_id, "dois": []}


def _concept(type_: str, label: str, aliases: list[str], paper_count: int) -> dict[str, Any]:
    return {"kind": "Concept", "type": type_, "label": label, "aliases": sorted(aliases),
            "paper_count": paper_count}


def _link(g: nx.MultiDiGraph, paper: str, concept: str, relation: str, role: str, confidence: float,
          surfaces: list[str], evidence: bool = True) -> None:
    """A paper -> concept edge; mention and sentence offsets index into title + "\\n" + abstract."""
    text = g.nodes[paper]["title"] + "\n" + g.nodes[paper]["abstract"]
    mentions = []
    for surface in surfaces:
        start = text.index(surface, len(g.nodes[paper]["title"]) + 1)
        mentions.append([start, start + len(surface), surface])
    mentions.sort()
    sentence = None
    if evidence:
        first = mentions[0][0]
        for m in re.finditer(r"[^\n.]+\.?", text):
            if m.start() <= first < m.end():
                start = m.start() + len(m.group()) - len(m.group().lstrip())
                sentence = {"start": start, "end": m.end(), "text": text[start:m.end()]}
                break
    g.add_edge(paper, concept, key=relation, relation=relation, role=role, confidence=confidence,
               mentions=mentions, evidence=sentence, extractor=EXTRACTOR)


def small_graph() -> nx.MultiDiGraph:
    """Three papers (two with arXiv ids), eight concepts of all five types, a repo, a relatedTo edge.

    Edges carry `relation` (== key) as kg.graph.assemble writes them; odd_graph's edges do not.
    """
    g = nx.MultiDiGraph(name="paperkg", extractor=EXTRACTOR)
    g.add_node(VIT_PAPER, **_paper(
        "Vision Transformers for Long-Tailed Recognition",
        "We propose contrastive learning for the Vision Transformer (ViT). "
        "On ImageNet and CIFAR-10 it beats ResNet-50 in top-1 accuracy.",
        url="https://arxiv.org/abs/2403.12345", authors=["Zoe Zhang", "Adam Smith", "Émile Zola"],
        date="2024-03-18", arxiv_id="2403.12345", categories=["cs.CV", "cs.LG"],
        sources=["corpus/papers.jsonl:1"]))
    g.add_node(GBRL_PAPER, **_paper(
        'Gradient Boosted "Trees" for {RL}',
        "We present GBRL, a gradient boosting library for reinforcement learning.\n"
        "Unlike ImageNet-scale models, it runs on a CPU.",
        url=None, authors=["Benjamin Fuhrer"], date="Mar 18", arxiv_id=None, categories=[],
        sources=["corpus/daily/001.txt:3", "corpus/daily/001.txt:9"]))
    g.add_node(OLD_PAPER, **_paper(
        "Scaling Vision Transformers", "We scale ViT on ImageNet for image classification.",
        url="https://arxiv.org/abs/2401.00001", authors=[], date=None, arxiv_id="2401.00001",
        categories=["cs.CV"], sources=["corpus/papers.jsonl:2"]))

    g.add_node(IMAGENET, **_concept("Dataset", "ImageNet", ["ImageNet", "ILSVRC-2012", "ImageNet-1k"], 3))
    g.add_node(CIFAR, **_concept("Dataset", "CIFAR-10", ["CIFAR-10", "CIFAR10"], 1))
    g.add_node(VIT, **_concept("Model", "Vision Transformer", ["ViT", "Vision Transformer"], 2))
    g.add_node(RESNET, **_concept("Model", "ResNet-50", ["ResNet-50"], 1))
    g.add_node(GBRL, **_concept("Method", "GBRL", ["GBRL"], 1))
    g.add_node(CONTRASTIVE, **_concept("Method", "contrastive learning", ["contrastive learning"], 1))
    g.add_node(CLASSIFICATION, **_concept("Task", "image classification", ["image classification"], 1))
    g.add_node(TOP1, **_concept("Metric", "top-1 accuracy", ["Top-1 Acc", "top-1 accuracy"], 1))
    g.add_node(REPO, kind="CodeRepository", url="https://github.com/NVlabs/GBRL")

    _link(g, VIT_PAPER, CONTRASTIVE, "proposes", "proposed", 0.93, ["contrastive learning"])
    _link(g, VIT_PAPER, VIT, "uses", "used", 0.8, ["Vision Transformer", "ViT"])
    _link(g, VIT_PAPER, IMAGENET, "evaluatesOn", "used", 0.7, ["ImageNet"])
    _link(g, VIT_PAPER, CIFAR, "evaluatesOn", "used", 0.1 + 0.2, ["CIFAR-10"])
    _link(g, VIT_PAPER, RESNET, "comparesWith", "compared", 0.65, ["ResNet-50"])
    _link(g, VIT_PAPER, TOP1, "mentions", "mentioned", 0.5, ["top-1 accuracy"])
    _link(g, GBRL_PAPER, GBRL, "proposes", "proposed", 0.97, ["GBRL"])
    _link(g, GBRL_PAPER, IMAGENET, "mentions", "mentioned", 0.4, ["ImageNet"], evidence=False)
    _link(g, OLD_PAPER, VIT, "uses", "used", 0.9, ["ViT"])
    _link(g, OLD_PAPER, IMAGENET, "evaluatesOn", "used", 0.85, ["ImageNet"])
    _link(g, OLD_PAPER, CLASSIFICATION, "addresses", "used", 0.75, ["image classification"])
    g.add_edge(GBRL_PAPER, REPO, key="codeRepository", relation="codeRepository")
    g.add_edge(OLD_PAPER, VIT_PAPER, key="relatedTo", relation="relatedTo", score=0.8125, rank=1,
               reasons=["both evaluate on ImageNet", "it proposes ViT, which this paper uses",
                        "shared terms: image, transformer"])
    return g


def odd_graph() -> nx.MultiDiGraph:
    """Everything the plain mapping cannot express: the exporter must still round-trip it."""
    g = nx.MultiDiGraph(name="odd", extractor=EXTRACTOR, build="x", note=None)
    g.add_node("paper/t-odd", kind="Paper", title="", abstract='quotes " \\ and\ttabs\r\n\x01 ✓ 😀',
               url="https://example.org/a b?c#d", authors=["Same", "Same", "Alpha"], date="2024-02-30",
               arxiv_id=None, categories=["cs.LG", "cs.AI"], sources=["b:2", "a:1", "b:2"],
               extra_field={"nested": [1, 2.5, None, "x"]})
    g.add_node("paper/arxiv-hep-th_9901001", kind="Paper", title="Old style id", abstract="x",
               authors=None, categories=[], sources=[])  # url, date, arxiv_id absent; authors None
    g.add_node("concept/metric/f1", kind="Concept", type="Metric", label="F1",
               aliases=["f1-score", "F-measure"], paper_count=2.0)  # label missing from aliases, unsorted
    g.add_node("concept/software/weird", kind="Concept", type="Software", label="Weird thing",
               aliases=["Weird thing"], paper_count=0)
    g.add_node("concept/model/no-type", kind="Concept", label="No type", aliases=["No type"], paper_count=1)
    g.add_node("author/jane-doe", kind="Author", name="Jane Doe")
    g.add_node("bare node with spaces/%20 and ü")
    g.add_edge("paper/t-odd", "concept/metric/f1", key="evaluatesOn", role="used", confidence=1,
               mentions=[[10, 12, "F1"], [3, 5, "f1"]], evidence={"start": 0, "end": 20, "text": "s", "page": 2},
               extractor=EXTRACTOR, surface="F1")
    g.add_edge("paper/t-odd", "concept/metric/f1", key="mentions", role="mentioned",
               confidence=math.pi, mentions=[[1, 2, "a"], [1, 2, "b"]], evidence=None, extractor=EXTRACTOR)
    g.add_edge("paper/t-odd", "concept/software/weird", key="uses", confidence="high", mentions=[],
               evidence="sentence 1")  # role and extractor absent, values of the wrong type
    g.add_edge("paper/t-odd", "author/jane-doe", key="writtenBy", position=1)
    g.add_edge("paper/t-odd", "author/jane-doe", key="a/b")
    g.add_edge("paper/t-odd", "repo/github.com/x/y", key="codeRepository", stars=5)
    g.add_edge("paper/arxiv-hep-th_9901001", "paper/t-odd", key="relatedTo", weight=2,
               shared=["concept/z", "concept/a"])
    g.nodes["repo/github.com/x/y"].update(kind="CodeRepository", url="https://github.com/x/y")
    return g


def tricky_graph() -> nx.MultiDiGraph:
    """Schema-valid values that are hard to write: escapes, control characters, astral characters,
    node keys needing percent-encoding, a date that is not a calendar date, a repeated author, absent
    optional values, a concept link without evidence sentence, paper -> repo and paper -> paper edges."""
    g = nx.MultiDiGraph(name="tricky", extractor=EXTRACTOR)
    text = 'quotes " \\ and\ttabs\r\n\x01 ✓ 😀 F1 here'
    g.add_node("paper/t odd ü", kind="Paper", title="T", abstract=text, url="https://example.org/a%20b?c#d",
               authors=["Same", "Same", "Alpha"], date="2024-02-30", arxiv_id=None,
               categories=["cs.AI", "cs.LG"], sources=["a:1", "b:2"], record_id="rec <1>",
               dois=["10.1000/x"])
    g.add_node("paper/arxiv-hep-th_9901001", kind="Paper", title="Old style id", abstract="x", url=None,
               authors=[], date=None, arxiv_id="hep-th/9901001", categories=[], sources=[], record_id=None,
               dois=[])
    g.add_node("concept/metric/f1", kind="Concept", type="Metric", label="F1",
               aliases=["F-measure", "F1", "f1-score"], paper_count=2)
    g.add_node("repo/github.com/x/y", kind="CodeRepository", url="https://github.com/x/y")
    start = len("T\n") + text.index("F1")
    g.add_edge("paper/t odd ü", "concept/metric/f1", key="evaluatesOn", relation="evaluatesOn", role="used",
               confidence=1.0, mentions=[[start, start + 2, "F1"]], evidence=None, extractor=EXTRACTOR)
    g.add_edge("paper/t odd ü", "concept/metric/f1", key="mentions", relation="mentions", role="mentioned",
               confidence=1e-05, mentions=[[0, 1, "T"], [start, start + 2, "F1"]],
               evidence={"start": 0, "end": 1, "text": "T"}, extractor=EXTRACTOR)
    g.add_edge("paper/t odd ü", "repo/github.com/x/y", key="codeRepository", relation="codeRepository")
    g.add_edge("paper/arxiv-hep-th_9901001", "paper/t odd ü", key="relatedTo", relation="relatedTo",
               score=0.5, rank=1, reasons=["z first", "a second"])
    return g


def graph_signature(g: nx.MultiDiGraph) -> dict[str, Any]:
    """Type-strict comparable form of a graph: graph attrs, nodes and keyed edges with attributes."""
    def strict(value: Any) -> Any:
        if isinstance(value, dict):
            return ("dict", sorted((k, strict(v)) for k, v in value.items()))
        if isinstance(value, (list, tuple)):
            return ("list", [strict(v) for v in value])
        if isinstance(value, float) and math.isnan(value):
            return ("float", "nan")
        return (type(value).__name__, value)

    return {
        "graph": strict(g.graph),
        "nodes": sorted((str(n), strict(d)) for n, d in g.nodes(data=True)),
        "edges": sorted((u, v, k, strict(d)) for u, v, k, d in g.edges(keys=True, data=True)),
    }
