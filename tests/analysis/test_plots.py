"""Each plot returns a Figure with the expected axes; saving writes PNG + provenance sidecar."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from cifarlab.analysis.plots import (
    figure_name,
    plot_accuracy_bars,
    plot_accuracy_vs_params,
    plot_confusion,
    plot_per_class_accuracy,
    plot_training_curves,
    save_figure,
    summary_figures,
)


@pytest.fixture(scope="module")
def df():
    return pd.DataFrame({"experiment": ["a", "b", "c"], "study": ["s000", "s001", "s001"],
                         "top1": [0.8, 0.9, np.nan], "params": [1e5, 2e6, 3e6]})


def _history(phases=False):
    h = pd.DataFrame({"epoch": [1, 2, 3, 4], "train_loss": [2, 1.5, 1.2, 1], "val_loss": [2.1, 1.7, 1.4, 1.3],
                      "train_acc": [0.3, 0.5, 0.6, 0.7], "val_acc": [0.3, 0.45, 0.55, 0.6], "lr": [1e-3, 8e-4, 5e-4, 1e-4]})
    if phases:
        h["phase"] = ["head", "head", "all", "all"]
    return h


def test_plot_axes_counts(df):
    assert len(plot_accuracy_bars(df).axes) == 1
    assert len(plot_accuracy_vs_params(df).axes) == 1
    fig = plot_training_curves({"a": _history(), "b": _history(phases=True)})
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert len(plot_training_curves({"a": _history()}, show_lr=True).axes) == 3
    zoom = plot_training_curves({"a": _history()}, inset_last=2)
    assert len(zoom.axes) == 2 and len(zoom.axes[1].child_axes) == 1  # inset inside the accuracy panel
    assert len(plot_confusion(np.eye(3, dtype=int) * 5, ["x", "y", "z"], "t").axes) == 1
    big = plot_confusion(np.eye(30, dtype=int), [str(i) for i in range(30)])
    assert len(big.axes) == 2  # heatmap + colourbar above 20 classes
    per_class = pd.DataFrame({"class": ["x", "y", "macro avg", "weighted avg"], "accuracy": [0.5, 1.0, 0.75, 0.75]})
    fig = plot_per_class_accuracy(per_class)
    assert len(fig.axes) == 1 and len(fig.axes[0].patches) == 2  # average rows dropped


def test_phase_boundary_is_a_dashed_line():
    fig = plot_training_curves({"a": _history(phases=True)})
    dashed = [ln for ln in fig.axes[0].lines if ln.get_linestyle() == "--"]
    assert len(dashed) == 1 and dashed[0].get_xdata()[0] == pytest.approx(2.5)


def test_bad_confusion_shape():
    with pytest.raises(ValueError):
        plot_confusion(np.zeros((2, 3)), ["a", "b"])


def test_save_figure_and_summary_figures(tmp_path, df):
    cm = pd.DataFrame([[3, 1], [0, 4]], index=["x", "y"], columns=["x", "y"])
    runs = {"a": {"history": _history(), "confusion": cm,
                  "per_class": pd.DataFrame({"class": ["x", "y"], "accuracy": [0.75, 1.0]})},
            "b": {"history": None, "confusion": None, "per_class": None}}
    figs = summary_figures(df, runs)
    assert set(figs) == {"accuracy_bars.png", "accuracy_vs_params.png", "training_curves.png",
                         "curves__a.png", "confusion__a.png", "per_class__a.png"}
    assert figure_name("curves", "a") == "curves__a.png"
    out = save_figure(figs["accuracy_bars.png"], tmp_path / "accuracy_bars.png", provenance={"step": "figures"})
    assert out.read_bytes().startswith(b"\x89PNG")
    assert json.loads((tmp_path / "accuracy_bars.prov.json").read_text()) == {"step": "figures"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accuracy_bars.png", "accuracy_bars.prov.json"]
