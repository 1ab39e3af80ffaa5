"""Stale temporaries: the next writer of a target removes those whose creating process is
dead on this machine, and nothing else (a live writer's, another machine's, foreign files)."""

from __future__ import annotations

import subprocess

from cifarlab import io as cio


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_only_temporaries_of_dead_local_processes_are_removed(project):
    live = subprocess.Popen(["sleep", "600"])
    try:
        folder = project / "results" / "figures"
        folder.mkdir(parents=True)
        dead = folder / f".summary.{_dead_pid()}@{cio._HOST}.0a1b2c3d.tmp"
        keep = [folder / f".summary.{live.pid}@{cio._HOST}.0a1b2c3d.tmp",  # a live writer
                folder / f".summary.{_dead_pid()}@elsewhere.example.0a1b2c3d.tmp",  # another host
                folder / ".summary.k3j4h5g6.tmp",  # not ours to judge
                folder / f".summary_old.{_dead_pid()}@{cio._HOST}.0a1b2c3d.tmp"]  # another target
        (dead / "sub").mkdir(parents=True)
        (dead / "sub" / "half.png").write_bytes(b"\x89PNG")
        for path in keep:
            path.mkdir()

        with cio.atomic_path("results/figures/summary") as tmp:
            tmp.mkdir()
            (tmp / "a.png").write_bytes(b"png")

        assert not dead.exists()
        assert all(path.exists() for path in keep)
        assert (folder / "summary" / "a.png").read_bytes() == b"png"
    finally:
        live.kill()
        live.wait()


def test_a_failed_folder_replace_restores_the_old_folder(project, monkeypatch):
    """The old output folder is moved aside, not deleted, until the new one is in place."""
    target = project / "results" / "figures" / "summary"
    target.mkdir(parents=True)
    (target / "old.png").write_bytes(b"old")
    real = cio.os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # the new folder onto the target
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(cio.os, "replace", flaky)
    try:
        with cio.atomic_path("results/figures/summary") as tmp:
            tmp.mkdir()
            (tmp / "new.png").write_bytes(b"new")
    except cio.DiskError as exc:
        assert str(exc) == "no space left on device while writing results/figures/summary"
    else:
        raise AssertionError("the failed replace was not reported")
    monkeypatch.setattr(cio.os, "replace", real)
    assert sorted(p.name for p in target.iterdir()) == ["old.png"]
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
