"""``make rehearsal``: the rehearsal profile through the real DAG, on stand-in data.

1. Stand-ins (``fixtures``): CIFAR archives in the official format, an ImageNet-100
   ImageFolder tree, pretrained weights in a torch hub cache, all under ``out``.
2. A working copy of the workflow in ``out/work`` (Snakefile, rules, scripts, params.yaml
   with ``profile: rehearsal``, the CIFAR datasets' url and md5 pointing at the archives
   served on loopback, ``datasets.imagenet100.local`` at the tree), so the checkout's own
   results stay as they are. Every step runs there with TORCH_HOME and the caches inside
   ``out``: nothing is written outside the project's folder.
3. Snakemake runs download and split; then the planner predicts each experiment's peak
   memory (``cifarlab.plan.memory``, one process each); an experiment predicted above the
   limit is named and left out; Snakemake runs the rest to the report, under a guard that
   kills the run if the machine's memory use passes the limit anyway.
4. ``out/memory.csv`` and ``out/memory.md``: peak memory beside the prediction.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cifarlab.config import REPO_ROOT, load_config
from cifarlab.io import write_json
from cifarlab.rehearsal import fixtures
from cifarlab.rehearsal.guard import run_guarded
from cifarlab.rehearsal.table import frame, markdown, measured, row

PROFILE = "rehearsal"
WORKFLOW_FILES = ("Snakefile", "dvc.yaml", "workflow")
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Request:
    only: str | None  # --config only=... terms; None: every experiment
    cores: int
    limit_mb: float  # an experiment predicted above this does not start; the guard's limit
    out: Path
    ci: bool = False  # only CI's part of the selection (cifarlab.rehearsal.subset)
    ci_cost: float | None = None  # CI's part within this many cost-table seconds (None: every family)


def machine_memory_mb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20


def say(msg: str) -> None:
    print(f"rehearsal: {msg}", flush=True)


def work_params(raw: dict[str, Any], base_url: str, md5s: dict[str, str], imagenet: Path) -> dict[str, Any]:
    """params.yaml for the working copy: the rehearsal profile on the stand-ins."""
    out = json.loads(json.dumps(raw))  # a deep copy of plain data
    out["profile"] = PROFILE
    for kind, md5 in md5s.items():
        out["datasets"][kind].update(url=f"{base_url}/{fixtures.ARCHIVES[kind]}", md5=md5)
    out["datasets"]["imagenet100"]["local"] = str(imagenet)
    return out


def make_work_copy(work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in WORKFLOW_FILES:
        src = REPO_ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, work / name)


def environment(out: Path) -> dict[str, str]:
    """This venv's tools first on PATH; torch's hub and every cache inside ``out``."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["TORCH_HOME"] = str(out / "torch")
    env["XDG_CACHE_HOME"] = str(out / "cache")
    env["MPLCONFIGDIR"] = str(out / "cache" / "matplotlib")
    return env


def snakemake(req: Request, work: Path, env: dict[str, str], only: str | None, targets=()) -> tuple[int, Any]:
    args = [str(BIN / "snakemake"), *targets, "--cores", str(req.cores), "--keep-going",
            "--config", f"profile={PROFILE}", *([f"only={only}"] if only else [])]
    return run_guarded(args, cwd=work, env=env, limit_mb=req.limit_mb)


def predict(work: Path, env: dict[str, str], name: str, cap_mb: float) -> tuple[dict | None, str]:
    """The planner's memory prediction for one experiment, in a fresh process that never
    probes a step predicted above ``cap_mb``."""
    done = subprocess.run([str(BIN / "python"), "-m", "cifarlab.plan.memory", "--profile", PROFILE,
                           "--experiment", name, "--cap-mb", str(cap_mb)],
                          cwd=work, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        return None, f"not run: the memory prediction failed: {last}"
    return json.loads(done.stdout.strip().splitlines()[-1]), ""


def rehearse(req: Request) -> int:
    """Run the rehearsal; 0 when every selected experiment ran or was named as not fitting."""
    started = time.monotonic()
    out = req.out.resolve()
    work, stand_ins = out / "work", out / "stand_ins"
    raw = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    cfg = load_config(REPO_ROOT / "params.yaml", PROFILE).select(req.only)
    if req.ci:
        from cifarlab.rehearsal.subset import ci_subset

        chosen, left_out = ci_subset(cfg, max_cost=req.ci_cost)
        for name, why in chosen.items():
            say(f"CI part: {name} ({why})")
        if left_out:
            say(f"CI part: left out for time (--ci-cost {req.ci_cost:g}): families {', '.join(left_out)}")
        req = dataclasses.replace(req, only=",".join(chosen))
        cfg = cfg.select(req.only)
    say(f"{len(cfg.experiments)} experiments; memory limit {req.limit_mb / 1024:.1f} GiB; "
        f"{req.cores} core(s); everything under {out}")
    md5s = fixtures.write_cifar_archives(stand_ins / "www")
    imagenet = stand_ins / "imagenet100"
    if not (imagenet / "val").is_dir():
        fixtures.write_imagefolder(imagenet)
    fixtures.write_hub_weights(out / "torch")
    make_work_copy(work)
    env = environment(out)
    archives = _archives()
    with archives.serve(stand_ins / "www") as url:
        (work / "params.yaml").write_text(yaml.safe_dump(work_params(raw, url, md5s, imagenet), sort_keys=False))
        say("download and split (Snakemake)")
        status, guard = snakemake(req, work, env, req.only, targets=["data/split"])
        if status != 0:
            say(f"download/split failed (exit {status}); see {work}/logs")
            return 1
        predictions, reasons = _predict_all(cfg, work, env, req.limit_mb, req.cores)
        fitting = [n for n in cfg.experiments if not reasons.get(n)]
        say(f"training {len(fitting)} of {len(cfg.experiments)} experiments to the report (Snakemake)")
        status, guard = snakemake(req, work, env, ",".join(fitting)) if fitting else (0, guard)
    if guard.killed:
        for name, mb in guard.running_at_kill.items():
            reasons[name] = f"killed by the memory guard at {mb / 1024:.1f} GiB (limit {req.limit_mb / 1024:.1f} GiB)"
            say(f"{name}: {reasons[name]}")
    df = _table(cfg, work, predictions, reasons)
    _write(out, df, req, time.monotonic() - started, status, guard.peak_mb)
    ok = status == 0 and not (df["status"].str.startswith("failed")).any()
    return 0 if ok else 1


def _archives():
    return fixtures._archives_module()


def _predict_all(cfg, work: Path, env, limit_mb: float, cores: int) -> tuple[dict[str, dict], dict[str, str]]:
    """Every experiment's prediction, ``cores`` probes at a time (each kept under
    ``limit_mb / cores``, so together they stay under the limit)."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    predictions, reasons = {}, {}
    with ThreadPoolExecutor(max_workers=cores) as pool:
        futures = {pool.submit(_timed_predict, work, env, name, limit_mb / cores): name
                   for name in cfg.experiments}
        for future in as_completed(futures):
            name = futures[future]
            predictions[name], reasons[name] = _verdict(name, *future.result(), limit_mb)
    return {n: p for n, p in predictions.items() if p is not None}, reasons


def _verdict(name: str, p: dict | None, why: str, seconds: float, limit_mb: float) -> tuple[dict | None, str]:
    """The prediction and why the experiment does not run ('' when it does), said aloud."""
    if p is not None and max(p["predicted_mb"], p["evaluate_mb"]) > limit_mb:
        why = (f"cannot run here: the planner predicts {max(p['predicted_mb'], p['evaluate_mb']) / 1024:.1f} GiB at batch "
               f"{p['batch_size']}, {p['input_size']} px (limit {limit_mb / 1024:.1f} GiB)")
    shown = f"predicted {p['predicted_mb'] / 1024:.2f} GiB" if p else "no prediction"
    say(f"{name}: {shown} ({seconds:.0f} s){'; ' + why if why else ''}")
    return p, why


def _timed_predict(work: Path, env, name: str, cap_mb: float) -> tuple[dict | None, str, float]:
    t = time.monotonic()
    p, why = predict(work, env, name, cap_mb)
    return p, why, time.monotonic() - t


def _table(cfg, work: Path, predictions, reasons):
    rows = []
    for name, exp in cfg.experiments.items():
        got = measured(work, name, exp.seeds[0])
        if reasons.get(name):
            status = reasons[name]
        elif got["train_peak_mb"] is not None and got["evaluate_peak_mb"] is not None:
            status = "ran"
        else:
            status = f"failed: see {work}/logs"
        rows.append(row(name, exp.study, exp.model, predictions.get(name), got, status))
    return frame(rows)


def _write(out: Path, df, req: Request, seconds: float, status: int, guard_peak_mb: float) -> None:
    df.to_csv(out / "memory.csv", index=False)
    text = markdown(df)
    (out / "memory.md").write_text(text + "\n")
    import resource

    # CPU seconds of every process the rehearsal ran: on a shared machine the wall time
    # follows the other users' load, this does not.
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = kids.ru_utime + kids.ru_stime
    write_json(out / "rehearsal.json", {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
                                        "cores": req.cores, "only": req.only,
                                        "limit_mb": round(req.limit_mb), "snakemake_exit": status,
                                        "largest_total_rss_mb": round(guard_peak_mb),
                                        "load_average": os.getloadavg(),
                                        "experiments": len(df), "ran": int((df["status"] == "ran").sum())})
    print(text)
    say(f"{int((df['status'] == 'ran').sum())} of {len(df)} experiments ran in {seconds / 60:.1f} min "
        f"({cpu / 60:.1f} CPU-min, load average {os.getloadavg()[0]:.1f}); "
        f"table in {out}/memory.md, report in {out}/work/report/index.html")
