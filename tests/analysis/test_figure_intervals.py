"""Figures draw each accuracy's interval, mark the grid cells tied with the best, and show
every experiment of the document table they draw."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from cifarlab.analysis.figures import ablations, catalogue, summary
from cifarlab.analysis.figures.figbase import CI_LABEL, STD_LABEL, INTERVAL_GID, intervals_drawn
from cifarlab.analysis.tables import study_tables

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def ci():
    """Three experiments with asymmetric 95% intervals (fractions, like top1)."""
    return pd.DataFrame({"experiment": ["a", "b", "c"], "study": ["s000", "s001", "s001"],
                         "top1": [0.80, 0.60, 0.70], "top1_ci_low": [0.75, 0.50, 0.69],
                         "top1_ci_high": [0.82, 0.66, 0.74], "top1_std": [0.01, 0.02, 0.03],
                         "params": [1e5, 2e6, 3e6]})


def _segments(fig) -> list[np.ndarray]:
    """The error-bar segments of a figure, each [[x0, y0], [x1, y1]]."""
    return [np.asarray(seg) for ax in fig.axes for c in ax.collections
            if str(c.get_gid() or "").startswith(INTERVAL_GID) for seg in c.get_segments()]


def test_bars_draw_the_asymmetric_interval_in_percent(ci):
    fig = summary.plot_accuracy_bars(ci)
    assert intervals_drawn(fig) == [CI_LABEL]
    spans = sorted((round(s[:, 0].min(), 6), round(s[:, 0].max(), 6)) for s in _segments(fig))
    assert spans == [(50.0, 66.0), (69.0, 74.0), (75.0, 82.0)]  # not +- a symmetric std
    assert CI_LABEL in fig.axes[0].get_xlabel()
    assert intervals_drawn(summary.plot_accuracy_bars(ci.drop(columns=["top1_ci_low", "top1_ci_high"]))) \
        == [STD_LABEL]
    assert intervals_drawn(summary.plot_accuracy_bars(ci[["experiment", "study", "top1"]])) == []


def test_scatter_and_ablation_draw_intervals(ci):
    fig = summary.plot_accuracy_vs_params(ci)
    assert intervals_drawn(fig) == [CI_LABEL]
    assert sorted(round(s[:, 1].max(), 6) for s in _segments(fig)) == [66.0, 74.0, 82.0]
    fig = ablations.plot_ablation(ci, [("A", "a"), ("missing", "zzz"), ("C", "c")], title="t")
    spans = sorted((round(s[:, 1].min(), 6), round(s[:, 1].max(), 6)) for s in _segments(fig))
    assert spans == [(69.0, 74.0), (75.0, 82.0)]  # the run-less variant gets no bar
    assert "not run" in [t.get_text() for t in fig.axes[0].texts]


def test_seed_spread_draws_each_seeds_interval():
    runs = pd.DataFrame({"experiment": ["a", "a", "b"], "seed": [0, 1, 0], "top1": [0.8, 0.82, 0.9],
                         "top1_ci_low": [0.7, 0.75, 0.85], "top1_ci_high": [0.85, 0.88, 0.93]})
    fig = summary.plot_seed_spread(runs)
    assert intervals_drawn(fig) == [CI_LABEL] and len(_segments(fig)) == 3
    assert intervals_drawn(summary.plot_seed_spread(runs[["experiment", "seed", "top1"]])) == []


def test_family_whiskers_are_the_range_of_the_members():
    df = pd.DataFrame({"experiment": ["a", "b"], "study": ["s002"] * 2, "top1": [0.6, 0.8],
                       "params": [1e6, 1e6], "family": ["basic", "basic"]})
    fig = summary.plot_family_averages(df)
    (seg,) = _segments(fig)
    assert (seg[:, 0].min(), seg[:, 0].max()) == pytest.approx((60.0, 80.0))
    assert intervals_drawn(fig) == [summary.FAMILY_RANGE]


def test_grid_outlines_the_cells_tied_with_the_best(ci):
    cells = {(64, 20): "a", (64, 50): "b", (128, 20): "c", (128, 50): "nope"}
    comparisons = pd.DataFrame({
        "study": "s004", "kind": ["grid_vs_best", "grid_vs_best", "ablation"],
        "experiment": ["b", "c", "b"], "reference": ["a", "a", "x"], "tied": ["False", "True", "True"]})
    inputs = catalogue.FigureInputs(experiments=ci, runs={}, comparisons=comparisons)
    assert inputs.tied_with_best() == {"a", "c"}  # the best itself, and c; b differs; ablation rows ignored
    assert catalogue.FigureInputs(experiments=ci, runs={}).tied_with_best() == set()
    fig = ablations.plot_batch_epoch_heatmap(ci, cells, title="g", tied=inputs.tied_with_best())
    ax = fig.axes[0]
    outlined = sorted((p.get_x(), p.get_y()) for p in ax.patches if p.get_gid() == ablations.TIED_GID)
    assert outlined == [(0.0, 0.0), (0.0, 1.0)]  # (epochs 20, batch 64) and (epochs 20, batch 128)
    texts = [t.get_text() for t in ax.texts]
    assert "80.00\n[75.0, 82.0]" in texts and ablations.TIED_NOTE in ax.get_xlabel()
    plain = ablations.plot_batch_epoch_heatmap(ci[["experiment", "top1"]], cells, title="g")
    assert not [p for p in plain.axes[0].patches if p.get_gid() == ablations.TIED_GID]
    assert "80.00" in [t.get_text() for t in plain.axes[0].texts]


def _every_experiment() -> pd.DataFrame:
    """One row for every experiment of the catalogue (params.yaml), all with a top-1."""
    exps = yaml.safe_load((ROOT / "params.yaml").read_text())["experiments"]
    rng = np.random.default_rng(0)
    return pd.DataFrame({"experiment": list(exps), "study": [e["study"] for e in exps.values()],
                         "top1": rng.uniform(0.3, 0.9, len(exps)), "params": rng.uniform(1e5, 1e7, len(exps)),
                         "train_seconds": 60.0, "n_seeds": 1})


def _drawn(fig) -> list[str]:
    """The experiments a bar figure names on its category axis (bars: y; ablations: x,
    the tick's second line)."""
    ax = fig.axes[0]
    y = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    x = [t.get_text().split("\n")[1] for t in ax.get_xticklabels() if "\n" in t.get_text()]
    return x or y


@pytest.mark.parametrize("spec", [s for s in catalogue.FIGURES.values() if s.table], ids=lambda s: s.name)
def test_every_experiment_of_a_table_appears_in_its_figure(spec):
    from cifarlab.report.claims import load_study_facts

    df = _every_experiment()
    inputs = study_tables.TableInputs(experiments=df, facts=load_study_facts())  # s002's families
    table = study_tables.build_tables(inputs)[spec.table]
    assert len(table), spec.table
    fig = spec.draw(catalogue.FigureInputs(experiments=df, runs={}))
    if spec.name == "s004_grid":  # cells, not names: every value of the table is a cell of the map
        drawn = sorted(float(t.get_text().split("\n")[0]) for t in fig.axes[0].texts if t.get_text())
        values = table.drop(columns=[table.columns[0]]).to_numpy(dtype=float)
        assert drawn == pytest.approx(sorted(np.round(values[np.isfinite(values)], 2)))
    else:
        missing = set(table["experiment"]) - set(_drawn(fig))
        assert not missing, f"{spec.name} leaves out {sorted(missing)} of {spec.table}"


def test_s004_model_chart_includes_vit():
    fig = catalogue.FIGURES["s004_models"].draw(catalogue.FigureInputs(experiments=_every_experiment(), runs={}))
    assert "vit" in _drawn(fig)


def test_per_class_bars_draw_a_class_interval_when_the_frame_has_one():
    from cifarlab.analysis.figures import per_class

    pc = pd.DataFrame({"class": ["x", "y", "macro avg"], "accuracy": [0.5, 0.9, 0.7],
                       "accuracy_ci_low": [0.4, 0.85, 0.6], "accuracy_ci_high": [0.6, 0.93, 0.8]})
    fig = per_class.plot_per_class_accuracy(pc)
    assert intervals_drawn(fig) == [CI_LABEL]
    assert sorted((round(s[:, 1].min(), 6), round(s[:, 1].max(), 6)) for s in _segments(fig)) == \
        [(40.0, 60.0), (85.0, 93.0)]  # the average row is no class
    assert intervals_drawn(per_class.plot_per_class_accuracy(pc[["class", "accuracy"]])) == []
