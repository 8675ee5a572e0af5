"""RIS, PubMed XML, CSV / TSV and compressed inputs (kg.readers.ris, .pubmed, .tabular, .compressed).

Fixtures in tests/data/formats/ are written from each format's documentation (RIS spec as Zotero
exports it, the NLM PubMed DTD as efetch returns it, RFC 4180 CSV as Zotero exports it) with real papers
of ../shared/corpus/arxiv-recent (CC0).
"""
from __future__ import annotations

import bz2
import gzip
import lzma
import shutil
import zipfile
from pathlib import Path

import pytest

from kg.dedupe import deduplicate
from kg.readers import detect_format, read, read_file

FORMATS = Path(__file__).resolve().parent / "data" / "formats"
RIS, PUBMED, CSV, TSV = (FORMATS / n for n in ("zotero-export.ris", "efetch-pubmed.xml", "zotero-export.csv",
                                               "papers-sheet.tsv"))
MARK = "Mark My Words: Analyzing and Evaluating Language Model Watermarks"


def _read(path, fmt=None):
    problems = []
    papers = list(read_file(path, fmt, problems))
    return papers, problems


# --- RIS -------------------------------------------------------------------------------------------------

def test_ris_zotero_export():
    papers, problems = _read(RIS)
    assert problems == []
    assert [p.sources[0].line for p in papers] == [1, 16, 35]
    first = papers[0]
    assert first.title == MARK and first.arxiv_id == "2312.00273"
    assert first.authors[:2] == ["Julien Piet", "Chawin Sitawarin"]  # "Last, First" reordered
    assert first.date == "2023-12-01" and first.sources[0].format == "ris"
    # The EndNote-style wrapped abstract: continuation lines joined with a space, nothing lost.
    assert papers[1].abstract.startswith("With the rapid development of Mobile Edge Computing")
    assert "\r" not in papers[1].abstract and "  " not in papers[1].abstract
    assert papers[1].abstract.endswith("baseline algorithms.") or len(papers[1].abstract) > 1300
    assert papers[2].arxiv_id is None  # no arXiv URL or DOI in that record


def test_ris_arxiv_id_from_doi_and_bom(tmp_path):
    path = tmp_path / "mendeley.txt"  # .txt sniffed as RIS, not as a listing
    path.write_bytes(b"\xef\xbb\xbfTY  - JOUR\nT1  - A title\nA1  - Doe, Jane\nN2  - An abstract.\n"
                     b"DO  - 10.48550/arXiv.2312.00326\nY1  - 2023///\nER  -\n")
    assert detect_format(path) == "ris"
    papers, problems = _read(path)
    assert problems == []
    assert (papers[0].title, papers[0].arxiv_id, papers[0].authors, papers[0].date) == (
        "A title", "2312.00326", ["Jane Doe"], "2023")


def test_ris_malformed_records_are_located(tmp_path):
    text = RIS.read_bytes().decode()
    # drop the first record's ER (the next TY closes it) and the last one's (the end of the file does)
    lines = text.split("\r\n")
    first_er = lines.index("ER  - ")
    del lines[first_er]
    broken = "\r\n".join(lines).rstrip().removesuffix("ER  -").rstrip() + "\r\n"
    broken += "TY  - JOUR\r\nAB  - An abstract without a title.\r\nER  - \r\n"
    path = tmp_path / "broken.ris"
    path.write_text(broken, newline="")
    papers, problems = _read(path)
    assert [p.title[:8] for p in papers] == ["Mark My ", "Age-Base", "RadioGal"]
    msgs = {(p.line, p.message.split(";")[0]) for p in problems}
    assert (1, "RIS record not closed by 'ER  - ' before line 15") in msgs
    assert any(line == 34 and m.startswith("RIS record not closed") for line, m in msgs)
    assert any(m.startswith("missing title") for _, m in msgs)


# --- PubMed ----------------------------------------------------------------------------------------------

def test_pubmed_efetch():
    papers, problems = _read(PUBMED)
    assert problems == []
    assert [p.record_id for p in papers] == ["38045001", "38045002", "38045003", "38045004"]
    first = papers[0]
    assert first.title == MARK and first.arxiv_id == "2312.00273"  # from ArticleId IdType="doi"
    assert first.authors[0] == "Julien Piet" and first.date == "2023-12-01"
    assert first.url == "https://pubmed.ncbi.nlm.nih.gov/38045001/"
    structured = papers[1].abstract.split("\n")
    assert structured[0].startswith("BACKGROUND: With the rapid") and structured[1].startswith("RESULTS: ")
    assert papers[2].title.startswith("RadioGalaxyNET: Dataset")  # <i>RadioGalaxyNET</i> kept as text
    assert papers[2].arxiv_id is None  # the references' ArticleIds are not the article's


def _pubmed(articles: str) -> bytes:
    return ('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January '
            '2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n'
            f'{articles}</PubmedArticleSet>\n').encode()


def test_pubmed_missing_title_medline_date_collective_name(tmp_path):
    path = tmp_path / "pubmed25n0001.xml"
    path.write_bytes(_pubmed(
        "<PubmedArticle><MedlineCitation><PMID>1</PMID><Article><Journal><JournalIssue><PubDate>"
        "<Year>1999</Year></PubDate></JournalIssue></Journal><Abstract><AbstractText>No title here."
        "</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>\n"
        "<PubmedArticle><MedlineCitation><PMID>2</PMID><Article><Journal><JournalIssue><PubDate>"
        "<MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate></JournalIssue></Journal>"
        "<ArticleTitle>Growth of 10<sup>6</sup> cells in <i>vitro</i>.</ArticleTitle><Abstract>"
        "<AbstractText Label=\"OBJECTIVE\">To grow <b>cells</b>.</AbstractText></Abstract><AuthorList>"
        "<Author><CollectiveName>The Cell Consortium</CollectiveName></Author></AuthorList></Article>"
        "</MedlineCitation></PubmedArticle>\n"))
    assert detect_format(path) == "pubmed"
    papers, problems = _read(path)
    assert [str(p) for p in problems] == [f"{path}:4: missing title (ArticleTitle) in PubMed article PMID 1; skipped"]
    (p,) = papers
    assert (p.title, p.abstract, p.authors, p.date) == (
        "Growth of 106 cells in vitro.", "OBJECTIVE: To grow cells.", ["The Cell Consortium"], "1998")


def test_pubmed_refuses_entities_and_reports_broken_xml(tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(b'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [<!ENTITY a "aaaaaaaaaa">]>\n'
                     b"<PubmedArticleSet><PubmedArticle>&a;</PubmedArticle></PubmedArticleSet>\n")
    papers, problems = _read(bomb, "pubmed")
    assert papers == [] and "entity declarations are not allowed" in problems[0].message
    cut = tmp_path / "cut.xml"
    cut.write_bytes(PUBMED.read_bytes()[:PUBMED.read_bytes().index(b"<PubmedArticle>", 2000) + 300])
    papers, problems = _read(cut)
    assert len(papers) == 1 and problems[0].message.startswith("malformed XML")


# --- CSV / TSV -------------------------------------------------------------------------------------------

def test_csv_zotero_export():
    papers, problems = _read(CSV)
    assert problems == []
    assert [p.sources[0].line for p in papers] == [2, 3, 4]
    first = papers[0]
    assert first.title == MARK and first.arxiv_id == "2312.00273" and first.record_id == "QW3E9RTY"
    assert first.authors[:2] == ["Julien Piet", "Chawin Sitawarin"] and first.date == "2023-12-01"
    assert papers[1].arxiv_id == "2312.00279"  # from the DOI column
    assert "\n" in papers[2].abstract  # the quoted line break is kept


def test_tsv_any_column_order():
    papers, problems = _read(TSV)
    assert problems == [] and papers[0].arxiv_id == "2312.00314" and papers[0].date == "2023"


def test_csv_bad_rows_name_their_line(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_bytes(
        b'TITLE,Summary,Year\r\n'
        b'"A first paper","An abstract\r\nover two lines",2021\r\n'
        b'"Too few columns","no year"\r\n'
        b'"A third paper","Fine, with a comma",2022\r\n'
        b'"No abstract","",2022\r\n'
        b'"Bad byte \xff","x",2022\r\n')
    papers, problems = _read(path)
    assert [p.title for p in papers] == ["A first paper", "A third paper"]
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (4, "row has 2 fields, the header has 3"),
        (6, "missing abstract in record without id"),
        (7, problems[2].message.split(";")[0]),
    ]
    assert problems[2].message.startswith("not valid UTF-8")


def test_csv_without_title_column(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("name,abstract\nfoo,bar\n")
    papers, problems = _read(path)
    assert papers == [] and problems[0].line == 1 and "no title column" in problems[0].message


# --- compressed ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix,opener", [(".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)])
def test_compressed_inner_extension_decides(tmp_path, suffix, opener):
    path = tmp_path / f"zotero.ris{suffix}"
    with opener(path, "wb") as fh:
        fh.write(RIS.read_bytes())
    assert detect_format(path) == "ris"
    papers, problems = _read(path)
    assert problems == [] and len(papers) == 3
    assert papers[0].sources[0].path == str(path) and papers[0].sources[0].line == 1


def test_truncated_gz_is_one_problem_and_keeps_what_came_before(tmp_path):
    lines = "".join(f'{{"id": "x{i}", "title": "Paper number {i} on graphs", "abstract": "Abstract {i}."}}\n'
                    for i in range(2000)).encode()
    whole = gzip.compress(lines)
    path = tmp_path / "papers.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    papers, problems = _read(path)
    assert 0 < len(papers) < 2000 and papers[0].sources[0].path == str(path)
    corrupt = [p for p in problems if "corrupt gzip" in p.message]
    assert len(corrupt) == 1 and corrupt[0].path == str(path) and "truncated" in corrupt[0].message


def test_decompression_bomb_is_stopped_at_the_cap_and_keeps_the_records_before(tmp_path, monkeypatch):
    from kg.readers import compressed

    monkeypatch.setattr(compressed, "MIN_CAP", 1 << 20)  # the ratio cap, not the 256 MiB floor, is tested
    lines = "".join(f'{{"id": "x{i}", "title": "Paper number {i} on graphs", "abstract": "Abstract {i}."}}\n'
                    for i in range(200)).encode()
    body = lines + b"\n" * (64 << 20)  # 64 MiB of blank lines: about 1,000x smaller compressed
    gz = tmp_path / "bomb.jsonl.gz"
    gz.write_bytes(gzip.compress(body, compresslevel=9))
    zipped = tmp_path / "bomb.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("inner.jsonl", body)
    for path, label in ((gz, str(gz)), (zipped, f"{zipped}:inner.jsonl")):
        papers, problems = _read(path)
        assert len(papers) == 200
        bomb = [p for p in problems if "decompression bomb" in p.message]
        assert len(bomb) == 1 and bomb[0].path == label, problems
        assert "over 100x its compressed size" in bomb[0].message


def test_sniffing_sees_the_decompressed_bytes(tmp_path):
    utf16 = tmp_path / "papers.jsonl.gz"
    utf16.write_bytes(gzip.compress('{"title": "t", "abstract": "a"}\n'.encode("utf-16")))
    papers, problems = _read(utf16)
    assert papers == [] and "UTF-16" in problems[0].message and problems[0].path == str(utf16)
    xml = tmp_path / "records.xml.gz"
    xml.write_bytes(gzip.compress(PUBMED.read_bytes()))
    assert detect_format(xml) == "pubmed"
    assert len(_read(xml)[0]) == 4
    not_gzip = tmp_path / "fake.csv.gz"
    not_gzip.write_text("title,abstract\na,b\n")
    papers, problems = _read(not_gzip)
    assert papers == [] and len(problems) == 1 and "corrupt gzip" in problems[0].message


def test_zip_members_each_read_and_named(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(RIS, "library/zotero-export.ris")
        z.write(CSV, "zotero-export.csv")
        z.writestr("notes.md", "not an input")
        z.writestr("__MACOSX/._zotero-export.csv", b"\0\x05\x16\x07")
        z.writestr("broken.jsonl", '{"title": "A", "abstract": "B"}\nnot json\n')
    problems = []
    papers = list(read([tmp_path], problems))
    assert len(papers) == 3 + 3 + 1
    assert {p.sources[0].path for p in papers} == {
        f"{path}:library/zotero-export.ris", f"{path}:zotero-export.csv", f"{path}:broken.jsonl"}
    assert [(p.path, p.line) for p in problems] == [(f"{path}:broken.jsonl", 2)]
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    papers, problems = _read(bad)
    assert papers == [] and len(problems) == 1 and problems[0].path == str(bad)


# --- the same papers in three formats are one paper each ----------------------------------------------------

def test_same_papers_as_ris_csv_and_pubmed_build_once(tmp_path):
    for f in (RIS, CSV, PUBMED):
        shutil.copy(f, tmp_path / f.name)
    problems = []
    unique, merged = deduplicate(read([tmp_path], problems))
    assert problems == []
    assert merged == 6  # 3 + 3 + 4 records, 4 papers
    assert sorted(p.title[:12] for p in unique) == ["A bilevel op", "Age-Based Sc", "Mark My Word", "RadioGalaxyN"]
    by_title = {p.title[:12]: p for p in unique}
    assert {s.format for s in by_title["RadioGalaxyN"].sources} == {"ris", "csv", "pubmed"}  # by title, no id
    assert by_title["Mark My Word"].arxiv_id == "2312.00273"


def test_ris_and_pubmed_dois_are_kept_normalised():
    from kg.readers import read

    for name in ("zotero-export.ris", "efetch-pubmed.xml"):
        papers = list(read([FORMATS / name], []))
        assert papers and all(d == d.lower() and not d.startswith("http") for p in papers for d in p.dois), name
        assert any(p.dois for p in papers), name
