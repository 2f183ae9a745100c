"""One process per run directory: an exclusive lock taken before a run directory is read or written.

The lock of ``<...>/seed<k>/<run id>/`` is the file ``<...>/seed<k>/.<run id>.lock`` next to it (so it can
be taken before the directory exists, and a new run and its resume are serialised the same way), held with
``flock`` for the life of the process. The kernel releases it when the holder exits in any way, SIGKILL
included, so a lock left by a dead process never blocks a resume; a live holder makes a second process
fail at once with the holder's host, pid and start time, which the file records. The file is removed when
its holder ends normally, and so are the directories taking the lock created (``seed<k>/`` and up) if they
are still empty then: a run refused after its locks were taken (an agent that refuses its config) leaves
nothing behind.

``flock`` works on local filesystems and on NFSv4 (where a crashed client's lock lapses with its lease).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bounded_ddpg.config import ConfigError
from bounded_ddpg.logger import WriteError


class LockError(ConfigError):
    """A run directory that another live process holds, or whose lock cannot be created."""


def lock_path(run_dir: Path) -> Path:
    return run_dir.parent / f".{run_dir.name}.lock"


def _holder(fd: int) -> str:
    try:
        info: Any = json.loads(os.pread(fd, 4096, 0).decode() or "null")
    except (OSError, ValueError):
        info = None
    if not isinstance(info, dict):
        return "a process that is still starting (no holder recorded yet)"
    return f"pid {info.get('pid')} on host {info.get('host')}, started {info.get('started')}"


class RunLock:
    """The lock of one run directory; :meth:`acquire` raises LockError naming a live holder."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir, self.path = run_dir, lock_path(run_dir)
        self.fd: int | None = None
        self.created: list[Path] = []  # the directories acquire() made, deepest first

    def acquire(self) -> None:
        missing = [d for d in (self.path.parent, *self.path.parent.parents) if not d.exists()]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LockError(f"cannot create the run directory's parent {self.path.parent}: {e}") from e
        self.created = missing
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except FileNotFoundError:  # another process's release removed the still-empty parent: again
                gone = [d for d in (self.path.parent, *self.path.parent.parents) if not d.exists()]
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.created = sorted({*self.created, *gone}, key=lambda d: -len(d.parts))  # now ours too
                continue
            except OSError as e:
                raise LockError(f"cannot create the lock file {self.path}: {e}") from e
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise LockError(
                    f"run directory {self.run_dir} is in use by another process: {holder} (lock file "
                    f"{self.path}). Two processes writing one run directory would corrupt it: wait for that "
                    f"one to end (or stop it), then run the same command again to resume."
                ) from None
            try:  # the holder we waited on may have removed the file: lock the one on disk
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        info = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        }
        self.fd = fd  # held from here on: release() lets it go, also after a failed write
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        except OSError as e:  # a full disk: the lock is held all the same, only the holder is not recorded
            raise WriteError(self.path, e) from e

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()  # while still holding it: a waiting process then locks a fresh file
        os.close(self.fd)
        self.fd = None
        for directory in self.created:  # only if still empty: a run directory or another lock keeps it
            try:
                directory.rmdir()
            except OSError:
                break


def held(run_dir: Path) -> bool:
    """Whether a live process holds ``run_dir``'s lock now (a probe: the lock is taken and let go at once;
    a lock file that cannot be opened counts as held, so that nobody else's run is chosen)."""
    try:
        fd = os.open(lock_path(run_dir), os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing the only descriptor of this open file lets the lock go
    return False


@contextlib.contextmanager
def locked(run_dirs: Sequence[Path]) -> Iterator[None]:
    """Hold the lock of every run directory in ``run_dirs`` (all or none) for the duration of the block."""
    locks: list[RunLock] = []
    try:
        for run_dir in run_dirs:
            lock = RunLock(run_dir)
            locks.append(lock)  # released below even if acquiring fails half-way
            lock.acquire()
        yield
    finally:
        for lock in reversed(locks):
            lock.release()
