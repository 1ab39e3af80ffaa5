"""The plan as a printed table and as CSV with a provenance sidecar (torch-free)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from cifarlab.dag import PLAN_DIR
from cifarlab.io import atomic_path
from cifarlab.plan.schedule import Schedule
from cifarlab.plan.workload import PLAN_COLUMNS
from cifarlab.provenance import collect_provenance, sidecar_path, write_provenance


def default_csv(profile: str) -> Path:
    """``results/plan/<profile>.csv``."""
    return Path(PLAN_DIR) / f"{profile}.csv"


def plan_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The plan rows as a frame in PLAN_COLUMNS order."""
    return pd.DataFrame([dict(r) for r in rows], columns=list(PLAN_COLUMNS))


def human_seconds(seconds: float) -> str:
    """``42 s``, ``17 min``, ``3.4 h`` or ``2.1 days``: the unit a reader plans with."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _hours_label(df: pd.DataFrame) -> str:
    cuda = df["device"].astype(str).str.startswith("cuda").any()
    return "GPU-hours" if cuda else "device-hours"


def format_table(df: pd.DataFrame) -> str:
    """The per-experiment table the command prints."""
    mem = [f"{v:,.0f} ({s})" if pd.notna(v) else "n/a"
           for v, s in zip(df["peak_memory_mb"], df["peak_memory_source"])]
    shown = pd.DataFrame({
        "experiment": df["experiment"],
        "images/s": df["images_per_s"].map("{:,.0f}".format),
        "s/epoch": df["s_per_epoch"].map("{:,.1f}".format),
        "epochs x seeds": [f"{e} x {s}" for e, s in zip(df["epochs"], df["seeds"])],
        _hours_label(df): df["predicted_gpu_hours"].map("{:,.2f}".format),
        "peak MiB": mem,
    })
    return shown.to_string(index=False)


def format_summary(schedule: Schedule, jobs: Mapping[str, float]) -> str:
    """Wall time on N devices (longest job first) with its bounds, and the total."""
    lower, upper = schedule.bounds(jobs)
    n = schedule.n_devices
    return (f"{len(jobs)} jobs on {n} device{'s' if n > 1 else ''}, longest first: wall time "
            f"{human_seconds(schedule.makespan)} (no schedule below {human_seconds(lower)}, "
            f"LPT never above {human_seconds(upper)}); total {schedule.total / 3600:,.2f} "
            f"device-hours ({human_seconds(schedule.total)})")


def write_plan(path: str | os.PathLike, df: pd.DataFrame, provenance: Mapping[str, Any]) -> Path:
    """Write the CSV atomically, then its ``.prov.json`` sidecar; returns the sidecar path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, float_format="%.6g")
    side = sidecar_path(path)
    write_provenance(side, provenance)
    return side


def plan_provenance(command: Sequence[str], params: Mapping[str, Any], inputs: Sequence[Path],
                    device: str, schedule: Schedule, jobs: Mapping[str, float]) -> dict[str, Any]:
    """The sidecar record: params read, split inputs' md5, device, and the schedule."""
    lower, upper = schedule.bounds(jobs)
    extra = {"devices": schedule.n_devices, "jobs": len(jobs),
             "makespan_s": round(schedule.makespan, 3), "lower_bound_s": round(lower, 3),
             "upper_bound_s": round(upper, 3), "total_s": round(schedule.total, 3),
             "schedule": [list(d) for d in schedule.devices],
             "caption": "Predicted cost of the selection, from timed warm steps"}
    return collect_provenance("plan", list(command), params, list(inputs), device=device, extra=extra)
