"""deduplicate: same arXiv id, or same normalised title with alike abstracts, is one paper; provenance merged; O(n)."""
from __future__ import annotations

import json

import time

from kg.dedupe import deduplicate
from kg.ids import paper_id
from kg.model import Paper, Source


def paper(title: str, *, abstract: str = "An abstract.", arxiv_id: str | None = None, path: str = "a.txt",
          line: int = 1, **kw) -> Paper:
    return Paper(id=paper_id(title, arxiv_id), title=title, abstract=abstract, arxiv_id=arxiv_id,
                 sources=[Source(path, line, "listing")], **kw)


def test_same_normalised_title_is_one_paper():
    a = paper("Attention Is All You Need", line=1, code_urls=["https://github.com/a/b"])
    b = paper("attention is all you need.", path="b.jsonl", line=7, authors=["A. Vaswani"], url="https://x.org/p",
              date="2017-06-12", categories=["cs.CL"], code_urls=["https://github.com/a/b", "https://github.com/c/d"])
    c = paper("Another Paper", line=3)
    unique, merged = deduplicate([a, b, c])
    assert merged == 1
    assert [p.title for p in unique] == ["Attention Is All You Need", "Another Paper"]  # first occurrence wins
    kept = unique[0]
    assert kept.sources == [Source("a.txt", 1, "listing"), Source("b.jsonl", 7, "listing")]
    assert kept.code_urls == ["https://github.com/a/b", "https://github.com/c/d"]
    assert (kept.authors, kept.url, kept.date, kept.categories) == (["A. Vaswani"], "https://x.org/p", "2017-06-12", ["cs.CL"])
    assert kept.id == paper_id("Attention Is All You Need")


def test_kept_paper_takes_a_later_arxiv_id():
    a = paper("Attention Is All You Need")
    b = paper("Attention is all you need", arxiv_id="1706.03762", path="feed.xml", line=9)
    unique, merged = deduplicate([a, b])
    assert merged == 1
    assert unique[0].arxiv_id == "1706.03762"
    assert unique[0].id == "arxiv-1706.03762"
    assert unique[0].url == "https://arxiv.org/abs/1706.03762"


def test_same_arxiv_id_with_different_titles_is_one_paper():
    a = paper("BERT: Pre-training of Deep Bidirectional Transformers", arxiv_id="1810.04805")
    b = paper("BERT (v2 title)", arxiv_id="1810.04805", path="b.bib")
    unique, merged = deduplicate([a, b])
    assert merged == 1 and unique[0].title == a.title and len(unique[0].sources) == 2


def test_different_arxiv_ids_are_never_merged():
    a = paper("A Survey", arxiv_id="2301.00001")
    b = paper("A survey", arxiv_id="2302.00002")
    unique, merged = deduplicate([a, b])
    assert merged == 0 and len(unique) == 2


def test_merging_is_transitive_and_keeps_first_order():
    a = paper("Title X")  # no arXiv id
    b = paper("Title Y", arxiv_id="2401.00001", line=2)
    c = paper("Other")
    d = paper("title x", arxiv_id="2401.00001", line=4)  # joins a (title) and b (arXiv id)
    unique, merged = deduplicate([a, b, c, d])
    assert merged == 2
    assert [p.title for p in unique] == ["Title X", "Other"]
    assert unique[0].arxiv_id == "2401.00001"
    assert [s.line for s in unique[0].sources] == [1, 4, 2]


def test_inputs_are_not_modified():
    a = paper("Same")
    b = paper("Same", path="b.txt", authors=["Someone"])
    deduplicate([a, b])
    assert a.sources == [Source("a.txt", 1, "listing")] and a.authors == []


def test_untitled_papers_match_on_abstract_only():
    a = paper("", abstract="First abstract.")
    b = paper("", abstract="Second abstract.")
    c = paper("", abstract="first abstract", path="c.jsonl")
    unique, merged = deduplicate([a, b, c])
    assert merged == 1 and [p.abstract for p in unique] == ["First abstract.", "Second abstract."]


def test_streams_an_iterator_and_counts():
    unique, merged = deduplicate(paper(f"Paper {i % 10}", line=i) for i in range(100))
    assert (len(unique), merged) == (10, 90)
    assert all(len(p.sources) == 10 for p in unique)


def test_linear_time_on_many_duplicates():
    # 50,000 copies of one paper: a quadratic merge (list membership per source) would take minutes.
    papers = [paper("The Same Title", line=i, code_urls=[f"https://github.com/o/r{i % 7}"]) for i in range(50_000)]
    start = time.perf_counter()
    unique, merged = deduplicate(papers)
    assert time.perf_counter() - start < 5
    assert merged == 49_999 and len(unique[0].sources) == 50_000 and len(unique[0].code_urls) == 7


def test_same_title_with_unrelated_abstracts_stays_apart():
    # A common title over two different papers (different ids, nothing alike in the abstracts).
    a = paper("A Survey", abstract="We review graph neural networks for molecular property prediction.")
    b = paper("A survey", abstract="Speech recognition in noisy rooms remains hard; we compare ten systems.",
              path="b.jsonl")
    unique, merged = deduplicate([a, b])
    assert merged == 0 and [p.abstract for p in unique] == [a.abstract, b.abstract]
    # ... and two papers need two ids (the title hash alone would make them one node of the graph).
    assert unique[0].id == a.id and unique[1].id.startswith(a.id + "-") and unique[1].id != unique[0].id
    assert deduplicate([a, b])[0][1].id == unique[1].id  # stable


def test_same_title_papers_are_separate_graph_nodes(tmp_path):
    from kg.build import build_graph

    src = tmp_path / "papers.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in [
        {"id": "r1", "title": "A Survey", "abstract": "We review graph neural networks on the QM9 dataset."},
        {"id": "r2", "title": "A Survey", "abstract": "Speech recognition in noisy rooms on LibriSpeech."},
    ]) + "\n", encoding="utf-8")
    g, report = build_graph([src])
    assert report.papers == 2
    assert sum(1 for _, d in g.nodes(data=True) if d.get("kind") == "Paper") == 2


def test_same_title_with_alike_abstract_merges():
    # The same paper from two sources: a reworded sentence keeps the word-set Jaccard above 0.5.
    text = "We propose ViT, a pure transformer applied to sequences of image patches, which performs well on ImageNet."
    a = paper("Vision Transformer", abstract=text)
    b = paper("vision transformer", abstract=text.replace("performs well", "works very well") + " Code released.",
              path="b.jsonl")
    c = paper("Vision Transformer", abstract="", path="c.bib")  # a missing abstract cannot tell them apart
    d = paper("Vision Transformer", abstract="Tabular data benchmarks for gradient boosting and forests.",
              path="d.jsonl")
    unique, merged = deduplicate([a, b, c, d])
    assert merged == 2
    assert [len(p.sources) for p in unique] == [3, 1] and unique[1].abstract == d.abstract


def test_a_later_record_joins_the_alike_one_among_same_title_papers():
    a = paper("Results", abstract="alpha beta gamma delta epsilon")
    b = paper("Results", abstract="one two three four five", line=2)
    c = paper("Results", abstract="one two three four six", line=3)  # Jaccard 4/6 with b, 0 with a
    unique, merged = deduplicate([a, b, c])
    assert merged == 1 and [[s.line for s in p.sources] for p in unique] == [[1], [2, 3]]


def test_the_demo_corpus_gives_482_papers(corpus):
    from kg.readers import read

    records = list(read([corpus]))
    unique, merged = deduplicate(records)
    assert (len(records), len(unique), merged) == (521, 482, 39)
