"""The extraction cache: a rebuild extracts only new or changed papers, and its graph is the same."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kg.build import build
from kg.extract.cache import CACHE_FILE, ExtractionCache, extractor_fingerprint
from kg.extract.pipeline import extract_papers
from kg.readers import read

PAPERS = Path(__file__).resolve().parent / "data" / "guideline_test.jsonl"
OUTPUTS = ("kg.nt", "kg.ttl", "kg.jsonld", "graph.html")


def _files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


@pytest.fixture(scope="module")
def first(tmp_path_factory) -> tuple[Path, dict[str, bytes], int]:
    out = tmp_path_factory.mktemp("cached") / "graph"
    _, report = build([PAPERS], out, store=False)
    assert report.extraction_cached == 0 and (out / CACHE_FILE).is_file()
    return out, _files(out), report.papers


def test_rebuild_reads_every_paper_from_the_cache_and_writes_the_same_bytes(first):
    out, files, papers = first
    _, report = build([PAPERS], out, store=False)
    assert papers == 25 and report.extraction_cached == papers
    assert _files(out) == files


def test_a_build_without_cache_writes_the_same_bytes(first, tmp_path):
    _, files, _ = first
    _, report = build([PAPERS], tmp_path / "g", store=False, cache=False)
    assert report.extraction_cached == 0 and not (tmp_path / "g" / CACHE_FILE).exists()
    assert _files(tmp_path / "g") == files


def test_only_a_changed_paper_is_extracted_again(first, tmp_path):
    out, _, papers = first
    records = [json.loads(line) for line in PAPERS.read_text(encoding="utf-8").splitlines()]
    records[3]["abstract"] += " We also evaluate on ImageNet."
    changed = tmp_path / "changed.jsonl"
    changed.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    g, report = build([changed], out, store=False, cache=out / CACHE_FILE)
    assert report.extraction_cached == papers - 1
    fresh, _ = build([changed], tmp_path / "fresh", store=False, cache=False)
    assert (out / "kg.nt").read_bytes() == (tmp_path / "fresh" / "kg.nt").read_bytes()


def test_cached_entities_equal_fresh_ones_field_for_field(tmp_path):
    papers = list(read([PAPERS], []))
    fresh = [ents for _, ents in extract_papers(papers)]
    with ExtractionCache(tmp_path / "c.sqlite", extractor_fingerprint()) as cache:
        assert [e for _, e in extract_papers(papers, cache=cache)] == fresh and cache.misses == len(papers)
    with ExtractionCache(tmp_path / "c.sqlite", extractor_fingerprint()) as cache:
        again = [e for _, e in extract_papers(papers, jobs=2, batch_size=4, cache=cache)]
        assert cache.hits == len(papers) and cache.misses == 0
    assert again == fresh  # every field, floats included


def test_other_options_do_not_read_each_others_results(first, tmp_path):
    out, _, _ = first
    assert extractor_fingerprint(use_ner=False) != extractor_fingerprint()
    assert extractor_fingerprint(min_confidence=0.9) != extractor_fingerprint()
    _, report = build([PAPERS], tmp_path / "g", store=False, use_ner=False, cache=out / CACHE_FILE)
    assert report.extraction_cached == 0


def test_a_broken_cache_file_is_skipped_with_a_warning(tmp_path):
    bad = tmp_path / "broken.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.warns(UserWarning, match="broken.sqlite"):
        _, report = build([PAPERS], tmp_path / "g", store=False, cache=bad)
    assert report.papers == 25 and (tmp_path / "g" / "kg.nt").stat().st_size > 0


def test_cli_reports_what_came_from_the_cache(tmp_path):
    cmd = [sys.executable, "-m", "kg", "build", str(PAPERS), "-o", str(tmp_path / "g"), "--no-html"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    second = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    assert "extracted / from cache" in second and "0 / 25" in second
    third = subprocess.run(cmd + ["--no-cache"], check=True, capture_output=True, text=True).stdout
    assert "from cache" not in third


def test_kg_extract_with_a_cache_writes_the_same_lines(tmp_path):
    cmd = [sys.executable, "-m", "kg", "extract", str(PAPERS), "--cache", str(tmp_path / "c.sqlite")]
    first = subprocess.run(cmd + ["-o", str(tmp_path / "a.jsonl")], check=True, capture_output=True, text=True)
    second = subprocess.run(cmd + ["-o", str(tmp_path / "b.jsonl")], check=True, capture_output=True, text=True)
    assert "0 from the cache" in first.stderr and "25 from the cache" in second.stderr
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    (tmp_path / "bad.sqlite").write_bytes(b"not a database" * 100)
    bad = subprocess.run(cmd[:-1] + [str(tmp_path / "bad.sqlite"), "-o", str(tmp_path / "c.jsonl")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "bad.sqlite" in bad.stderr and not (tmp_path / "c.jsonl").exists()
