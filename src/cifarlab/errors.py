"""Errors a user can fix (bad params, bad or missing input files, a full or read-only disk).

The command-line front door turns these into a one-line message naming the key or file
and exit status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import os


class CifarlabError(Exception):
    """Base of the errors whose message is the whole story for the user."""


class UnsafeNameError(CifarlabError, ValueError):
    """A name that becomes a path or key breaks the name pattern or escapes the project."""


class DuplicateKeyError(CifarlabError, ValueError):
    """A YAML mapping holds the same key twice (PyYAML would silently keep the last)."""


class DiskError(CifarlabError, OSError):
    """Writing or reading a file failed for a reason the user fixes (space, permissions).

    Still an OSError (with the errno) for callers that catch those; ``str()`` is the one
    line the user reads, without OSError's ``[Errno n]`` prefix.
    """

    def __str__(self) -> str:
        return str(self.strerror)


# errno -> the words a user reads; the rest fall back to the OS's own strerror.
CAUSES = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for the file system",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a file stands where a folder should be",
    errno.EISDIR: "a folder stands where a file should be",
    errno.EEXIST: "a file stands where a folder should be",
    errno.ENOENT: "no such file or folder",
    errno.EIO: "input/output error (failing disk or network file system)",
}


def describe_os_error(exc: OSError) -> str:
    """The cause of ``exc`` in plain words ("no space left on device")."""
    if exc.errno in CAUSES:
        return CAUSES[exc.errno]
    return exc.strerror or type(exc).__name__


def file_in_the_way(path: str | os.PathLike) -> str:
    """"<ancestor> is a file" when a file stands where a folder of ``path`` should be."""
    from pathlib import Path

    for parent in reversed(Path(path).parents):
        if parent.exists() and not parent.is_dir():
            return f"{parent} is a file"
    return ""


def disk_error(exc: OSError, path: str | os.PathLike, action: str = "writing",
               detail: str = "") -> DiskError:
    """One-line ``DiskError``: "<cause>[ (detail)] while <action> <path>", keeping the errno."""
    cause = describe_os_error(exc) + (f" ({detail})" if detail else "")
    return DiskError(exc.errno, f"{cause} while {action} {os.fspath(path)}")
