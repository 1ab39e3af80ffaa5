"""Crash-safe file output: nothing half-written survives a failure or a kill.

Every output goes through :func:`atomic_path`: it is built in a temporary sibling named
``.<name>.<pid>@<host>.<token>.tmp`` and renamed onto the target at the end. The pid and
host in the name let the next writer of the same target remove temporaries whose
creating process is dead (a SIGKILLed step), and only those: a live writer's temporary,
or one from another machine sharing the folder, is left alone.

OS failures while writing (full disk, read-only folder, a file where a folder should
be) become :class:`cifarlab.errors.DiskError`, one line naming the target and the cause;
the previous target stays as it was.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import socket
import sys
from pathlib import Path
from typing import Any, Iterator

from cifarlab.errors import DiskError, disk_error, file_in_the_way
from cifarlab.names import check_write_target

# Only writing raises these: always the target's fault, whatever file the OS names.
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}
# These may come from reading an input too: the target's fault when the OS names no file
# or one inside the temporary.
PATH_ERRNOS = {errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR, errno.EEXIST}
_HOST = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "localhost"


def temp_name(final: Path) -> str:
    """The temporary sibling's name for ``final``, carrying this process's pid and host."""
    return f".{final.name}.{os.getpid()}@{_HOST}.{secrets.token_hex(4)}.tmp"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def stale_temporaries(final: Path) -> list[Path]:
    """Temporaries of ``final`` left by dead processes of this host (see module doc)."""
    pattern = re.compile(rf"\.{re.escape(final.name)}\.(\d+)@([A-Za-z0-9.-]+)\.[0-9a-f]+\.tmp")
    if not final.parent.is_dir():
        return []
    stale = []
    for path in final.parent.iterdir():
        m = pattern.fullmatch(path.name)
        if m and m.group(2) == _HOST and int(m.group(1)) != os.getpid() \
                and not _pid_alive(int(m.group(1))):
            stale.append(path)
    return sorted(stale)


def remove_stale_temporaries(final: Path) -> list[Path]:
    """Remove (and report on stderr) what :func:`stale_temporaries` finds."""
    removed = stale_temporaries(final)
    for path in removed:
        _remove(path)
        print(f"cifarlab: removed stale temporary {path} (its process is gone)", file=sys.stderr)
    return removed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _as_disk_error(exc: OSError, final: Path, tmp: Path) -> OSError:
    """The one-line DiskError for a failure while building ``final``, else ``exc``."""
    if isinstance(exc, DiskError):
        # From a nested atomic_path inside our temporary folder: name the real target
        # (data/raw/cifar10, not data/.raw.<pid>@host.<token>.tmp/cifar10).
        text = str(exc).replace(str(tmp), str(final))
        return exc if text == str(exc) else DiskError(exc.errno, text)
    named = exc.filename is None or str(tmp) in str(exc.filename) or str(exc.filename) == str(final)
    if exc.errno in WRITE_ERRNOS or (exc.errno in PATH_ERRNOS and named):
        return disk_error(exc, final, detail=file_in_the_way(final))
    return exc


def _commit(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` onto ``final``; an old folder is moved aside first, so a failed
    rename puts it back instead of losing it."""
    if not (final.is_dir() and not final.is_symlink()):
        os.replace(tmp, final)
        return
    old = final.with_name(temp_name(final))
    os.replace(final, old)
    try:
        os.replace(tmp, final)
    except OSError:
        os.replace(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling path; rename it onto ``path`` only if the block succeeds.

    Works for files and directories (the caller decides which the temporary becomes). The
    temporary lives in the same folder so the final ``os.replace`` is atomic on one file
    system. Raises UnsafeNameError for a target outside the project's folders (see
    cifarlab.names.check_write_target) and DiskError for a full or read-only disk.
    """
    final = Path(path)
    check_write_target(final)
    tmp = final.with_name(temp_name(final))
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(final)
    except OSError as exc:  # nothing but the target's folder is touched here
        raise disk_error(exc, final, detail=file_in_the_way(final)) from exc
    try:
        yield tmp
        _commit(tmp, final)
    except OSError as exc:
        err = _as_disk_error(exc, final, tmp)
        if err is exc:
            raise
        raise err from exc
    finally:
        with contextlib.suppress(OSError):  # a read-only disk must not mask the real error
            _remove(tmp)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Atomically write ``obj`` as indented, key-sorted JSON."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def write_text(path: str | os.PathLike, text: str) -> None:
    """Atomically write ``text`` to ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def read_json(path: str | os.PathLike) -> Any:
    """Parse the JSON file at ``path``."""
    return json.loads(Path(path).read_text())
