"""Readers on small hand-written fixtures (tests/data/readers) and on the real listing-page corpus."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import kg
from kg.dedupe import deduplicate
from kg.ids import paper_id
from kg.model import Paper, Problem
from kg.readers import FORMATS, detect_format, find_code_urls, read, read_file

DATA = Path(__file__).resolve().parent / "data" / "readers"
BAD = DATA / "bad"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "daily-papers"
DEMO = Path(kg.__file__).resolve().parent / "data" / "demo"


def read_all(*paths: str | Path) -> tuple[list[Paper], list[Problem]]:
    problems: list[Problem] = []
    papers = list(read(list(paths), problems))
    return papers, problems


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line containing `needle` (so fixtures can change without renumbering)."""
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")


# --- format detection -------------------------------------------------------------------------

@pytest.mark.parametrize("name, fmt", [
    ("listing.txt", "listing"),
    ("papers.jsonl", "jsonl"),
    ("papers.json", "json"),
    ("arxiv-snapshot.jsonl", "jsonl"),
    ("feed.xml", "arxiv-atom"),
    ("refs.bib", "bibtex"),
    ("bad/broken.xml", "arxiv-atom"),
    ("bad/latin1.jsonl", "jsonl"),
    ("bad/orphan.txt", "listing"),
    ("bad/README.md", None),
])
def test_detect_format(name, fmt):
    assert detect_format(DATA / name) == fmt
    assert fmt is None or fmt in FORMATS


def test_detect_format_sniffs_content_over_extension(tmp_path):
    snapshot = tmp_path / "arxiv-metadata-oai-snapshot.json"  # the real snapshot is JSON Lines named .json
    snapshot.write_bytes((DATA / "arxiv-snapshot.jsonl").read_bytes())
    assert detect_format(snapshot) == "jsonl"
    array = tmp_path / "records.txt"
    array.write_text('[{"id": 1, "title": "T", "abstract": "A"}]', encoding="utf-8")
    assert detect_format(array) == "json"
    bib = tmp_path / "refs.txt"
    bib.write_text("@article{k, title={T}, abstract={A}}\n", encoding="utf-8")
    assert detect_format(bib) == "bibtex"
    assert detect_format(tmp_path / "missing.jsonl") is None


# --- each reader on a good fixture -------------------------------------------------------------

def test_listing_fixture():
    path = DATA / "listing.txt"
    papers, problems = read_all(path)
    assert problems == []
    assert [p.title for p in papers] == ["First Paper: A Study of Things", "Second Paper on Other Things"]
    first = papers[0]
    assert first.abstract == "We study things. Our code is at https://github.com/someone/things)."
    assert first.date == "Mar 18"  # as given: the page has no year
    assert first.code_urls == ["https://github.com/someone/things"]
    assert first.sources[0].path == str(path)
    assert first.sources[0].format == "listing"
    assert [p.sources[0].line for p in papers] == [line_of(path, "First Paper"), line_of(path, "Second Paper")]
    assert first.id == paper_id(first.title)


def test_jsonl_fixture():
    path = DATA / "papers.jsonl"
    papers, problems = read_all(path)
    assert problems == []
    assert [p.sources[0].line for p in papers] == [1, 2, 4]  # line 3 is blank
    resnet, adam, lora = papers
    assert resnet.authors == ["Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"]
    assert resnet.url == "https://doi.org/10.1109/CVPR.2016.90"
    assert resnet.date == "2016-06"
    assert resnet.arxiv_id is None and resnet.id == paper_id(resnet.title)
    assert adam.authors == ["Diederik P. Kingma", "Jimmy Ba"]
    assert lora.arxiv_id == "2106.09685" and lora.id == "arxiv-2106.09685"
    assert lora.url == "https://arxiv.org/abs/2106.09685"
    assert lora.authors == ["Edward J. Hu", "Yelong Shen", "Phillip Wallis"]
    assert lora.categories == ["cs.CL", "cs.LG"]
    assert lora.code_urls == ["https://github.com/microsoft/LoRA"]
    # Generic records are kept verbatim, so offsets into Paper.text match the input record.
    record = json.loads((DATA / "papers.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert resnet.text == record["title"] + "\n" + record["abstract"]
    assert all(p.sources[0].format == "jsonl" for p in papers)


def test_json_array_fixture():
    path = DATA / "papers.json"
    papers, problems = read_all(path)
    assert problems == []
    assert [p.title for p in papers] == ["Mastering the game of Go without human knowledge", "Attention Is All You Need"]
    assert [p.sources[0].line for p in papers] == [2, 8]  # the line of each record's "{"
    go, attention = papers
    assert go.authors == ["David Silver", "Julian Schrittwieser"]
    assert attention.arxiv_id == "1706.03762" and attention.id == "arxiv-1706.03762"
    assert attention.date == "2017-06-12"
    assert attention.code_urls == ["https://github.com/tensorflow/tensor2tensor"]
    assert all(p.sources[0].format == "json" for p in papers)


def test_arxiv_snapshot_fixture():
    papers, problems = read_all(DATA / "arxiv-snapshot.jsonl")
    assert problems == []
    first, second = papers
    assert first.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert first.abstract.startswith("A fully differential calculation in perturbative quantum chromodynamics is presented")
    assert "\n" not in first.abstract and "  " not in first.abstract and first.abstract.endswith("are included.")
    assert first.arxiv_id == "0704.0001" and first.id == "arxiv-0704.0001"
    assert first.url == "https://arxiv.org/abs/0704.0001"
    assert first.authors[:2] == ["C. Balázs", "E. L. Berger"]  # LaTeX accent decoded
    assert first.categories == ["hep-ph"]
    assert first.date == "2007-04-02"  # first version
    assert second.categories == ["math.CO", "cs.CG"]
    assert second.authors == ["Ileana Streinu", "Louis Theran"]
    assert [p.sources[0].line for p in papers] == [1, 2]


def test_atom_fixture():
    path = DATA / "feed.xml"
    papers, problems = read_all(path)
    assert problems == []
    bert, graphs = papers
    assert bert.title == "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    assert bert.abstract.startswith("We introduce a new language representation model called BERT, which stands for")
    assert bert.arxiv_id == "1810.04805" and bert.id == "arxiv-1810.04805"
    assert bert.url == "http://arxiv.org/abs/1810.04805v2"
    assert bert.authors == ["Jacob Devlin", "Ming-Wei Chang"]
    assert bert.date == "2018-10-11"
    assert bert.categories == ["cs.CL"]
    assert bert.code_urls == ["https://github.com/google-research/bert"]
    assert graphs.abstract == "We study graphs & their neighbours."
    assert graphs.categories == ["cs.LG", "cs.AI"]  # primary category first
    entry_lines = [i for i, line in enumerate(path.read_text().splitlines(), 1) if line.strip() == "<entry>"]
    assert [p.sources[0].line for p in papers] == entry_lines
    assert all(p.sources[0].format == "arxiv-atom" for p in papers)


def test_bibtex_fixture():
    path = DATA / "refs.bib"
    papers, problems = read_all(path)
    assert problems == []
    bert, accents = papers
    assert bert.title == "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    assert bert.abstract == ("We introduce a new language representation model called BERT. "
                             "It improves GLUE by 7.7% (and SQuAD by 1.5%).")  # a bare % is text, not a comment
    assert bert.authors == ["Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova"]
    assert bert.arxiv_id == "1810.04805" and bert.id == "arxiv-1810.04805"
    assert bert.date == "2019-06"
    assert bert.categories == ["cs.CL"]
    assert accents.title == "Schön und Élégant: Accents in Titles"
    assert accents.authors == ["Jörg Müller", "François Dupont"]  # "and others" dropped
    assert accents.abstract == "Code: https://github.com/jmueller/accents. We show that naïve models fail."
    assert accents.code_urls == ["https://github.com/jmueller/accents"]
    assert accents.url == "https://example.org/mueller2021"
    assert accents.date == "2021"
    assert [p.sources[0].line for p in papers] == [line_of(path, "@inproceedings{devlin2019bert"),
                                                   line_of(path, "@article{mueller2021")]
    assert all(p.sources[0].format == "bibtex" for p in papers)


# --- malformed input: good records still read, Problems name the file and the line ---------------

def test_bad_json_line_in_the_middle():
    path = BAD / "bad-line.jsonl"
    papers, problems = read_all(path)
    assert [p.title for p in papers] == ["Good Record Before", "Good Record After"]
    assert [(p.path, p.line) for p in problems] == [(str(path), 2)]
    assert "malformed JSON" in problems[0].message and problems[0].skipped


def test_missing_abstract_and_title():
    path = BAD / "missing-abstract.jsonl"
    papers, problems = read_all(path)
    assert [p.title for p in papers] == ["Has Everything", ""]
    assert [(p.path, p.line) for p in problems] == [(str(path), 2), (str(path), 3)]
    assert "missing abstract" in problems[0].message and "m2" in problems[0].message
    assert "missing title" in problems[1].message and "m3" in problems[1].message
    untitled = papers[1]
    assert untitled.text.startswith("\nAn empty title is allowed")  # offsets start after the newline
    assert untitled.id != paper_id("")  # papers without title do not all share one id


def test_latin1_file_keeps_its_valid_lines():
    path = BAD / "latin1.jsonl"
    papers, problems = read_all(path)
    assert [p.title for p in papers] == ["Plain ASCII Line", "Another ASCII Line"]
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.path, problem.line) == (str(path), 2)
    offset = path.read_bytes().index(b"\xe9")
    assert "UTF-8" in problem.message and f"byte offset {offset}" in problem.message


def test_latin1_bytes_in_a_json_array(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'[\n  {"id": "x1", "title": "Caf\xe9", "abstract": "bad"},\n'
                     b'  {"id": "x2", "title": "Fine", "abstract": "good"}\n]\n')
    papers, problems = read_all(path)
    assert [p.title for p in papers] == ["Fine"]
    assert [(p.path, p.line) for p in problems] == [(str(path), 2)]
    offset = path.read_bytes().index(b"\xe9")
    assert f"byte offset {offset}" in problems[0].message


def test_broken_xml_is_one_problem_with_line_and_column():
    path = BAD / "broken.xml"
    papers, problems = read_all(path)
    assert [p.title for p in papers] == ["An Entry Before the Damage"]  # entries before the damage are kept
    assert len(problems) == 1
    assert (problems[0].path, problems[0].line) == (str(path), line_of(path, "</sumary>"))
    assert "malformed XML" in problems[0].message and "column" in problems[0].message


def test_xml_entity_declarations_are_refused(tmp_path):
    path = tmp_path / "bomb.xml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa">'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
                    '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&b;</title>'
                    '<summary>x</summary></entry></feed>\n', encoding="utf-8")
    papers, problems = read_all(path)
    assert papers == []
    assert len(problems) == 1 and "entity" in problems[0].message and problems[0].path == str(path)


def test_bib_entry_without_abstract_and_failed_block():
    path = BAD / "no-abstract.bib"
    papers, problems = read_all(path)
    assert [p.title for p in papers] == ["A Good Entry", "Another Good Entry"]
    assert papers[1].date == "2022-03"
    assert [(p.path, p.line) for p in problems] == [
        (str(path), line_of(path, "@article{noabs")),
        (str(path), line_of(path, "@article{broken")),
    ]
    assert "missing abstract" in problems[0].message and "noabs" in problems[0].message
    assert all(p.skipped for p in problems)


def test_malformed_record_in_json_array_then_resynchronise():
    path = BAD / "broken-array.json"
    papers, problems = read_all(path)
    assert [p.title for p in papers] == ["Array Record One", "Array Record Three"]
    assert [p.sources[0].line for p in papers] == [2, 4]
    assert [(p.path, p.line) for p in problems] == [(str(path), 3)]


def test_listing_title_without_abstract():
    path = BAD / "orphan.txt"
    papers, problems = read_all(path)
    assert [p.title for p in papers] == ["A Proper Title"]
    assert [(p.path, p.line) for p in problems] == [
        (str(path), line_of(path, "A Title Without Its Abstract")),
        (str(path), line_of(path, "A Final Title With Nothing After It")),
    ]
    assert all("title without abstract" in p.message for p in problems)


# --- walking folders, missing and unsupported paths -------------------------------------------

def test_read_folder_recursively_in_sorted_order():
    papers, problems = read_all(str(DATA))
    files = [p.sources[0].path for p in papers]
    assert files == sorted(files, key=lambda f: Path(f).relative_to(DATA).parts)
    assert all(f.startswith(str(DATA)) for f in files)  # the path as given, joined with the file name
    assert not any(".hidden" in f for f in files)  # hidden files skipped
    assert not any(str(p.path).endswith("README.md") for p in problems)  # unknown extension: silent
    assert {Path(p.path).name for p in problems} == {
        "bad-line.jsonl", "missing-abstract.jsonl", "latin1.jsonl", "broken.xml", "no-abstract.bib",
        "broken-array.json", "orphan.txt",
    }
    assert {p.sources[0].format for p in papers} == set(FORMATS)


def test_missing_and_unsupported_paths_are_problems(tmp_path):
    missing = tmp_path / "nope.jsonl"
    papers, problems = read_all(missing, BAD / "README.md", DATA / "papers.jsonl")
    assert len(papers) == 3  # reading goes on after the bad paths
    assert [(p.path, p.line) for p in problems] == [(str(missing), 0), (str(BAD / "README.md"), 0)]
    assert "no such file" in problems[0].message
    assert "unsupported" in problems[1].message


def test_read_is_lazy(tmp_path):
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(1000):
            fh.write(json.dumps({"id": f"r{i}", "title": f"Paper {i}", "abstract": "Text."}) + "\n")
        fh.write("{not json\n")
    problems: list[Problem] = []
    stream = read([path], problems)
    assert iter(stream) is stream
    assert next(stream).title == "Paper 0"
    assert problems == []  # the bad last line has not been reached yet
    assert sum(1 for _ in stream) == 999
    assert [p.line for p in problems] == [1001]


def test_read_file_with_explicit_format():
    problems: list[Problem] = []
    papers = list(read_file(DATA / "papers.jsonl", "jsonl", problems))
    assert len(papers) == 3 and problems == []


# --- code links ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, urls", [
    ("Code: https://github.com/NVlabs/gbrl).", ["https://github.com/NVlabs/gbrl"]),
    ("at https://github.com/a/b. And https://github.com/a/b again, https://gitlab.com/c/d,",
     ["https://github.com/a/b", "https://gitlab.com/c/d"]),
    ("available at https://llm-stacking.github.io/{https://llm-stacking.github.io/}.",
     ["https://llm-stacking.github.io/"]),
    ("https://github.com/wenyudu/MIGU{this repository}", ["https://github.com/wenyudu/MIGU"]),
    ("(github.com/predsci/hipft)", ["https://github.com/predsci/hipft"]),
    ("demo https://huggingface.co/spaces/org/app; weights https://huggingface.co/org/model.",
     ["https://huggingface.co/spaces/org/app"]),
    ("Project page: https://www.robots.ox.ac.uk/~vgg/research/osr/", ["https://www.robots.ox.ac.uk/~vgg/research/osr/"]),
    ("We release models: https://aka.ms/BLURB. See https://arxiv.org/abs/1234.5678.", []),
    ("bitbucket.org/x/y and https://codeberg.org/u/r.", ["https://bitbucket.org/x/y", "https://codeberg.org/u/r"]),
    ("no links here", []),
])
def test_find_code_urls(text, urls):
    assert find_code_urls(text) == urls


# --- the real corpus ------------------------------------------------------------------------------

def _require(folder: Path) -> None:
    if not folder.is_dir() or not any(folder.glob("*.txt")):
        pytest.skip(f"corpus not found at {folder} (expected ../shared/corpus/daily-papers next to the repo)")


def test_real_listing_corpus():
    _require(CORPUS)
    papers, problems = read_all(CORPUS)
    assert problems == []
    assert len(papers) == 521
    unique, merged = deduplicate(papers)
    assert (len(unique), merged) == (482, 39)
    assert sum(len(p.sources) for p in unique) == 521  # all provenance kept

    title = "FedLoGe: Joint Local and Generic Federated Learning under Long-tailed Data"
    fedloge = [p for p in unique if p.title == title]
    assert len(fedloge) == 1
    src = fedloge[0].sources[0]
    lines = Path(src.path).read_text(encoding="utf-8").splitlines()
    assert lines[src.line - 1] == title
    assert fedloge[0].abstract == lines[src.line + 1]  # the whole abstract paragraph
    assert fedloge[0].abstract.startswith("Federated Long-Tailed Learning (Fed-LT)")
    assert fedloge[0].abstract.endswith("state-of-the-art pFL and Fed-LT approaches.")

    gbrl = [p for p in unique if p.title.startswith("Gradient Boosting Reinforcement Learning")]
    assert len(gbrl) == 1 and "https://github.com/NVlabs/gbrl" in gbrl[0].code_urls
    assert sum(1 for p in unique if p.code_urls) > 100
    assert {p.date for p in papers} >= {"Mar 18", "Mar 14", "Mar 11"}


def test_bundled_demo_corpus_reads_the_same():
    papers, problems = read_all(DEMO)
    assert problems == []
    assert len(papers) == 521
    unique, merged = deduplicate(papers)
    assert (len(unique), merged) == (482, 39)
    if CORPUS.is_dir():
        assert [p.title for p in papers] == [p.title for p in read(CORPUS)]
