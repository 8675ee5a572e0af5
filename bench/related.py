"""Related-work quality: judged queries on the demo corpus and on arxiv-recent, scored by
../shared/bench/score_related.py.

    python -m bench.related pool  --out bench/related_judgments      # queries, pooled candidates, judge batches
    python -m bench.related score --judgments bench/related_judgments [--split heldout]
    python -m bench.related score --judgments bench/related_judgments --split dev   # choose weights here
    python -m bench.related agreement --judgments bench/related_judgments

Corpora: the demo corpus (482 papers) and arxiv-recent (2,389 papers), each built into a graph with
the shipped extractor. Queries: 40 per corpus, drawn with a fixed seed (on arxiv-recent only from
its annotated dev and test splits, whose papers the extractor never trained on); each query is
"dev" or "heldout" by a hash of its id, and the weights are only ever fitted on dev queries.

Systems, each ranking every other paper of the corpus for a query:
  bm25        BM25 on title + abstract (bm25s, English stopwords), nothing else
  tfidf       TF-IDF cosine on title + abstract (scikit-learn, 1-2-grams, sublinear tf)
  concepts    the relatedTo of the previous release: the sum of IDF of shared extracted concepts
              (concepts in more than 5% of papers left out)
  paperkg     kg.related as shipped (BM25 blended with shared concepts and roles)
  paperkg-gN  kg.related with GRAPH_WEIGHT N/100 (for fitting)

`pool` writes the top 5 of every system for every query, and one batch file per group of queries
for judges: the query paper and its pooled candidates in a shuffled order, with no system named.
Judges (three per query, independent, by reading both papers) grade each pair 0/1/2; their files go
in JUDGMENTS/grades/ as score_related.py reads them. `score` prints nDCG@5, P@5 and unjudged counts.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SCORER = SHARED / "bench" / "score_related.py"
CACHE = ROOT / ".cache" / "related"
QUERIES_PER_CORPUS = 40
K = 5
GRAPH_WEIGHTS = (0, 30, 45)


def corpus_graph(name: str):
    """The graph of a corpus ("demo" or "arxiv"), built with the shipped extractor (cached by model)."""
    from kg.build import build_graph, demo_corpus

    stamp = hashlib.sha256()
    for f in sorted((ROOT / "kg" / "data").rglob("*")):
        if f.is_file() and "demo" not in f.parts:
            stamp.update(f.read_bytes())
    path = CACHE / f"{name}-{stamp.hexdigest()[:12]}.pickle"
    if path.is_file():
        return pickle.loads(path.read_bytes())
    source = demo_corpus() if name == "demo" else SHARED / "corpus" / "arxiv-recent" / "papers.jsonl"
    g, _ = build_graph([source], jobs=2, related_k=0)
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(g))
    return g


def split_of(query_id: str) -> str:
    """"dev" or "heldout": half the queries each, by a hash of the id."""
    return "dev" if int(hashlib.sha256(f"related:{query_id}".encode()).hexdigest(), 16) % 2 == 0 else "heldout"


def pick_queries(name: str, g) -> list[str]:
    """Node keys of the query papers of a corpus (seeded)."""
    papers = sorted(n for n, d in g.nodes(data=True) if d.get("kind") == "Paper")
    if name == "arxiv":
        from bench.annotation.splits import splits

        held = {p["id"] for s in ("dev", "test") for p in splits()[s]}
        papers = [k for k in papers if g.nodes[k].get("arxiv_id") in held]
    return sorted(random.Random(f"queries:{name}").sample(papers, QUERIES_PER_CORPUS))


def _texts(g, keys):
    return [f"{g.nodes[k].get('title') or ''}\n{g.nodes[k].get('abstract') or ''}" for k in keys]


def run_bm25(g, keys, queries):
    import bm25s

    corpus = bm25s.tokenize(_texts(g, keys), stopwords="en", show_progress=False)
    r = bm25s.BM25()
    r.index(corpus, show_progress=False)
    pos = {k: i for i, k in enumerate(keys)}
    out = {}
    for q in queries:
        scores = r.get_scores([t for t in bm25s.tokenize(_texts(g, [q]), stopwords="en", show_progress=False,
                                                          return_ids=False)[0]])
        scores[pos[q]] = -1
        out[q] = [keys[i] for i in sorted(range(len(keys)), key=lambda i: (-scores[i], keys[i]))[:K]]
    return out


def run_tfidf(g, keys, queries):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english", min_df=1)
    x = vec.fit_transform(_texts(g, keys))
    pos = {k: i for i, k in enumerate(keys)}
    out = {}
    for q in queries:
        sims = (x @ x[pos[q]].T).toarray().ravel()
        sims[pos[q]] = -1
        out[q] = [keys[i] for i in sorted(range(len(keys)), key=lambda i: (-sims[i], keys[i]))[:K]]
    return out


def run_concepts(g, keys, queries):
    """The previous release's relatedTo: sum of IDF of shared concepts (those in at most 5% of papers)."""
    import math
    from collections import defaultdict

    n = len(keys)
    cap = max(20, min(int(0.05 * n), 200))
    holders = defaultdict(set)
    for k in keys:
        for _, v in g.out_edges(k):
            if g.nodes[v].get("kind") == "Concept":
                holders[v].add(k)
    idf = {c: math.log(n / len(ps)) for c, ps in holders.items() if 1 < len(ps) <= cap}
    out = {}
    for q in queries:
        scores = defaultdict(float)
        for c in {v for _, v in g.out_edges(q)} & idf.keys():
            for other in holders[c]:
                if other != q:
                    scores[other] += idf[c]
        out[q] = sorted(scores, key=lambda o: (-scores[o], o))[:K]
    return out


def run_paperkg(g, keys, queries, graph_weight: float | None = None):
    import kg.related as rel

    saved = rel.GRAPH_WEIGHT
    if graph_weight is not None:
        rel.GRAPH_WEIGHT = graph_weight
    try:
        index = rel.RelatedIndex.from_graph(g)
        return {q: [s.key for s in index.related(q, K)] for q in queries}
    finally:
        rel.GRAPH_WEIGHT = saved


def systems(g, keys, queries) -> dict[str, dict[str, list[str]]]:
    """Every system's top K for every query (node keys)."""
    runs = {"bm25": run_bm25(g, keys, queries), "tfidf": run_tfidf(g, keys, queries),
            "concepts": run_concepts(g, keys, queries), "paperkg": run_paperkg(g, keys, queries)}
    for w in GRAPH_WEIGHTS:
        runs[f"paperkg-g{w}"] = run_paperkg(g, keys, queries, w / 100)
    return runs


def _pid(g, key: str) -> str:
    from kg.related import _identifier

    return _identifier(key, g.nodes[key])


def pool(out: Path, per_batch: int = 10) -> None:
    """Queries, every system's run, and judge batches of the pooled pairs no earlier batch asked for
    (a new system version only sends its new suggestions to the judges)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "batches").mkdir(exist_ok=True)
    judged = load_judged(out)
    for f in sorted((out / "batches").glob("*.json")):
        for item in json.loads(f.read_text(encoding="utf-8")):
            judged.setdefault(str(item["query"]["id"]), set()).update(str(c["id"]) for c in item["candidates"])
    round_no = 1 + max([int(p.name.split("-r")[1].split("-")[0]) for p in (out / "batches").glob("*-r*-*.json")],
                       default=0)
    queries_meta = []
    for name in ("demo", "arxiv"):
        g = corpus_graph(name)
        keys = sorted(n for n, d in g.nodes(data=True) if d.get("kind") == "Paper")
        queries = pick_queries(name, g)
        runs = systems(g, keys, queries)
        for sys_name, res in runs.items():
            (out / "runs").mkdir(exist_ok=True)
            (out / "runs" / f"{name}-{sys_name}.json").write_text(json.dumps(
                {"name": sys_name, "results": {_pid(g, q): [_pid(g, c) for c in cs] for q, cs in res.items()}},
                indent=1) + "\n", encoding="utf-8")
        todo = []
        for q in queries:
            qid = _pid(g, q)
            queries_meta.append({"corpus": name, "query": qid, "key": q, "split": split_of(qid),
                                 "title": g.nodes[q].get("title")})
            cands = sorted({c for res in runs.values() for c in res[q]} - {q})
            fresh = [c for c in cands if _pid(g, c) not in judged.get(qid, set())]
            if fresh:
                random.Random(f"order:{qid}").shuffle(fresh)
                todo.append({"query": {"id": qid, "title": g.nodes[q].get("title"), "abstract": g.nodes[q].get("abstract")},
                             "candidates": [{"id": _pid(g, c), "title": g.nodes[c].get("title"),
                                             "abstract": g.nodes[c].get("abstract")} for c in fresh]})
        for i in range(0, len(todo), per_batch):
            path = out / "batches" / f"{name}-r{round_no}-{i // per_batch + 1:02d}.json"
            path.write_text(json.dumps(todo[i:i + per_batch], ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print(path, sum(len(t["candidates"]) for t in todo[i:i + per_batch]), "pairs")
    (out / "queries.json").write_text(json.dumps(queries_meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def load_judged(out: Path) -> dict[str, set[str]]:
    """Query id -> candidate ids every judge file grades (so `pool` only asks for new pairs)."""
    done: dict[str, set[str]] = {}
    for f in sorted((out / "grades").glob("*.jsonl")) if (out / "grades").is_dir() else []:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                done.setdefault(str(rec["query"]), set()).update(map(str, rec["grades"]))
    return done


def judgments_file(out: Path, split: str | None, corpus: str | None) -> Path:
    """All judges' grades (of the chosen queries) in one file, as score_related.py reads them."""
    meta = json.loads((out / "queries.json").read_text(encoding="utf-8"))
    keep = {m["query"] for m in meta if (split is None or m["split"] == split) and (corpus is None or m["corpus"] == corpus)}
    merged: dict[tuple[str, str], dict] = {}
    for f in sorted((out / "grades").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                if str(rec["query"]) in keep:
                    merged.setdefault((rec["judge"], str(rec["query"])), {}).update(rec["grades"])
    path = out / f".judgments-{split or 'all'}-{corpus or 'all'}.jsonl"
    path.write_text("".join(json.dumps({"judge": j, "query": q, "grades": g}) + "\n"
                            for (j, q), g in sorted(merged.items())), encoding="utf-8")
    return path


def score(out: Path, split: str | None, corpus: str | None, names: list[str] | None = None) -> dict:
    """score_related.py's figures for every system run (runs of both corpora merged per system)."""
    judgments = judgments_file(out, split, corpus)
    runs: dict[str, dict] = {}
    for f in sorted((out / "runs").glob("*.json")):
        c, _, sys_name = f.stem.partition("-")
        if corpus and c != corpus or names and sys_name not in names:
            continue
        runs.setdefault(sys_name, {}).update(json.loads(f.read_text(encoding="utf-8"))["results"])
    merged = []
    for sys_name, results in sorted(runs.items()):
        path = out / f".run-{sys_name}.json"
        path.write_text(json.dumps({"name": sys_name, "results": results}), encoding="utf-8")
        merged.append(str(path))
    res = subprocess.run([sys.executable, str(SCORER), str(judgments), *merged, "--json"], check=True,
                         capture_output=True, text=True)
    return json.loads(res.stdout)


def agreement(out: Path) -> dict[str, dict]:
    """Pairwise agreement of the judges over the pairs both graded: exact grade, relevant or not
    (grade >= 1), and Cohen's kappa with quadratic weights."""
    from itertools import combinations

    from sklearn.metrics import cohen_kappa_score

    grades: dict[str, dict[tuple[str, str], int]] = {}
    for f in sorted((out / "grades").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                for c, g in rec["grades"].items():
                    grades.setdefault(rec["judge"], {})[(str(rec["query"]), str(c))] = int(g)
    res = {}
    for a, b in combinations(sorted(grades), 2):
        common = sorted(grades[a].keys() & grades[b].keys())
        x, y = [grades[a][k] for k in common], [grades[b][k] for k in common]
        res[f"{a} vs {b}"] = {
            "pairs": len(common),
            "exact": round(sum(p == q for p, q in zip(x, y)) / len(common), 3),
            "relevant": round(sum((p >= 1) == (q >= 1) for p, q in zip(x, y)) / len(common), 3),
            "kappa_quadratic": round(cohen_kappa_score(x, y, weights="quadratic"), 3)}
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("pool", "score", "agreement"))
    ap.add_argument("--out", "--judgments", dest="out", type=Path, default=ROOT / "bench" / "related_judgments")
    ap.add_argument("--split", choices=("dev", "heldout"), default=None)
    ap.add_argument("--per-batch", type=int, default=10, help="queries per judge batch (pool)")
    ap.add_argument("--corpus", choices=("demo", "arxiv"), default=None)
    args = ap.parse_args(argv)
    if args.command == "pool":
        pool(args.out, args.per_batch)
    elif args.command == "agreement":
        for pair, a in agreement(args.out).items():
            print(pair, " ".join(f"{k} {v}" for k, v in a.items()))
    else:
        for name, s in score(args.out, args.split, args.corpus).items():
            print(f"{name:14s} " + " ".join(f"{k} {v}" for k, v in s.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
