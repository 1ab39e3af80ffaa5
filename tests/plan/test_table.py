"""The printed plan, the CSV and its provenance sidecar."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cifarlab.plan.schedule import lpt_schedule
from cifarlab.plan.table import (default_csv, format_summary, format_table, human_seconds,
                                 plan_frame, plan_provenance, write_plan)
from cifarlab.plan.workload import PLAN_COLUMNS, StepTiming, Workload, predict, workflow_jobs


def rows():
    timing = StepTiming(0.25, 0.1, 512.0, "cuda_max_allocated", "cuda", "bfloat16", True,
                        "synthetic", 2.0)
    out = []
    for name, epochs, seeds in (("big", 300, (0, 1, 2)), ("small", 10, (0,))):
        w = Workload(name, "s002", "m", "cifar100", 128, 256, 32, 32, 100, 45_000, 5_000, 10_000,
                     epochs, seeds)
        out.append(predict(w, timing, "full"))
    return out


def test_human_seconds_picks_the_unit_a_reader_plans_with():
    assert [human_seconds(s) for s in (42, 17 * 60, 3.4 * 3600, 2.5 * 86400, 9 * 86400)] == \
        ["42 s", "17 min", "3.4 h", "2.5 days", "9.0 days"]


def test_table_and_summary_show_the_columns_the_issue_asks_for():
    df = plan_frame(rows())
    text = format_table(df)
    for header in ("experiment", "images/s", "s/epoch", "epochs x seeds", "GPU-hours", "peak MiB"):
        assert header in text
    assert "300 x 3" in text and "10 x 1" in text and "512 (cuda_max_allocated)" in text
    jobs = workflow_jobs(rows())
    summary = format_summary(lpt_schedule(jobs, 2), jobs)
    assert summary.startswith("2 jobs on 2 devices, longest first: wall time")
    assert "device-hours" in summary


def test_csv_round_trips_and_the_sidecar_records_the_schedule(tmp_path):
    df = plan_frame(rows())
    jobs = workflow_jobs(rows())
    schedule = lpt_schedule(jobs, 2)
    out = tmp_path / "results" / "plan" / "full.csv"
    prov = plan_provenance(["cifarlab", "plan"], {"profile": "full"}, [], "cuda", schedule, jobs)
    side = write_plan(out, df, prov)
    back = pd.read_csv(out)
    assert list(back.columns) == list(PLAN_COLUMNS)
    assert back["predicted_seconds"].tolist() == pytest.approx(df["predicted_seconds"].tolist(), rel=1e-5)
    record = json.loads(side.read_text())
    assert side.name == "full.prov.json" and record["step"] == "plan"
    assert record["extra"]["makespan_s"] == pytest.approx(schedule.makespan, abs=1e-3)
    assert record["extra"]["devices"] == 2 and len(record["extra"]["schedule"]) == 2
    assert sorted(p.name for p in out.parent.iterdir()) == ["full.csv", "full.prov.json"]


def test_default_csv_is_per_profile():
    assert default_csv("full").as_posix() == "results/plan/full.csv"
