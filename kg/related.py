"""Related work: the papers to read next for a paper of the graph, or for a draft, and why.

This module is the one place that decides what "related" means. A candidate's score blends

* **lexical similarity** of title and abstract: BM25 (bm25s; the title counts twice), divided by
  the best BM25 score among the query's candidates, and
* **what the graph says both papers share**: each shared concept weighs its specificity (the log
  of how rare it is among the graph's papers) times a weight for its type and for the pair of roles
  the two papers give it (both evaluate on one dataset, both address one task, one proposes a
  method the other uses or compares with, ...), also divided by the best among the candidates;

``score = (1 - GRAPH_WEIGHT) * lexical + GRAPH_WEIGHT * graph``. The weights below were fitted on
judged dev queries (bench/related.py, figures in bench/README.md). Every suggestion carries its
reasons, for a person to read: the shared concepts with their roles ("both evaluate on
CIFAR-100-LT") and the terms that match most.

Related papers of every paper are found in linear time: candidates come from the query's own terms
(a sparse product, in chunks, over a BM25 index pruned to each term's POSTINGS best papers) and
from the papers behind its concepts (each concept walked only if at most RELATED_MAX_PAPERS papers
hold it); at most CANDIDATES of each are rescored exactly, so the work per paper does not grow
with the corpus.
"""
from __future__ import annotations

import gc
import json
import math
import multiprocessing
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np

from .paper_lookup import AmbiguousPaper, PaperNotFound, PaperRef, match_papers, resolve_paper
from .schema import ROLE_RANK, ROLES

__all__ = ["Suggestion", "RelatedIndex", "AmbiguousPaper", "PaperNotFound", "link_related", "related", "open_index",
           "draft_concepts", "RELATED_DIR", "GRAPH_WEIGHT", "TYPE_WEIGHTS", "ROLE_WEIGHTS",
           "RELATED_MAX_PAPERS", "tokenize"]

# Chosen on the judged dev queries (bench/related.py score --split dev) among the pooled weights
# 0, 0.15, 0.3, 0.45; see bench/README.md "Related work".
GRAPH_WEIGHT = 0.15
TYPE_WEIGHTS = {"Dataset": 1.0, "Task": 1.0, "Method": 0.8, "Model": 0.8, "Metric": 0.2}
# (role in the query paper, role in the candidate): what sharing a concept that way says.
ROLE_WEIGHTS = {("proposed", "used"): 1.5, ("used", "proposed"): 1.5, ("proposed", "compared"): 1.5,
                ("compared", "proposed"): 1.5, ("proposed", "proposed"): 1.2}
DEFAULT_ROLE_WEIGHT = 1.0
MENTIONED_WEIGHT = 0.4
# A concept held by more papers than this says little about two of them (and walking its papers
# would make the step quadratic): it is left out of the graph score.
RELATED_MAX_PAPERS = 200
CANDIDATES = 100  # lexical candidates per query
# Candidates come from a statically pruned inverted index: each term keeps the papers where it weighs
# most (Carmel et al., 2001). A query then touches at most (its terms x POSTINGS) entries however large
# the corpus, so ranking every paper is linear; the candidates are rescored exactly, and below POSTINGS
# papers per term nothing is pruned at all (the judged corpora have 482 and 2,389 papers).
POSTINGS = 2000
# ... and only a query's QUERY_TERMS most specific terms (count x idf) look candidates up: the common
# words, whose postings are longest, add little to who the candidates are (their scores stay exact).
QUERY_TERMS = 40
RELATED_DIR = "related"  # kg build saves the index here in its output folder
_CHUNK = 64       # queries per sparse product
# Below this many papers ranking them all takes a few seconds: not worth starting processes for.
PARALLEL_MIN_PAPERS = 5_000

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
nor not now of off on once only or other our ours ourselves out over own same she should so some such
than that the their theirs them themselves then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your yours yourself
yourselves via using based paper propose proposed method methods approach results show novel new
however while existing work works well also achieve achieves can may one two three first
""".split())


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stopwords, a plural "s" removed.

    >>> tokenize("We propose Federated Models for long-tailed data")
    ['federated', 'model', 'long', 'tailed', 'data']
    """
    out = []
    for t in _TOKEN.findall(text.lower()):
        if t in _STOPWORDS or t.isdigit():
            continue
        if len(t) > 4 and t.endswith("s") and not t.endswith("ss"):
            t = t[:-1]
        out.append(t)
    return out


@dataclass
class Suggestion:
    """One related paper: its identifiers, title, score and the reasons behind it (best first)."""

    key: str
    id: str
    iri: str
    title: str
    score: float
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """The ``kg related --format json`` record (DESIGN.md section 2)."""
        return {"id": self.id, "iri": self.iri, "title": self.title, "score": round(self.score, 4),
                "reasons": self.reasons}


@dataclass(frozen=True)
class _Paper:
    key: str
    id: str
    title: str
    concepts: tuple[tuple[str, str], ...]  # (concept key, role), one per concept (its strongest role)
    record_id: str | None = None  # the input record's own id, where `id` is its arXiv id
    dois: tuple[str, ...] = ()


def _paper_concepts(g: nx.MultiDiGraph, key: str) -> tuple[tuple[str, str], ...]:
    best: dict[str, str] = {}
    for _, v, d in g.out_edges(key, data=True):
        if g.nodes[v].get("kind") != "Concept":
            continue
        role = d.get("role") or "mentioned"
        if v not in best or ROLE_RANK.get(role, 0) > ROLE_RANK.get(best[v], 0):
            best[v] = role
    return tuple(sorted(best.items()))


def _identifier(key: str, attrs: dict) -> str:
    """The paper's identifier as its input gave it: the arXiv id where it has one."""
    return attrs.get("arxiv_id") or attrs.get("record_id") or key.split("/", 1)[1]


class RelatedIndex:
    """What related-work ranking needs of a graph: a BM25 index of the papers' text and their concepts.

    >>> idx = RelatedIndex.from_graph(g)                       # doctest: +SKIP
    >>> [s.title for s in idx.related("paper/arxiv-2403.12345", k=3)]  # doctest: +SKIP
    """

    def __init__(self, papers: Sequence[_Paper], matrix, vocab: dict[str, int], concepts: dict[str, dict],
                 base: str = "", counts=None) -> None:
        self.papers = list(papers)
        self.position = {p.key: i for i, p in enumerate(self.papers)}
        self.concepts = concepts  # concept key -> {"label", "type", "paper_count", "aliases"}
        self.base = base
        self._names: dict[str, str] | None = None
        self._refs: list[PaperRef] | None = None
        self.vocab = vocab
        self.terms = {i: t for t, i in vocab.items()}
        self.matrix = matrix.tocsr()  # papers x terms, BM25 weights
        # papers x terms, how often each term occurs: a paper as a query weighs its terms by them
        # (its topic words recur; judged dev queries: nDCG@5 0.68 -> 0.77 over counting each once).
        self.counts = (counts if counts is not None else (self.matrix > 0).astype(np.float32)).tocsr()
        # Its pruned transpose (terms x papers) turns a batch of queries into candidates with one sparse product.
        by_term = self.matrix.T.tocsr()
        self._idf = np.log((len(self.papers) + 1) / np.maximum(np.diff(by_term.indptr), 1))
        self.by_term = _prune_postings(by_term, POSTINGS)
        n = max(len(self.papers), 1)
        self.idf = {c: math.log(n / max(d.get("paper_count") or 1, 1)) for c, d in concepts.items()
                    if 0 < (d.get("paper_count") or 0) <= RELATED_MAX_PAPERS}
        held: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, p in enumerate(self.papers):
            for c, role in p.concepts:
                if c in self.idf:
                    held[c].append((i, _ROLE_CODE.get(role, _ROLE_CODE["mentioned"])))
        # concept -> (paper positions, their role codes), for vectorised graph scores
        self.holders = {c: (np.array([i for i, _ in h], dtype=np.int64), np.array([r for _, r in h], dtype=np.int64))
                        for c, h in held.items()}
        # Rank of each paper's key: ties in score go to the smaller key, as the exports are sorted.
        order = sorted(range(len(self.papers)), key=lambda i: self.papers[i].key)
        self._key_rank = np.empty(len(self.papers), dtype=np.int64)
        self._key_rank[order] = np.arange(len(self.papers))
        self._query = np.zeros(self.matrix.shape[1], dtype=np.float64)  # a query's term counts, dense
        self._query_lock = threading.Lock()  # one query at a time in that buffer

    @classmethod
    def build(cls, papers: Sequence[_Paper], texts: Iterable[str], concepts: dict[str, dict],
              base: str = "") -> "RelatedIndex":
        """The index of `papers` with the given texts (BM25 by bm25s over :func:`tokenize`'s tokens)."""
        import bm25s
        from bm25s.tokenization import Tokenized
        from scipy.sparse import csc_matrix

        docs, vocab = _token_ids(texts)
        if vocab:
            bm25 = bm25s.BM25()
            bm25.index(Tokenized(ids=_IdLists(docs), vocab=vocab), create_empty_token=False, show_progress=False)
            s = bm25.scores
            matrix = csc_matrix((s["data"], s["indices"], s["indptr"]), shape=(len(papers), len(s["indptr"]) - 1))
        else:
            matrix = csc_matrix((len(papers), 0), dtype=np.float32)
        counts = _term_counts(docs, len(vocab))
        return cls(papers, matrix, vocab, concepts, base, counts)

    @classmethod
    def from_graph(cls, g: nx.MultiDiGraph) -> "RelatedIndex":
        """The index of every paper of a kg graph (kg.graph schema)."""
        from .schema import BASE

        keys = sorted(n for n, d in g.nodes(data=True) if d.get("kind") == "Paper")
        papers, texts = [], []
        for key in keys:
            d = g.nodes[key]
            title = d.get("title") or ""
            ident = _identifier(key, d)
            record = d.get("record_id")
            papers.append(_Paper(key, ident, title, _paper_concepts(g, key),
                                 record if record and record != ident else None, tuple(d.get("dois") or ())))
            # The title counts twice: it says what the paper is about in the fewest words.
            texts.append(f"{title} {title} {d.get('abstract') or ''}")
        concepts = {n: {"label": d.get("label"), "type": d.get("type"), "paper_count": d.get("paper_count") or 0,
                        "aliases": list(d.get("aliases") or ())}
                    for n, d in g.nodes(data=True) if d.get("kind") == "Concept"}
        return cls.build(papers, texts, concepts, base=str(BASE))

    # ------------------------------------------------------------------ persistence

    def save(self, target: Path | str) -> Path:
        """Write the index to the folder `target` (papers.jsonl, concepts.json, vocab.json, matrix.npz),
        for ``kg related`` to load without the graph. The folder is written beside `target` and swapped
        in whole; the same index gives the same bytes."""
        import shutil
        import tempfile

        from .io import replace_dir

        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        try:
            self._write(folder)
            replace_dir(folder, target)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return target

    def _write(self, folder: Path) -> None:
        with (folder / "papers.jsonl").open("w", encoding="utf-8") as fh:
            for p in self.papers:
                fh.write(json.dumps({"key": p.key, "id": p.id, "title": p.title,
                                     "concepts": [list(c) for c in p.concepts], "record_id": p.record_id,
                                     "dois": list(p.dois)}, ensure_ascii=False) + "\n")
        (folder / "concepts.json").write_text(json.dumps(self.concepts, ensure_ascii=False, sort_keys=True),
                                              encoding="utf-8")
        (folder / "vocab.json").write_text(json.dumps({"base": self.base, "terms": sorted(self.vocab, key=self.vocab.get)},
                                                      ensure_ascii=False), encoding="utf-8")
        m, c = self.matrix, self.counts
        np.savez(folder / "matrix.npz", data=m.data, indices=m.indices, indptr=m.indptr, shape=np.array(m.shape),
                 count_data=c.data, count_indices=c.indices, count_indptr=c.indptr)

    @classmethod
    def load(cls, folder: Path | str) -> "RelatedIndex":
        """The index `save` wrote."""
        from scipy.sparse import csr_matrix

        folder = Path(folder)
        papers = []
        with (folder / "papers.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                papers.append(_Paper(d["key"], d["id"], d["title"], tuple(tuple(c) for c in d["concepts"]),
                                     d.get("record_id"), tuple(d.get("dois") or ())))  # absent from older indexes
        concepts = json.loads((folder / "concepts.json").read_text(encoding="utf-8"))
        meta = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        with np.load(folder / "matrix.npz") as z:
            matrix = csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
            counts = (csr_matrix((z["count_data"], z["count_indices"], z["count_indptr"]), shape=tuple(z["shape"]))
                      if "count_data" in z else None)
        return cls(papers, matrix, {t: i for i, t in enumerate(meta["terms"])}, concepts, meta.get("base", ""), counts)

    # ------------------------------------------------------------------ lookup

    def paper_refs(self) -> list[PaperRef]:
        """What kg.paper_lookup needs of each paper of the index (built once)."""
        if self._refs is None:
            self._refs = [PaperRef(p.key, p.title, tuple(i for i in (p.id, p.record_id) if i), p.dois)
                          for p in self.papers]
        return self._refs

    def find(self, query: str) -> list[str]:
        """Keys of the papers `query` names (kg.paper_lookup.match_papers: a node key or IRI, an arXiv
        id, DOI or record id, the exact title, else every title containing it), sorted."""
        return match_papers(self.paper_refs(), query, base=self.base)

    def resolve(self, query: str) -> str:
        """The key of the one paper `query` names (kg.paper_lookup.resolve_paper); PaperNotFound or
        AmbiguousPaper, both LookupErrors, otherwise."""
        return resolve_paper(self.paper_refs(), query, base=self.base)

    def iri(self, key: str) -> str:
        """The IRI of a paper node key (as kg.rdf exports it)."""
        from .rdf import node_iri

        return str(node_iri(key))

    # ------------------------------------------------------------------ scoring

    def _candidates(self, queries) -> list[np.ndarray]:
        """For each row of a sparse queries x terms matrix of term counts, the papers with the best
        pruned-index BM25 scores (at most CANDIDATES, any order)."""
        scores = (_top_terms(queries.tocsr(), self._idf, QUERY_TERMS) @ self.by_term).tocsr()
        out = []
        for r in range(scores.shape[0]):
            lo, hi = scores.indptr[r], scores.indptr[r + 1]
            idx, val = scores.indices[lo:hi], scores.data[lo:hi]
            if len(idx) > CANDIDATES:
                idx = idx[np.argpartition(-val, CANDIDATES - 1)[:CANDIDATES]]
            out.append(idx)
        return out

    def _text_query(self, text: str):
        return _term_counts([[self.vocab[t] for t in tokenize(text) if t in self.vocab]], len(self.vocab))

    def _graph_scores(self, concepts: Iterable[tuple[str, str]], exclude: int = -1) -> tuple[np.ndarray, np.ndarray]:
        """(paper positions, graph scores) of the papers sharing a concept of `concepts` with the query."""
        parts, weights = [], []
        for c, role in concepts:
            idf = self.idf.get(c)
            if idf is None:
                continue
            idx, roles = self.holders[c]
            w = idf * TYPE_WEIGHTS.get(self.concepts[c].get("type"), 0.5)
            parts.append(idx)
            weights.append(w * _ROLE_MATRIX[_ROLE_CODE.get(role, _ROLE_CODE["mentioned"]), roles])
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        papers, where = np.unique(np.concatenate(parts), return_inverse=True)
        scores = np.bincount(where, weights=np.concatenate(weights), minlength=len(papers))
        keep = papers != exclude
        return papers[keep], scores[keep]

    def _exact_lexical(self, cands: np.ndarray) -> np.ndarray:
        """BM25 scores of the papers `cands` for the query in `self._query`."""
        m = self.matrix
        lo, hi = m.indptr[cands], m.indptr[cands + 1]
        lens = hi - lo
        pos = np.repeat(lo - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
        prod = m.data[pos] * self._query[m.indices[pos]]
        return np.bincount(np.repeat(np.arange(len(cands)), lens), weights=prod, minlength=len(cands))

    def _rank(self, query, lexical_candidates: np.ndarray, concepts: tuple[tuple[str, str], ...], k: int,
              exclude: int = -1) -> list[Suggestion]:
        """Rank the lexical and graph candidates of one query (a 1 x terms row of term counts) by the
        blend of their exact BM25 score and their shared-concept score."""
        with self._query_lock:
            self._query[query.indices] = query.data
            try:
                return self._rank_query(lexical_candidates, concepts, k, exclude)
            finally:
                self._query[query.indices] = 0.0

    def _rank_query(self, lexical_candidates: np.ndarray, concepts: tuple[tuple[str, str], ...], k: int,
                    exclude: int) -> list[Suggestion]:
        g_papers, g_scores = self._graph_scores(concepts, exclude)  # sorted by position
        graph_max = float(g_scores.max()) if len(g_scores) else 0.0
        g_top = g_papers
        if len(g_papers) > CANDIDATES:
            g_top = g_papers[np.lexsort((self._key_rank[g_papers], -g_scores))[:CANDIDATES]]
        lexical_candidates = np.asarray(lexical_candidates, dtype=np.int64)
        cands = np.union1d(lexical_candidates[lexical_candidates != exclude], g_top)
        if not len(cands):
            return []
        lexical = self._exact_lexical(cands)
        at = np.minimum(np.searchsorted(g_papers, cands), max(len(g_papers) - 1, 0))
        shares = (g_papers[at] == cands) if len(g_papers) else np.zeros(len(cands), dtype=bool)
        graph = np.where(shares, g_scores[at] if len(g_scores) else 0.0, 0.0)
        keep = (lexical > 0) | shares
        cands, lexical, graph = cands[keep], lexical[keep], graph[keep]
        if not len(cands):
            return []
        lex_max = float(lexical.max()) or 1.0
        score = (1 - GRAPH_WEIGHT) * lexical / lex_max + GRAPH_WEIGHT * graph / (graph_max or 1.0)
        best = np.lexsort((self._key_rank[cands], -score))[:k]
        out = []
        for b in best:
            i = int(cands[b])
            p = self.papers[i]
            reasons = self._concept_reasons(concepts, p) + self._term_reason(i)
            out.append(Suggestion(p.key, p.id, self.iri(p.key), p.title, round(float(score[b]), 4), reasons))
        return out

    def _concept_reasons(self, mine: tuple[tuple[str, str], ...], other: _Paper, n: int = 3) -> list[str]:
        theirs = dict(other.concepts)
        shared = []
        for c, role in mine:
            if c in theirs and c in self.idf:
                d = self.concepts[c]
                weight = self.idf[c] * TYPE_WEIGHTS.get(d.get("type"), 0.5) * _role_weight(role, theirs[c])
                shared.append((-weight, d.get("label") or c, d.get("type"), role, theirs[c]))
        return [_phrase(label, type_, a, b) for _, label, type_, a, b in sorted(shared)[:n]]

    def _term_reason(self, i: int, n: int = 5) -> list[str]:
        """The query's terms (in `self._query`) that weigh most in paper `i`."""
        lo, hi = self.matrix.indptr[i], self.matrix.indptr[i + 1]
        terms, weights = self.matrix.indices[lo:hi], self.matrix.data[lo:hi]
        shared = self._query[terms] > 0
        if not shared.any():
            return []
        terms, weights = terms[shared], weights[shared]
        cut = np.partition(weights, len(weights) - min(n, len(weights)))[len(weights) - min(n, len(weights))]
        best = sorted((-float(w), self.terms[int(t)]) for t, w in zip(terms[weights >= cut], weights[weights >= cut]))
        return ["shared terms: " + ", ".join(t for _, t in best[:n])]

    # ------------------------------------------------------------------ queries

    def related(self, key: str, k: int = 5) -> list[Suggestion]:
        """The `k` papers most related to the paper with node key `key`, best first."""
        i = self.position[key]
        q = self.counts[i]
        return self._rank(q, self._candidates(q)[0], self.papers[i].concepts, k, exclude=i)

    def related_text(self, text: str, concepts: Sequence[tuple[str, str]] = (), k: int = 5) -> list[Suggestion]:
        """The `k` papers of the graph most related to a new text (a draft's title and abstract).

        `concepts`: (concept key, role) pairs of the draft's entities that the graph knows.
        """
        if not self.papers:
            return []
        q = self._text_query(text)
        return self._rank(q, self._candidates(q)[0], tuple(concepts), k)

    def all_related(self, k: int = 5, jobs: int = 1) -> Iterator[tuple[str, list[Suggestion]]]:
        """(paper key, its `k` related papers) for every paper, in key order; chunked sparse products.

        `jobs` > 1 ranks on that many forked processes, which share the index copy-on-write (each
        paper's ranking is independent of the others', so the answers are the same); where fork is
        not available, or the corpus is small, in this process.
        """
        n = len(self.papers)
        if jobs <= 1 or n < PARALLEL_MIN_PAPERS or "fork" not in multiprocessing.get_all_start_methods():
            yield from self._related_range(0, n, k)
            return
        global _FORKED
        step = _CHUNK * 8  # papers per task: big enough that pickling the answers costs little
        _FORKED = self
        # Frozen objects are out of the collector's reach: a collection in a child would otherwise write
        # to every object of the parent's heap (the whole graph) and copy its pages.
        gc.freeze()
        try:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                for part in pool.imap(_related_part, [(s, min(s + step, n), k) for s in range(0, n, step)]):
                    yield from part
        finally:
            gc.unfreeze()
            _FORKED = None

    def _related_range(self, begin: int, end: int, k: int) -> Iterator[tuple[str, list[Suggestion]]]:
        for start in range(begin, end, _CHUNK):
            stop = min(start + _CHUNK, end)
            queries = self.counts[start:stop]
            for row, cands in enumerate(self._candidates(queries)):
                i = start + row
                yield self.papers[i].key, self._rank(queries[row], cands, self.papers[i].concepts, k, exclude=i)

    def concept_for(self, name: str) -> str | None:
        """The concept key whose label or alias is `name` (case-insensitive), if exactly one has it."""
        if self._names is None:
            found: dict[str, set[str]] = defaultdict(set)
            for c, d in self.concepts.items():
                for alias in [d.get("label") or "", *d.get("aliases", ())]:
                    if alias:
                        found[alias.lower()].add(c)
            self._names = {a: next(iter(cs)) for a, cs in found.items() if len(cs) == 1}
        return self._names.get(name.lower())


def _token_ids(texts: Iterable[str]) -> tuple[list[np.ndarray], dict[str, int]]:
    """Each text's :func:`tokenize` tokens as term ids (an int32 array a text), and the vocabulary
    (term -> id, ids in sorted term order, so the index is the same whatever order terms first appear in).

    A million abstracts hold a quarter of a billion tokens: as Python strings (and then ints) they would
    take tens of GiB, as arrays of ids four bytes each.

    >>> docs, vocab = _token_ids(["graph neural networks", "neural fields"])
    >>> vocab, [d.tolist() for d in docs]
    ({'field': 0, 'graph': 1, 'network': 2, 'neural': 3}, [[1, 3, 2], [3, 0]])
    """
    first: dict[str, int] = {}
    docs = [np.fromiter((first.setdefault(t, len(first)) for t in tokenize(text)), dtype=np.int32) for text in texts]
    terms = sorted(first)
    vocab = {t: i for i, t in enumerate(terms)}
    rank = np.empty(len(first), dtype=np.int32)
    rank[[first[t] for t in terms]] = np.arange(len(terms), dtype=np.int32)
    return [rank[d] for d in docs], vocab


class _IdLists(Sequence):
    """Term-id arrays read as the lists of ints bm25s takes, one document at a time (never all at once)."""

    def __init__(self, docs: Sequence[np.ndarray]) -> None:
        self.docs = docs

    def __len__(self) -> int:
        return len(self.docs)

    def __getitem__(self, i):
        return self.docs[i].tolist()


# The index a forked ranking process reads (set in the parent just before the fork).
_FORKED: "RelatedIndex | None" = None


def _related_part(task: tuple[int, int, int]) -> list[tuple[str, list[Suggestion]]]:
    begin, end, k = task
    return list(_FORKED._related_range(begin, end, k))


def _term_counts(docs: Sequence[Sequence[int] | np.ndarray], n_terms: int):
    """A sparse docs x terms matrix of how often each term id occurs in each document.

    >>> _term_counts([[2, 0, 2], []], 3).toarray().tolist()
    [[1.0, 0.0, 2.0], [0.0, 0.0, 0.0]]
    """
    from scipy.sparse import csr_matrix

    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    cols = np.concatenate([np.asarray(d, dtype=np.int64) for d in docs]) if len(docs) else np.zeros(0, np.int64)
    rows = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
    counts = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(docs), n_terms))
    counts.sum_duplicates()
    return counts


def _top_terms(queries, idf: np.ndarray, keep: int):
    """`queries` (CSR, queries x terms) with each row cut to its `keep` terms of largest count x idf
    (ties: the lower term id)."""
    from scipy.sparse import csr_matrix

    lengths = np.diff(queries.indptr)
    if not len(lengths) or lengths.max() <= keep:
        return queries
    data, indices, indptr = [], [], [0]
    for r in range(queries.shape[0]):
        lo, hi = queries.indptr[r], queries.indptr[r + 1]
        idx, val = queries.indices[lo:hi], queries.data[lo:hi]
        if hi - lo > keep:
            top = np.sort(np.lexsort((idx, -val * idf[idx]))[:keep])
            idx, val = idx[top], val[top]
        indices.append(idx)
        data.append(val)
        indptr.append(indptr[-1] + len(idx))
    return csr_matrix((np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=queries.shape)


def _prune_postings(by_term, keep: int):
    """`by_term` (terms x papers, CSR) with each term's row cut to its `keep` largest weights
    (ties: the lower paper index)."""
    from scipy.sparse import csr_matrix

    lengths = np.diff(by_term.indptr)
    if not len(lengths) or lengths.max() <= keep:
        return by_term
    data, indices, indptr = [], [], [0]
    for t in range(by_term.shape[0]):
        lo, hi = by_term.indptr[t], by_term.indptr[t + 1]
        idx, val = by_term.indices[lo:hi], by_term.data[lo:hi]
        if hi - lo > keep:
            top = np.sort(np.lexsort((idx, -val))[:keep])
            idx, val = idx[top], val[top]
        indices.append(idx)
        data.append(val)
        indptr.append(indptr[-1] + len(idx))
    return csr_matrix((np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=by_term.shape)


def _role_weight(mine: str, theirs: str) -> float:
    if mine == "mentioned" or theirs == "mentioned":
        return MENTIONED_WEIGHT
    return ROLE_WEIGHTS.get((mine, theirs), DEFAULT_ROLE_WEIGHT)


_ROLE_CODE = {r: i for i, r in enumerate(ROLES)}
_ROLE_MATRIX = np.array([[_role_weight(a, b) for b in ROLES] for a in ROLES])


def _phrase(label: str, type_: str | None, mine: str, theirs: str) -> str:
    """A reason a person reads: "both evaluate on CIFAR-100-LT", "it uses FedLoGe, which this paper proposes"."""
    if mine == "proposed" and theirs == "proposed":
        return f"both propose {label}"
    if mine == "proposed":
        verb = {"compared": "compares with", "used": "uses"}.get(theirs, "mentions")
        return f"it {verb} {label}, which this paper proposes"
    if theirs == "proposed":
        verb = {"compared": "compares with", "used": "uses"}.get(mine, "mentions")
        return f"it proposes {label}, which this paper {verb}"
    if mine == "mentioned" or theirs == "mentioned":
        return f"both mention {label}"
    if type_ == "Dataset":
        return f"both evaluate on {label}"
    if type_ == "Task":
        return f"both address {label}"
    if mine == "compared" and theirs == "compared":
        return f"both compare with {label}"
    return f"both use {label}"


def open_index(source: str | Path | nx.MultiDiGraph | RelatedIndex) -> RelatedIndex:
    """The related-work index of a built folder (DIR/related, written by kg build), a graph, or itself."""
    if isinstance(source, RelatedIndex):
        return source
    if isinstance(source, nx.MultiDiGraph):
        return RelatedIndex.from_graph(source)
    folder = Path(source)
    if (folder / RELATED_DIR / "papers.jsonl").is_file():
        folder = folder / RELATED_DIR
    if not (folder / "papers.jsonl").is_file():
        raise FileNotFoundError(f"no related-work index in {source} (kg build writes DIR/{RELATED_DIR})")
    return RelatedIndex.load(folder)


def draft_concepts(index: RelatedIndex, title: str, abstract: str) -> list[tuple[str, str]]:
    """(concept key, role) of the entities the extraction pipeline finds in a draft, where the index's
    graph has the concept (by its label or an alias)."""
    from .extract.pipeline import extract_text

    found: dict[str, str] = {}
    for ent in extract_text(title, abstract):
        for name in (ent.name, *ent.aliases):
            key = index.concept_for(name)
            if key is not None:
                if key not in found or ROLE_RANK[ent.role] > ROLE_RANK[found[key]]:
                    found[key] = ent.role
                break
    return sorted(found.items())


def related(source: str | Path | nx.MultiDiGraph | RelatedIndex, paper: str | None = None, *,
            title: str | None = None, abstract: str = "", top: int = 5) -> list[Suggestion]:
    """The papers to read next: for a paper of the graph (`paper`: node key, IRI, arXiv id in any
    spelling, DOI, record id, exact title or part of it: kg.paper_lookup.resolve_paper), or for a
    draft not in it (`title` and `abstract`). Best first, with reasons.

    `source` is a folder kg build wrote, a graph, or a RelatedIndex. Raises PaperNotFound (a
    LookupError) when no paper matches, AmbiguousPaper (one too) when several do.

    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> for key, title, abstract in [
    ...         ("paper/a", "Federated learning on long-tailed data", "Clients hold long-tailed data."),
    ...         ("paper/b", "Personalized federated learning", "Each client fine-tunes a federated model on its data."),
    ...         ("paper/c", "Protein folding with diffusion", "A diffusion model predicts protein structures.")]:
    ...     g.add_node(key, kind="Paper", title=title, abstract=abstract)
    >>> [(s.title, s.reasons) for s in related(g, "long-tailed", top=1)]
    [('Personalized federated learning', ['shared terms: federated, learning, client, data'])]
    """
    index = open_index(source)
    if paper is None:
        if title is None:
            raise ValueError("give a paper of the graph, or the title (and abstract) of a draft")
        return index.related_text(f"{title} {title} {abstract}", draft_concepts(index, title, abstract), top)
    return index.related(index.resolve(paper), top)


def link_related(g: nx.MultiDiGraph, k: int = 5, jobs: int = 1) -> RelatedIndex:
    """Add ``relatedTo`` edges from every paper to its `k` related papers, with score, rank and reasons;
    returns the index it ranked with.

    Replaces any relatedTo edges the graph had. Deterministic: ties are broken by node key. `jobs`
    processes rank the papers (RelatedIndex.all_related); the edges are the same for any number.
    """
    old = [(u, v) for u, v, key in g.edges(keys=True) if key == "relatedTo"]
    for u, v in old:
        g.remove_edge(u, v, key="relatedTo")
    index = RelatedIndex.from_graph(g)
    if k <= 0:
        return index
    for key, suggestions in index.all_related(k, jobs):
        for rank, s in enumerate(suggestions, 1):
            g.add_edge(key, s.key, key="relatedTo", relation="relatedTo", score=s.score, rank=rank,
                       reasons=list(s.reasons))
    return index
