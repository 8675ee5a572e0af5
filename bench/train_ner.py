"""Train the paperkg NER (a CRFsuite linear-chain CRF) from gold abstracts.

    python -m bench.train_ner                    # the shipped model: guideline train + dev gold -> kg/data/ner
    python -m bench.train_ner --gold ../shared/bench/scirex-dev.jsonl --out /tmp/scirex-ner
    python -m bench.train_ner --gold ../shared/bench/scirex-dev.jsonl --gold tests/data/guideline_train.jsonl \
        --target guideline --out /tmp/mixed-ner

Gold comes in two shapes: SciREX-style mentions (domain "scirex") and paper-level guideline entities
with their aliases (domain "guideline"; every occurrence of an alias is a mention). The two annotate
differently (SciREX marks generic phrases the guideline leaves out), so with both each feature also gets
a copy for its record's domain (Daume III's feature augmentation): the shared copy learns what the two
agree on, the domain copy what only that annotation does. The model written is the one for `--target`:
each shared weight plus the target domain's copy, so tagging is unchanged.

Reproducible: the only randomness is the seeded split of the training papers into an inner
train/dev part; L-BFGS training in CRFsuite is deterministic, so the same gold file, seed and
code give a byte-identical model. Steps:

1. split the papers (seeded) into inner-train and inner-dev (--dev-fraction);
2. train one model per regularisation setting of --grid on inner-train, score each on inner-dev
   (typed mention-overlap F1, as ../shared/bench/score_extraction.py counts it);
3. refit the best setting on all the given papers, and write it to --out as plain arrays
   (`model.npz`, which kg/extract/ner.py tags with in numpy) + `meta.json`, with `heads.json`
   (for each word, the share of its occurrences that end a gold mention).

Importable: `train(records, out_dir, seed=0)` is what bench/extraction.py calls for each fold, so
no hyperparameter is ever chosen on a held-out fold.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from spacy.language import Language
from spacy.util import filter_spans

from kg.extract import abbreviations, select  # noqa: F401  (registers the components the features need)
from kg.extract.ner import CLUSTERS_FILE, DOMAIN_SEP, DOMAINS, FEATURES_VERSION, HEADS_FILE, LABELS, META_FILE, \
    MODEL_FILE, compile_crfsuite, doc_features, head_key, spans_to_tags, tags_to_spans

__all__ = ["train", "load_records", "feature_pipeline", "DEFAULT_GRID", "main"]

ROOT = Path(__file__).resolve().parents[1]
# (c1, c2) = (L1, L2) regularisation; the inner dev split picks one.
DEFAULT_GRID: tuple[tuple[float, float], ...] = ((0.05, 0.05), (0.1, 0.01), (0.2, 0.05), (0.5, 0.01))
MAX_ITERATIONS = 200
# The shipped model's gold: recent papers annotated under the entity guideline (never guideline_test).
# SciREX is left out: mixed in (with per-domain feature copies) it did not raise either score.
# Word clusters from unlabelled recent abstracts (bench/train_clusters.py).
CLUSTERS = ROOT / "kg" / "data" / "ner" / CLUSTERS_FILE
SHIPPED_GOLD = (ROOT / "tests" / "data" / "guideline_train.jsonl", ROOT / "tests" / "data" / "guideline_dev.jsonl")


def load_records(path: Path | str) -> list[dict]:
    """The gold records of a JSONL file, in file order."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def feature_pipeline() -> Language:
    """The part of the extraction pipeline the NER features read: tokens, sentences, acronyms."""
    from kg.extract.pipeline import blank_english

    nlp = blank_english()
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("paperkg_line_breaks")
    nlp.add_pipe("paperkg_abbreviations")
    return nlp


def _text(rec: dict) -> str:
    return f"{rec.get('title') or ''}\n{rec.get('abstract') or ''}"


def domain_of(rec: dict) -> str:
    """"scirex" for mention-level gold, "guideline" for paper-level entity gold."""
    return "scirex" if "mentions" in rec else "guideline"


def alias_mentions(rec: dict) -> list[dict]:
    """Mentions of paper-level gold: every whole-word occurrence of each alias, longest alias first.

    Model counts as Method (the CRF's labels are SciREX's; names are typed Model after tagging).
    """
    text = _text(rec)
    forms = sorted({(a, e["type"]) for e in rec.get("entities", []) for a in [*e.get("aliases", []), e.get("name")]
                    if a}, key=lambda f: (-len(f[0]), f))
    taken = [False] * len(text)
    out = []
    for form, label in forms:
        for m in re.finditer(r"(?<![\w\-])" + re.escape(form) + r"(?![\w\-]*\w)", text):
            if any(taken[m.start():m.end()]):
                continue
            taken[m.start():m.end()] = [True] * (m.end() - m.start())
            out.append({"start": m.start(), "end": m.end(), "type": "Method" if label == "Model" else label})
    return sorted(out, key=lambda m: m["start"])


def _augment(feats: list[list[str]], domain: str | None) -> list[list[str]]:
    """Each feature plus its copy for `domain` (none when `domain` is None)."""
    if domain is None:
        return feats
    prefix = domain + DOMAIN_SEP
    return [f + [prefix + x for x in f] for f in feats]


def prepare(records: Sequence[dict], nlp: Language | None = None, heads: Counter | None = None,
            words: Counter | None = None, domains: Sequence[str | None] | None = None,
            clusters: dict[str, list[int]] | None = None) -> list[tuple[list[list[str]], list[str]]]:
    """(features, BIO tags) per paper; gold character spans are widened to whole tokens.

    `heads` / `words`, if given, count the last words of gold mentions / all words (lower-cased stems);
    `domains`, if given, augments each paper's features with copies for its domain (None: no copies).
    """
    nlp = nlp or feature_pipeline()
    out = []
    for k, (rec, doc) in enumerate(zip(records, nlp.pipe(_text(r) for r in records))):
        if words is not None:
            words.update(head_key(t.text) for t in doc)
        spans = []
        for m in rec["mentions"] if "mentions" in rec else alias_mentions(rec):
            if m["type"] not in LABELS:
                continue
            span = doc.char_span(m["start"], m["end"], label=m["type"], alignment_mode="expand")
            if span is not None and len(span):
                spans.append(span)
        spans = filter_spans(spans)
        if heads is not None:
            heads.update(head_key(s[-1].text) for s in spans)
        out.append((_augment(doc_features(doc, clusters), domains[k] if domains else None),
                    spans_to_tags(doc, spans)))
    return out


def _fit(data: Iterable[tuple[list[list[str]], list[str]]], path: Path, c1: float, c2: float,
         max_iterations: int) -> None:
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, yseq in data:
        trainer.append(xseq, yseq)
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": max_iterations,
                        "feature.possible_transitions": True})
    trainer.train(str(path))


def overlap_f1(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    """Typed mention-overlap F1 (micro over types) of BIO tag sequences, as the shared scorer counts."""
    tp_p = n_p = tp_r = n_r = 0
    for g, p in zip(gold, pred):
        gs, ps = tags_to_spans(g), tags_to_spans(p)
        n_p += len(ps)
        n_r += len(gs)
        tp_p += sum(any(a < d and c < b and t == u for c, d, u in gs) for a, b, t in ps)
        tp_r += sum(any(a < d and c < b and t == u for a, b, t in ps) for c, d, u in gs)
    p = tp_p / n_p if n_p else 0.0
    r = tp_r / n_r if n_r else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def _tag_all(model: Path, data: Sequence[tuple[list[list[str]], list[str]]]) -> list[list[str]]:
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(model))
    return [tagger.tag(x) if x else [] for x, _ in data]


def train(records: Sequence[dict], out_dir: Path | str, seed: int = 0, *, target: str | None = None,
          grid: Sequence[tuple[float, float]] = DEFAULT_GRID, dev_fraction: float = 0.15,
          max_iterations: int = MAX_ITERATIONS, log=None, clusters: Path | str | None = CLUSTERS) -> dict:
    """Train on `records` (inner dev split picks c1/c2, then refit on all) and write the model.

    With records of both domains the features are augmented per domain and the model written is the
    one for `target` (default "guideline"); the inner dev split is drawn from the target's records.
    Returns the metadata written to `out_dir/meta.json`.
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    heads: Counter = Counter()
    words: Counter = Counter()
    domains = [domain_of(r) for r in records]
    mixed = len(set(domains)) > 1
    target = target or ("guideline" if mixed else domains[0] if domains else "scirex")
    if target not in DOMAINS:
        raise ValueError(f"unknown target domain {target!r} (one of {', '.join(DOMAINS)})")
    cluster_table = None
    if clusters is not None and Path(clusters).is_file():
        # The model's folder carries the clusters its features were computed with.
        cluster_bytes = Path(clusters).read_bytes()
        (out_dir / CLUSTERS_FILE).write_bytes(cluster_bytes)
        cluster_table = json.loads(cluster_bytes)
    elif (out_dir / CLUSTERS_FILE).exists():
        (out_dir / CLUSTERS_FILE).unlink()
    data = prepare(records, heads=heads, words=words, domains=domains if mixed else None, clusters=cluster_table)
    order = [i for i in range(len(data)) if domains[i] == target]
    random.Random(seed).shuffle(order)
    n_dev = max(1, round(len(order) * dev_fraction)) if len(grid) > 1 and len(order) > 2 else 0
    dev_set = set(order[:n_dev])
    dev_idx, train_idx = sorted(dev_set), [i for i in range(len(data)) if i not in dev_set]
    scores = {}
    if n_dev:
        # Dev papers carry the target's feature copies, so CRFsuite tags them as the target model would.
        dev = [data[i] for i in dev_idx]
        with tempfile.TemporaryDirectory() as tmp:
            for c1, c2 in grid:
                path = Path(tmp) / f"m-{c1}-{c2}.crfsuite"
                _fit((data[i] for i in train_idx), path, c1, c2, max_iterations)
                scores[(c1, c2)] = round(overlap_f1([y for _, y in dev], _tag_all(path, dev)), 4)
                if log:
                    log(f"  c1={c1} c2={c2}: inner-dev overlap F1 {scores[(c1, c2)]}")
        c1, c2 = max(grid, key=lambda c: (scores[c], -grid.index(c)))
    else:
        c1, c2 = grid[0]
    with tempfile.TemporaryDirectory() as tmp:
        crfsuite_model = Path(tmp) / "model.crfsuite"
        _fit(data, crfsuite_model, c1, c2, max_iterations)
        compile_crfsuite(crfsuite_model, out_dir / MODEL_FILE, domain=target if mixed else None)
    # How often a word ends a gold mention when it occurs: the NER keeps a lower-case span whose last
    # word rarely does ("edge devices", "training costs") only if something else backs it.
    headness = {w: round(n / words[w], 3) for w, n in sorted(heads.items()) if n >= 2}
    (out_dir / HEADS_FILE).write_text(json.dumps(headness, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    meta = {
        "kind": "crfsuite-bio",
        "features_version": FEATURES_VERSION,
        "labels": list(LABELS),
        "seed": seed,
        "papers": len(records),
        "papers_by_domain": dict(sorted(Counter(domains).items())),
        "target": target,
        "inner_dev_papers": n_dev,
        "grid_inner_dev_f1": {f"c1={a},c2={b}": s for (a, b), s in scores.items()},
        "c1": c1,
        "c2": c2,
        "max_iterations": max_iterations,
        "clusters": cluster_table is not None,
    }
    # The time stays out of the file so that a rebuild is byte-identical.
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return {**meta, "train_seconds": round(time.perf_counter() - t0, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, action="append",
                    help="gold JSONL: SciREX-style (id, title, abstract, mentions) or guideline entities "
                         "(id, title, abstract, entities); repeat to train on several "
                         "(default: tests/data/guideline_train.jsonl and guideline_dev.jsonl, the shipped model)")
    ap.add_argument("--target", choices=DOMAINS, default=None,
                    help="annotation style the model is for when the gold mixes both (default guideline)")
    ap.add_argument("--out", type=Path, default=ROOT / "kg" / "data" / "ner", help="model directory to write")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dev-fraction", type=float, default=0.15)
    ap.add_argument("--max-iterations", type=int, default=MAX_ITERATIONS)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N papers (smoke tests)")
    args = ap.parse_args(argv)
    golds = args.gold or SHIPPED_GOLD
    records = [r for g in golds for r in load_records(g)[: args.limit or None]]
    meta = train(records, args.out, seed=args.seed, target=args.target, dev_fraction=args.dev_fraction,
                 max_iterations=args.max_iterations, log=lambda s: print(s, file=sys.stderr))
    # train_seconds varies from run to run: keep it out of stdout so two runs can be diffed.
    print(json.dumps({k: v for k, v in meta.items() if k != "train_seconds"}, indent=1))
    print(f"trained in {meta['train_seconds']} s -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
