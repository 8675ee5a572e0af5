"""Semantic Scholar's papers and abstracts datasets given as separate files: joined on corpusid.

tests/data/s2-datasets/ holds a papers shard (three arXiv papers of tests/data/formats plus one whose
abstract S2 withholds) and an abstracts shard in another order, with one abstract whose paper is not
in the papers shard: the record shapes of the S2 datasets documentation (papers: corpusid, externalids,
url, title, authors, venue, year, publicationdate, ...; abstracts: corpusid, abstract, openaccessinfo).
"""
from __future__ import annotations

import bz2
import gzip
import json
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest

from kg.model import Problem
from kg.readers import read, read_file
from kg.readers.s2_datasets import MAX_UNMATCHED

DATA = Path(__file__).resolve().parent / "data"
PAPERS = DATA / "s2-datasets" / "papers.jsonl"
ABSTRACTS = DATA / "s2-datasets" / "abstracts.jsonl"
WHOLE = DATA / "formats" / "semantic-scholar-papers-dataset.jsonl"  # the same papers, abstracts inline


def _read(paths: list) -> tuple[list, list[Problem]]:
    problems: list[Problem] = []
    return list(read([str(p) for p in paths], problems)), problems


def _fields(paper) -> dict:
    d = asdict(paper)
    d.pop("sources")
    return d


@pytest.mark.parametrize("order", ["papers first", "abstracts first"])
def test_papers_and_abstracts_are_joined_on_corpusid(order):
    paths = [PAPERS, ABSTRACTS] if order == "papers first" else [ABSTRACTS, PAPERS]
    papers, problems = _read(paths)
    whole, whole_problems = _read([WHOLE])
    assert whole_problems == []
    assert [p.record_id for p in papers] == ["265506005", "13756489", "265506006", "265506007"]  # papers' order
    joined = [p for p in papers if p.abstract]
    # The joined papers are what the same records with their abstracts inline give, field for field.
    assert [_fields(p) for p in joined] == [_fields(p) for p in whole]
    lines = {int(json.loads(t)["corpusid"]): i for i, t in enumerate(ABSTRACTS.read_text().splitlines(), 1)}
    for paper, line in zip(joined, (1, 3, 4)):
        assert [(s.path, s.line) for s in paper.sources] == [(str(PAPERS), line),
                                                            (str(ABSTRACTS), lines[int(paper.record_id)])]
    attention = papers[1]
    assert (attention.title, attention.abstract, attention.arxiv_id, attention.date) == (
        "Attention is All you Need", "", "1706.03762", "2017-06-12")
    assert [(p.path, p.line, p.skipped) for p in problems] == [(str(PAPERS), 0, False), (str(ABSTRACTS), 3, True)]
    assert "1 Semantic Scholar paper(s) with no abstract" in problems[0].message and "13756489" in problems[0].message
    assert problems[1].message == "abstract for corpusid 265506099, which no papers record of the inputs has; skipped"


def test_compressed_shards_in_a_folder_join_and_keep_their_names(tmp_path):
    folder = tmp_path / "s2"
    folder.mkdir()
    with gzip.open(folder / "papers-0.jsonl.gz", "wb") as fh:
        fh.write(PAPERS.read_bytes())
    # S2's own shard names have no .jsonl: the content tells the format
    (folder / "abstracts-0.bz2").write_bytes(bz2.compress(ABSTRACTS.read_bytes()))
    papers, problems = _read([folder / "papers-0.jsonl.gz", folder / "abstracts-0.bz2"])
    plain, plain_problems = _read([PAPERS, ABSTRACTS])
    assert [_fields(p) for p in papers] == [_fields(p) for p in plain]
    assert [str(s) for s in papers[0].sources] == [f"{folder / 'papers-0.jsonl.gz'}:1", f"{folder / 'abstracts-0.bz2'}:2"]
    assert [(p.line, p.message) for p in problems] == [(p.line, p.message) for p in plain_problems]
    assert problems[1].path == str(folder / "abstracts-0.bz2")
    # A folder: its .jsonl.gz is read and joined too (the extensionless .bz2 is not an input file there)
    shutil.copy(ABSTRACTS, folder / "abstracts-0.jsonl")
    (folder / "abstracts-0.bz2").unlink()
    from_folder, _ = _read([folder])
    assert [_fields(p) for p in from_folder] == [_fields(p) for p in plain]


def test_other_inputs_come_first_and_are_untouched():
    papers, problems = _read([PAPERS, WHOLE, ABSTRACTS])
    assert [p.sources[0].path for p in papers] == [str(WHOLE)] * 3 + [str(PAPERS)] * 4
    assert [_fields(p) for p in papers[:3]] == [_fields(p) for p in papers[3:] if p.abstract]


def test_papers_without_any_abstracts_file_say_what_to_give():
    papers, problems = _read([PAPERS])
    assert papers == []
    assert [(p.path, p.line) for p in problems] == [(str(PAPERS), n) for n in (1, 2, 3, 4)]
    assert problems[0].message == (
        "missing abstract in record corpusid 265506005; skipped (a record of Semantic Scholar's papers dataset: "
        "give its abstracts dataset files too, they are joined on corpusid)")
    assert list(read_file(PAPERS, None, problems)) == []  # read_file joins within its one file


def test_abstracts_alone_are_located_problems_not_papers():
    problems: list[Problem] = []
    assert list(read_file(ABSTRACTS, None, problems)) == []
    assert [(p.line, p.skipped) for p in problems] == [(1, True), (2, True), (3, True), (4, True)]
    assert all("which no papers record of the inputs has" in p.message for p in problems)


def test_bad_and_repeated_abstracts_are_located(tmp_path):
    rows = [json.loads(t) for t in ABSTRACTS.read_text().splitlines()]
    rows.insert(1, {"corpusid": 265506007, "abstract": "Another text for the same paper.", "openaccessinfo": None})
    rows.append({"corpusid": 13756489, "abstract": None, "openaccessinfo": None})
    rows.append({"corpusid": "13756489", "abstract": 42})
    path = tmp_path / "abstracts.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    papers, problems = _read([PAPERS, path])
    assert next(p for p in papers if p.record_id == "265506007").abstract == rows[0]["abstract"]  # the first kept
    got = [(p.line, p.message) for p in problems if p.path == str(path)]
    assert got == [
        (2, f"a second abstract for corpusid 265506007 (the first at {path}:1 is kept); skipped"),
        (6, "missing abstract in abstracts record corpusid 13756489; skipped"),
        (7, "abstract is a number (42), not text, in abstracts record corpusid 13756489; skipped"),
        (4, "abstract for corpusid 265506099, which no papers record of the inputs has; skipped"),
    ]


def test_unmatched_abstracts_are_counted_past_the_cap(tmp_path):
    path = tmp_path / "abstracts.jsonl"
    path.write_text("".join(json.dumps({"corpusid": 1000 + i, "abstract": f"Text {i}."}) + "\n"
                            for i in range(MAX_UNMATCHED + 50)), encoding="utf-8")
    papers, problems = _read([path])
    assert papers == [] and len(problems) == MAX_UNMATCHED + 1
    assert [p.line for p in problems[:MAX_UNMATCHED]] == list(range(1, MAX_UNMATCHED + 1))
    assert (problems[-1].line, problems[-1].message) == (
        0, "50 more abstracts whose corpusid no papers record of the inputs has; skipped")


def test_kg_build_joins_the_two_datasets(tmp_path):
    from kg.build import build
    from kg.rdf import read_rdf

    with gzip.open(tmp_path / "abstracts.jsonl.gz", "wb") as fh:
        fh.write(ABSTRACTS.read_bytes())
    g, report = build([tmp_path / "abstracts.jsonl.gz", PAPERS], tmp_path / "out", html=False, store=False,
                      use_ner=False, cache=False)
    assert report.records == report.papers == 4
    back = read_rdf(tmp_path / "out")
    papers = {d["record_id"]: d for _, d in back.nodes(data=True) if d.get("kind") == "Paper"}
    assert sorted(papers) == ["13756489", "265506005", "265506006", "265506007"]
    for whole in _read([WHOLE])[0]:  # as read (LaTeX such as "$J_2$" already made text)
        assert (papers[whole.record_id]["title"], papers[whole.record_id]["abstract"]) == (whole.title, whole.abstract)
        assert len(papers[whole.record_id]["sources"]) == 2
    assert papers["13756489"]["title"] == "Attention is All you Need" and not papers["13756489"].get("abstract")
    log = (tmp_path / "out" / "problems.log").read_text(encoding="utf-8")
    assert f"{tmp_path / 'abstracts.jsonl.gz'}:3: abstract for corpusid 265506099" in log
