"""Atomic output: a failed or interrupted build never leaves a half-written file, or a mixed set of files, behind."""
from __future__ import annotations

import contextlib
import ctypes
import errno
import glob
import os
import stat
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # no POSIX locks (Windows): leftovers are then removed without asking
    fcntl = None  # type: ignore[assignment]

__all__ = ["atomic_open", "atomic_write_text", "atomic_write_bytes", "replace_dir", "OutputError", "OutputSet"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary file beside `path`; on success rename it over `path`, on error remove it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding,
                       newline=None if "b" in mode else "\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write text (UTF-8, '\\n' line ends) to `path` atomically."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write bytes to `path` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def replace_dir(new: str | Path, target: str | Path) -> None:
    """Put the finished directory `new` in the place of `target`: one atomic exchange on Linux (two
    renames elsewhere), so readers see the old or the new directory, never a mix; the old one is removed."""
    new, target = Path(new), Path(target)
    if not target.exists():
        os.rename(new, target)
    elif _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # now holds the old directory
    else:
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.rename(target, old / target.name)
        os.rename(new, target)
        shutil.rmtree(old, ignore_errors=True)


class OutputError(OSError):
    """The output folder cannot be written (found before any work is done)."""


_STAGE_SUFFIX = ".build"  # .NAME.XXXXXXXX.build: a build in progress beside (or, in place, inside) NAME
_IN_PLACE_PREFIX = ".kg-build."


def _locked_by_other(folder: Path) -> bool:
    """True while another process holds the build lock of `folder` (a killed build holds none)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN)
    finally:
        os.close(fd)  # closing drops the probe lock
    return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _link_tree(src: Path, dst: Path) -> None:
    """Put `src` (a file, symlink or folder) at `dst` by hard links: no copy, and the original stays put."""
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():
        shutil.copytree(src, dst, symlinks=True, copy_function=_link_or_copy)
    else:
        _link_or_copy(src, dst)


def _link_or_copy(src: str | Path, dst: str | Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _probe(folder: Path) -> None:
    """Raise OSError unless a file can be created in `folder` (os.access is wrong for root, read-only
    mounts and immutable folders; trying is not)."""
    fd, name = tempfile.mkstemp(prefix=".kg-probe.", dir=folder)
    os.close(fd)
    os.unlink(name)


class OutputSet:
    """A set of outputs that replaces the old set in `target` together, or not at all.

    Everything is written into :attr:`path`, a fresh folder beside `target` (``.NAME.XXXX.build``),
    which :meth:`commit` swaps with `target` in one atomic exchange (kg.io.replace_dir): a reader, or a
    build killed at any moment, sees the old set or the new one, never a mix. Entries of `target` that
    the build does not own (`owned`), such as views written by ``kg view``, are carried into the new
    folder by hard links before the swap. :meth:`abort` (or an exception in a ``with`` block) removes
    the new folder and leaves `target` as it was. Creating the set checks that `target` is writable,
    before any work, and removes what killed builds left behind.

    Where `target` cannot be swapped (a mount point, the working directory, or a parent folder that
    is not writable), the set is written inside `target` (``.kg-build.XXXX.build``) and its entries are
    moved in one by one at :meth:`commit`: each entry is still atomic, the set is not.
    """

    def __init__(self, target: str | Path, owned: Iterable[str]):
        self.target = Path(target)
        self.owned = frozenset(owned)
        self._fd: int | None = None
        self._open = False
        target = self.target
        if target.exists() and not target.is_dir():
            raise OutputError(f"cannot write the output folder {target}: it exists and is not a folder")
        try:
            if target.exists():
                _probe(target)
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot write the output folder {target}: {exc.strerror or exc}") from exc
        self._clean_leftovers()
        self.in_place = True
        self.path = Path()
        if self._swappable():
            with contextlib.suppress(OSError):  # a parent folder we cannot write: build in place
                self.path = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=_STAGE_SUFFIX,
                                                  dir=target.parent))
                self.in_place = False
        if self.in_place:
            try:
                target.mkdir(exist_ok=True)
                self.path = Path(tempfile.mkdtemp(prefix=_IN_PLACE_PREFIX, suffix=_STAGE_SUFFIX, dir=target))
            except OSError as exc:
                raise OutputError(f"cannot write the output folder {target}: {exc.strerror or exc}") from exc
        # mkdtemp makes 0700: the new folder gets the old one's mode, or an ordinary folder's.
        mode = stat.S_IMODE(target.stat().st_mode) if target.is_dir() and not self.in_place else 0o777 & ~_umask()
        os.chmod(self.path, mode)
        if fcntl is not None:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
            fcntl.flock(self._fd, fcntl.LOCK_EX)  # held until commit/abort; released by the kernel on a kill
        self._open = True

    def _swappable(self) -> bool:
        target = self.target
        if not target.exists():
            return True
        if os.path.ismount(target):
            return False
        here, real = Path.cwd().resolve(), target.resolve()
        return real != here and real not in here.parents  # do not pull the working directory away

    def _clean_leftovers(self) -> None:
        """Remove the folders (and legacy temporary files) of builds that were killed: their lock is free."""
        target = self.target
        stale: list[Path] = []
        if target.parent.is_dir():
            stale += [p for p in target.parent.glob(f".{glob.escape(target.name)}.*")
                      if p.name.endswith((_STAGE_SUFFIX, ".old")) and p.is_dir()]
        if target.is_dir():
            stale += target.glob(f"{_IN_PLACE_PREFIX}*{_STAGE_SUFFIX}")
            # Left by builds before output sets: temporary files of owned outputs, written in place.
            stale += [p for p in target.glob(".*.tmp") if p.name.split(".")[1] in
                      {n.split(".")[0] for n in self.owned}]
        for p in stale:
            if _locked_by_other(p):
                raise OutputError(f"cannot write the output folder {target}: another kg build is writing it ({p})")
            _remove(p)

    def commit(self) -> dict[str, Path]:
        """Swap the new set in; the paths of the entries written, under `target`."""
        written = {name: self.target / name for name in sorted(os.listdir(self.path))}
        try:
            if self.in_place:
                for name in sorted(self.owned):
                    new, old = self.path / name, self.target / name
                    if new.is_dir():
                        replace_dir(new, old)
                    elif new.exists():
                        os.replace(new, old)
                    elif old.exists() or old.is_symlink():
                        _remove(old)  # not part of the new set (a stale problems.log): gone with the old set
                shutil.rmtree(self.path, ignore_errors=True)
            else:
                if self.target.is_dir():
                    for entry in sorted(os.listdir(self.target)):
                        if entry not in self.owned and not _is_leftover(entry) and not (self.path / entry).exists():
                            _link_tree(self.target / entry, self.path / entry)
                replace_dir(self.path, self.target)
        finally:
            self._unlock()
        return written

    def abort(self) -> None:
        """Remove the new set; `target` stays as it was."""
        try:
            _remove(self.path)
        finally:
            self._unlock()

    def _unlock(self) -> None:
        self._open = False
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "OutputSet":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._open:
            return  # committed or aborted already
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def _is_leftover(name: str) -> bool:
    return name.startswith(".") and name.endswith((".tmp", ".old", _STAGE_SUFFIX))

