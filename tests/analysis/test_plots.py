"""Each figure function returns a Figure that draws what its data says; saving writes PNG +
provenance sidecar; the catalogue lists every figure with its study and caption."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from cifarlab.analysis.figures import ablations, catalogue, curves, images, per_class, summary
from cifarlab.analysis.figures.figbase import figure_name, save_figure
from cifarlab.analysis.figures.per_class import plot_confusion


@pytest.fixture(scope="module")
def df():
    return pd.DataFrame({"experiment": ["a", "b", "c", "d"], "study": ["s000", "s001", "s001", "s002"],
                         "top1": [0.8, 0.9, np.nan, 0.85], "top1_std": [0.01, 0.02, np.nan, 0.0],
                         "params": [1e5, 2e6, 3e6, 5e6], "family": [None, None, None, "basic"]})


def _history(phases=False, shift=0.0):
    h = pd.DataFrame({"epoch": [1, 2, 3, 4], "train_loss": [2, 1.5, 1.2, 1], "val_loss": [2.1, 1.7, 1.4, 1.3],
                      "train_acc": [0.3, 0.5, 0.6, 0.7], "val_acc": np.array([0.3, 0.45, 0.55, 0.6]) + shift,
                      "lr": [1e-3, 8e-4, 5e-4, 1e-4]})
    if phases:
        h["phase"] = ["head", "head", "all", "all"]
    return h


def test_curves_panels_inset_and_phase_boundary():
    assert len(curves.plot_training_curves({"a": _history(), "b": _history(True)}).axes) == 2
    assert len(curves.plot_training_curves({"a": _history()}, show_lr=True).axes) == 3
    zoom = curves.plot_training_curves({"a": _history()}, inset_last=2)
    assert len(zoom.axes[1].child_axes) == 1  # the inset sits inside the accuracy panel
    fig = curves.plot_training_curves({"a": _history(phases=True)}, show_lr=True)
    for ax in fig.axes:
        dashed = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
        assert len(dashed) == 1 and dashed[0].get_xdata()[0] == pytest.approx(2.5)
    s000 = curves.plot_loss_and_val_accuracy(_history())
    assert len(s000.axes) == 2 and len(s000.axes[0].lines) == 2 and len(s000.axes[1].lines) == 1


def test_seeds_are_a_mean_line_with_a_std_band():
    fig = curves.plot_training_curves({"a": [_history(), _history(shift=0.1)]})
    val = [ln for ln in fig.axes[1].lines if ln.get_linestyle() == "-"][0]
    assert np.allclose(val.get_ydata(), (np.array([0.3, 0.45, 0.55, 0.6]) + 0.05) * 100)
    assert any(isinstance(c, PolyCollection) for c in fig.axes[1].collections)  # the band
    single = curves.plot_training_curves({"a": _history()})
    assert not any(isinstance(c, PolyCollection) for c in single.axes[1].collections)
    stats = curves.mean_std([_history(), _history(shift=0.1)], "val_acc")
    assert stats["std"].iloc[0] == pytest.approx(np.std([0.3, 0.4], ddof=1))


def test_summary_bars_error_bars_and_pareto(df):
    fig = summary.plot_accuracy_bars(df)
    from matplotlib.container import BarContainer, ErrorbarContainer
    kinds = {type(c) for c in fig.axes[0].containers}
    assert len(fig.axes[0].patches) == 3 and {BarContainer, ErrorbarContainer} <= kinds
    assert list(summary.pareto_front([1, 2, 3, 4], [50, 40, 60, 55])) == [0, 2]
    fig = summary.plot_accuracy_vs_params(df)
    front = [ln for ln in fig.axes[0].lines if ln.get_label() == "Pareto front"]
    assert len(front) == 1 and fig.axes[0].get_xscale() == "log"
    fam = summary.family_averages(df)
    assert list(fam["family"]) == ["basic"] and fam["top1"].iloc[0] == pytest.approx(0.85)
    runs = pd.DataFrame({"experiment": ["a", "a", "b"], "seed": [0, 1, 0], "top1": [0.8, 0.82, 0.9]})
    strip = summary.plot_seed_spread(runs)
    assert sum(len(c.get_offsets()) for c in strip.axes[0].collections) == 3 + 2  # dots + means


def test_ablation_shows_missing_variants_and_grid(df):
    fig = ablations.plot_ablation(df, [("A", "a"), ("ghost", "zzz")], title="t")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "80.00" in texts and "not run" in texts
    grid = ablations.batch_epoch_grid(df, {(64, 20): "a", (256, 100): "b", (64, 100): "nope"})
    assert grid.loc[64, 20] == pytest.approx(80.0) and grid.loc[256, 100] == pytest.approx(90.0)
    assert np.isnan(grid.loc[64, 100])
    assert isinstance(ablations.plot_batch_epoch_heatmap(df, {(64, 20): "a"}, title="g"), Figure)


def test_per_class_figures():
    assert len(plot_confusion(np.eye(3, dtype=int) * 5, ["x", "y", "z"], "t").axes) == 1
    assert len(per_class.plot_confusion(np.eye(30, dtype=int), [str(i) for i in range(30)]).axes) == 2
    counts = per_class.plot_confusion(np.array([[3, 1], [0, 4]]), ["x", "y"], normalize=False)
    assert "3" in [t.get_text() for t in counts.axes[0].texts]
    with pytest.raises(ValueError):
        per_class.plot_confusion(np.zeros((2, 3)), ["a", "b"])
    pc = pd.DataFrame({"class": ["x", "y", "macro avg", "weighted avg"], "accuracy": [0.5, 1.0, 0.75, 0.75]})
    assert len(per_class.plot_per_class_accuracy(pc).axes[0].patches) == 2  # average rows dropped
    pairs = pd.DataFrame({"true": ["cat", "dog"], "predicted": ["dog", "cat"], "count": [66, 46]})
    fig = per_class.plot_confused_pairs(pairs)
    assert [p.get_width() for p in fig.axes[0].patches] == [66, 46]


def test_image_figures():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.05, 0.95]])
    labels = np.array([1, 1, 1, 0])
    assert list(images.most_confident_errors(probs, labels, 2)) == [3, 0]
    imgs = np.zeros((2, 3, 8, 8), dtype=np.uint8)
    fig = images.plot_misclassified(imgs, [1, 0], probs[[0, 3]], ["a", "b"], ncols=5)
    assert "true b (10.00%)\npred a (90.00%)" in [ax.get_title() for ax in fig.axes]
    cam = images.plot_gradcam(imgs, np.random.default_rng(0).random((2, 8, 8)), [0, 1], [0, 0], ["a", "b"],
                              with_originals=True, ncols=2)
    assert len([ax for ax in cam.axes if ax.images]) == 4  # image row + overlay row
    with pytest.raises(ValueError, match="Grad-CAM maps"):
        images.plot_gradcam(imgs, np.zeros((2, 4, 4)), [0, 1], [0, 0], ["a", "b"])
    fm = images.plot_feature_maps(imgs[0], np.random.default_rng(0).random((32, 8, 8)), n=16)
    assert len([ax for ax in fm.axes if ax.images]) == 17  # input + 16 channels


def test_catalogue_lists_every_figure_with_study_and_caption():
    specs = catalogue.FIGURES.values()
    assert all(s.study and s.label and s.caption and s.scope for s in specs)
    for s in specs:
        if s.scope == "ref":
            assert s.ref in catalogue.FIGURES and s.experiment, s.name
        if s.scope in ("summary", "experiment"):
            assert callable(s.draw), s.name
        assert "__" not in s.name
    labels = [s.label for s in catalogue.study_figures("s002")]
    assert labels[:2] == ["s002 Figure 1", "s002 Figure 2"] and "s002 Figure 3.6" in labels
    assert "s004 Figure 2.5 (gradcam_visualization.png)" in [s.label for s in catalogue.study_figures("s004")]


def test_catalogue_draws_what_the_data_allows_and_saves(tmp_path, df):
    cm = pd.DataFrame([[3, 1], [0, 4]], index=["x", "y"], columns=["x", "y"])
    run = {"history": _history(), "confusion": cm,
           "per_class": pd.DataFrame({"class": ["x", "y"], "accuracy": [0.75, 1.0]})}
    figs = catalogue.experiment_figures(run, "a", "s000")
    assert set(figs) == {"curves__a.png", "confusion__a.png", "confusion_counts__a.png", "per_class__a.png",
                         "confused_pairs__a.png"}
    assert catalogue.experiment_figures({"history": None, "confusion": None, "per_class": None}, "b", "s001") == {}
    made = catalogue.summary_figures(catalogue.FigureInputs(experiments=df, runs={"a": run}))
    assert {"all_top1.png", "all_params.png", "s002_fig1_top1.png", "s002_table2_families.png"} <= set(made)
    assert "s001_ablation.png" not in made and "seed_spread.png" not in made  # no data: not drawn
    assert figure_name("curves", "a") == "curves__a.png"
    out = save_figure(made["all_top1.png"], tmp_path / "all_top1.png", provenance={"step": "figures"})
    assert out.read_bytes().startswith(b"\x89PNG")
    assert json.loads((tmp_path / "all_top1.prov.json").read_text()) == {"step": "figures"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all_top1.png", "all_top1.prov.json"]
