"""Full disk, read-only folder, a file where a folder should be: one line naming the
path and the cause, exit 2, the previous file intact, no temporary left.

The full disk is a real one where we may mount (a 64 KiB tmpfs; CI runs as root) and a
write wrapper raising ENOSPC everywhere else.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import subprocess
from pathlib import Path

import pytest
import torch

from cifarlab.errors import DiskError
from cifarlab.io import write_json
from cifarlab.train import checkpoint as ck
from tests.reliability.helpers import snapshot, step, temporaries


def _mount_reason() -> str | None:
    if os.geteuid() != 0:
        return "mounting a small tmpfs needs root (CI runs as root)"
    return None


@contextlib.contextmanager
def tmpfs(where: Path, size: str = "64k", readonly: bool = False):
    """A small tmpfs mounted at ``where`` for the block (skips when mount is refused)."""
    reason = _mount_reason()
    if reason:
        pytest.skip(reason)
    where.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if readonly else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_on_json_write_keeps_the_old_file(project, monkeypatch):
    target = Path("results/tables/experiments.json")
    write_json(target, {"old": True})
    with monkeypatch.context() as m, pytest.raises(DiskError) as info:
        m.setattr(Path, "write_text", _enospc)
        write_json(target, {"new": True})
    assert str(info.value) == f"no space left on device while writing {target}"
    assert target.read_text() == '{\n  "old": true\n}\n' and not temporaries(project)


class _FillsUp(io.RawIOBase):
    """A file that takes ``room`` bytes, then fails like a full disk."""

    def __init__(self, path, mode="wb", room=512):
        self.fh, self.room = open(path, mode), room

    def writable(self):
        return True

    def write(self, data):
        if self.room < len(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.fh.write(data)

    def close(self):
        self.fh.close()
        super().close()


def test_torch_save_on_full_disk_names_the_path_wrapper(project, monkeypatch):
    target = Path("results/state/cnn4/state.pt")
    ck.save_torch(target, {"epoch": 1})
    with monkeypatch.context() as m, \
            pytest.raises(DiskError, match=rf"^no space left on device while writing {target}$"):
        m.setattr(ck, "open", _FillsUp, raising=False)
        ck.save_torch(target, {"w": torch.zeros(10_000)})
    assert ck.load_torch(target) == {"epoch": 1} and not temporaries(project)


def test_torch_save_on_a_real_full_disk_names_the_path(project):
    with tmpfs(project / "results" / "state"):
        target = Path("results/state/state.pt")
        ck.save_torch(target, {"epoch": 1})
        with pytest.raises(DiskError, match=rf"^no space left on device while writing {target}$"):
            ck.save_torch(target, {"w": torch.zeros(100_000)})  # 400 kB into 64 kB
        assert ck.load_torch(target) == {"epoch": 1} and not temporaries(project)


def test_train_step_on_a_full_disk_ends_in_one_line(project, capsys):
    with tmpfs(project / "results" / "state"):
        rc, err = step(capsys, "train", "--experiment", "cnn4")
        assert not temporaries(project)
    assert rc == 2 and err.count("\n") == 1, err
    assert "error: no space left on device while writing results/state/cnn4/" in err
    assert not list(project.glob("results/runs/cnn4/**/best.pt"))


def test_read_only_data_folder_names_the_output(project, capsys):
    before = snapshot(project / "data")
    if os.geteuid() == 0:
        ctx, cause = tmpfs(project / "data", readonly=True), "read-only file system"
    else:  # permissions stop a non-root user (root ignores them)
        os.chmod(project / "data", 0o555)
        ctx, cause = contextlib.nullcontext(), "permission denied"
    try:
        with ctx:
            rc, err = step(capsys, "download")
    finally:
        os.chmod(project / "data", 0o755)
    assert rc == 2 and err.count("\n") == 1, err
    assert f"error: {cause} while writing data/raw" in err
    assert snapshot(project / "data") == before and not temporaries(project)


def test_a_file_where_a_folder_should_be(project, capsys):
    (project / "results").write_text("not a folder\n")
    rc, err = step(capsys, "train", "--experiment", "cnn4")
    assert rc == 2 and err.count("\n") == 1, err
    assert "a file stands where a folder should be (results is a file)" in err and "results/state/cnn4" in err
    assert (project / "results").read_text() == "not a folder\n"
