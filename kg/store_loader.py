"""kg.store.persist_store in a child Python process, so that a build writes its other files meanwhile.

Loading the store is the longest thing a build does after extracting (about a fifth of a 10,000-paper
build), and it only needs kg.nt. A thread would not overlap it with anything: pyoxigraph holds the
GIL while it parses and converts triples. A child process started from scratch (not forked) shares
no memory with the build, so the build's pages are not copied as it goes on touching them, and it
does not re-run the caller's ``__main__`` as a spawned multiprocessing child would.

A big graph's kg.nt is sorted in runs on disk (kg.rdf), and the store does not need sorted input: fed
the runs (`feed`) as the build writes them, the child loads while the build is still mapping the graph
to triples, and only the last steps (optimize, the materialized queries, kg.nt's digest) wait for
kg.nt (`finish`).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .store import STORE_DIR, QueryError

__all__ = ["BackgroundLoad"]

_CHILD = """\
import sys
from pathlib import Path
from kg.store import QueryError, persist_store

def parts(folder):
    # The runs' names come on stdin as the build writes them; each is deleted once loaded.
    for line in sys.stdin:
        path = folder / line.rstrip("\\n")
        yield path
        path.unlink()

try:
    persist_store(sys.argv[1], parts=parts(Path(sys.argv[2])) if len(sys.argv) > 2 else None)
except QueryError as exc:
    sys.exit(str(exc))
"""
# Where fed runs wait for the child, inside the graph folder (a hard link needs the same file system).
_RUNS_DIR = ".kg-nt-runs"
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before it runs (Linux): a build killed outright takes its store load with it."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class BackgroundLoad:
    """``persist_store(graph_dir)`` running in a child process: `wait` for its result, or `cancel` it.

    With `fed`, the child loads the files handed to `feed` as they come (kg.nt's sorted runs), and
    `finish` says that kg.nt is complete; else it loads kg.nt, which must be complete already.

    >>> import shutil; _ = shutil.copytree("out", "bg", dirs_exist_ok=True)
    >>> load = BackgroundLoad("bg")
    >>> load.wait()
    PosixPath('bg/store')
    >>> load.seconds > 0
    True
    """

    def __init__(self, graph_dir: str | Path, fed: bool = False) -> None:
        self.graph_dir = Path(graph_dir)
        self.seconds = 0.0
        self._runs = self.graph_dir / _RUNS_DIR if fed else None
        args = [str(self.graph_dir)]
        if self._runs is not None:
            self._runs.mkdir()
            args.append(str(self._runs))
        self._errors = tempfile.TemporaryFile()
        # The child imports this very kg package, wherever the caller imported it from.
        root = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
        self._start = time.perf_counter()
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, *args], stdin=subprocess.PIPE if fed else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=self._errors, env=env,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)

    def feed(self, path: Path) -> None:
        """Hand the child one more N-Triples file to load (hard-linked, so the caller may delete its own)."""
        target = self._runs / path.name
        try:
            os.link(path, target)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links
            shutil.copyfile(path, target)
        try:
            self._proc.stdin.write(path.name.encode() + b"\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            pass  # the child has stopped: `wait` says why

    def finish(self) -> None:
        """No more files: the child loads what it has, then reads kg.nt for the store's record of it."""
        if self._proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                self._proc.stdin.close()

    def wait(self) -> Path:
        """The store's path once the load is done; QueryError with the child's message if it failed.
        A fed load takes what it was fed as all there is (`finish`)."""
        self.finish()
        code = self._proc.wait()
        self.seconds = time.perf_counter() - self._start
        self._errors.seek(0)
        lines = self._errors.read().decode("utf-8", "replace").strip().splitlines()
        self._errors.close()
        self._remove_runs()
        if code:
            why = lines[-1] if lines else f"exit status {code}"
            raise QueryError(f"loading the store of {self.graph_dir} failed: {why}")
        return self.graph_dir / STORE_DIR

    def cancel(self) -> None:
        """Stop the load (if still running) and wait for the child to exit; what it wrote is left to the
        caller, who is discarding the folder."""
        if self._proc.poll() is None:
            self._proc.terminate()
        self._proc.wait()
        self._errors.close()
        self._remove_runs()

    def _remove_runs(self) -> None:
        self.finish()
        if self._runs is not None:
            shutil.rmtree(self._runs, ignore_errors=True)
