"""`kg add` / `kg remove`: a built folder changed in place gives the bytes of a fresh build of the same papers."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kg.build import build
from kg.update import NotABuild, UnknownPapers, add_papers, remove_papers

PAPERS = Path(__file__).resolve().parent / "data" / "guideline_test.jsonl"
OUTPUTS = ("kg.nt", "kg.ttl", "kg.jsonld", "graph.html", "records.jsonl.gz", "build.json")


def _files(folder: Path, names: tuple[str, ...] = OUTPUTS) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in names}


@pytest.fixture(scope="module")
def halves(tmp_path_factory) -> tuple[Path, Path, list[dict]]:
    """The 25 papers split over two files: the first 15 and the last 10."""
    folder = tmp_path_factory.mktemp("halves")
    records = [json.loads(line) for line in PAPERS.read_text(encoding="utf-8").splitlines()]
    first, second = folder / "first.jsonl", folder / "second.jsonl"
    first.write_text("".join(json.dumps(r) + "\n" for r in records[:15]), encoding="utf-8")
    second.write_text("".join(json.dumps(r) + "\n" for r in records[15:]), encoding="utf-8")
    return first, second, records


def test_add_extracts_only_the_new_papers_and_matches_a_fresh_build(halves, tmp_path):
    first, second, _ = halves
    build([first], tmp_path / "grown", store=False)
    _, report = add_papers([second], tmp_path / "grown")
    assert report.papers == 25 and report.extraction_cached == 15
    build([first, second], tmp_path / "fresh", store=False, cache=False)
    assert _files(tmp_path / "grown") == _files(tmp_path / "fresh")


def test_remove_matches_a_fresh_build_without_the_paper(halves, tmp_path):
    first, _, records = halves
    build([first], tmp_path / "shrunk", store=False)
    _, report = remove_papers([records[4]["id"]], tmp_path / "shrunk")
    assert report.papers == 14 and report.extraction_cached == 14
    # The same records read from scratch: line 5 left blank keeps the other records' lines (provenance).
    lines = first.read_text(encoding="utf-8").splitlines()
    lines[4] = ""
    without = tmp_path / "first.jsonl"
    without.write_text("\n".join(lines) + "\n", encoding="utf-8")
    build([without], tmp_path / "fresh", store=False, cache=False)
    for name in ("kg.nt", "kg.ttl", "kg.jsonld", "graph.html"):
        got = (tmp_path / "shrunk" / name).read_bytes()
        want = (tmp_path / "fresh" / name).read_bytes().replace(str(without).encode(), str(first).encode())
        assert got == want, name


def test_remove_an_unknown_id_changes_nothing(halves, tmp_path):
    first, _, _ = halves
    build([first], tmp_path / "g", store=False)
    before = _files(tmp_path / "g")
    with pytest.raises(UnknownPapers, match="no-such-paper"):
        remove_papers(["no-such-paper"], tmp_path / "g")
    assert _files(tmp_path / "g") == before


def test_a_folder_without_kept_records_is_refused(tmp_path):
    with pytest.raises(NotABuild, match="build it again"):
        add_papers([PAPERS], tmp_path)


def test_cli_add_and_remove(halves, tmp_path):
    first, second, records = halves
    kg = [sys.executable, "-m", "kg"]
    subprocess.run(kg + ["build", str(first), "-o", str(tmp_path / "g"), "--no-html"], check=True,
                   capture_output=True)
    run = subprocess.run(kg + ["add", str(second), "--graph", str(tmp_path / "g")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "papers" in run.stdout and "10 / 15" in run.stdout
    assert not (tmp_path / "g" / "graph.html").exists()  # the folder's own options (--no-html) are kept
    run = subprocess.run(kg + ["remove", "nope", "--graph", str(tmp_path / "g")], capture_output=True, text=True)
    assert run.returncode == 2 and "no paper with id nope" in run.stderr and "Traceback" not in run.stderr
    run = subprocess.run(kg + ["remove", records[0]["id"], "--graph", str(tmp_path / "g")], capture_output=True,
                         text=True)
    assert run.returncode == 0 and "0 / 24" in run.stdout


def test_add_keeps_the_evidence_level_and_matches_a_fresh_build(halves, tmp_path):
    first, second, _ = halves
    build([first], tmp_path / "grown", store=False, evidence="first")
    assert json.loads((tmp_path / "grown" / "build.json").read_text())["evidence"] == "first"
    add_papers([second], tmp_path / "grown")
    build([first, second], tmp_path / "fresh", store=False, cache=False, evidence="first")
    assert _files(tmp_path / "grown") == _files(tmp_path / "fresh")
    build([first, second], tmp_path / "all", store=False, html=False)
    for name in ("kg.nt", "kg.ttl", "kg.jsonld"):
        assert (tmp_path / "fresh" / name).stat().st_size < (tmp_path / "all" / name).stat().st_size, name


def test_a_build_json_without_evidence_means_all(halves, tmp_path):
    # Folders built before the option existed keep every link's provenance when papers are added.
    first, second, _ = halves
    build([first], tmp_path / "old", store=False, html=False)
    options = json.loads((tmp_path / "old" / "build.json").read_text())
    del options["evidence"]
    (tmp_path / "old" / "build.json").write_text(json.dumps(options))
    add_papers([second], tmp_path / "old")
    build([first, second], tmp_path / "fresh", store=False, html=False)
    assert (tmp_path / "old" / "kg.nt").read_bytes() == (tmp_path / "fresh" / "kg.nt").read_bytes()


def test_cli_evidence_option(halves, tmp_path):
    first, _, _ = halves
    kg = [sys.executable, "-m", "kg", "build", str(first), "--no-html"]
    run = subprocess.run(kg + ["-o", str(tmp_path / "none"), "--evidence", "none"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    text = (tmp_path / "none" / "kg.nt").read_text(encoding="utf-8")
    assert "ontology#proposes>" in text and "ontology#hasMention>" not in text and "ontology#role>" not in text
    run = subprocess.run(kg + ["-o", str(tmp_path / "bad"), "--evidence", "most"], capture_output=True, text=True)
    assert run.returncode == 2 and "--evidence must be one of all, first, none" in run.stderr
    assert not (tmp_path / "bad").exists()


# Papers named by an arXiv id, DOIs, a record id and titles; two distinct papers share one title.
ID_RECORDS = [
    {"id": "2403.12345", "title": "Sparse Attention for Long Documents", "doi": "10.1145/3485447.3512056",
     "abstract": "We evaluate BERT on SQuAD and propose SparseDoc."},
    {"arxiv_id": "hep-th/9901001", "title": "Strings on Branes", "abstract": "We study D-branes with a matrix model."},
    {"id": "W42", "title": "Sparse Attention at Scale", "doi": "https://doi.org/10.5555/ABC.123",
     "abstract": "We fine-tune RoBERTa on TriviaQA with sparse attention."},
    {"title": "A Survey", "abstract": "Graph neural networks for molecules and proteins."},
    {"title": "A survey", "abstract": "Speech recognition in noisy rooms with microphones."},
]


def _built(records: list[dict], folder: Path) -> Path:
    """`records` as a JSON Lines input in `folder`, built (no store, no page) into `folder/out`."""
    source = folder / "records.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    build([source], folder / "out", store=False, html=False)
    return folder / "out"


@pytest.fixture(scope="module")
def id_build(tmp_path_factory) -> Path:
    return _built(ID_RECORDS, tmp_path_factory.mktemp("ids"))


def _titles_left(folder: Path) -> list[str]:
    from kg.built_corpus import read_records

    return sorted(p.title for p in read_records(folder / "records.jsonl.gz"))


@pytest.mark.parametrize("spelling", [
    "arXiv:2403.12345v2", "https://arxiv.org/abs/2403.12345", "2403.12345v1",
    "doi:10.1145/3485447.3512056", "HTTPS://DOI.ORG/10.1145/3485447.3512056", "10.1145/3485447.3512056",
    "sparse attention for long documents.",
])
def test_remove_takes_every_spelling_of_ids_dois_and_exact_titles(id_build, tmp_path, spelling):
    shutil.copytree(id_build, tmp_path / "g")
    _, report = remove_papers([spelling], tmp_path / "g")
    assert report.papers == 4
    assert "Sparse Attention for Long Documents" not in _titles_left(tmp_path / "g")


def test_remove_old_style_arxiv_ids_record_ids_and_url_dois(id_build, tmp_path):
    shutil.copytree(id_build, tmp_path / "g")
    remove_papers(["HEP-TH/9901001v2", "W42"], tmp_path / "g")
    assert _titles_left(tmp_path / "g") == ["A Survey", "A survey", "Sparse Attention for Long Documents"]


def test_remove_refuses_title_parts_and_ambiguous_titles_changing_nothing(id_build, tmp_path):
    shutil.copytree(id_build, tmp_path / "g")
    before = _files(tmp_path / "g", ("kg.nt", "records.jsonl.gz", "build.json"))
    with pytest.raises(UnknownPapers, match="no paper with id sparse attention in the graph") as caught:
        remove_papers(["sparse attention", "2403.12345"], tmp_path / "g")  # a part of a title is not a name
    assert caught.value.unknown == ["sparse attention"]
    with pytest.raises(UnknownPapers, match=r"'a survey' names 2 paper nodes with this exact title") as caught:
        remove_papers(["a survey"], tmp_path / "g")
    assert caught.value.ambiguous and not caught.value.unknown
    assert _files(tmp_path / "g", ("kg.nt", "records.jsonl.gz", "build.json")) == before


def test_cli_remove_by_doi_url_and_a_clear_error(id_build, tmp_path):
    shutil.copytree(id_build, tmp_path / "g")
    kg = [sys.executable, "-m", "kg", "remove", "--graph", str(tmp_path / "g")]
    run = subprocess.run(kg + ["A Survey"], capture_output=True, text=True)
    assert run.returncode == 2 and "names 2 paper nodes with this exact title" in run.stderr
    assert "nothing removed" in run.stderr and "Traceback" not in run.stderr
    run = subprocess.run(kg + ["https://doi.org/10.5555/abc.123"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "Sparse Attention at Scale" not in _titles_left(tmp_path / "g")


# A title that mentions another paper's arXiv id, and a record id ("bert") that is another paper's exact title.
CLASH_RECORDS = [
    {"id": "1706.03762", "title": "Attention Is All You Need",
     "abstract": "We propose the Transformer and evaluate it on WMT 2014 English-German."},
    {"title": "Comment on arXiv:1706.03762", "abstract": "We revisit the Transformer results on WMT 2014."},
    {"id": "bert", "title": "Pre-training of Deep Bidirectional Transformers",
     "abstract": "We pre-train a masked language model and fine-tune it on SQuAD."},
    {"title": "BERT", "abstract": "A short note on masked language models evaluated on GLUE."},
]


@pytest.fixture(scope="module")
def clash_build(tmp_path_factory) -> Path:
    return _built(CLASH_RECORDS, tmp_path_factory.mktemp("clash"))


def test_remove_by_an_exact_title_that_mentions_an_arxiv_id_removes_that_paper(clash_build, tmp_path):
    # Failed before 15c: the arXiv id found inside the title named "Attention Is All You Need", which
    # was deleted while the paper named stayed.
    shutil.copytree(clash_build, tmp_path / "g")
    _, report = remove_papers(["Comment on arXiv:1706.03762"], tmp_path / "g")
    assert report.papers == 3
    left = _titles_left(tmp_path / "g")
    assert "Comment on arXiv:1706.03762" not in left and "Attention Is All You Need" in left
    remove_papers(["arXiv:1706.03762"], tmp_path / "g")  # the whole input an arXiv id: still an id
    assert "Attention Is All You Need" not in _titles_left(tmp_path / "g")


def test_remove_refuses_an_id_that_different_rules_read_as_different_papers(clash_build, tmp_path):
    # Failed before 15c: "bert", a record id, won over "BERT", an exact title, and its paper was deleted.
    shutil.copytree(clash_build, tmp_path / "g")
    before = _files(tmp_path / "g", ("kg.nt", "records.jsonl.gz", "build.json"))
    with pytest.raises(UnknownPapers, match=r"'bert' names 2 paper nodes by different rules "
                                            r"\(with this record id: paper/t-\w+; with this exact title: paper/t-\w+\)"
                       ) as caught:
        remove_papers(["bert"], tmp_path / "g")
    assert len(caught.value.ambiguous) == 1 and not caught.value.unknown
    assert _files(tmp_path / "g", ("kg.nt", "records.jsonl.gz", "build.json")) == before
