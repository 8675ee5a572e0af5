"""Type rules for names no vocabulary knows: the head word and the words around a name decide."""
from __future__ import annotations

import re

from .cues import (DATASET_NOUNS, FAMILY_NOUNS, METRIC_HEADS, METRIC_NOUNS, MODEL_NOUNS, NOT_TASK_TION, TASK_HEADS,
                   alternation, plurals)

__all__ = ["type_of_long_form", "type_of_name", "is_generic"]

_DATASET_HEADS = plurals(DATASET_NOUNS)
_MODEL_HEADS = plurals(MODEL_NOUNS) | {"gpt"}
_FAMILY_HEADS = frozenset(FAMILY_NOUNS)
_DATASET_BEFORE = re.compile(alternation(_DATASET_HEADS) +
                             r"\s*(?:,|called|named|dubbed|termed)?\s*$")
# Long forms that end in "learning" are usually settings (Task), unless a method word precedes it.
_METHOD_LEARNING = {"contrastive", "representation", "metric", "reinforcement", "transfer", "deep",
                    "ensemble", "curriculum", "adversarial", "self-supervised", "semi-supervised",
                    "supervised", "unsupervised", "consistent", "prompt", "dictionary", "clustering"}
_GENERIC = {
    "model", "models", "method", "methods", "framework", "approach", "network", "networks", "data",
    "baseline", "baselines", "sota", "state-of-the-art", "task", "tasks", "dataset", "datasets",
    "benchmark", "benchmarks", "performance", "results", "paper", "work", "system", "systems",
    "algorithm", "algorithms", "technique", "techniques", "module", "modules", "architecture",
    "ai", "gpu", "gpus", "cpu", "cpus", "api", "apis", "url", "urls", "pdf", "ii", "iii", "iv",
    "tpu", "tpus", "ram", "fps", "flops", "gflops", "tflops", "usd", "us", "uk", "eu", "usa", "ok",
    "faq", "q&a", "ceo", "phd", "arxiv", "github", "code", "todo", "ieee", "acm", "cvpr", "iclr",
    "icml", "neurips", "acl", "emnlp", "naacl", "eccv", "iccv", "aaai", "ijcai", "kdd", "www",
    # organisations and units (the guideline: not entities)
    "openai", "google", "meta", "microsoft", "nvidia", "deepmind", "anthropic", "alibaba", "baidu", "tencent",
    "huawei", "gb", "mb", "tb", "kb", "ms", "hz", "ghz", "mhz", "khz",
    # software, libraries and programming languages (the guideline: not entities)
    "pytorch", "tensorflow", "jax", "keras", "cuda", "numpy", "scipy", "scikit-learn", "sklearn", "pandas",
    "huggingface", "hugging face", "deepspeed", "triton", "onnx", "python", "c++", "java", "javascript",
    "matlab", "julia",
    # identifiers and identities ("different IDs")
    "id", "ids",
}
# Hardware (the guideline: not an entity): "A100", "V100-32GB", "RTX 4090", "DGX-2", "TPUv4".
_HARDWARE = re.compile(r"(?:[ahvpbl]\d{2,3}|rtx ?\d{4}|gtx ?\d{3,4}|dgx(?:-\d)?|tpu ?v\d|jetson\w*)(?:-\d+g[b]?)?s?")

_NUMBER_LIKE = re.compile(r"[\d.,x%kmb+\-]+")
_NEXT_WORD = re.compile(r"[\s\-]*([A-Za-z]+)")
_NUMBER_BEFORE = re.compile(r"\d(?:%|\s*%|\.\d+)\s*$")


def is_generic(name: str) -> bool:
    """True for bare generic words and non-entities (venues, hardware, units)."""
    n = name.strip().lower()
    return n in _GENERIC or len(n) < 2 or bool(_NUMBER_LIKE.fullmatch(n)) or bool(_HARDWARE.fullmatch(n))


def type_of_long_form(long_form: str, context_after: str = "") -> str:
    """Type of a defined long form ("Global Magnitude Pruning") from its head word."""
    words = re.findall(r"[A-Za-z0-9][A-Za-z0-9\-]*", long_form.lower())
    head = words[-1] if words else ""
    nxt = re.match(r"\W*([a-z]+)", context_after.lower())
    nxt_word = nxt.group(1) if nxt else ""
    if nxt_word in _DATASET_HEADS or head in _DATASET_HEADS:
        return "Dataset"
    if head in METRIC_HEADS:
        return "Metric"
    if head in _FAMILY_HEADS:
        return "Method"  # "Augmented Language Models (ALMs)": a family named by a common noun
    if head in _MODEL_HEADS or nxt_word in {"model", "checkpoint"}:
        return "Model"
    if head == "learning":
        prev = words[-2] if len(words) > 1 else ""
        return "Method" if prev in _METHOD_LEARNING else "Task"
    if head in TASK_HEADS or head.endswith("tion") and head not in NOT_TASK_TION:
        return "Task"
    return "Method"


_METRIC_NEXT = plurals(METRIC_NOUNS)
_NEXT_MODEL = frozenset({"model", "models", "llm", "llms", "checkpoint", "checkpoints", "family"})
_NAME_DATASET = re.compile(r"(?:bench|benchmark|qa|eval|set|corpus|arena|\d+k)$", re.IGNORECASE)
_NAME_MODEL = re.compile(r"(?:gpt|llama|bert|glm|clip|vit|diffusion|lm|llm|vl|-\d+b|\d+b)", re.IGNORECASE)


# What a result or an experiment is "on" is a dataset.
_EVALUATED_ON = re.compile(
    r"(?:\d\s*%|\d\s*points?|experiments?|evaluat\w*|results?|tested|accuracy|performance|benchmarks?)"
    r"(?:\s+[\w\-]+){0,2}?\s+on\s+(?:the\s+)?(?:challenging\s+|popular\s+|public\s+)?$", re.IGNORECASE)


def type_of_name(name: str, context_after: str = "", context_before: str = "") -> str:
    """Type of a name-shaped token ("Q-Bench", "TokenFormer") from its shape and neighbours."""
    nxt = _NEXT_WORD.match(context_after)
    nxt_word = nxt.group(1).lower() if nxt else ""
    before = context_before.lower()
    if nxt_word in _DATASET_HEADS or _DATASET_BEFORE.search(before):
        return "Dataset"
    if nxt_word in _METRIC_NEXT or _NUMBER_BEFORE.search(context_before):
        return "Metric"  # "73.3% oIoU", "0.254 RMSE"
    if nxt_word in _NEXT_MODEL:
        return "Model"
    if _NAME_DATASET.search(name.replace("-", "")):
        return "Dataset"
    if _NAME_MODEL.search(name):
        return "Model"
    if _EVALUATED_ON.search(context_before):
        return "Dataset"  # "24.2% on GSM8K, 32.6% on CaseHOLD", "experiments on DBLP"
    return "Method"
