"""JSON-family inputs researchers have: API pages and exports of OpenAlex, Semantic Scholar and Zotero
(CSL-JSON), arXiv digest wrappers; the same paper from several of them is one paper with all its sources.

Fixtures (tests/data/formats/) follow each format's documentation: OpenAlex Work objects (API page
{"meta", "results"} and snapshot JSON Lines), Semantic Scholar Graph API answers (search page, single
paper, /paper/batch with a null, the "papers" dataset lines), Zotero's CSL JSON export. Titles, abstracts
and authors are five (and three more) real arXiv papers from ../shared/corpus/arxiv-recent (CC0); the
OpenAlex, Semantic Scholar and Zotero identifiers and the journal DOI are illustrative.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from kg.build import build_graph
from kg.dedupe import deduplicate
from kg.model import Paper
from kg.rdf import BIBO, DCTERMS, FABIO, KG, node_iri, to_rdf
from kg.readers import detect_format, read
from kg.readers.common import latex_to_text
from kg.validate import validate

FORMATS = Path(__file__).resolve().parent / "data" / "formats"
SHARED = Path(__file__).resolve().parents[2] / "shared"
ARXIV_RECENT = SHARED / "corpus" / "arxiv-recent" / "papers.jsonl"
DIGEST_112 = SHARED / "corpus" / "formats" / "arxiv-daily-2025-12-16.json"
FIVE = ["2312.00273", "2312.00279", "2312.00306", "2312.00326", "2312.00342"]
JOURNAL_DOI = "10.1109/lra.2022.3141829"  # the published version of 2312.00342 in the fixtures


def read_all(*paths: str | Path) -> tuple[list[Paper], list]:
    problems: list = []
    return list(read([str(p) for p in paths], problems)), problems


@pytest.fixture(scope="module")
def originals() -> dict[str, dict]:
    """The arXiv records the fixtures were written from, by arXiv id."""
    if not ARXIV_RECENT.is_file():
        pytest.skip(f"needs ../shared beside the repository ({ARXIV_RECENT} not found)")
    rows = {}
    with open(ARXIV_RECENT, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            rows[rec["id"]] = rec
    return rows


# ------------------------------------------------------------------------------ wrappers and aliases

@pytest.mark.parametrize("wrapper", ["papers", "data", "results", "items", "records"])
def test_wrapper_fields_and_aliases(tmp_path, wrapper):
    records = [
        {"id": "rec-1", "title": "Mark My Words", "abstractNote": "Watermarks for language models.",
         "arxivId": "2312.00273", "publicationDate": "2023-12-01", "DOI": "https://doi.org/10.48550/arXiv.2312.00273"},
        {"id": "2413.12345", "title": "Not an arXiv id", "paperAbstract": "Month 13 does not exist.", "year": 2024},
        {"id": "W2741809807", "title": "An OpenAlex id", "AB": "Abstract in a RIS-like field.",
         "externalIds": {"ArXiv": "2312.00279", "DOI": "10.1109/X.2023.1"}, "publication_date": "2023-12-02",
         "ids": {"doi": "https://doi.org/10.1109/x.2023.1"}, "categories": ["cs.NI", "cs.LG"]},
    ]
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"meta": {"count": 3}, wrapper: records}, indent=1), encoding="utf-8")
    papers, problems = read_all(path)
    assert problems == []
    assert [(p.arxiv_id, p.record_id, p.date, p.dois) for p in papers] == [
        ("2312.00273", "rec-1", "2023-12-01", ["10.48550/arxiv.2312.00273"]),
        (None, "2413.12345", "2024", []),  # an id shaped like no arXiv id stays the record's id only
        ("2312.00279", "W2741809807", "2023-12-02", ["10.1109/x.2023.1"]),  # two spellings, one DOI
    ]
    assert [p.abstract for p in papers] == ["Watermarks for language models.", "Month 13 does not exist.",
                                            "Abstract in a RIS-like field."]
    assert papers[2].categories == ["cs.NI", "cs.LG"]
    starts = [n for n, text in enumerate(path.read_text().splitlines(), 1) if text == "  {"]  # each record's '{'
    assert [p.sources[0].line for p in papers] == starts and len(starts) == 3


def test_empty_api_page_is_one_problem(tmp_path):
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"total": 0, "offset": 0, "data": []}, indent=2), encoding="utf-8")
    papers, problems = read_all(path)
    assert papers == [] and [(p.line, p.skipped) for p in problems] == [(0, False)]
    assert "no records" in problems[0].message


# --------------------------------------------------------------------------------------------- OpenAlex

def test_openalex_api_page(originals):
    papers, problems = read_all(FORMATS / "openalex-works-page.json")
    assert problems == []
    assert [p.title for p in papers] == [originals[a]["title"] for a in FIVE]
    # The inverted index is rebuilt into the abstract, word for word.
    assert [p.abstract for p in papers] == [originals[a]["abstract"] for a in FIVE]
    first = papers[0]
    assert first.arxiv_id == "2312.00273"  # from the arXiv DOI 10.48550/arXiv.2312.00273
    assert first.dois == ["10.48550/arxiv.2312.00273"]
    assert first.authors == originals["2312.00273"]["authors"]  # authorships[].author.display_name
    assert first.date == "2023-12-01" and first.record_id == "https://openalex.org/W4389400011"
    assert first.url == "http://arxiv.org/abs/2312.00273"
    journal = papers[4]  # the journal version: a publisher DOI, no arXiv copy listed
    assert journal.arxiv_id is None and journal.dois == [JOURNAL_DOI] and journal.date == "2022-01-11"
    assert [s.line for p in papers for s in p.sources] == [10, 611, 1230, 1737, 2265]


def test_openalex_snapshot_lines(originals):
    path = FORMATS / "openalex-works-snapshot.jsonl"
    assert detect_format(path) == "jsonl"
    papers, problems = read_all(path)
    assert problems == []
    assert [(p.arxiv_id, p.sources[0].line) for p in papers] == [("2312.00314", 1), ("2312.00336", 2), ("2312.00344", 3)]
    # (LaTeX in an abstract becomes text, as for every reader: "$J_2$" -> "J_2")
    assert all(p.abstract == latex_to_text(originals[p.arxiv_id]["abstract"]) for p in papers)


def test_openalex_page_saved_on_one_line(tmp_path):
    """The API answers on one line: saved as is, the page is one JSON line holding every work."""
    page = json.loads((FORMATS / "openalex-works-page.json").read_text(encoding="utf-8"))
    path = tmp_path / "works.json"
    path.write_text(json.dumps(page) + "\n", encoding="utf-8")
    papers, problems = read_all(path)
    assert problems == [] and len(papers) == 5 and {p.sources[0].line for p in papers} == {1}


def _work(**fields) -> dict:
    work = {"id": "https://openalex.org/W1", "display_name": "A Paper", "title": "A Paper",
            "abstract_inverted_index": {"We": [0], "prune": [1], "ResNet-50.": [2]}}
    work.update(fields)
    return work


def test_openalex_bad_records_are_located_and_the_good_ones_read(tmp_path):
    works = [
        _work(),
        _work(id="https://openalex.org/W2", title=None, display_name=None),  # no title
        _work(id="https://openalex.org/W3", abstract_inverted_index=["We", "prune"]),  # not an index
        _work(id="https://openalex.org/W4", abstract_inverted_index={"We": [0], "prune": "1", "it.": [2]}),
        _work(id="https://openalex.org/W5", abstract_inverted_index=None),  # OpenAlex has no abstract
        _work(id="https://openalex.org/W6", doi="https://doi.org/not-a-doi"),
    ]
    path = tmp_path / "works.jsonl"
    path.write_text("".join(json.dumps(w) + "\n" for w in works), encoding="utf-8")
    papers, problems = read_all(path)
    assert [(p.record_id, p.abstract) for p in papers] == [
        ("https://openalex.org/W1", "We prune ResNet-50."),
        ("https://openalex.org/W4", "We it."),  # the bad entry left out, with a problem
        ("https://openalex.org/W6", "We prune ResNet-50."),
    ]
    found = [(p.line, p.message) for p in problems]
    assert (2, "missing title in record 'https://openalex.org/W2'; skipped") in found
    assert any(line == 3 and "abstract_inverted_index is not an object" in m for line, m in found)
    assert (3, "missing abstract in record 'https://openalex.org/W3'; skipped") in found
    assert any(line == 4 and "entry 'prune' has positions that are not a list" in m for line, m in found)
    assert (5, "missing abstract (abstract_inverted_index is null: OpenAlex has no abstract for this work) in record "
               "'https://openalex.org/W5'; skipped") in found
    assert any(line == 6 and "doi 'https://doi.org/not-a-doi' is not a DOI" in m for line, m in found)
    assert papers[2].dois == []


def test_truncated_api_page_keeps_the_records_before_the_cut(tmp_path):
    text = (FORMATS / "openalex-works-page.json").read_text(encoding="utf-8")
    cut = text.index('"id": "https://openalex.org/W4389400014"')  # inside the fourth work
    path = tmp_path / "works.json"
    path.write_text(text[:cut], encoding="utf-8")
    papers, problems = read_all(path)
    assert [p.arxiv_id for p in papers] == FIVE[:3]
    assert len(problems) >= 1 and all(p.path == str(path) and p.line > 0 for p in problems)
    assert any("truncated" in p.message or "malformed JSON" in p.message for p in problems)


def test_malformed_record_inside_a_wrapper_is_skipped_and_the_rest_read(tmp_path):
    text = (FORMATS / "arxiv-digest.json").read_text(encoding="utf-8")
    start = text.index('"title": "Age-Based Scheduling')
    broken = text[:start] + '"title": "Age-Based Scheduling" "oops",' + text[start + len('"title": "Age-Based Scheduling'):]
    path = tmp_path / "digest.json"
    path.write_text(broken, encoding="utf-8")
    papers, problems = read_all(path)
    assert [p.arxiv_id for p in papers] == [a for a in FIVE if a != "2312.00279"]
    assert len(problems) == 1 and "malformed JSON" in problems[0].message and problems[0].line == 29


# ------------------------------------------------------------------------------------- Semantic Scholar

def test_semantic_scholar_search_page(originals):
    papers, problems = read_all(FORMATS / "semantic-scholar-search.json")
    assert problems == []
    assert [p.arxiv_id for p in papers] == FIVE  # externalIds.ArXiv
    assert papers[0].record_id == json.loads((FORMATS / "semantic-scholar-search.json").read_text())["data"][0]["paperId"]
    assert papers[0].dois == ["10.48550/arxiv.2312.00273"] and papers[4].dois == [JOURNAL_DOI]
    assert papers[1].authors == originals["2312.00279"]["authors"] and papers[1].date == "2023-12-01"


def test_semantic_scholar_single_paper_batch_and_dataset():
    single, problems = read_all(FORMATS / "semantic-scholar-paper.json")
    assert problems == [] and [(p.arxiv_id, p.sources[0].line) for p in single] == [("2312.00314", 1)]
    batch, problems = read_all(FORMATS / "semantic-scholar-batch.json")
    assert [p.arxiv_id for p in batch] == ["2312.00336", "2312.00344"]
    # /paper/batch answers null for an id it does not know: a located problem, the others read.
    assert [(p.line, p.skipped) for p in problems] == [(51, True)] and "null" in problems[0].message
    dataset, problems = read_all(FORMATS / "semantic-scholar-papers-dataset.jsonl")
    assert problems == []
    assert [(p.arxiv_id, p.record_id, p.date) for p in dataset] == [
        ("2312.00314", "265506005", "2023-12-01"), ("2312.00336", "265506006", "2023-12-01"),
        ("2312.00344", "265506007", "2023-12-01")]


def test_semantic_scholar_dataset_line_without_abstract(tmp_path):
    """The "papers" dataset has no abstracts (they are in the "abstracts" dataset): without that dataset
    among the inputs, such a line is a located problem saying so, not a paper without text (the join
    is tested in test_readers_s2_datasets.py)."""
    line = json.loads((FORMATS / "semantic-scholar-papers-dataset.jsonl").read_text().splitlines()[0])
    del line["abstract"]
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    papers, problems = read_all(path)
    assert papers == [] and [(p.line, p.message) for p in problems] == [(1, (
        "missing abstract in record corpusid 265506005; skipped (a record of Semantic Scholar's papers dataset: "
        "give its abstracts dataset files too, they are joined on corpusid)"))]


# ----------------------------------------------------------------------------------- CSL-JSON (Zotero)

def test_zotero_csl_json(originals):
    papers, problems = read_all(FORMATS / "zotero-csl.json")
    assert problems == []
    assert [p.arxiv_id for p in papers] == ["2312.00273", "2312.00279", "2312.00306", None, None]
    assert papers[0].authors == originals["2312.00273"]["authors"]  # {given, family}
    assert [p.date for p in papers] == ["2023-12-01", "2023-12-01", "2023-12-01", "2024-11", "2022"]
    assert papers[4].dois == [JOURNAL_DOI] and papers[4].url == "https://ieeexplore.ieee.org/document/9677982"
    assert papers[0].record_id.startswith("http://zotero.org/users/local/")


def test_csl_literal_names_and_odd_dates(tmp_path):
    items = [
        {"id": "a", "type": "report", "title": "Gemini: A Family of Highly Capable Multimodal Models",
         "abstract": "This report introduces a new family of multimodal models.",
         "author": [{"literal": "Gemini Team"}, {"family": "Anil", "given": "Rohan"},
                    {"family": "Gogh", "given": "Vincent", "non-dropping-particle": "van"}],
         "issued": {"raw": "December 2023"}, "DOI": "HTTPS://DOI.ORG/10.48550/ARXIV.2312.11805"},
        {"id": "b", "type": "article", "title": "No date", "abstract": "Text.", "issued": {"date-parts": [[]]}},
    ]
    path = tmp_path / "library.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    papers, problems = read_all(path)
    assert problems == []
    assert papers[0].authors == ["Gemini Team", "Rohan Anil", "Vincent van Gogh"]
    # A raw "December 2023" is read as ISO, as the other readers give dates; an unreadable raw stays text.
    assert (papers[0].date, papers[0].dois, papers[0].arxiv_id) == ("2023-12", ["10.48550/arxiv.2312.11805"],
                                                                    "2312.11805")
    assert papers[1].date is None


def test_csl_keywords_are_categories_split_on_commas_not_spaces(tmp_path):
    items = [
        {"id": "a", "type": "article", "title": "Tagged", "abstract": "Text.",
         "keyword": "long-tailed recognition, mixture of experts; MoE"},
        {"id": "b", "type": "article", "title": "Tags as a list", "abstract": "Text.", "keyword": ["graph neural networks", " "]},
        {"id": "c", "type": "article", "title": "Odd tags", "abstract": "Text.", "keyword": 7},
    ]
    path = tmp_path / "library.json"
    path.write_text(json.dumps(items, indent=1), encoding="utf-8")
    papers, problems = read_all(path)
    assert [p.categories for p in papers] == [["long-tailed recognition", "mixture of experts", "MoE"],
                                              ["graph neural networks"], []]
    assert len(problems) == 1 and "keyword is" in problems[0].message and "field ignored" in problems[0].message


# ------------------------------------------------------------------------ one paper from many sources

@pytest.fixture(scope="module")
def five_sources():
    paths = [FORMATS / name for name in ("arxiv-digest.json", "openalex-works-page.json",
                                         "semantic-scholar-search.json", "zotero-csl.json")]
    g, report = build_graph(paths, use_ner=False, related_k=0)
    return paths, g, report


def test_same_five_papers_from_four_formats_build_into_five(five_sources):
    paths, g, report = five_sources
    assert report.records == 20 and report.papers == 5 and report.duplicates_merged == 15
    papers = {d["arxiv_id"]: d for _, d in g.nodes(data=True) if d.get("kind") == "Paper"}
    assert sorted(papers) == FIVE
    for arxiv_id, attrs in papers.items():
        # Every source is in the provenance: one record of each file.
        assert sorted(s.rsplit(":", 1)[0] for s in attrs["sources"]) == sorted(map(str, paths)), arxiv_id
        assert attrs["categories"]  # the digest's arXiv categories are kept
        assert attrs["date"] == "2023-12-01"  # the first source's date (the digest)
    # The journal DOI joined 2312.00342: Zotero's record has it and no arXiv id, OpenAlex's too.
    assert papers["2312.00342"]["dois"] == [JOURNAL_DOI]
    # The conference version in Zotero has no identifier: merged by title and abstract.
    assert papers["2312.00326"]["dois"] == ["10.48550/arxiv.2312.00326"]


def test_dois_and_arxiv_ids_in_the_rdf_validate(five_sources):
    _, g, _ = five_sources
    rdf = to_rdf(g)
    s = node_iri("paper/arxiv-2312.00342")
    assert set(rdf.objects(s, BIBO.doi)) == {rdflib.Literal(JOURNAL_DOI)}
    assert set(rdf.objects(s, FABIO.hasArXivId)) == {rdflib.Literal("2312.00342")}
    assert len(set(rdf.objects(s, DCTERMS.source))) == 4
    report = validate(rdf)
    assert report.conforms, [str(v) for v in report.violations]


def test_doi_shape_refuses_an_unnormalised_doi(five_sources):
    _, g, _ = five_sources
    rdf = to_rdf(g)
    rdf.add((node_iri("paper/arxiv-2312.00342"), BIBO.doi, rdflib.Literal("https://doi.org/10.1109/LRA.2022.3141829")))
    report = validate(rdf)
    assert not report.conforms and any(v.path == "bibo:doi" for v in report.violations)


def test_dedupe_by_doi_but_never_across_arxiv_ids():
    a = Paper("t-1", "BERT", "Pre-training.", dois=["10.18653/v1/n19-1423"])
    b = Paper("t-2", "BERT: Pre-training of Deep Bidirectional Transformers", "We introduce BERT.",
              dois=["10.18653/v1/n19-1423"])
    unique, merged = deduplicate([a, b])
    assert (len(unique), merged) == (1, 1)
    c = Paper("arxiv-1810.04805", "BERT", "x", arxiv_id="1810.04805", dois=["10.1/shared"])
    d = Paper("arxiv-1810.04806", "Other", "y", arxiv_id="1810.04806", dois=["10.1/shared"])
    assert len(deduplicate([c, d])[0]) == 2
    # A record with a DOI joins two kept papers: one by its arXiv id, the other by the DOI.
    e = Paper("t-3", "Journal title", "z", dois=["10.9/j"])
    f = Paper("arxiv-2312.00342", "Preprint title", "w", arxiv_id="2312.00342")
    h = Paper("arxiv-2312.00342", "Preprint title", "w", arxiv_id="2312.00342", dois=["10.9/j"])
    unique, _ = deduplicate([e, f, h])
    assert [(p.arxiv_id, p.dois) for p in unique] == [("2312.00342", ["10.9/j"])]


# ------------------------------------------------------------------ the arXiv digest in ../shared

def test_kg_build_reads_the_112_digest_papers_with_categories_and_dates(tmp_path):
    if not DIGEST_112.is_file():
        pytest.skip(f"needs ../shared beside the repository ({DIGEST_112} not found)")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "kg", "build", str(DIGEST_112), "--output", str(out),
                          "--no-ner", "--no-html"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rdf = rdflib.Graph().parse(out / "kg.nt", format="nt")
    papers = set(rdf.subjects(rdflib.RDF.type, KG.Paper))
    assert len(papers) == 112
    digest = json.loads(DIGEST_112.read_text(encoding="utf-8"))["papers"]
    for rec in digest:
        s = node_iri("paper/arxiv-" + rec["arxiv_id"].split("v")[0])
        assert s in papers, rec["arxiv_id"]
        assert {str(o) for o in rdf.objects(s, KG.category)} == set(rec["categories"])
        assert [str(o) for o in rdf.objects(s, KG.listingDate)] == [rec["published"]]
    assert not (out / "problems.log").exists()


# --- variants as other tools write them (tests/data/variants/; see test_readers_more_formats.py) ------------

VARIANTS = Path(__file__).resolve().parent / "data" / "variants"
SPARSE = "Sparse Mixture-of-Experts for Long-Tailed Recognition"
SPEECH = "Contrastive Pretraining for Speech Recognition in Noisy Rooms"


def test_csl_dates_as_date_parts_raw_and_literal_and_a_bad_item():
    path = VARIANTS / "zotero-dates.json"
    papers, problems = read_all(path)
    assert [(p.title, p.date) for p in papers] == [
        (SPARSE, "2024-05"),                  # {"date-parts": [[2024, 5]]}
        (SPEECH, "2023-08"),                  # {"raw": "Aug. 2023"}
        ("A report with a season", "Spring 2021")]  # a literal that is no calendar date stays as written
    assert papers[0].dois == ["10.1016/j.patcog.2024.110001"] and papers[1].arxiv_id == "2305.01234"
    assert [(p.path, p.line, p.message) for p in problems] == [
        (str(path), 43, "title is a list, not text, in record 'http://zotero.org/users/1/items/AAA4'; skipped")]


def test_openalex_page_with_a_null_abstract_and_url_dois(tmp_path):
    path = VARIANTS / "openalex-page.json"
    papers, problems = read_all(path)
    assert [(p.title, p.record_id, p.dois) for p in papers] == [
        (SPARSE, "https://openalex.org/W400000001", ["10.1016/j.patcog.2024.110001"]),  # ids.doi a doi.org URL
        (SPEECH, "https://openalex.org/W400000003", ["10.48550/arxiv.2305.01234"])]
    assert papers[1].arxiv_id == "2305.01234" and papers[0].abstract == "We propose a sparse mixture-of-experts classifier."
    assert [(p.path, p.line, p.message) for p in problems] == [
        (str(path), 51, "missing abstract (abstract_inverted_index is null: OpenAlex has no abstract for this "
                        "work) in record 'https://openalex.org/W400000002'; skipped")]
    # The same works as a snapshot part (works/updated_date=.../part_000.gz holds JSON Lines), a bad line among them.
    import gzip

    works = json.loads(path.read_text(encoding="utf-8"))["results"]
    lines = [json.dumps(w) for w in works]
    lines.insert(1, '{"id": "https://openalex.org/W9", "title": "cut off')
    snapshot = tmp_path / "part_000.jsonl.gz"
    snapshot.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    papers, problems = read_all(snapshot)
    assert [(p.title, p.sources[0].line) for p in papers] == [(SPARSE, 1), (SPEECH, 4)]
    assert [(p.line, p.message.split(" (")[0]) for p in problems] == [(2, "malformed JSON"), (3, "missing abstract")]
    assert all(p.path == str(snapshot) for p in problems)


def test_semantic_scholar_citations_page_null_arxiv_and_abstract():
    path = VARIANTS / "semantic-scholar-citations.json"
    papers, problems = read_all(path)
    assert [(p.title, p.arxiv_id, p.dois, p.record_id) for p in papers] == [
        (SPARSE, None, ["10.1016/j.patcog.2024.110001"], "a" * 40),  # "ArXiv": null is no arXiv id
        (SPEECH, "2305.01234", [], "c" * 40)]
    assert [(p.path, p.line, p.message) for p in problems] == [
        (str(path), 32, f"missing abstract (abstract is null) in record '{'b' * 40}'; skipped")]


def test_semantic_scholar_batch_nulls_and_search_wrapper(tmp_path):
    paper = {"paperId": "p1", "externalIds": {"ArXiv": None, "DOI": None}, "title": SPARSE, "abstract": "We propose it."}
    batch = tmp_path / "batch.json"  # POST /paper/batch answers a list, null where an id found no paper
    batch.write_text(json.dumps([None, paper, {"paperId": "p2", "title": "No abstract", "abstract": None}, None]))
    papers, problems = read_all(batch)
    assert [p.title for p in papers] == [SPARSE] and papers[0].arxiv_id is None
    assert len(problems) == 3 and {p.path for p in problems} == {str(batch)}
    assert sum("null in place of a record" in p.message for p in problems) == 2
    search = tmp_path / "search.json"  # GET /paper/search: {total, offset, next, data}
    search.write_text(json.dumps({"total": 120, "offset": 0, "next": 10, "data": [paper]}, indent=2))
    papers, problems = read_all(search)
    assert problems == [] and [p.title for p in papers] == [SPARSE]


def test_json_array_and_json_lines_with_bom_and_crlf(tmp_path):
    records = [{"id": "r1", "title": SPARSE, "abstract": "A."}, {"id": "r2", "title": "T", "abstract": 42},
               {"id": "r3", "title": SPEECH, "abstract": "C."}]
    array = tmp_path / "export.json"
    array.write_bytes(("\ufeff" + json.dumps(records, indent=2).replace("\n", "\r\n")).encode())
    lines = tmp_path / "export.jsonl"
    lines.write_bytes(("\ufeff" + "".join(json.dumps(r) + "\r\n" for r in records)).encode())
    for path in (array, lines):
        papers, problems = read_all(path)
        assert [p.record_id for p in papers] == ["r1", "r3"], path
        assert [(p.path, p.message.split(";")[0]) for p in problems] == [
            (str(path), "abstract is a number (42), not text, in record 'r2'")]
