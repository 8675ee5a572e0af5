"""End to end: `kg build` on the real demo corpus, then query, stats, RDF parsers and a real browser."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.extract.cache import CACHE_FILE
from browser import open_page

OUTPUTS = ("kg.ttl", "kg.nt", "kg.jsonld", "graph.html")


def kg(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True)
    if check:
        assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def built(corpus, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("build")
    run = kg("build", str(corpus), "--output", str(out))
    return out, run.stdout


def test_build_reports_papers_and_duplicates(built):
    out, summary = built
    assert "papers" in summary and "482" in summary
    assert "duplicates merged" in summary and "39" in summary
    for name in OUTPUTS:
        assert (out / name).stat().st_size > 0


def test_build_says_where_its_time_went(built, tmp_path):
    """Every stage, in the order it ran, with its time and the peak memory so far (kg build's summary
    and BuildReport.timings)."""
    from kg.build import build

    stages = ["read", "check up to date", "deduplicate", "extract", "resolve", "assemble", "related", "write kg.nt",
              "write RDF", "write related index", "write records", "load store"]
    _, summary = built
    for name in [*stages, "write HTML"]:
        assert f"time {name} " in summary, name
    _, report = build([write_records(tmp_path / "two.jsonl", 2)], tmp_path / "out", html=False)
    assert list(report.timings) == stages
    peaks = [t.peak_mib for t in report.timings.values()]
    assert all(t.seconds >= 0 for t in report.timings.values()) and peaks == sorted(peaks) and peaks[0] > 0
    assert report.timings["write kg.nt"].seconds <= report.timings["write RDF"].seconds  # a part of it


def test_build_gives_the_callers_garbage_collector_settings_back(tmp_path):
    """A build collects less often while it runs (kg.build._few_collections), and leaves the caller's
    thresholds as they were, whether it succeeds or fails."""
    import gc

    from kg.build import InputError, build, build_graph

    before = gc.get_threshold()
    seen = []
    try:
        gc.set_threshold(500, 7, 3)
        _, report = build([write_records(tmp_path / "two.jsonl", 2)], tmp_path / "out", html=False,
                          progress=lambda done, total: seen.append(gc.get_threshold()))
        assert report.papers == 2 and gc.get_threshold() == (500, 7, 3)
        assert seen and all(t[0] > 500 for t in seen)
        build_graph([tmp_path / "two.jsonl"])
        assert gc.get_threshold() == (500, 7, 3)
        with pytest.raises(InputError):
            build([tmp_path / "missing.jsonl"], tmp_path / "out2")
        assert gc.get_threshold() == (500, 7, 3)
    finally:
        gc.set_threshold(*before)


def test_query_counts_papers_not_concepts(built):
    out, _ = built
    run = kg("query", "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p dcterms:title ?t }",
             "--graph", str(out), "--format", "csv")
    rows = list(csv.reader(io.StringIO(run.stdout)))
    assert rows == [["n"], ["482"]]
    run = kg("query", "ASK { ?c skos:prefLabel ?l ; dcterms:title ?t }", "--graph", str(out), "--format", "json")
    assert json.loads(run.stdout)["boolean"] is False


def test_fedloge_links_in_the_graph(built):
    out, _ = built
    q = """SELECT ?rel ?label WHERE {
        ?p dcterms:title "FedLoGe: Joint Local and Generic Federated Learning under Long-tailed Data" ;
           ?rel ?c . ?c skos:prefLabel ?label }"""
    rows = {(r["rel"].rsplit("#", 1)[-1], r["label"]) for r in
            csv.DictReader(io.StringIO(kg("query", q, "--graph", str(out), "--format", "csv").stdout))}
    for ds in ("CIFAR-10-LT", "CIFAR-100-LT", "ImageNet", "iNaturalist"):
        assert ("evaluatesOn", ds) in rows
    assert any(rel == "proposes" and "Fed-LT" in label or label == "FedLoGe" for rel, label in rows
               if rel == "proposes")


def test_named_query_and_stats(built):
    out, _ = built
    run = kg("query", "papers-using-dataset", "--param", "dataset=imagenet", "--graph", str(out), "--format", "json")
    bindings = json.loads(run.stdout)["results"]["bindings"]
    assert len(bindings) >= 10
    stats = kg("stats", "--graph", str(out)).stdout
    assert "482" in stats and "concepts: Dataset" in stats


def test_rdf_parses_with_rdflib_and_oxigraph(built):
    import pyoxigraph
    import rdflib

    out, _ = built
    g = rdflib.Graph().parse(out / "kg.ttl", format="turtle")
    assert len(g) > 10_000
    store = pyoxigraph.Store()
    store.load(path=str(out / "kg.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(g)
    rdflib.Graph().parse(out / "kg.jsonld", format="json-ld")


def test_rebuild_is_byte_identical(built, corpus, tmp_path):
    out, _ = built
    kg("build", str(corpus), "--output", str(tmp_path))
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_view_opens_offline_without_errors(built, chromium):
    out, _ = built
    page, log = open_page(chromium, out / "graph.html")
    assert page.evaluate("network.body.data.nodes.length") > 100
    assert log.errors == [] and log.foreign_requests == []


def test_bad_input_is_reported_and_the_rest_is_built(tmp_path, corpus):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.jsonl").write_text(
        json.dumps({"id": "1", "title": "Tuning BERT", "abstract": "We fine-tune BERT on GLUE."}) + "\n"
        + "{broken\n"
        + json.dumps({"id": "3", "title": "No abstract"}) + "\n", encoding="utf-8")
    (src / "latin1.jsonl").write_bytes(
        json.dumps({"id": "4", "title": "Caf\u00e9 models", "abstract": "We use ResNet-50."}).encode("latin-1")
        .replace(b"\\u00e9", b"\xe9") + b"\n")
    out = tmp_path / "out"
    run = kg("build", str(src), "--output", str(out))
    assert f"{src / 'good.jsonl'}:2" in run.stderr
    assert f"{src / 'good.jsonl'}:3" in run.stderr and "missing abstract" in run.stderr
    assert f"{src / 'latin1.jsonl'}:1" in run.stderr and "UTF-8" in run.stderr
    assert "problems" in run.stdout
    assert (out / "problems.log").read_text().count("\n") == 3
    assert kg("query", "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }", "--graph", str(out),
              "--format", "csv").stdout.split() == ["n", "1"]
    strict = kg("build", str(src), "--output", str(out), "--strict", check=False)
    assert strict.returncode == 1
    missing = kg("build", str(tmp_path / "nope.jsonl"), "--output", str(out), "--strict", check=False)
    assert missing.returncode == 2 and "nope.jsonl" in missing.stderr  # an error before any work (issue 14)


# --- a build's outputs are one set: nothing lost, nothing mixed (issue 14) --------------------------

QUICK = ("--no-ner", "--no-html")


def write_records(path: Path, n: int, prefix: str = "Paper", bad_line: bool = False) -> Path:
    """n small real-looking records as JSON Lines (and a malformed line after the first, if asked)."""
    words = ("graph", "vision", "language", "robot", "policy", "retrieval", "diffusion", "reasoning")
    lines = []
    for i in range(n):
        topic = " ".join(words[(i + k) % len(words)] for k in range(3))
        lines.append(json.dumps({"id": f"{prefix}-{i}", "title": f"{prefix} {i}: {topic} models",
                                 "abstract": f"We train a {topic} model and evaluate it on ImageNet and COCO "
                                             f"against BERT ({i})."}))
    if bad_line:
        lines.insert(1, "{broken")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (recursively, the store included) with its bytes; not the extraction
    cache, which an interrupted build may have grown on purpose (the next build resumes from it)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.relative_to(folder).parts[0] != CACHE_FILE.parts[0]}


def papers_in(out: Path) -> int:
    run = kg("query", "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }", "--graph", str(out), "--format", "csv")
    return int(run.stdout.split()[1])


def leftovers(out: Path) -> list[str]:
    """Temporary folders and files of builds, beside and inside `out` (the extraction cache is kept on purpose)."""
    beside = [p.name for p in out.parent.glob(f".{out.name}.*")]
    inside = [p.name for p in out.glob(".*") if p.name != CACHE_FILE.parts[0]] if out.is_dir() else []
    return beside + inside


@pytest.fixture
def good_build(tmp_path) -> tuple[Path, dict[str, bytes]]:
    """A good build of 5 papers in tmp_path/out, and its files."""
    out = tmp_path / "out"
    kg("build", str(write_records(tmp_path / "good.jsonl", 5)), "--output", str(out), *QUICK)
    assert papers_in(out) == 5
    return out, snapshot(out)


def test_missing_input_is_an_error_before_any_work(good_build, tmp_path):
    out, before = good_build
    run = kg("build", str(tmp_path / "typo.jsonl"), "--output", str(out), *QUICK, check=False)
    assert run.returncode == 2
    assert f"{tmp_path / 'typo.jsonl'}: no such file" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    (tmp_path / "dangling.jsonl").symlink_to(tmp_path / "gone.jsonl")
    run = kg("build", str(tmp_path / "dangling.jsonl"), "--output", str(out), check=False)
    assert run.returncode == 2 and "dangling symlink" in run.stderr
    assert snapshot(out) == before and leftovers(out) == []


def _header_only(path: Path) -> Path:
    path.write_text("Daily Papers\n\nby AK and the research community\n\nSubscribe\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name, make", [
    ("empty.jsonl", lambda p: p.write_bytes(b"") and p or p),
    ("listing.txt", _header_only),
    ("utf16.jsonl", lambda p: p.write_bytes('{"id": "1", "title": "T", "abstract": "A."}\n'.encode("utf-16")) and p),
    ("binary.jsonl", lambda p: p.write_bytes(bytes(range(256)) * 40) and p),
])
def test_input_with_no_paper_keeps_the_good_build(good_build, tmp_path, name, make):
    out, before = good_build
    path = tmp_path / name
    make(path)
    run = kg("build", str(path), "--output", str(out), *QUICK, check=False)
    assert run.returncode == 1, run.stderr
    assert f"{path}:0" in run.stderr  # the located problem
    assert "no paper could be read" in run.stderr and "nothing written" in run.stderr
    assert snapshot(out) == before and leftovers(out) == []
    assert kg("build", str(path), "--output", str(tmp_path / "fresh"), *QUICK, check=False).returncode == 1
    assert not (tmp_path / "fresh").exists()


def test_strict_exits_1_before_overwriting(good_build, tmp_path):
    out, before = good_build
    src = write_records(tmp_path / "other.jsonl", 3, prefix="Other", bad_line=True)
    run = kg("build", str(src), "--output", str(out), "--strict", *QUICK, check=False)
    assert run.returncode == 1
    assert f"{src}:2" in run.stderr and "--strict" in run.stderr and "nothing written" in run.stderr
    assert snapshot(out) == before and leftovers(out) == []
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    run = kg("build", str(src), str(empty), "--output", str(tmp_path / "o2"), *QUICK)  # without --strict: built
    assert "empty file" in run.stderr and papers_in(tmp_path / "o2") == 3


@contextlib.contextmanager
def unwritable(folder: Path):
    """`folder` made unwritable for this process: by its mode, or (as root, whom modes do not stop) immutable."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("running as root on a file system without chattr +i: cannot make a folder unwritable")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_unwritable_output_folder_is_found_before_any_work(good_build, tmp_path):
    out, before = good_build
    src = write_records(tmp_path / "in.jsonl", 3, bad_line=True)  # its problem would be printed once read
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x", encoding="utf-8")
    for target in (not_a_folder / "out", not_a_folder):
        run = kg("build", str(src), "--output", str(target), *QUICK, check=False)
        assert run.returncode == 2, run.stderr
        assert run.stderr.strip().splitlines() == [run.stderr.strip()] and str(target) in run.stderr
        assert "Traceback" not in run.stderr and "problem" not in run.stderr
    with unwritable(out):
        run = kg("build", str(src), "--output", str(out), *QUICK, check=False)
    assert run.returncode == 2 and f"cannot write the output folder {out}" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "problem" not in run.stderr
    assert snapshot(out) == before
    extract = kg("extract", str(src), "--output", str(not_a_folder / "e.jsonl"), "--no-ner", check=False)
    assert extract.returncode == 2 and len(extract.stderr.strip().splitlines()) == 1
    assert "Traceback" not in extract.stderr and "problem" not in extract.stderr


def test_clean_rebuild_leaves_no_stale_problems_log_and_keeps_other_files(tmp_path):
    out = tmp_path / "out"
    kg("build", str(write_records(tmp_path / "bad.jsonl", 4, bad_line=True)), "--output", str(out), *QUICK)
    assert (out / "problems.log").read_text(encoding="utf-8").startswith(f"{tmp_path / 'bad.jsonl'}:2:")
    (out / "view-papers.html").write_text("<p>a view the user made</p>", encoding="utf-8")
    (out / "notes").mkdir()
    (out / "notes" / "todo.txt").write_text("mine", encoding="utf-8")
    kg("build", str(write_records(tmp_path / "good.jsonl", 6)), "--output", str(out), *QUICK)
    assert not (out / "problems.log").exists()
    assert (out / "view-papers.html").read_text(encoding="utf-8") == "<p>a view the user made</p>"
    assert (out / "notes" / "todo.txt").read_text(encoding="utf-8") == "mine"
    from kg.store import store_status

    assert store_status(out) == "current" and papers_in(out) == 6 and leftovers(out) == []


def _start_build(src: Path, out: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kg", "build", str(src), "--output", str(out), "--no-ner", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_until_writing(proc: subprocess.Popen, out: Path, old_ttl: bytes, timeout: float = 300) -> Path | None:
    """Return once the build has written its first output (kg.ttl), while it still writes the others:
    the new set's folder, or None if the build wrote kg.ttl straight into `out`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for stage in out.parent.glob(f".{out.name}.*.build"):
            if (stage / "kg.ttl").exists():
                return stage
        with contextlib.suppress(OSError):
            if (out / "kg.ttl").read_bytes() != old_ttl:
                return None
        if proc.poll() is not None:
            pytest.fail(f"the build ended before it could be stopped mid-write: {proc.stderr.read()}")
        time.sleep(0.002)
    proc.kill()
    pytest.fail("the build did not start writing")


def test_kill_mid_write_leaves_the_old_set_whole_and_the_next_build_cleans_up(good_build, tmp_path):
    from kg.store import store_status

    out, before = good_build
    # Enough papers that writing kg.nt, kg.jsonld, the store and graph.html takes about a second.
    proc = _start_build(write_records(tmp_path / "many.jsonl", 200, prefix="Many"), out)
    stage = _wait_until_writing(proc, out, before["kg.ttl"])
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(out) == before  # the old set is whole, untouched ...
    assert store_status(out) == "current" and papers_in(out) == 5
    assert stage is not None and stage.exists()  # ... while the kill came mid-build: its half-written set is there
    kg("build", str(write_records(tmp_path / "next.jsonl", 7, prefix="Next")), "--output", str(out), *QUICK)
    assert leftovers(out) == [] and not stage.exists()
    assert store_status(out) == "current" and papers_in(out) == 7


def test_ctrl_c_exits_130_with_one_line_and_keeps_the_old_set(good_build, tmp_path):
    out, before = good_build
    proc = _start_build(write_records(tmp_path / "many.jsonl", 200, prefix="Many"), out)
    _wait_until_writing(proc, out, before["kg.ttl"])
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert snapshot(out) == before and leftovers(out) == []
    assert proc.returncode == 130, stderr
    assert stderr.strip() == f"interrupted: nothing written, {out} left as it was"


def test_lone_surrogate_and_huge_record_do_not_abort_build_or_extract(tmp_path):
    src = tmp_path / "hostile.jsonl"
    src.write_text(json.dumps({"id": "ok1", "title": "Tuning BERT", "abstract": "We fine-tune BERT on GLUE."}) + "\n"
                   + '{"id": "s", "title": "Lone \\ud800 surrogate", "abstract": "We use ResNet-50 on ImageNet."}\n'
                   + json.dumps({"id": "big", "title": "Huge", "abstract": "We use COCO. " + "word " * 240_000}) + "\n"
                   + json.dumps({"id": "ok2", "title": "Last", "abstract": "We evaluate on SQuAD."}) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out"
    run = kg("build", str(src), "--output", str(out), *QUICK)
    assert f"{src}:2: lone UTF-16 surrogate" in run.stderr and f"{src}:3: record is 1,2" in run.stderr
    assert papers_in(out) == 4
    assert "\ufffd" in (out / "kg.nt").read_text(encoding="utf-8")
    for flags in (["--no-ner"], []):
        ex = kg("extract", str(src), "--output", str(tmp_path / "e.jsonl"), *flags)
        lines = [json.loads(x) for x in (tmp_path / "e.jsonl").read_text(encoding="utf-8").splitlines()]
        assert [r["id"] for r in lines] == ["ok1", "s", "big", "ok2"] and f"{src}:2" in ex.stderr


def test_extract_keeps_the_old_output_when_nothing_or_strict(tmp_path):
    target = tmp_path / "e.jsonl"
    target.write_text("old\n", encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    run = kg("extract", str(empty), "--output", str(target), "--no-ner", check=False)
    assert run.returncode == 1 and "nothing written" in run.stderr
    run = kg("extract", str(write_records(tmp_path / "b.jsonl", 2, bad_line=True)), "--output", str(target),
             "--no-ner", "--strict", check=False)
    assert run.returncode == 1 and f"{tmp_path / 'b.jsonl'}:2" in run.stderr
    run = kg("extract", str(tmp_path / "typo.jsonl"), "--output", str(target), check=False)
    assert run.returncode == 2 and "typo.jsonl" in run.stderr
    assert target.read_text(encoding="utf-8") == "old\n" and sorted(os.listdir(tmp_path)) == [
        "b.jsonl", "e.jsonl", "empty.jsonl"]
