"""Word clusters from unlabelled recent abstracts, for the CRF's features (kg/data/ner/clusters.json).

    python -m bench.train_clusters [--out kg/data/ner/clusters.json]

Text: the arxiv-recent papers outside its annotated test split, and the demo corpus's listing pages
(../shared/corpus), lower-cased and tokenised as the pipeline does. Every word seen at least
--min-count times gets a vector from its neighbours (positive PMI of the words within two places,
with the usual 0.75 smoothing of context counts, reduced by SVD) and two cluster ids from k-means
on those vectors: a coarse one (--coarse clusters) and a fine one (--fine). Words of one cluster are
used alike ("segmentation", "detection", "recognition"; "ResNet", "ViT", "Swin"), so the CRF can
generalise from a word it was trained on to one it was not.

Reproducible: fixed seeds for SVD and k-means; the same text gives the same file.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"


def corpus_texts() -> list[str]:
    """The unlabelled texts: arxiv-recent minus its test split, and the demo listing pages."""
    from bench.annotation.splits import splits
    from kg.readers import read

    parts = splits()
    texts = [f"{p['title']}\n{p['abstract']}" for name, papers in parts.items() if name != "test" for p in papers]
    texts += [p.text for p in read([SHARED / "daily-papers"])]
    return texts


def tokens(texts: list[str]) -> list[list[str]]:
    """Lower-cased tokens of each text (spaCy's blank English tokenizer, as the pipeline)."""

    from kg.extract.pipeline import blank_english

    nlp = blank_english()
    return [[t.lower_ for t in doc if not t.is_space] for doc in nlp.pipe(texts, batch_size=256)]


def train(texts: list[str], *, min_count: int = 3, dim: int = 100, coarse: int = 64, fine: int = 256,
          window: int = 2, seed: int = 0) -> dict[str, list[int]]:
    """{word: [coarse cluster, fine cluster]} for the words of `texts` seen at least `min_count` times."""
    from scipy.sparse import coo_matrix
    from sklearn.cluster import KMeans
    from sklearn.utils.extmath import randomized_svd

    docs = tokens(texts)
    counts = Counter(w for d in docs for w in d)
    vocab = sorted(w for w, n in counts.items() if n >= min_count)
    index = {w: i for i, w in enumerate(vocab)}
    rows, cols = [], []
    for d in docs:
        ids = [index.get(w, -1) for w in d]
        for i, a in enumerate(ids):
            if a < 0:
                continue
            for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                if j != i and ids[j] >= 0:
                    rows.append(a)
                    cols.append(ids[j])
    n = len(vocab)
    co = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    co.sum_duplicates()
    total = co.sum()
    word = np.asarray(co.sum(axis=1)).ravel()
    ctx = np.asarray(co.sum(axis=0)).ravel() ** 0.75
    ctx = ctx / ctx.sum()
    co = co.tocoo()
    pmi = np.log(co.data * 1.0 / total) - np.log(word[co.row] / total) - np.log(ctx[co.col])
    keep = pmi > 0
    ppmi = coo_matrix((pmi[keep], (co.row[keep], co.col[keep])), shape=(n, n)).tocsr()
    u, s, _ = randomized_svd(ppmi, n_components=dim, random_state=seed, n_iter=7)
    vec = u * np.sqrt(s)
    vec /= np.linalg.norm(vec, axis=1, keepdims=True) + 1e-12
    out = {}
    labels = [KMeans(k, n_init=4, random_state=seed).fit_predict(vec) for k in (coarse, fine)]
    for i, w in enumerate(vocab):
        out[w] = [int(labels[0][i]), int(labels[1][i])]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "kg" / "data" / "ner" / "clusters.json")
    ap.add_argument("--min-count", type=int, default=3)
    args = ap.parse_args(argv)
    texts = corpus_texts()
    clusters = train(texts, min_count=args.min_count)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(clusters, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n",
                        encoding="utf-8")
    print(f"{len(texts)} texts, {len(clusters)} words -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
