"""Command-line front door shared by `workflow/scripts/<verb>.py` and `cifarlab <verb>`.

Parses arguments, loads the config once, and hands plain config objects to
``cifarlab.steps.<verb>.run``. Errors in params.yaml or inputs end the process with a
one-line message naming the key or file (exit 2), before any work starts.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from cifarlab.config import ConfigError, load_config
from cifarlab.errors import CifarlabError

STEPS = ("download", "split", "preview", "train", "evaluate", "aggregate", "figures", "report")
PER_EXPERIMENT = ("train", "evaluate")


def _parser(step: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"cifarlab {step or ''}".strip(), description=__doc__)
    if step is None:
        p.add_argument("step", choices=STEPS)
    p.add_argument("--params", default="params.yaml", type=Path, help="parameter file")
    p.add_argument("--profile", default=None, help="profile name (overrides params.yaml)")
    p.add_argument("--experiment", default=None, help="experiment name (train, evaluate)")
    return p


def run_step(step: str | None = None, argv: list[str] | None = None) -> int:
    args = _parser(step).parse_args(argv)
    step = step or args.step
    command = [sys.executable.rsplit("/", 1)[-1], *sys.argv] if argv is None else argv
    try:
        cfg = load_config(args.params, args.profile)
        if step in PER_EXPERIMENT:
            if args.experiment is None:
                raise ConfigError(f"{step}: --experiment is required")
            cfg.experiment(args.experiment)  # unknown names fail here, naming the key
        module = importlib.import_module(f"cifarlab.steps.{step}")
        module.run(cfg, experiment=args.experiment, command=list(command))
    except (CifarlabError, FileNotFoundError, ValueError) as exc:
        print(f"cifarlab {step}: error: {exc}", file=sys.stderr)
        return 2
    return 0


def main() -> None:
    sys.exit(run_step())
