"""The figures step reads comparisons.csv when aggregate wrote it, and each sidecar says
what the figure's error bars show."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd

from cifarlab import dag
from cifarlab.analysis.figures.catalogue import DLA_GRID
from cifarlab.steps import figures


def _tables(root, comparisons: bool) -> None:
    tables = root / dag.TABLES_DIR
    tables.mkdir(parents=True)
    names = list(DLA_GRID.values())
    top1 = [0.5 + 0.03 * i for i in range(len(names))]
    pd.DataFrame({"experiment": names, "study": "s004", "top1": top1, "params": 1e6,
                  "top1_ci_low": [t - 0.02 for t in top1], "top1_ci_high": [t + 0.01 for t in top1]}
                 ).to_csv(tables / "experiments.csv", index=False)
    if comparisons:
        pd.DataFrame({"study": "s004", "kind": "grid_vs_best", "experiment": names[:-1], "reference": names[-1],
                      "delta": -0.01, "tied": [True] + [False] * (len(names) - 2)}
                     ).to_csv(tables / "comparisons.csv", index=False)


def _run(tmp_path, monkeypatch, comparisons: bool) -> dict:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(dag, "param_values", lambda step, raw: {})
    _tables(tmp_path, comparisons)
    figures.run(SimpleNamespace(experiments={}, raw={}), None, ["python", "workflow/scripts/figures.py"])
    out = tmp_path / dag.SUMMARY_DIR
    return {p.name.removesuffix(".prov.json"): json.loads(p.read_text()) for p in out.glob("*.prov.json")}


def test_the_grid_reads_comparisons_and_sidecars_name_the_intervals(tmp_path, monkeypatch):
    prov = _run(tmp_path, monkeypatch, comparisons=True)
    assert prov["all_top1"]["extra"]["intervals"] == ["95% interval"]
    assert any(p.endswith("comparisons.csv") for p in prov["s004_grid"]["inputs"])
    assert not any(p.endswith("comparisons.csv") for p in prov["all_top1"]["inputs"])


def test_without_comparisons_the_grid_is_still_drawn(tmp_path, monkeypatch):
    prov = _run(tmp_path, monkeypatch, comparisons=False)
    assert "s004_grid" in prov and not any(p.endswith("comparisons.csv") for p in prov["s004_grid"]["inputs"])
