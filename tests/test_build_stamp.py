"""A rebuild of what a folder already holds writes nothing (kg.build_stamp); any change rebuilds it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHARED

ARXIV = SHARED / "corpus" / "arxiv-recent" / "papers.jsonl"


def kg(*args: str) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run


def files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of a built folder outside .cache: its bytes and modification time."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file() and ".cache" not in p.parts}


@pytest.fixture()
def papers(tmp_path) -> Path:
    if not ARXIV.is_file():
        pytest.skip(f"needs ../shared beside the repository ({ARXIV} not found)")
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(ARXIV.read_text(encoding="utf-8").splitlines(keepends=True)[:12]), encoding="utf-8")
    return path


def test_unchanged_rebuild_writes_nothing_and_reports_the_build(papers, tmp_path):
    out = tmp_path / "out"
    first = kg("build", str(papers), "-o", str(out), "--no-html").stdout
    before = files(out)
    assert "build.stamp.json" in before and "store/paperkg-store.json" in before
    again = kg("build", str(papers), "-o", str(out), "--no-html").stdout
    assert "already holds this build" in again and "already holds this build" not in first
    assert files(out) == before  # not one byte or time changed
    rows = [line for line in first.splitlines() if "concepts:" in line or "links:" in line or "papers" in line]
    assert rows and all(row in again for row in rows)
    assert "0 / 12" in again  # nothing extracted
    # and the folder is still a graph one can query
    assert json.loads(kg("query", "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p dcterms:title ?t }", "--graph", str(out),
                         "--format", "json").stdout)["results"]["bindings"][0]["n"]["value"] == "12"


@pytest.mark.parametrize("change", ["edited output", "removed output", "option", "record", "no-cache"])
def test_any_change_rebuilds_the_same_bytes_as_a_fresh_build(papers, tmp_path, change):
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    args = ["--no-html"]
    kg("build", str(papers), "-o", str(out), *args)
    if change == "edited output":
        with (out / "kg.ttl").open("a", encoding="utf-8") as fh:
            fh.write("# edited\n")
    elif change == "removed output":
        (out / "related" / "vocab.json").unlink()
    elif change == "option":
        args = ["--no-html", "--evidence", "first"]
    elif change == "record":
        lines = papers.read_text(encoding="utf-8").splitlines(keepends=True)
        papers.write_text("".join(lines[:-1]), encoding="utf-8")
    again = kg("build", str(papers), "-o", str(out), *args, *(["--no-cache"] if change == "no-cache" else [])).stdout
    assert "already holds this build" not in again
    kg("build", str(papers), "-o", str(fresh), *args, "--no-cache")
    built, expected = files(out), files(fresh)
    assert sorted(built) == sorted(expected)
    # The stamp holds modification times, the store's RocksDB files their own ids: compare the graph files.
    for name in ("kg.nt", "kg.ttl", "kg.jsonld", "records.jsonl.gz", "build.json", "related/vocab.json"):
        assert built[name][0] == expected[name][0], name


def test_python_build_reuses_only_when_asked(papers, tmp_path):
    import kg as paperkg
    from kg.build import build

    out = tmp_path / "out"
    g, report = build([papers], out, html=False)
    assert g is not None and not report.up_to_date
    g2, report2 = build([papers], out, html=False)  # reuse is off by default: the graph is built again
    assert g2 is not None and not report2.up_to_date
    g3, report3 = build([papers], out, html=False, reuse=True)
    assert g3 is None and report3.up_to_date
    assert (report3.papers, report3.concepts_by_type, report3.links_by_relation) == \
        (report.papers, report.concepts_by_type, report.links_by_relation)
    assert report3.outputs == report.outputs
    opened = paperkg.open(out)
    assert opened.stats()["papers"] == report.papers
