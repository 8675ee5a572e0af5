"""The words that mark an entity's type or role, defined once for every component.

"the FooBench benchmark", "a corpus of ...", "FooVLM-7B checkpoint", "we propose X", "outperforms X":
the candidate finder, the type rules, the NER's post-processing, the role tagger and the entity
classifier all read these lists, so a word added here is seen by all of them.
"""
from __future__ import annotations

import re

__all__ = [
    "DATASET_NOUNS", "MODEL_NOUNS", "FAMILY_NOUNS", "METRIC_NOUNS", "TASK_HEADS", "METRIC_HEADS",
    "NOT_TASK_TION", "plurals", "alternation", "PROPOSE", "PROPOSE_VERBS", "COMPARE", "USE", "OWN_WORK",
    "APPOSITIVE", "SUBTITLE",
]

# Nouns that say "the name next to me is a dataset / benchmark".
DATASET_NOUNS = ("dataset", "benchmark", "corpus", "suite", "collection", "database", "challenge",
                 "arena", "leaderboard", "treebank", "testbed", "bank")
# Nouns that say "the name next to me is one model".
MODEL_NOUNS = ("model", "checkpoint", "llm", "vlm", "mllm", "lvlm", "lm")
# Plural model nouns as the head of a long form name a family ("Augmented Language Models"): a Method.
FAMILY_NOUNS = ("models", "llms", "lms", "vlms", "mllms", "lvlms")
METRIC_NOUNS = ("metric", "score", "measure")
# Head words of long forms and phrases that name a problem (Task) or an evaluation measure (Metric).
TASK_HEADS = frozenset({
    "segmentation", "detection", "classification", "recognition", "retrieval", "generation",
    "translation", "estimation", "reconstruction", "synthesis", "answering", "summarization",
    "captioning", "tracking", "prediction", "forecasting", "localization", "geolocalization",
    "parsing", "understanding", "reasoning", "adaptation", "generalization", "completion",
    "identification", "re-identification", "verification", "labeling", "tagging", "extraction",
    "editing", "inpainting", "restoration", "super-resolution", "denoising", "navigation",
    "planning", "control", "manipulation", "grounding", "alignment", "matching", "search",
    "analysis", "modeling", "modelling", "inference", "discovery", "diagnosis", "following",
    "annotation", "learning", "computing", "sensing", "vision",
})
METRIC_HEADS = frozenset({
    "score", "accuracy", "error", "rate", "ratio", "distance", "precision", "recall", "index",
    "measure", "metric", "similarity", "divergence", "perplexity", "gain", "coefficient", "f1",
})
# "-tion" heads that name a technique, not a task.
NOT_TASK_TION = frozenset({
    "function", "attention", "convolution", "augmentation", "distillation", "regularization",
    "normalization", "quantization", "optimization", "aggregation", "interpolation", "projection",
    "decomposition", "factorization", "approximation", "initialization", "representation",
})


def plurals(nouns: tuple[str, ...]) -> frozenset[str]:
    """The nouns and their plurals.

    >>> sorted(plurals(("corpus", "benchmark")))
    ['benchmark', 'benchmarks', 'corpora', 'corpus']
    """
    out = set(nouns)
    for n in nouns:
        out.add(n[:-2] + "ora" if n.endswith("us") else n + "s")
    return frozenset(out)


def alternation(words: frozenset[str] | tuple[str, ...]) -> str:
    """A regex group matching any of `words` (longest first).

    >>> re.fullmatch(alternation(plurals(("corpus",))), "corpora") is not None
    True
    """
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w))) + ")"


# "we propose X", "this paper introduces X", "termed X", "our X".
PROPOSE_VERBS = (r"propos|introduc|present|develop|design|establish|devis|build|construct|releas|contribut"
                 r"|curat|collect|creat|offer|formulat|put forward|call|term|nam|dub|coin|unveil|launch|pioneer")
PROPOSE = re.compile(
    r"(?:\b(?:we|this (?:paper|work|report|study|article)|our (?:paper|work))\b[^.;]{0,40}?"
    r"\b(?:" + PROPOSE_VERBS + r")\w*"
    r"|\bby (?:introduc|propos|present|develop|design)\w*"
    r"|\b(?:termed|dubbed|called|named|coined|namely)(?: as)?"
    r"|\b(?:our|the proposed|the new|our new|our proposed|a novel)"
    r")\b", re.IGNORECASE)
COMPARE = re.compile(
    r"\b(?:outperform\w*|surpass\w*|compar\w* (?:to|with|against)|comparison (?:to|with)|than|over"
    r"|beat\w*|baselines?|against|versus|vs\.?|rival\w*|competitive with|on par with|superior to"
    r"|prior (?:methods?|approaches|works?)|existing (?:methods?|approaches))\b", re.IGNORECASE)
USE = re.compile(
    r"\b(?:using|uses?|used|based on|built (?:up)?on|leverag\w+|adopt\w*|employ\w*|fine-?tun\w+|utiliz\w+"
    r"|appl(?:y|ies|ied)|via|with|on top of|initiali[sz]ed (?:from|with)|extends?|backbones?|such as"
    r"|e\.g\.|including|experiments? (?:on|with)|evaluat\w+ (?:on|with)|results on|on|trained on)\b",
    re.IGNORECASE)
# Where an abstract starts speaking of the paper's own work.
OWN_WORK = re.compile(r"\b(?:we|our|this (?:paper|work|study|report|article))\b", re.IGNORECASE)


# What a name is said to be right after it: "X, an embodied world model that ...", "X (XB): a benchmark
# for ...", "X is a corpus of ...". Group 1 is the appositive's head word, the last word before a
# clause, a preposition or punctuation ends the noun phrase (at most six words before it).
APPOSITIVE = re.compile(
    r"\s*(?:\([^()\n]{1,40}\)\s*)?(?:[,:]|\s(?:is|as))\s*(?:a|an|the)\s+(?:[\w\-]+\s+){0,6}?([A-Za-z][\w\-]*)"
    r"(?=\s*(?:[,.;:()]|$)|\s+(?:that|which|for|with|to|of|in|on|designed|built|trained|based|capable|using|"
    r"where|whose|from|by|tailored|specifically)\b)",
    re.IGNORECASE)

# The head of a title's subtitle after a name: "FooNav: Training a Foundation Model for Navigation"
# (model), "FooBench: Benchmarking ..." ; group 1 as in APPOSITIVE.
SUBTITLE = re.compile(
    r":\s+(?:(?:a|an|the)\s+)?(?:[\w\-]+\s+){0,6}?([A-Za-z][\w\-]*)"
    r"(?=\s+(?:for|via|with|of|in|on|to|from|by|that|through|under|beyond|across|using)\b|\s*(?:[,.;:()\n?!]|$))",
    re.IGNORECASE)
