"""RIS, PubMed XML, CSV / TSV and compressed inputs (kg.readers.ris, .pubmed, .tabular, .compressed).

Fixtures in tests/data/formats/ are written from each format's documentation (RIS spec as Zotero
exports it, the NLM PubMed DTD as efetch returns it, RFC 4180 CSV as Zotero exports it) with real papers
of ../shared/corpus/arxiv-recent (CC0).
"""
from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from kg.dedupe import deduplicate
from kg.readers import detect_format, read, read_file

FORMATS = Path(__file__).resolve().parent / "data" / "formats"
SHARED_FORMATS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "formats"
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


MARK_SUBJECTS = ["Benchmarking", "Computer Security", "Computer Security/methods", "Computer Security/standards",
                 "Humans", "Natural Language Processing", "watermarking", "large language models", "benchmark"]


def test_pubmed_mesh_headings_and_keywords_are_categories():
    papers, problems = _read(PUBMED)
    assert problems == []
    assert papers[0].categories == MARK_SUBJECTS  # MeSH descriptors (and Descriptor/qualifier), then keywords
    assert papers[1].categories == ["Age of Information", "mobile edge computing", "deep reinforcement learning"]
    assert papers[2].categories == papers[3].categories == []


def test_pubmed_subjects_reach_the_rdf():
    import rdflib

    from kg.graph import assemble, paper_key
    from kg.rdf import KG, from_rdf, node_iri, to_rdf

    papers, _ = _read(PUBMED)
    rdf = to_rdf(assemble(papers, {}, [], related_k=0))
    subjects = {str(o) for o in rdf.objects(node_iri(paper_key(papers[0].id)), KG.category)}
    assert subjects == set(MARK_SUBJECTS)
    assert all(isinstance(o, rdflib.Literal) and o.datatype in (None, rdflib.XSD.string)
               for o in rdf.objects(None, KG.category))
    asked = rdf.query('SELECT ?t WHERE { ?p kg:category "Natural Language Processing" ; dcterms:title ?t }',
                      initNs={"kg": KG, "dcterms": rdflib.namespace.DCTERMS})
    assert [str(row.t) for row in asked] == [MARK]
    back = from_rdf(rdf).nodes[paper_key(papers[1].id)]
    assert back["categories"] == sorted(papers[1].categories)


def test_pubmed_odd_mesh_and_keyword_markup(tmp_path):
    path = tmp_path / "odd.xml"
    path.write_bytes(_pubmed(
        "<PubmedArticle><MedlineCitation><PMID>7</PMID><Article><ArticleTitle>T</ArticleTitle><Abstract>"
        "<AbstractText>A.</AbstractText></Abstract></Article><MeshHeadingList>"
        "<MeshHeading><DescriptorName UI=\"D009369\">Neoplasms</DescriptorName>"
        "<QualifierName UI=\"Q000188\">drug therapy</QualifierName></MeshHeading>"
        "<MeshHeading><QualifierName UI=\"Q000379\">methods</QualifierName></MeshHeading>"  # no descriptor
        "<MeshHeading><DescriptorName UI=\"D006801\">Humans</DescriptorName></MeshHeading></MeshHeadingList>"
        "<KeywordList Owner=\"NOTNLM\"><Keyword><i>In vitro</i> growth</Keyword><Keyword> </Keyword>"
        "<Keyword>Humans</Keyword></KeywordList></MedlineCitation></PubmedArticle>\n"))
    (p,), problems = _read(path)
    assert problems == []
    assert p.categories == ["Neoplasms", "Neoplasms/drug therapy", "Humans", "In vitro growth"]


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
        "Growth of 10^6 cells in vitro.", "OBJECTIVE: To grow cells.", ["The Cell Consortium"], "1998")


def test_pubmed_superscripts_exponents_marked_the_rest_as_written(tmp_path):
    path = tmp_path / "pubmed25n0002.xml"
    path.write_bytes(_pubmed(
        "<PubmedArticle><MedlineCitation><PMID>3</PMID><Article><ArticleTitle>Superscripts</ArticleTitle>"
        "<Abstract><AbstractText>We imaged CD4<sup>+</sup> and CD8<sup>+</sup> T cells with [<sup>18</sup>F]FDG"
        " and 1-<sup>13</sup>C-glucose; Ca<sup>2+</sup> flux rose 10<sup>6</sup>-fold at p = 10<sup>\u22123</sup>,"
        " as reported<sup>12</sup>.</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>\n"))
    papers, problems = _read(path)
    assert problems == [] and papers[0].abstract == (
        "We imaged CD4+ and CD8+ T cells with [18F]FDG and 1-13C-glucose; Ca2+ flux rose 10^6-fold at"
        " p = 10^\u22123, as reported12.")


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
    tarred = tmp_path / "bomb.tar.gz"
    with tarfile.open(tarred, "w:gz", compresslevel=9) as t:
        _add(t, "inner.jsonl", body)
    for path, label in ((gz, str(gz)), (zipped, f"{zipped}:inner.jsonl"), (tarred, f"{tarred}:inner.jsonl")):
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


def _add(archive: tarfile.TarFile, name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE,
         link: str = "") -> None:
    """Add a member as hostile archives write them: the name exactly as given (tarfile.add would strip a
    leading "/"), any type."""
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data)
    archive.addfile(info, io.BytesIO(data) if data else None)


def _read_watching_temp(path: Path, root: Path, monkeypatch) -> tuple[list, list]:
    """_read(path) with the system temp folder moved to root/a/b/tmp, so that the reader's kg-archive-*
    folder, and wherever a member name with ../ would land from it, are inside `root`. While the reader
    holds each paper (its temp folder alive), every file under `root` must be the archive itself or in
    kg-archive-*; after it, the temp folder must be empty."""
    import tempfile

    temp = root / "a" / "b" / "tmp"
    temp.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    papers, problems = [], []
    for paper in read_file(path, None, problems):
        papers.append(paper)
        files = [f for f in root.rglob("*") if f.is_file()]
        own = lambda f: f.parent.parent == temp and f.parent.name.startswith("kg-archive-")  # noqa: E731
        stray = [f for f in files if f != path and not own(f)]
        assert stray == [], stray  # nothing written outside the reader's own temp folder
        assert any(f.parent.parent == temp for f in files)  # the member being read is where it should be
    assert list(temp.iterdir()) == []
    return papers, problems


def _as_read(papers, problems, prefix: str):
    """What was read, with each source and problem path less `prefix` (the folder, or "archive:")."""
    cut = lambda path: path[len(prefix):] if path.startswith(prefix) else path  # noqa: E731
    return ([(p.title, p.abstract, p.authors, p.date, p.arxiv_id, p.categories, p.dois, p.record_id,
              [(cut(s.path), s.line, s.format) for s in p.sources]) for p in papers],
            [(cut(p.path), p.line, p.message) for p in problems])


@pytest.mark.parametrize("suffix,mode", [(".tar", "w"), (".tgz", "w:gz"), (".tar.gz", "w:gz"),
                                         (".tar.bz2", "w:bz2"), (".tar.xz", "w:xz")])
def test_tar_members_read_as_the_files_themselves(tmp_path, suffix, mode):
    files = sorted(FORMATS.iterdir())
    path = tmp_path / f"formats{suffix}"
    with tarfile.open(path, mode) as t:
        t.add(FORMATS, "formats", recursive=False)  # a folder entry, as tar writes one
        for f in files:
            t.add(f, f"formats/{f.name}")
        _add(t, "formats/._zotero-export.csv", b"\0\x05\x16\x07")  # AppleDouble and macOS forks: skipped
        _add(t, "__MACOSX/formats/._efetch-pubmed.xml", b"\0\x05\x16\x07")
        _add(t, "formats/README.md", b"not an input")
    direct_problems, tar_problems = [], []
    direct = list(read([FORMATS], direct_problems))
    tarred = list(read([tmp_path], tar_problems))
    assert len(tarred) == len(direct) == 40 and len({p.title for p in tarred}) == 9  # 9 papers, many formats
    assert _as_read(tarred, tar_problems, f"{path}:formats/") == _as_read(direct, direct_problems, f"{FORMATS}/")
    assert detect_format(path) is None  # each member has its own format


def test_shared_arxiv_digest_in_a_tar_reads_as_the_file(tmp_path):
    digest = SHARED_FORMATS / "arxiv-daily-2025-12-16.json"
    if not digest.is_file():
        pytest.skip(f"needs ../shared beside the repository ({digest} not found)")
    archive = tmp_path / "daily.tar.xz"
    with tarfile.open(archive, "w:xz") as t:
        t.add(digest, f"./daily/{digest.name}")  # tar -C dir . writes "./" before every name
    papers, problems = _read(archive)
    direct, direct_problems = _read(digest)
    assert problems == direct_problems == [] and len(papers) == len(direct) == 112
    assert [p.title for p in papers] == [p.title for p in direct]
    assert {s.path for p in papers for s in p.sources} == {f"{archive}:daily/{digest.name}"}


def test_bad_tar_members_are_located_and_the_others_still_read(tmp_path):
    path = tmp_path / "mixed.tar.gz"
    with tarfile.open(path, "w:gz") as t:
        t.add(RIS, "zotero-export.ris")
        _add(t, "broken.jsonl", b'{"title": "A", "abstract": "B"}\nnot json\n')
        _add(t, "utf16.jsonl", '{"title": "t", "abstract": "a"}\n'.encode("utf-16"))
        t.add(CSV, "zotero-export.csv")
    papers, problems = _read(path)
    assert [p.title for p in papers] == [p.title for p in _read(RIS)[0]] + ["A"] + [p.title for p in _read(CSV)[0]]
    assert [(p.path, p.line) for p in problems] == [(f"{path}:broken.jsonl", 2), (f"{path}:utf16.jsonl", 0)]
    assert "UTF-16" in problems[1].message

    cut = tmp_path / "cut.tar.gz"  # the stream ends inside the CSV member: what came before is kept
    whole = path.read_bytes()
    cut.write_bytes(whole[: len(whole) - 200])
    papers, problems = _read(cut)
    assert [p.title for p in papers][:4] == [p.title for p in _read(RIS)[0]] + ["A"]
    assert [p.path for p in problems][-1] == f"{cut}:zotero-export.csv" and "truncated" in problems[-1].message

    plain = tmp_path / "plain.tar"  # a damaged header: tarfile would end there silently
    with tarfile.open(plain, "w") as t:
        t.add(RIS, "zotero-export.ris")
        t.add(CSV, "zotero-export.csv")
        t.add(TSV, "papers-sheet.tsv")
    data = bytearray(plain.read_bytes())
    with tarfile.open(plain) as t:
        (_, csv), (tsv_at, _) = ((m.offset, m.offset_data) for m in t.getmembers()[1:])
    data[tsv_at:tsv_at + 100] = b"x" * 100
    plain.write_bytes(data)
    papers, problems = _read(plain)
    assert len(papers) == 6 and [(p.path, p.line) for p in problems] == [(str(plain), 0)]
    assert f"no readable member header at byte {tsv_at}" in problems[0].message
    plain.write_bytes(data[:csv + 700])  # the archive ends inside the CSV member's data
    papers, problems = _read(plain)
    assert len(papers) == 3 and [(p.path, p.line) for p in problems] == [(f"{plain}:zotero-export.csv", 0)]
    assert "truncated (the archive ends inside the member)" in problems[0].message

    for name, data in (("not-a-tar.tar", b"title,abstract\na,b\n" * 40), ("empty.tar", b"")):
        bad = tmp_path / name
        bad.write_bytes(data)
        papers, problems = _read(bad)
        assert papers == [] and [(p.path, "corrupt tar file" in p.message) for p in problems] == [(str(bad), True)]
    only_notes = tmp_path / "notes.tar"
    with tarfile.open(only_notes, "w") as t:
        _add(t, "notes.md", b"no papers")
    assert [p.message.split(" (")[0] for p in _read(only_notes)[1]] == ["tar file holds no input file"]


def test_tar_links_and_escaping_paths_are_refused_never_extracted(tmp_path, monkeypatch):
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "hostile.tar"
    record = b'{"title": "Escaped", "abstract": "Written outside."}\n'
    with tarfile.open(path, "w") as t:
        _add(t, "../../escape.jsonl", record)
        _add(t, "/tmp/kg-absolute-escape.jsonl", record)
        _add(t, "ok/../../../climb.jsonl", record)
        _add(t, "link.jsonl", kind=tarfile.SYMTYPE, link="/etc/passwd")
        _add(t, "hard.jsonl", kind=tarfile.LNKTYPE, link="ok.jsonl")
        _add(t, "fifo.jsonl", kind=tarfile.FIFOTYPE)
        _add(t, "ok.jsonl", b'{"title": "Kept", "abstract": "Inside."}\n')
    papers, problems = _read_watching_temp(path, tmp_path, monkeypatch)
    assert [p.title for p in papers] == ["Kept"]
    assert [(p.path.split(":", 1)[1], p.message.split(";")[0]) for p in problems] == [
        ("../../escape.jsonl", "member path is absolute or climbs out of the archive with '..' (path traversal)"),
        ("/tmp/kg-absolute-escape.jsonl", problems[0].message.split(";")[0]),
        ("ok/../../../climb.jsonl", problems[0].message.split(";")[0]),
        ("link.jsonl", "member is a symbolic link (-> /etc/passwd)"),
        ("hard.jsonl", "member is a hard link (-> ok.jsonl)"),
        ("fifo.jsonl", "member is not a regular file (a device, FIFO or unknown type)"),
    ]
    assert all(p.path.startswith(f"{path}:") for p in problems)
    assert not Path("/tmp/kg-absolute-escape.jsonl").exists()  # an absolute name, were it ever used as a path


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


def test_zip_links_and_escaping_paths_are_refused_and_the_rest_read(tmp_path, monkeypatch):
    import stat

    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "hostile.zip"
    record = '{"title": "Escaped", "abstract": "Written outside."}\n'
    with zipfile.ZipFile(path, "w") as z:
        # ZipInfo keeps a name as given (ZipFile.write would strip a leading "/"), as hostile archives do.
        for name in ("../../escape.jsonl", "/tmp/kg-absolute-escape.jsonl", "ok/../../../climb.jsonl",
                     "..\\..\\windows.jsonl", "C:/boot.jsonl", "../../evil.sh"):
            z.writestr(zipfile.ZipInfo(name), record)
        link = zipfile.ZipInfo("link.jsonl")
        link.create_system, link.external_attr = 3, (stat.S_IFLNK | 0o777) << 16  # as `zip --symlinks` writes
        z.writestr(link, "/etc/passwd")
        fifo = zipfile.ZipInfo("fifo.jsonl")
        fifo.create_system, fifo.external_attr = 3, (stat.S_IFIFO | 0o644) << 16
        z.writestr(fifo, "")
        regular = zipfile.ZipInfo("ok.jsonl")
        regular.create_system, regular.external_attr = 3, (stat.S_IFREG | 0o644) << 16
        z.writestr(regular, '{"title": "Kept", "abstract": "Inside."}\n')
        z.writestr("windows-written.jsonl", '{"title": "Also kept", "abstract": "No Unix mode."}\n')
    papers, problems = _read_watching_temp(path, tmp_path, monkeypatch)
    assert [p.title for p in papers] == ["Kept", "Also kept"]
    assert {s.path for p in papers for s in p.sources} == {f"{path}:ok.jsonl", f"{path}:windows-written.jsonl"}
    traversal = "member path is absolute or climbs out of the archive with '..' (path traversal)"
    assert sorted((p.path.split(":", 1)[1], p.line, p.message.split(";")[0]) for p in problems) == sorted([
        ("../../escape.jsonl", 0, traversal), ("/tmp/kg-absolute-escape.jsonl", 0, traversal),
        ("ok/../../../climb.jsonl", 0, traversal), ("..\\..\\windows.jsonl", 0, traversal),
        ("C:/boot.jsonl", 0, traversal), ("../../evil.sh", 0, traversal),  # warned whatever the extension
        ("link.jsonl", 0, "member is a symbolic link (its Unix mode says so)"),
        ("fifo.jsonl", 0, "member is not a regular file (a device, FIFO or unknown type, by its Unix mode)"),
    ])
    assert all(p.path.startswith(f"{path}:") for p in problems)
    assert not Path("/tmp/kg-absolute-escape.jsonl").exists()  # an absolute name, were it ever used as a path


def test_tar_escaping_paths_are_named_whatever_their_extension(tmp_path):
    path = tmp_path / "mixed.tar"
    with tarfile.open(path, "w") as t:
        _add(t, "../../evil.sh", b"rm -rf /")
        _add(t, "./ok.jsonl", b'{"title": "Kept", "abstract": "Inside."}\n')
    papers, problems = _read(path)
    assert [p.title for p in papers] == ["Kept"]
    assert [(p.path, p.line, p.message.split(";")[0]) for p in problems] == [
        (f"{path}:../../evil.sh", 0, "member path is absolute or climbs out of the archive with '..' (path traversal)")]


# --- variants of the formats as other tools write them (tests/data/variants/) ----------------------------
# Written from each format's documentation as exporters other than the ones above write it: EndNote /
# Mendeley RIS (A1, T1, Y1, JO, T2, KW tags; the abstract over several AB lines; CRLF and a BOM; no ER at
# the end), Excel CSV in a decimal-comma locale (";"), snake_case column names, a Windows TSV, a PubMed
# efetch answer with inline markup, Label attributes, ELocationID DOIs and a MedlineDate. Each has one
# bad record among good ones: it is named by file and line, and the records around it are read.

VARIANTS = Path(__file__).resolve().parent / "data" / "variants"
SPARSE = "Sparse Mixture-of-Experts for Long-Tailed Recognition"
SPEECH = "Contrastive Pretraining for Speech Recognition in Noisy Rooms"
GNN = "Graph Neural Networks for Molecule Property Prediction"


def test_ris_endnote_tags_repeated_ab_crlf_bom_and_no_final_er():
    path = VARIANTS / "endnote-export.ris"
    assert path.read_bytes().startswith(b"\xef\xbb\xbfTY  - JOUR\r\n")
    papers, problems = _read(path)
    assert [(p.title, p.sources[0].line) for p in papers] == [(SPARSE, 1), (SPEECH, 19), (GNN, 29)]
    sparse, speech, gnn = papers
    # Both AB lines: before, the second paragraph of the abstract was dropped.
    assert sparse.abstract == ("We propose a sparse mixture-of-experts classifier for long-tailed recognition. "
                               "On ImageNet-LT and iNaturalist 2018 it improves tail-class accuracy over ResNet-50 baselines.")
    assert (sparse.authors, sparse.date, sparse.dois) == (["Jane Doe", "Richard Roe"], "2024-05-01",
                                                          ["10.1016/j.patcog.2024.110001"])
    assert sparse.categories == ["long-tailed recognition", "mixture of experts"]  # KW, one per line
    assert speech.abstract.endswith("word error rate on CHiME-6 and LibriSpeech.") and "\r" not in speech.abstract
    assert (speech.arxiv_id, speech.date) == ("2305.01234", "2023")
    assert (gnn.abstract, gnn.authors) == ("We benchmark GNNs on QM9 and MoleculeNet.", ["Min Lee"])  # N2, AU
    assert [(p.path, p.line, p.message) for p in problems] == [
        (str(path), 15, "missing abstract (AB or N2) in RIS record 'CPAPER'; skipped"),
        (str(path), 29, "RIS record not closed by 'ER  - ' at the end of the file; read anyway")]


def test_csv_with_semicolons_bom_crlf_and_a_bad_row():
    path = VARIANTS / "excel-semicolon.csv"
    papers, problems = _read(path)
    assert [(p.title, p.date, p.sources[0].line) for p in papers] == [(SPARSE, "2024", 2), (SPEECH, "2023", 4)]
    assert papers[0].abstract.startswith("We propose a sparse mixture-of-experts classifier; it improves")  # ";" in quotes
    assert papers[0].dois == ["10.1016/j.patcog.2024.110001"]
    assert papers[1].abstract == "We pretrain a Conformer encoder.\nIt lowers word error rate on CHiME-6."  # no \r
    assert [(p.path, p.line, p.message) for p in problems] == [
        (str(path), 3, "missing title in record without id; skipped")]


@pytest.mark.parametrize("header", ["paper_title,abstract_text", "Title,Abstract_Text", "TITLE,PaperAbstract",
                                    "title,Article Abstract"])
def test_csv_column_names_in_other_spellings(tmp_path, header):
    path = tmp_path / "papers.csv"
    path.write_text(f"{header}\n{GNN},We benchmark GNNs on QM9.\n", encoding="utf-8")
    papers, problems = _read(path)
    assert problems == [] and [(p.title, p.abstract) for p in papers] == [(GNN, "We benchmark GNNs on QM9.")]


def test_kaggle_csv_and_windows_tsv():
    papers, problems = _read(VARIANTS / "kaggle-papers.csv")
    assert problems == [] and [(p.title, p.date) for p in papers] == [(GNN, "2022")]
    papers, problems = _read(VARIANTS / "sheet-windows.tsv")
    assert problems == [] and [(p.title, p.abstract, p.authors) for p in papers] == [
        (GNN, "We benchmark GNNs on QM9 and MoleculeNet.", ["Min Lee", "Ji Park"])]


def test_csv_delimiter_is_the_header_rows_not_the_cells(tmp_path):
    """A comma CSV whose abstracts are full of semicolons is still read with commas."""
    path = tmp_path / "commas.csv"
    path.write_text('title,abstract\nA,"x; y; z; w"\nB,"p; q"\n', encoding="utf-8")
    papers, problems = _read(path)
    assert problems == [] and [(p.title, p.abstract) for p in papers] == [("A", "x; y; z; w"), ("B", "p; q")]


def test_pubmed_inline_markup_labels_elocation_doi_medline_date_crlf_bom():
    path = VARIANTS / "pubmed-inline-markup.xml"
    papers, problems = _read(path)
    assert [p.record_id for p in papers] == ["39000001", "39000003"]
    first = papers[0]
    assert first.title == "Uptake of 13C-labelled CO2 by Escherichia coli biofilms."  # <sup>, <sub>, <i> as text
    assert first.abstract.split("\n") == [
        "BACKGROUND: Biofilms of E. coli fix carbon at low rates.",
        "METHODS: We grew biofilms under 13CO2 and measured uptake by mass spectrometry.",
        "RESULTS: Uptake rose 3-fold (p < 0.01)."]  # the copyright line is not abstract text
    assert (first.dois, first.date, first.authors) == (["10.1000/jbio.2023.0001"], "2023", ["Jane Doe", "Biofilm Consortium"])
    assert (papers[1].title, papers[1].abstract, papers[1].date) == (
        "Deep learning for in vivo imaging.", "We train a U-Net on two cohorts.", "2024-05")
    assert [(p.path, p.line, p.message) for p in problems] == [
        (str(path), 30, "missing abstract (AbstractText) in PubMed article PMID 39000002; skipped")]


def test_every_variant_reads_the_same_from_a_zip_and_a_tar(tmp_path):
    """Compressed inputs are the formats' files themselves: same papers, same problems, member-named."""
    direct_problems: list = []
    direct = list(read([VARIANTS], direct_problems))
    zipped = tmp_path / "variants.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(VARIANTS.iterdir()):
            z.write(f, f"variants/{f.name}")
    tarred = tmp_path / "variants.tar.xz"
    with tarfile.open(tarred, "w:xz") as t:
        for f in sorted(VARIANTS.iterdir()):
            t.add(f, f"variants/{f.name}")
    for archive in (zipped, tarred):
        problems: list = []
        papers = list(read([archive], problems))
        assert _as_read(papers, problems, f"{archive}:variants/") == _as_read(direct, direct_problems, f"{VARIANTS}/")
    assert len(direct) == 18 and len(direct_problems) == 7  # 9 files; the bad records of 6 of them


# --- 15c: archive-wide budget, overlapping zip entries, refused names, control characters ----------------

def test_zip_of_many_small_bombs_is_stopped_by_the_archive_budget(tmp_path, monkeypatch):
    # Failed before 15c: each member had its own cap and the archive none, so 50 members under their own
    # caps all inflated (a 1 kB zip of 211-byte bzip2 members inflated 768 MiB at the real floor).
    from kg.readers import compressed

    monkeypatch.setattr(compressed, "MIN_CAP", 1 << 20)
    path = tmp_path / "many.zip"
    padding = b"\n" * (600 << 10)  # 600 KiB of blank lines: each member is under its own 1 MiB floor
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for i in range(50):
            z.writestr(f"m{i:02}.jsonl", f'{{"title": "Paper {i:02}", "abstract": "Abstract {i}."}}\n'.encode()
                       + padding)
    budget = compressed._cap(path.stat().st_size)
    assert budget < 50 * len(padding)  # the members together are well past the archive's budget
    papers, problems = _read(path)
    read = [p.title for p in papers]
    assert 1 <= len(read) < 50 and read == [f"Paper {i:02}" for i in range(len(read))]  # the first ones kept
    assert [(p.path, p.line) for p in problems] == [(str(path), 0)], problems  # one problem, for the archive
    # The member the budget ran out in had its first line (its record) inflated before the budget's end.
    assert problems[0].message.startswith(f"zip file inflates past {budget >> 20} MiB in all, over 100x its "
                                          f"compressed size: stopped in member m{len(read) - 1:02}.jsonl")
    assert "decompression bomb" in problems[0].message
    # A zip under its budget still reads every member, with no problem.
    small = tmp_path / "small.zip"
    with zipfile.ZipFile(small, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(50):
            z.writestr(f"m{i:02}.jsonl", f'{{"title": "Paper {i:02}", "abstract": "Abstract {i}."}}\n')
    assert [len(x) for x in _read(small)] == [50, 0]


def _duplicate_central_entry(data: bytes) -> bytes:
    """The zip `data` (one member) with its central-directory entry written twice: two entries, one
    local header and one copy of the data, as overlapping zip bombs are made."""
    import struct

    eocd = data.rindex(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<II", data, eocd + 12)
    entry = data[cd_offset:cd_offset + cd_size]
    end = bytearray(data[eocd:])
    struct.pack_into("<HHII", end, 8, 2, 2, 2 * cd_size, cd_offset)
    return data[:cd_offset] + entry + entry + bytes(end)


def test_zip_with_overlapping_entries_is_refused_whatever_the_python(tmp_path):
    # Failed before 15c on Python 3.11.7 (which reads overlapping entries): both entries were read, the
    # one member's bytes decompressed twice.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.jsonl", '{"title": "Twice", "abstract": "One copy of the data, two entries."}\n')
    path = tmp_path / "overlap.zip"
    path.write_bytes(_duplicate_central_entry(buf.getvalue()))
    assert len(zipfile.ZipFile(path).infolist()) == 2
    papers, problems = _read(path)
    assert papers == []
    assert [(p.path, p.line) for p in problems] == [(str(path), 0)]
    assert problems[0].message.startswith("zip file has overlapping entries (entry a.jsonl runs into entry a.jsonl)")
    # An entry whose compressed size runs past the next entry's header is refused the same way.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("a.jsonl", '{"title": "A", "abstract": "First."}\n')
        z.writestr("b.jsonl", '{"title": "B", "abstract": "Second."}\n')
    data = bytearray(buf.getvalue())
    first = data.index(b"PK\x01\x02")
    data[first + 20:first + 24] = (len(data)).to_bytes(4, "little")  # a's compressed size: the whole file
    path.write_bytes(bytes(data))
    papers, problems = _read(path)
    assert papers == [] and len(problems) == 1 and "overlapping entries (entry a.jsonl runs into entry b.jsonl)" \
        in problems[0].message


def test_python_made_archives_with_dotdot_names_say_why_not_holds_no_input(tmp_path, monkeypatch):
    # Failed before 15c: the traversal problem came with a second, false one: "holds no input file".
    (tmp_path / "papers").mkdir()
    (tmp_path / "papers" / "x.jsonl").write_text('{"title": "T", "abstract": "A."}\n', encoding="utf-8")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    with zipfile.ZipFile("py.zip", "w") as z:
        z.write("../papers/x.jsonl")  # Python keeps the "../" in the member name
    with tarfile.open("py.tar", "w") as t:
        t.add("../papers/x.jsonl")
    for name in ("py.zip", "py.tar"):
        papers, problems = _read(tmp_path / "work" / name)
        assert papers == []
        assert [(p.path, p.message) for p in problems] == [
            (f"{tmp_path / 'work' / name}:../papers/x.jsonl",
             "member path is absolute or climbs out of the archive with '..' (path traversal); not read")], name


def test_member_names_cannot_forge_lines_in_problems_log(tmp_path):
    # Failed before 15c: a newline in a member name passed through to the problem, and so to problems.log.
    forged = "../x\nfake.zip:7: forged problem.jsonl"
    zpath, tpath = tmp_path / "nl.zip", tmp_path / "nl.tar"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr(zipfile.ZipInfo(forged), '{"title": "T", "abstract": "A."}\n')
        z.writestr("ok.jsonl", '{"title": "T", "abstract": "A."}\n')
    with tarfile.open(tpath, "w") as t:
        _add(t, forged, b'{"title": "T", "abstract": "A."}\n')
        _add(t, "link\r\x1b[2K.jsonl", kind=tarfile.SYMTYPE, link="/etc/x\ny")
    for path in (zpath, tpath):
        _, problems = _read(path)
        assert problems, path
        for p in problems:
            line = str(p)  # the line problems.log gets
            assert not any(c in line for c in "\n\r\x1b"), line
        assert problems[0].path == f"{path}:../x\\x0afake.zip:7: forged problem.jsonl"
    assert "(-> /etc/x\\x0ay)" in _read(tpath)[1][1].message and _read(tpath)[1][1].path.endswith(
        ":link\\x0d\\x1b[2K.jsonl")


def test_tsv_is_tab_separated_even_with_commas_in_its_header(tmp_path):
    # Failed before 15c: the header had more commas than tabs, so the .tsv was read as comma-separated
    # and skipped as naming no title or abstract column.
    for suffix in (".tsv", ".tab"):
        path = tmp_path / f"sheet{suffix}"
        path.write_text("Title\tAbstract\tTags (gan, vae, diffusion, flow)\nT1\tSome abstract.\tgan\n", encoding="utf-8")
        papers, problems = _read(path)
        assert problems == [] and [(p.title, p.abstract) for p in papers] == [("T1", "Some abstract.")], suffix
    # A .csv is still sniffed: a semicolon header whose cells hold commas reads with ";".
    path = tmp_path / "excel-de.csv"
    path.write_text("Title;Abstract;Year\nGANs, revisited;We train GANs, VAEs and flows.;2021\n", encoding="utf-8")
    papers, problems = _read(path)
    assert problems == [] and [(p.title, p.abstract) for p in papers] == [("GANs, revisited",
                                                                          "We train GANs, VAEs and flows.")]


def test_ris_identical_ab_lines_are_one_abstract(tmp_path):
    # Failed before 15c: an exporter that writes the abstract twice under AB gave it twice over.
    path = tmp_path / "twice.ris"
    path.write_text("TY  - JOUR\nTI  - Twice Told\nAB  - We study the same text.\nAB  - We study the same text.\n"
                    "AB  - And a second paragraph.\nER  - \n", encoding="utf-8")
    papers, problems = _read(path)
    assert problems == [] and [p.abstract for p in papers] == ["We study the same text. And a second paragraph."]


@pytest.mark.parametrize("raw,want", [
    ("Marketing 2020", "Marketing 2020"), ("Decembrist 1825", "Decembrist 1825"),  # no month names
    ("Feb 30, 2021", "Feb 30, 2021"), ("31 Apr 2020", "31 Apr 2020"),              # no such days
    ("Sept. 2019", "2019-09"), ("29 February 2020", "2020-02-29"), ("May 2023", "2023-05"),
])
def test_csl_raw_dates_read_real_months_and_days_only(tmp_path, raw, want):
    # Failed before 15c: any word starting with a month's three letters was that month, any day 1-31 a day.
    path = tmp_path / "items.json"
    path.write_text(json.dumps([{"type": "article-journal", "title": "T", "abstract": "A.", "issued": {"raw": raw}}]),
                    encoding="utf-8")
    papers, problems = _read(path)
    assert problems == [] and [p.date for p in papers] == [want]


def test_csl_literal_dates_are_kept_as_written(tmp_path):
    # Failed before 15c: a "literal" date, by CSL's definition not to be parsed, was parsed as a raw one.
    path = tmp_path / "items.json"
    path.write_text(json.dumps([{"type": "article-journal", "title": "T", "abstract": "A.",
                                 "issued": {"literal": "2020/5/1"}}]), encoding="utf-8")
    assert [p.date for p in _read(path)[0]] == ["2020/5/1"]


def test_bibtex_months_are_month_names_not_any_word(tmp_path):
    # Failed before 15c: "Marketing" (any word starting "mar") was March.
    path = tmp_path / "refs.bib"
    path.write_text("@article{a, title={A}, abstract={X.}, year={2020}, month={Marketing}}\n"
                    "@article{b, title={B}, abstract={Y.}, year={2020}, month={jun--jul}}\n"
                    "@article{c, title={C}, abstract={Z.}, year={2020}, month={Sept.}}\n", encoding="utf-8")
    assert sorted((p.title, p.date) for p in _read(path)[0]) == [("A", "2020"), ("B", "2020-06"), ("C", "2020-09")]
