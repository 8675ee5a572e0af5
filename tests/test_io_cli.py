"""Atomic writes, and the README documenting every CLI command."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.cli import app
from kg.io import atomic_open, atomic_write_text

ROOT = Path(__file__).resolve().parents[1]


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "kg.ttl"
    atomic_write_text(target, "old complete content\n")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write("half of the new")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old complete content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["kg.ttl"]


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert names
    for name in names:
        assert re.search(rf"`kg {name}\b", readme), f"kg {name} is not documented in README.md"


# --- output sets (kg.io.OutputSet): a build's files replace the old ones together ------------------

OWNED = ("kg.ttl", "kg.nt", "store", "problems.log")


def _old_set(target: Path) -> None:
    target.mkdir()
    (target / "kg.ttl").write_text("old ttl\n")
    (target / "kg.nt").write_text("old nt\n")
    (target / "problems.log").write_text("old problems\n")
    (target / "store").mkdir()
    (target / "store" / "data").write_text("old store\n")
    (target / "view-papers.html").write_text("a user's view\n")  # not the build's: kept


def _new_set(stage: Path) -> None:
    (stage / "kg.ttl").write_text("new ttl\n")
    (stage / "kg.nt").write_text("new nt\n")
    (stage / "store").mkdir()
    (stage / "store" / "data").write_text("new store\n")


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


NEW = {"kg.nt": "new nt\n", "kg.ttl": "new ttl\n", "store/data": "new store\n", "view-papers.html": "a user's view\n"}


def test_output_set_replaces_the_old_set_together(tmp_path):
    from kg.io import OutputSet

    target = tmp_path / "out"
    _old_set(target)
    output = OutputSet(target, OWNED)
    assert not output.in_place and output.path.parent == tmp_path and output.path.name.startswith(".out.")
    _new_set(output.path)
    assert _files(target)["kg.ttl"] == "old ttl\n"  # nothing visible before the commit
    written = output.commit()
    assert _files(target) == NEW  # the stale problems.log went with the old set
    assert sorted(written) == ["kg.nt", "kg.ttl", "store"] and written["kg.nt"] == target / "kg.nt"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_output_set_abort_keeps_the_old_set(tmp_path):
    from kg.io import OutputSet

    target = tmp_path / "out"
    _old_set(target)
    before = _files(target)
    with pytest.raises(KeyboardInterrupt):
        with OutputSet(target, OWNED) as output:
            _new_set(output.path)
            raise KeyboardInterrupt
    assert _files(target) == before and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_output_set_in_place_when_the_folder_cannot_be_swapped(tmp_path, monkeypatch):
    from kg.io import OutputSet

    target = tmp_path / "out"
    _old_set(target)
    monkeypatch.chdir(target)  # the working directory is not pulled away from the user's shell
    output = OutputSet(target, OWNED)
    assert output.in_place and output.path.parent == target
    _new_set(output.path)
    output.commit()
    assert _files(target) == NEW and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_leftovers_of_killed_builds_are_removed_and_a_running_build_is_refused(tmp_path):
    from kg.io import OutputError, OutputSet

    target = tmp_path / "out"
    _old_set(target)
    (tmp_path / ".out.dead1234.build").mkdir()  # a killed build's new set (its lock died with it)
    (tmp_path / ".out.dead1234.build" / "kg.ttl").write_text("half")
    (tmp_path / ".out.x.old").mkdir()
    (target / ".kg.nt.abcd.tmp").write_text("half")  # left by a build before output sets
    (target / ".kg-build.dead.build").mkdir()
    running = OutputSet(target, OWNED)
    assert sorted(p.name for p in tmp_path.iterdir()) == [running.path.name, "out"]
    assert not (target / ".kg.nt.abcd.tmp").exists() and not (target / ".kg-build.dead.build").exists()
    with pytest.raises(OutputError, match="another kg build is writing it"):
        OutputSet(target, OWNED)
    running.abort()
    OutputSet(target, OWNED).abort()


def test_output_set_refuses_an_unwritable_target_before_any_work(tmp_path):
    from kg.io import OutputError, OutputSet

    afile = tmp_path / "file"
    afile.write_text("x")
    for target in (afile, afile / "out"):
        with pytest.raises(OutputError, match=re.escape(f"cannot write the output folder {target}")):
            OutputSet(target, OWNED)


def test_console_script_keeps_torch_out_without_breaking_scipy():
    """`kg` blocks thinc's unused torch/cupy import; code that looks torch up in sys.modules (SciPy's and
    scikit-learn's array-API helpers, run at `import scipy.stats`) must still work in that process."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from kg.cli import _without_gpu_frameworks\n"
        "_without_gpu_frameworks()\n"
        "import spacy, thinc.api, scipy.stats, numpy as np\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from scipy._lib.array_api_compat.common._helpers import is_torch_array\n"
        "assert not is_torch_array(np.zeros(3))\n"
        "try:\n"
        "    import torch\n"
        "except ImportError:\n"
        "    pass\n"
        "else:\n"
        "    raise AssertionError('torch was imported')\n"
        "print(sorted(m for m in ('torch', 'cupy') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
