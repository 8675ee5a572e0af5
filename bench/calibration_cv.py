"""Isotonic against centred isotonic calibration of the entity scorer, cross-fitted on the dev papers.

    python -m bench.calibration_cv            # needs the train extra (scikit-learn)

The shipped scorer without its calibration scores the dev papers; each map is fitted on one half of
them (even or odd position) and judged on the other, both ways, over the entities the default
threshold keeps: expected calibration error (bins of 0.1), Brier score, and how many distinct
confidences the map gives (how fine a knob --min-confidence is). Figures in bench/README.md
("Centred isotonic calibration").
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from bench.train_extractor import DEV_GOLD, centered_isotonic, isotonic_fit, scored_pairs
from kg.extract.ner import DEFAULT_MODEL_DIR
from kg.extract.scorer import DEFAULT_SCORER_DIR, SCORER_FILE


def _maps(pairs: list[tuple[float, bool]]) -> dict[str, tuple[list[float], list[float]]]:
    xs, ys = isotonic_fit(pairs)
    return {"isotonic": ([0.0, *xs, 1.0], [ys[0], *ys, ys[-1]]), "centred": centered_isotonic(xs, ys)}


def _judge(xs: list[float], ys: list[float], pairs: list[tuple[float, bool]], threshold: float) -> tuple:
    kept = [(float(np.interp(p, xs, ys)), r) for p, r in pairs if p >= threshold]
    bins: dict[int, list] = {}
    for c, r in kept:
        bins.setdefault(min(int(c * 10), 9), []).append((c, r))
    ece = sum(len(v) / len(kept) * abs(np.mean([c for c, _ in v]) - np.mean([r for _, r in v])) for v in bins.values())
    brier = sum((c - r) ** 2 for c, r in kept) / len(kept)
    return ece, brier, len({round(c, 3) for c, _ in kept})


def main() -> None:
    model = json.loads((DEFAULT_SCORER_DIR / SCORER_FILE).read_text(encoding="utf-8"))
    model.pop("calibration", None)
    dev = [json.loads(line) for line in DEV_GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    halves = [dev[0::2], dev[1::2]]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / SCORER_FILE).write_text(json.dumps(model), encoding="utf-8")
        pairs = [scored_pairs(h, DEFAULT_MODEL_DIR, Path(tmp)) for h in halves]
    for name in ("isotonic", "centred"):
        runs = [_judge(*_maps(pairs[a])[name], pairs[b], model["threshold"]) for a, b in ((0, 1), (1, 0))]
        print(f"{name:9s} ECE {runs[0][0]:.4f} {runs[1][0]:.4f}  Brier {runs[0][1]:.4f} {runs[1][1]:.4f}  "
              f"distinct confidences {runs[0][2]} {runs[1][2]}")


if __name__ == "__main__":
    main()
