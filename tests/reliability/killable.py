"""Run one DAG step, freezing it just before its N-th atomic rename onto a target, so a
test can SIGKILL it at the worst moment (temporary complete, target not yet replaced).

    python killable.py MARKER PREFIX N STEP [step arguments...]

PREFIX is matched against the rename's destination relative to the current folder
(``results/state/cnn4`` matches ``results/state/cnn4/state.pt``); on the N-th match the
process writes MARKER and sleeps until killed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    marker, prefix, nth, step, *rest = argv
    real_replace, seen = os.replace, [0]

    def replace(src, dst, *args, **kwargs):
        if os.path.relpath(dst).startswith(prefix):
            seen[0] += 1
            if seen[0] == int(nth):
                Path(marker).write_text(f"{os.getpid()} {src} -> {dst}\n")
                time.sleep(600)  # the test kills us here
        return real_replace(src, dst, *args, **kwargs)

    os.replace = replace
    from cifarlab.cli import run_step

    return run_step(step, ["--params", "params.yaml", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
