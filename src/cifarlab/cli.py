"""Command-line front door shared by `workflow/scripts/<verb>.py` and `cifarlab <verb>`.

Parses arguments, loads the config once, and hands plain config objects to
``cifarlab.steps.<verb>.run``. Errors in params.yaml or inputs, and OS failures a user
fixes (full disk, read-only folder), end the process with a one-line message naming the
key or file (exit 2) instead of a traceback. The Snakefile calls :func:`guard_params_file`
and :func:`guard_config` for the same one-line treatment at DAG-building time.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import sys
from pathlib import Path
from typing import Any, Mapping, NoReturn

from cifarlab import phases, threads
from cifarlab.config import Config, ConfigError, build_config, load_config
from cifarlab.errors import CifarlabError, describe_os_error, file_in_the_way

STEPS = ("download", "split", "preview", "train", "evaluate", "ensemble", "aggregate", "figures", "report")
PER_EXPERIMENT = ("train", "evaluate")
EXIT_USER_ERROR = 2


def _parser(step: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"cifarlab {step or ''}".strip(), description=__doc__)
    if step is None:
        p.add_argument("step", choices=STEPS)
    p.add_argument("--params", default="params.yaml", type=Path, help="parameter file")
    p.add_argument("--profile", default=None, help="profile name (overrides params.yaml)")
    p.add_argument("--experiment", default=None, help="experiment name (train, evaluate)")
    p.add_argument("--ensemble", default=None, help="ensemble name (ensemble)")
    p.add_argument("--only", default=None,
                   help="subset: comma-separated study ids, experiment names or patterns")
    return p


def one_line(exc: BaseException) -> str:
    """The user's message for ``exc`` on one line (an OSError's cause and file named)."""
    if isinstance(exc, OSError) and not isinstance(exc, CifarlabError) and exc.filename:
        blocker = file_in_the_way(exc.filename) if exc.errno in (errno.ENOTDIR, errno.EEXIST) else ""
        text = f"{describe_os_error(exc)}{f' ({blocker})' if blocker else ''}: {exc.filename}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def run_step(step: str | None = None, argv: list[str] | None = None) -> int:
    """Run one DAG step; 0 on success, 2 (one line on stderr) for a user-fixable error."""
    args = _parser(step).parse_args(argv)
    step = step or args.step
    command = [sys.executable.rsplit("/", 1)[-1], *sys.argv] if argv is None else argv
    phases.set_context(step, args.experiment)
    phases.mark("start-up")  # the interpreter and the imports above
    try:
        threads.pin(threads.step_threads())  # before anything loads torch or a BLAS
        cfg = load_config(args.params, args.profile).select(args.only)
        phases.mark("config")
        if step in PER_EXPERIMENT:
            if args.experiment is None:
                raise ConfigError(f"{step}: --experiment is required")
            cfg.experiment(args.experiment)  # unknown names fail here, naming the key
        name = args.experiment
        if step == "ensemble":
            if args.ensemble is None:
                raise ConfigError("ensemble: --ensemble is required")
            name = cfg.ensemble(args.ensemble).name  # unknown names fail here, naming the key
        module = importlib.import_module(f"cifarlab.steps.{step}")
        phases.mark("step import")
        module.run(cfg, experiment=name, command=list(command))
    except (CifarlabError, OSError, ValueError) as exc:
        # OSError: a full disk, a read-only folder or a missing input is the user's to
        # fix; the message names the file, a traceback would only hide it.
        print(f"cifarlab {step}: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


def _refuse(message: str) -> NoReturn:
    # Snakemake prints a traceback for an exception raised in the Snakefile, but exits
    # quietly on SystemExit: print the one line ourselves, then leave with status 2.
    print(f"cifarlab: error: {message}", file=sys.stderr, flush=True)
    sys.exit(EXIT_USER_ERROR)


def guard_params_file(path: str | Path = "params.yaml") -> None:
    """Snakefile, before ``configfile:``: exit 2 with one line for a missing file, bad
    YAML or a duplicate key (Snakemake's loader would silently keep the last one)."""
    from cifarlab.yamlio import params_file_problem

    problem = params_file_problem(path)
    if problem:
        _refuse(problem)


def guard_config(config: Mapping[str, Any], source: str = "params.yaml") -> Config:
    """Snakefile, after ``configfile:``: the built Config, or exit 2 with one line naming
    the key (bad names, schema, cross-references) before any rule is defined."""
    try:
        return build_config(config, source)
    except CifarlabError as exc:
        _refuse(one_line(exc))


def guard_folder_outputs(experiments: list[str]) -> None:
    """Snakefile, before the rules: empty declared folder outputs are removed (so their
    steps run), one that is in the way ends in one line, exit 2 (cifarlab.folders)."""
    from cifarlab.folders import check_folder_outputs, folder_outputs

    try:
        for folder in check_folder_outputs(folder_outputs(experiments)):
            print(f"cifarlab: {folder}/ was an empty folder: removed, its step will build it",
                  file=sys.stderr)
    except CifarlabError as exc:
        _refuse(one_line(exc))


def main() -> None:
    """``cifarlab <step>``: the console-script entry point."""
    if sys.argv[1:2] == ["plan"]:  # not a DAG step: the planner has its own options
        from cifarlab.plan.cli import main as plan_main

        sys.exit(plan_main(sys.argv[2:]))
    sys.exit(run_step())
