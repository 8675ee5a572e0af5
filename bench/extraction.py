"""Extraction quality against gold data, scored by ../shared/bench/score_extraction.py.

    python -m bench.extraction --gold ../shared/bench/scirex-dev.jsonl --folds 5 --ner shipped
    python -m bench.extraction --gold tests/data/guideline_test.jsonl
    python -m bench.extraction --gold tests/data/guideline_train.jsonl --folds 5 --ner fold
    python -m bench.extraction --gold ../shared/bench/scirex-dev.jsonl --folds 5 --ner fold

Predictions come from the same code path as `kg extract` (reader -> pipeline -> JSON contract).
--ner shipped (the default with one fold) uses the model in kg/data/ner, trained on
tests/data/guideline_train.jsonl and guideline_dev.jsonl: its scores are held out on SciREX and on
guideline_test.jsonl, training-set scores on the other two. --ner fold (the default with --folds K > 1)
trains the NER anew for each fold by bench/train_ner.py on the other K-1 folds (which pick their own
regularisation on an inner split of those folds), plus any --train-extra gold, and scores only the
held-out fold. --ner none scores the rules and vocabularies alone (`kg extract --no-ner`);
--ner-only scores the NER alone (no gazetteer, no rule candidates, no vocabulary typing).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from functools import lru_cache
from pathlib import Path

from kg.extract.entities import VocabIndex, doc_entities
from kg.extract.ner import DEFAULT_MODEL_DIR, DOMAINS, FEATURES_VERSION
from kg.extract.pipeline import build_pipeline, extract_papers
from kg.readers import read

ROOT = Path(__file__).resolve().parents[1]
SCORER = ROOT.parent / "shared" / "bench" / "score_extraction.py"


def predict(gold_lines: list[str], out: Path, ner_model: str | None = None, mode: str = "full") -> None:
    """Write `kg extract`-style predictions for the gold papers to `out`.

    mode "full": the default pipeline (with `ner_model` if given); "rules": without the NER;
    "ner-only": the NER's spans alone.
    """
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "input.jsonl"
        inp.write_text("".join(json.dumps({k: json.loads(l)[k] for k in ("id", "title", "abstract")}) + "\n"
                               for l in gold_lines), encoding="utf-8")
        if mode == "full":
            results = extract_papers(read([inp]), ner_model=ner_model, use_ner=ner_model is not None)
        else:
            nlp = build_pipeline(ner_model=ner_model, use_ner=mode == "ner-only")
            index = VocabIndex(nlp.get_pipe("paperkg_gazetteer").entries)
            if mode == "ner-only":
                nlp.remove_pipe("paperkg_gazetteer")
                nlp.remove_pipe("paperkg_candidates")
                index = VocabIndex({})
            papers = list(read([inp]))
            results = zip(papers, (doc_entities(d, index) for d in nlp.pipe(p.text for p in papers)))
        with out.open("w", encoding="utf-8") as fh:
            for paper, entities in results:
                fh.write(json.dumps({"id": paper.record_id or paper.id,
                                     "entities": [e.to_json() for e in entities]}) + "\n")


def score(gold: Path, pred: Path) -> dict:
    """Run the shared scorer and return its JSON result."""
    res = subprocess.run([sys.executable, str(SCORER), str(gold), str(pred), "--json"],
                         check=True, capture_output=True, text=True)
    return json.loads(res.stdout)


def main(argv: list[str] | None = None) -> int:
    """Score each fold of the gold file and print per-fold figures and their mean."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, required=True)
    ap.add_argument("--folds", type=int, default=1)
    ap.add_argument("--ner", choices=("fold", "shipped", "none"), default=None,
                    help="NER per fold (trained on the other folds; default with --folds > 1), the shipped "
                         "model (default with one fold), or none")
    ap.add_argument("--ner-model", type=Path, default=None, help="score with this NER model directory")
    ap.add_argument("--ner-only", action="store_true", help="score the NER alone (no gazetteer, no rules)")
    ap.add_argument("--seed", type=int, default=0, help="seed of bench/train_ner.py for --ner fold")
    ap.add_argument("--train-extra", type=Path, action="append", default=[],
                    help="with --ner fold: gold JSONL added to every fold's training papers (never scored)")
    ap.add_argument("--target", choices=DOMAINS, default=None,
                    help="with --ner fold: annotation style the fold models are for (see bench/train_ner.py)")
    ap.add_argument("--roles", action="store_true",
                    help="also print how often the role of a found entity is the gold role (entity-level gold only)")
    ap.add_argument("--calibration", action="store_true",
                    help="also print, per confidence band, the share of predicted entities that are right "
                         "(entity-level gold only)")
    ap.add_argument("--model-cache", type=Path, default=None,
                    help="keep the fold models here and reuse them on the next run with the same --folds/--seed")
    args = ap.parse_args(argv)
    if not SCORER.exists():
        print(f"scorer not found at {SCORER} (../shared missing?)", file=sys.stderr)
        return 2
    ner = args.ner or ("fold" if args.folds > 1 and not args.ner_model else "shipped")
    if ner == "fold" and args.folds < 2:
        ap.error("--ner fold needs --folds 2 or more")
    mode = "ner-only" if args.ner_only else "rules" if ner == "none" else "full"
    lines = [l for l in args.gold.read_text(encoding="utf-8").splitlines() if l.strip()]
    results = []
    bands: dict = {}
    role_pairs: Counter = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.folds):
            fold = [l for i, l in enumerate(lines) if i % args.folds == k]
            gold_k, pred_k = Path(tmp) / f"gold{k}.jsonl", Path(tmp) / f"pred{k}.jsonl"
            gold_k.write_text("\n".join(fold) + "\n", encoding="utf-8")
            model = str(args.ner_model or DEFAULT_MODEL_DIR) if mode != "rules" else None
            if ner == "fold":
                from bench.train_ner import load_records, train

                cache = args.model_cache or Path(tmp)
                extra = [r for f in args.train_extra for r in load_records(f)]
                tag = "".join(f"+{f.stem}" for f in args.train_extra) + (f"-{args.target}" if args.target else "")
                model = str(cache / f"{args.gold.stem}{tag}-k{args.folds}-seed{args.seed}-fold{k}")
                meta_path = Path(model) / "meta.json"
                train_recs = [json.loads(l) for i, l in enumerate(lines) if i % args.folds != k] + extra
                meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
                if meta.get("papers") != len(train_recs) or meta.get("features_version") != FEATURES_VERSION:
                    meta = train(train_recs, model, seed=args.seed, target=args.target)
                print(f"fold {k} NER: trained on {meta['papers']} papers in {meta['train_seconds']} s, "
                      f"c1={meta['c1']} c2={meta['c2']} (inner dev {meta['grid_inner_dev_f1']})", file=sys.stderr)
            predict(fold, pred_k, ner_model=model, mode=mode)
            results.append(score(gold_k, pred_k))
            if args.calibration:
                bands = calibration(gold_k, pred_k, bands)
            if args.roles:
                role_pairs.update(role_agreement(gold_k, pred_k))
            print(f"fold {k}: {json.dumps(_summary(results[-1]))}")
    if role_pairs:
        n = sum(role_pairs.values())
        same = sum(v for (g, p), v in role_pairs.items() if g == p)
        print(f"roles: {same / n:.3f} of {n} found entities have the gold role; gold role -> predicted:")
        for g in ROLES:
            print(f"  {g}: " + ", ".join(f"{p} {role_pairs[(g, p)]}" for p in ROLES))
    for band, (n, right) in sorted(bands.items()):
        print(f"confidence {band:.1f}-{band + 0.1:.1f}: {n} entities, {right / n:.3f} right (typed)")
    mean = _mean([_summary(r) for r in results])
    print(f"mean over {args.folds} fold(s): {json.dumps(mean)}")
    if args.folds == 1:
        print(json.dumps(results[0], indent=1))
    return 0


ROLES = ("proposed", "used", "compared", "mentioned")


@lru_cache(maxsize=1)
def _scorer():
    """The shared scorer as a module (for its name normalisation), loaded once."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("score_extraction", SCORER)
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    return scorer


def _golds(gold: Path) -> dict[str, dict]:
    return {str(g["id"]): g for g in map(json.loads, gold.read_text(encoding="utf-8").splitlines()) if g}


def role_agreement(gold: Path, pred: Path) -> Counter:
    """(gold role, predicted role) counts over predicted entities that share a name with a gold entity."""
    scorer, golds = _scorer(), _golds(gold)
    pairs: Counter = Counter()
    for line in pred.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        gents = golds[str(rec["id"])].get("entities", [])
        for e in rec["entities"]:
            hit = next((g for g in gents if scorer.names(g) & scorer.names(e)), None)
            if hit is not None:
                pairs[(hit.get("role"), e.get("role"))] += 1
    return pairs


def calibration(gold: Path, pred: Path, bands: dict) -> dict:
    """Adds, per confidence band of width 0.1, [entities, typed-right entities] of `pred` to `bands`."""
    scorer, golds = _scorer(), _golds(gold)
    for line in pred.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        gents = golds[str(rec["id"])].get("entities", [])
        for e in rec["entities"]:
            right = any(scorer.names(g) & scorer.names(e) and scorer.coarse(e["type"]) in
                        {scorer.coarse(g["type"]), scorer.coarse(g.get("alt_type") or g["type"])} for g in gents)
            band = bands.setdefault(min(int(e["confidence"] * 10), 9) / 10, [0, 0])
            band[0] += 1
            band[1] += right
    return bands


def _summary(res: dict) -> dict:
    if "mentions" in res:
        out = {f"mention_f1_{t}": v["f1"] for t, v in res["mentions"].items()}
        out.update({"mention_p_all": res["mentions"]["all"]["p"], "mention_r_all": res["mentions"]["all"]["r"]})
        out["salient_recall_all"] = res["salient_recall"]["all"]
        return out
    out = {f"{k}_f1": v["f1"] for k, v in res.items() if isinstance(v, dict) and "f1" in v}
    out["proposed_recall"] = res.get("proposed_recall")
    return out


def _mean(rows: list[dict]) -> dict:
    keys = rows[0].keys()
    return {k: round(sum(r[k] or 0 for r in rows) / len(rows), 4) for k in keys}


if __name__ == "__main__":
    sys.exit(main())
