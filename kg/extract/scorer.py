"""Entity scorer: a learned decision on every candidate entity of a paper.

The finders before it (vocabularies, acronyms, shape and cue rules, the CRF) propose; this
component decides, with two multinomial logistic models trained by bench/train_extractor.py on
hand-annotated recent papers:

* the **type model** gives P(not an entity), P(Dataset), P(Model), P(Method), P(Task), P(Metric)
  from what found the candidate, its shape, head word, name and context words (kg/extract/features.py);
  the candidate keeps the most probable type; that probability, mapped through a monotone
  calibration fitted on dev papers, is its ``confidence`` (of the entities that say 0.8, about 80%
  are right, type included); below the threshold (or ``min_confidence``) it is dropped;
* the **role model** gives proposed / used / compared / mentioned from cue words, where the paper
  starts speaking of its own work, the title, and the rule-based role.

The models ship as JSON (``kg/data/scorer/model.json``); scoring is a dictionary lookup and a few
numpy additions per candidate.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from .batching import Batched
from . import extensions  # noqa: F401  (registers the Doc and Span extensions)
from .boundaries import boundary_variants, mention_owners
from .entities import sub_phrase_of
from .features import DocContext, boundary_uncertain, entity_features, role_features
from .gazetteer import ENTITIES_KEY

__all__ = ["EntityScorer", "LinearModel", "DEFAULT_SCORER_DIR", "SCORER_FILE", "NOT_ENTITY"]

DEFAULT_SCORER_DIR = Path(__file__).resolve().parents[1] / "data" / "scorer"
SCORER_FILE = "model.json"
NOT_ENTITY = "O"


class LinearModel:
    """A multinomial logistic model over string features: softmax(bias + sum of feature weights).

    >>> m = LinearModel(["O", "Task"], {"head=detection": [0.0, 2.0]}, [0.5, 0.0])
    >>> [round(p, 3) for p in m.proba(["head=detection", "unknown"])]
    [0.182, 0.818]
    """

    def __init__(self, classes: list[str], weights: dict[str, list[float]], bias: list[float]) -> None:
        self.classes = list(classes)
        self.index = {f: i for i, f in enumerate(weights)}
        # One row of zeros after the weights stands for every unknown feature: adding 0.0 changes no
        # sum, and the lookup stays one C-level map over the features.
        self._unknown = len(weights)
        self.weights = np.zeros((len(weights) + 1, len(classes)), dtype=np.float64)
        self.weights[:-1] = np.array(list(weights.values()), dtype=np.float64).reshape(len(weights), len(classes))
        self.bias = np.array(bias, dtype=np.float64)

    @classmethod
    def from_json(cls, data: dict) -> "LinearModel":
        """The model from its JSON form ({"classes", "weights", "bias"})."""
        return cls(data["classes"], data["weights"], data["bias"])

    def proba(self, features: list[str]) -> list[float]:
        """Class probabilities (in `classes` order) for one feature list."""
        return self.proba_many([features])[0].tolist()

    def proba_many(self, batch: list[list[str]]) -> np.ndarray:
        """Class probabilities (rows x classes) for many feature lists, in one pass."""
        get, unknown = self.index.get, itertools.repeat(self._unknown)
        rows: list[int] = []
        starts = []
        for features in batch:
            starts.append(len(rows))
            rows += map(get, features, unknown)
            if len(rows) == starts[-1]:
                rows.append(self._unknown)  # no features: the bias alone
        if not batch:
            return np.zeros((0, len(self.classes)))
        # Every feature list gave at least one row; bias + sum, as a sum + bias is the same float.
        z = np.add.reduceat(self.weights.take(rows, axis=0), starts, axis=0)  # take: a list index costs twice
        z += self.bias
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)


def load_scorer(model_dir: Path | str | None = None) -> dict:
    """The scorer's JSON (type and role models, threshold, metadata) from `model_dir`."""
    path = Path(model_dir or DEFAULT_SCORER_DIR) / SCORER_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no entity scorer at {path} (train one with bench/train_extractor.py)")
    return json.loads(path.read_text(encoding="utf-8"))


@Language.factory(
    "paperkg_entity_scorer",
    requires=["doc._.entities", "doc.spans"],
    assigns=["doc._.entities"],
    default_config={"model_path": None, "min_confidence": None, "spans_key": ENTITIES_KEY},
)
class EntityScorer(Batched):
    """Keeps, types, roles and scores the candidate entities in ``doc._.entities``.

    `model_path`: a folder with ``model.json`` (default kg/data/scorer); `min_confidence`: drop
    entities whose calibrated confidence is below it (default: the model's own threshold on its
    probability, chosen for F1 on annotated dev papers);
    `spans_key`: where the selected spans are (their sources are features).
    """

    def __init__(self, nlp: Language, name: str, model_path: str | None = None,
                 min_confidence: float | None = None, spans_key: str = ENTITIES_KEY) -> None:
        self.name = name
        self.nlp = nlp
        self.spans_key = spans_key
        self._clusters: dict | None = None
        data = load_scorer(model_path)
        self.meta = data.get("meta", {})
        self.type_model = LinearModel.from_json(data["type"])
        self.role_model = LinearModel.from_json(data["role"])
        # The type model's probability decides (above `threshold`); the confidence users see is that
        # probability mapped through the calibration fitted on dev papers (the share of entities so
        # scored that are right), and --min-confidence is on that scale.
        self.threshold = float(data["threshold"])
        cal = data.get("calibration") or {}
        self._cal_x = np.array(cal.get("x", [0.0, 1.0]), dtype=np.float64)
        self._cal_y = np.array(cal.get("y", [0.0, 1.0]), dtype=np.float64)
        self.min_confidence = None if min_confidence is None else float(min_confidence)
        self._types = [i for i, c in enumerate(self.type_model.classes) if c != NOT_ENTITY]
        # Log-odds added to each role before the most likely is taken (chosen on dev papers: the model
        # alone is shy of "proposed", the role users ask about first).
        bias = data.get("role_bias", {})
        self.role_bias = np.array([float(bias.get(c, 0.0)) for c in self.role_model.classes])
        # Models trained with boundary variants score them (older ones were not).
        self.boundaries = bool(data.get("boundaries", False))

    def calibrated(self, p: float) -> float:
        """The calibrated confidence of a type-model probability, within [0.01, 0.99]: no extraction
        is certain, whatever the dev papers happened to show."""
        return self.calibrated_many([p])[0]

    def calibrated_many(self, ps: list[float]) -> list[float]:
        """`calibrated` of each probability."""
        return np.clip(np.interp(ps, self._cal_x, self._cal_y), 0.01, 0.99).tolist() if ps else []

    @property
    def clusters(self) -> dict | None:
        """The NER's word clusters (features of head words), if the pipeline has the NER."""
        if self._clusters is None and "paperkg_ner" in self.nlp.pipe_names:
            self._clusters = self.nlp.get_pipe("paperkg_ner").crf.clusters or {}
        return self._clusters or None

    def __call__(self, doc: Doc) -> Doc:
        ctx = DocContext.of(doc, self.spans_key, self.clusters)
        ents = doc._.entities or []
        owner = mention_owners(ents, len(ctx.text)) if self.boundaries else None
        options = []  # (candidate index, reading, features)
        for i, ent in enumerate(ents):
            options.append((i, ent, entity_features(ent, ctx)))
            if self.boundaries and boundary_uncertain(ent, ctx):
                options += [(i, v, entity_features(v, ctx, base=ent, kind=k))
                            for k, v in boundary_variants(ent, ctx.text, owner, i)]
        best: dict[int, tuple[float, int, object]] = {}
        if options:
            probs = self.type_model.proba_many([f for _, _, f in options])
            types = np.array(self._types)
            top = types[np.argmax(probs[:, types], axis=1)]
            top_p = probs[np.arange(len(options)), top].tolist()
            for (i, option, _), t, p in zip(options, top.tolist(), top_p):
                if i not in best or p > best[i][0]:
                    best[i] = (p, t, option)
        kept = []
        chosen = [best[i] for i in sorted(best)]
        confidences = self.calibrated_many([p for p, _, _ in chosen])
        for (best_p, best_type, option), confidence in zip(chosen, confidences):
            if (best_p < self.threshold) if self.min_confidence is None else (confidence < self.min_confidence):
                continue
            option.type = self.type_model.classes[best_type]
            option.confidence = confidence
            kept.append(option)
        if kept:
            roles = self.role_model.proba_many([role_features(e, ctx, e.type) for e in kept])
            for e, r in zip(kept, np.log(roles) + self.role_bias):
                e.role = self.role_model.classes[int(np.argmax(r))]
        doc._.entities = _merge_sub_phrases(_dedupe(kept))
        return doc


def _dedupe(entities: list) -> list:
    """One entity per name: two candidates whose chosen readings coincide become the more confident one."""
    best: dict[str, object] = {}
    for e in entities:
        key = e.name.lower()
        if key not in best or e.confidence > best[key].confidence:
            best[key] = e
    keep = {id(e) for e in best.values()}
    return [e for e in entities if id(e) in keep]


# Types whose shortened names annotators list as aliases of the full one: of head-final sub-phrases
# of a same-type name in the same paper, the training and dev gold merges 477 Task and 70 Metric
# entities and keeps 81 and 5 apart (Method: 360 against 339, left alone).
_MERGED_TYPES = frozenset({"Task", "Metric"})


def _merge_sub_phrases(entities: list) -> list:
    """A Task or Metric whose name ends a longer same-type name of the paper ("property estimation",
    "physical property estimation") becomes its alias: the longest such entity takes its forms and
    mentions (and its evidence, when its mention comes first). A name a vocabulary knows stays apart:
    "federated learning" in a paper on personalized federated learning still links it to the field."""
    merged: set[int] = set()
    for short in entities:
        if short.type not in _MERGED_TYPES or short.vocab_id:
            continue
        targets = [e for e in entities if e is not short and e.type == short.type and id(e) not in merged
                   and sub_phrase_of(short.name, e.name)]
        if not targets:
            continue
        long = max(targets, key=lambda e: len(e.name.split()))
        long.aliases = sorted(set(long.aliases) | set(short.aliases) | {short.name})
        if short.mentions and (not long.mentions or short.mentions[0].start < long.mentions[0].start):
            long.evidence = short.evidence
        long.mentions = sorted(set(long.mentions) | set(short.mentions), key=lambda m: (m.start, m.end))
        merged.add(id(short))
    return [e for e in entities if id(e) not in merged]
