"""`make run` after a kill: remove Snakemake's stale lock, or say who holds it.

A killed Snakemake leaves ``.snakemake/locks/`` behind and the next run stops with
"Directory cannot be locked" until ``snakemake --unlock``. Before a run we look for
another Snakemake working in this checkout (Linux ``/proc``: its command line and current
folder); none -> the lock is stale and we unlock, saying so; one -> we name its pid and
stop (exit 2), as unlocking would let two runs write the same files.

    python -m cifarlab.snakelock [CHECKOUT]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LOCKS = Path(".snakemake") / "locks"


def has_lock(checkout: Path) -> bool:
    """True when Snakemake's lock folder in ``checkout`` holds a lock file."""
    locks = checkout / LOCKS
    return locks.is_dir() and any(locks.iterdir())


def _is_snakemake(argv: list[str]) -> bool:
    # `snakemake ...`, `python .../snakemake ...` or `python -m snakemake ...`
    heads = [os.path.basename(a) for a in argv[:2]]
    return "snakemake" in heads or argv[1:3] == ["-m", "snakemake"]


def _ancestors() -> set[int]:
    """This process and its parents (make, uv, the shell): never 'another' Snakemake."""
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return pids


def snakemake_pids(checkout: Path) -> list[int]:
    """Pids of Snakemake processes whose current folder is ``checkout``."""
    target, skip, found = checkout.resolve(), _ancestors(), []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = proc.joinpath("cmdline").read_bytes().decode(errors="replace").split("\0")
            cwd = Path(os.readlink(proc / "cwd"))
        except OSError:  # gone, or another user's process we may not inspect
            continue
        if int(proc.name) not in skip and _is_snakemake(argv) and cwd == target:
            found.append(int(proc.name))
    return sorted(found)


def main(argv: list[str]) -> int:
    """0: no lock, or a stale one removed; 2: another Snakemake runs in the checkout."""
    checkout = Path(argv[0] if argv else ".")
    if not has_lock(checkout):
        return 0
    others = snakemake_pids(checkout)
    if others:
        print(f"cifarlab: error: Snakemake is running in {checkout.resolve()} (pid "
              f"{', '.join(map(str, others))}); wait for it to finish or stop it first", file=sys.stderr)
        return 2
    print(f"cifarlab: removing a stale Snakemake lock in {checkout.resolve()} (left by a killed "
          "run; no Snakemake is running there)", file=sys.stderr)
    snakemake = Path(sys.executable).with_name("snakemake")
    done = subprocess.run([str(snakemake), "--unlock", "--cores", "1", "--quiet"], cwd=checkout,
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"cifarlab: error: snakemake --unlock failed: {done.stderr.strip()[-500:]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
