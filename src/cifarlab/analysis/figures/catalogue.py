"""Every figure of the report in one table: name -> study, the document's caption, how it is drawn.

Scopes say which step draws a figure and where its file lives:
- ``summary``: the figures step draws it from the tables (and named runs): ``<name>.png``;
- ``experiment``: the figures step draws it for every experiment: ``<name>__<exp>.png``;
- ``explain``: the explain step draws it from a checkpoint (see ``dag.EXPLAIN``);
- ``data``: the preview step draws it (``samples__<dataset>``, ``augment__<recipe>``);
- ``ref``: a study page shows another scope's figure of one named experiment, under the
  document's caption (e.g. s004's confusion matrix is ``confusion_counts__wrn_16_8``).
The order of the table is the documents' order: a study page lists its entries as they
come. Labels follow each document's own numbering ("s002 Figure 3.1"); where a document
numbers sections, not figures (s000, s004), the figure takes its section's number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import pandas as pd
from matplotlib.figure import Figure

from cifarlab.analysis.figures import ablations, curves, per_class, summary
from cifarlab.analysis.runs import class_rows
from cifarlab.analysis.tables import study_tables

OVERVIEW = "overview"  # pseudo-study of the cross-study figures


@dataclass(frozen=True)
class FigureInputs:
    """What the figures step hands to each drawing function."""

    experiments: pd.DataFrame  # experiments.csv: one row per experiment (seed means)
    runs: Mapping[str, Mapping[str, Any]]  # experiment -> cifarlab.analysis.runs.load_run dict
    seed_runs: pd.DataFrame | None = None  # runs.csv: one row per (experiment, seed)
    comparisons: pd.DataFrame | None = None  # comparisons.csv: the paired tests, when aggregate wrote it

    def study(self, study: str) -> pd.DataFrame:
        return self.experiments[self.experiments["study"].astype(str) == study]

    def tied_with_best(self, kind: str = "grid_vs_best") -> set[str]:
        """Experiments a paired test of ``kind`` cannot tell apart from their reference (the
        best), the references included; empty without comparisons.csv."""
        c = self.comparisons
        if c is None or c.empty or not {"kind", "experiment", "reference", "tied"} <= set(c.columns):
            return set()
        rows = c[c["kind"].astype(str) == kind]
        tied = rows[rows["tied"].astype(str).str.strip().str.lower().isin(("true", "1", "1.0", "yes"))]
        return set(tied["experiment"].astype(str)) | set(rows["reference"].dropna().astype(str))


@dataclass(frozen=True)
class FigureSpec:
    name: str
    study: str
    label: str  # what the document calls it
    caption: str  # what the figure shows, in our words
    scope: str  # summary | experiment | explain | data | ref
    draw: Callable[..., Figure | None] | None = None
    ref: str | None = None  # ref scope: the name of the figure shown
    experiment: str | None = None  # ref scope: whose figure
    reads: tuple[str, ...] = field(default_factory=tuple)  # experiments a summary figure reads
    table: tuple[str, str] | None = None  # (study, key) of the document table it draws, if one


def seed_histories(run: Mapping[str, Any]) -> list[pd.DataFrame]:
    """The history of every seed of a run (load_run's ``seeds``), else its one history."""
    seeds = run.get("seeds") or {}
    frames = [s.get("history") for _, s in sorted(seeds.items()) if s.get("history") is not None]
    if not frames and run.get("history") is not None:
        frames = [run["history"]]
    return frames


# --- per-experiment figures ----------------------------------------------------------
CURVE_STYLE = {"s001": {"show_lr": True}, "s002": {"inset_last": 10}}  # s000 has its own layout


def _curves(run: Mapping[str, Any], name: str, study: str) -> Figure | None:
    frames = seed_histories(run)
    if not frames:
        return None
    if study == "s000":
        return curves.plot_loss_and_val_accuracy(frames, title=f"{name}: loss and validation accuracy")
    return curves.plot_training_curves({name: frames}, title=f"{name}: training curves",
                                       **CURVE_STYLE.get(study, {"show_lr": "lr" in frames[0].columns}))


def _confusion(run: Mapping[str, Any], name: str, normalize: bool) -> Figure | None:
    cm = run.get("confusion")
    if cm is None:
        return None
    what = "% of each true class" if normalize else "counts"
    return per_class.plot_confusion(cm.to_numpy(), [str(c) for c in cm.columns],
                                    f"{name}: confusion matrix ({what})", normalize=normalize)


def _per_class(run: Mapping[str, Any], name: str) -> Figure | None:
    pc = run.get("per_class")
    if pc is None or class_rows(pc).empty:
        return None
    return per_class.plot_per_class_accuracy(pc, f"{name}: per-class accuracy")


def _pairs(run: Mapping[str, Any], name: str) -> Figure | None:
    from cifarlab.analysis.tables.experiments import top_confused_pairs

    cm = run.get("confusion")
    if cm is None:
        return None
    pairs = top_confused_pairs(cm.to_numpy(), [str(c) for c in cm.columns], n=10)
    return per_class.plot_confused_pairs(pairs, f"{name}: top-{len(pairs)} confused pairs") if len(pairs) else None


# --- summary figures -----------------------------------------------------------------
def _bars(study: str | None, title: str) -> Callable[[FigureInputs], Figure | None]:
    def draw(d: FigureInputs) -> Figure | None:
        df = d.experiments if study is None else d.study(study)
        return summary.plot_accuracy_bars(df, title=title) if df["top1"].notna().any() else None
    return draw


def _scatter(study: str | None, title: str) -> Callable[[FigureInputs], Figure | None]:
    def draw(d: FigureInputs) -> Figure | None:
        df = d.experiments if study is None else d.study(study)
        if not df[["top1", "params"]].notna().all(axis=1).any():
            return None
        return summary.plot_accuracy_vs_params(df, title=title)
    return draw


def _families(d: FigureInputs) -> Figure | None:
    df = d.study("s002")
    if "family" not in df.columns or df["family"].isna().all():
        return None
    return summary.plot_family_averages(df, title="Average top-1 per technique family (s002)")


def _seed_spread(d: FigureInputs) -> Figure | None:
    if d.seed_runs is None or d.seed_runs.empty:
        return None
    return summary.plot_seed_spread(d.seed_runs, title="Test top-1 of every seed")


def _ablation(variants: tuple[tuple[str, str], ...], title: str,
              xlabel: str) -> Callable[[FigureInputs], Figure | None]:
    def draw(d: FigureInputs) -> Figure | None:
        present = set(d.experiments["experiment"].astype(str))
        if not any(exp in present for _, exp in variants):
            return None
        return ablations.plot_ablation(d.experiments, variants, title=title, xlabel=xlabel)
    return draw


ECA_KERNEL = (("none (ResNet-20)", "resnet_20"), ("adaptive", "ecanet20_adaptive"), ("k = 3", "ecanet20_fixed_k3"),
              ("k = 5", "ecanet20_fixed_k5"), ("k = 7", "ecanet20_fixed_k7"), ("k = 9", "ecanet20_fixed_k9"))
GHOST_RATIO = (("ResNet-20", "resnet_20"), ("ratio 2", "ghost_resnet_20"), ("ratio 4", "ghost_resnet_20_r4"))
ECA_POSITION = (("ResNet-20", "resnet_20"), ("after conv1", "eca_resnet_20_pos1"),
                ("after conv2, before add", "eca_resnet_20"), ("after add", "eca_resnet_20_pos3"))
EFFNET_ABLATION = (("full", "efficientnet_b2"), ("no pretrain", "efficientnet_b2_no_pretrain"),
                   ("no resize", "efficientnet_b2_no_resize"),
                   ("no label smoothing", "efficientnet_b2_no_label_smoothing"),
                   ("no random erasing", "efficientnet_b2_no_random_erasing"))
DLA_GRID = {(b, e): ("dla34" if (b, e) == (256, 100) else f"dla34_b{b}_e{e}")
            for b in (64, 128, 256) for e in (20, 50, 100)}
S002_CURVES = ("resnet_20", "eca_resnet_20", "ghost_resnet_20", "improved_resnet20_convnext", "coatnet_0",
               "convnext_tiny")  # the seed's figures 3.1-3.6, in order
# The model chart draws the model table's rows: one list, so the two cannot drift apart
# (a copy here once left vit out of Figure 1.7).
S004_MODELS = tuple(study_tables.S004_MODELS)
S004_ANALYSED = "wrn_16_8"  # s004 sections 2.2-2.8 analyse WRN-16-8 (corrections in STUDIES.md)


def _dla_grid(d: FigureInputs) -> Figure | None:
    present = set(d.experiments["experiment"].astype(str))
    if not present & set(DLA_GRID.values()):
        return None
    return ablations.plot_batch_epoch_heatmap(d.experiments, DLA_GRID, title="dla34: test top-1 (%) by batch x epochs",
                                              tied=d.tied_with_best("grid_vs_best"))


def _s004_models(d: FigureInputs) -> Figure | None:
    df = d.experiments[d.experiments["experiment"].astype(str).isin(S004_MODELS)]
    return summary.plot_accuracy_bars(df, title="s004 models: test top-1") if df["top1"].notna().any() else None


def _ref(name: str, study: str, label: str, caption: str, ref: str, experiment: str) -> FigureSpec:
    return FigureSpec(name, study, label, caption, "ref", ref=ref, experiment=experiment)


def _specs() -> list[FigureSpec]:
    S, E = "summary", "experiment"
    specs = [
        # every experiment's page (drawn for each run)
        FigureSpec("curves", "experiment", "Training curves", "Loss and accuracy per epoch (train dotted, "
                   "validation solid; mean +- std band over seeds); dashed verticals mark phase changes.", E,
                   draw=lambda run, name, study: _curves(run, name, study)),
        FigureSpec("confusion_counts", "experiment", "Confusion matrix (counts)",
                   "Test-set confusion matrix, rows true class, columns predicted, in images.", E,
                   draw=lambda run, name, study: _confusion(run, name, False)),
        FigureSpec("confusion", "experiment", "Confusion matrix (row-normalised)",
                   "Test-set confusion matrix, each row normalised to % of its true class.", E,
                   draw=lambda run, name, study: _confusion(run, name, True)),
        FigureSpec("per_class", "experiment", "Per-class accuracy", "Test accuracy of each class.", E,
                   draw=lambda run, name, study: _per_class(run, name)),
        FigureSpec("confused_pairs", "experiment", "Top-10 confused pairs",
                   "The ten largest off-diagonal confusion counts (true -> predicted).", E,
                   draw=lambda run, name, study: _pairs(run, name)),
        # drawn from a checkpoint by the explain step
        FigureSpec("gradcam", "explain", "Grad-CAM (9 test images)", "Grad-CAM (pytorch-grad-cam, last conv "
                   "layer, predicted class) on 9 test images, correct ones first, then errors.", "explain"),
        FigureSpec("misclassified", "explain", "20 most confident errors", "The 20 misclassified test images "
                   "with the highest predicted probability: true and predicted class with both probabilities.",
                   "explain"),
        FigureSpec("feature_maps", "explain", "First-layer feature maps",
                   "The first convolution's output channels for one test image.", "explain"),
        FigureSpec("gradcam_pair", "explain", "Grad-CAM: a correct and a misclassified example",
                   "Grad-CAM on one correctly classified image of the document's class and one "
                   "misclassified image of the document's pair (the caption names the classes used).", "explain"),
        # data previews (preview step)
        FigureSpec("augment", "data", "Augmentation preview", "Augmented training images of a recipe.", "data"),
        FigureSpec("samples", "data", "Sample grid", "Random training images of a dataset.", "data"),
        # the documents, in their order
        _ref("s000_preview", "s000", "s000 Figure 2.2", "Augmented-sample preview (4 images with labels) of "
             "cnn4's recipe.", "augment", "cnn4"),
        _ref("s000_curves", "s000", "s000 Figure 3.5", "cnn4: train/validation loss and validation accuracy.",
             "curves", "cnn4"),
        _ref("s001_samples", "s001", "s001 sample grid (cifar10_sample_images.png)", "Random training images.",
             "samples", "refined_cnn"),
        _ref("s001_stage1_curves", "s001", "s001 stage 1 curves", "simple_cnn: loss, accuracy, learning rate.",
             "curves", "simple_cnn"),
        _ref("s001_stage2_curves", "s001", "s001 stage 2 curves (3 panels)",
             "refined_cnn: loss, accuracy, learning rate.", "curves", "refined_cnn"),
        _ref("s001_stage3_curves", "s001", "s001 stage 3 curves", "se_resnet18: two-phase run; the dashed "
             "line is the phase boundary.", "curves", "se_resnet18"),
        _ref("s001_stage4_curves", "s001", "s001 stage 4 curves", "efficientnet_b2: head-only then all layers; "
             "the dashed line is the phase boundary.", "curves", "efficientnet_b2"),
        FigureSpec("s001_ablation", "s001", "s001 ablation table (as a figure)", "EfficientNet-B2 ablation: "
                   "test top-1 of the full run and each ablated run.", S,
                   draw=_ablation(EFFNET_ABLATION, "EfficientNet-B2 ablation", "run"),
                   reads=tuple(e for _, e in EFFNET_ABLATION), table=("s001", "ablation")),
        _ref("s001_confusion", "s001", "s001 confusion matrix", "efficientnet_b2 on the test set.",
             "confusion", "efficientnet_b2"),
        _ref("s001_gradcam", "s001", "s001 Figure: EfficientNet-B2 visual attention (Grad-CAM)",
             "Grad-CAM on a bird and a misclassified plane -> ship (analogous classes on other datasets: "
             "see the figure's caption).", "gradcam_pair", "efficientnet_b2"),
        FigureSpec("s002_fig1_top1", "s002", "s002 Figure 1", "Top-1 accuracy of each model on the test set.",
                   S, draw=_bars("s002", "s002: test top-1 per model"), table=("s002", "table1")),
        FigureSpec("s002_fig2_params", "s002", "s002 Figure 2", "Parameter efficiency: top-1 vs parameters "
                   "(log x), Pareto front dashed.", S, draw=_scatter("s002", "s002: top-1 vs parameters")),
    ]
    specs += [_ref(f"s002_fig3_{i}", "s002", f"s002 Figure 3.{i}", f"{exp}: loss and accuracy (train and "
                   "evaluation), zoomed inset of the last epochs.", "curves", exp)
              for i, exp in enumerate(S002_CURVES, start=1)]
    specs += [
        FigureSpec("s002_table2_families", "s002", "s002 Table 2 (as a figure)", "Mean top-1 per technique family.",
                   S, draw=_families),
        FigureSpec("s002_table3_eca_kernel", "s002", "s002 Table 3 (as a figure)", "ECA kernel size on ResNet-20.",
                   S, draw=_ablation(ECA_KERNEL, "ECA kernel size on ResNet-20", "ECA kernel"),
                   reads=tuple(e for _, e in ECA_KERNEL), table=("s002", "table3")),
        FigureSpec("s002_fig7_ghost_ratio", "s002", "s002 Figure 7", "Ghost ratio: parameters and accuracy.",
                   S, draw=_ablation(GHOST_RATIO, "Ghost module ratio on ResNet-20", "Ghost ratio"),
                   reads=tuple(e for _, e in GHOST_RATIO), table=("s002", "ghost_ratio")),
        FigureSpec("s002_fig8_eca_position", "s002", "s002 Figure 8", "ECA position in the residual block.",
                   S, draw=_ablation(ECA_POSITION, "ECA position in the ResNet-20 block", "ECA position"),
                   reads=tuple(e for _, e in ECA_POSITION), table=("s002", "eca_position")),
        FigureSpec("s003_top1", "s003", "s003 result (as a figure)", "ResNet-50 with and without SE: test top-1.",
                   S, draw=_bars("s003", "s003: ResNet-50 with and without SE"), table=("s003", "se_gain")),
        _ref("s003_feature_maps", "s003", "s003 feature-map visualisation", "First-layer feature maps of "
             "ResNet-50.", "feature_maps", "resnet50_imagenet"),
        _ref("s003_feature_maps_se", "s003", "s003 feature-map visualisation (SE)", "First-layer feature maps "
             "of ResNet-50 with SE.", "feature_maps", "resnet50_se_imagenet"),
        _ref("s003_gradcam", "s003", "s003 Grad-CAM (asked for by readers)", "Grad-CAM of ResNet-50 with SE.",
             "gradcam", "resnet50_se_imagenet"),
        FigureSpec("s004_models", "s004", "s004 Figure 1.7 (model table as a figure)", "Test top-1 of each "
                   "architecture.", S, draw=_s004_models, reads=S004_MODELS,
                   table=("s004", "models")),
        FigureSpec("s004_grid", "s004", "s004 Figure 1.4", "dla34: test top-1 over batch size x epochs, each cell "
                   "with its 95% interval; outlined cells cannot be told apart from the best (paired test).", S,
                   draw=_dla_grid, reads=tuple(DLA_GRID.values()), table=("s004", "dla34_grid")),
        _ref("s004_curves", "s004", "s004 Figure 2.1", f"{S004_ANALYSED}: training curves.", "curves",
             S004_ANALYSED),
        _ref("s004_per_class", "s004", "s004 Figure 2.3", f"{S004_ANALYSED}: per-class accuracy.", "per_class",
             S004_ANALYSED),
        _ref("s004_confusion", "s004", "s004 Figure 2.4 (confusion matrix)", f"{S004_ANALYSED}: counts.",
             "confusion_counts", S004_ANALYSED),
        _ref("s004_pairs", "s004", "s004 Figure 2.4 (top-10 confused pairs)", f"{S004_ANALYSED}.",
             "confused_pairs", S004_ANALYSED),
        _ref("s004_misclassified", "s004", "s004 Figure 2.4 (misclassified_samples.png)",
             f"{S004_ANALYSED}: the 20 most confident errors.", "misclassified", S004_ANALYSED),
        _ref("s004_gradcam", "s004", "s004 Figure 2.5 (gradcam_visualization.png)",
             f"{S004_ANALYSED}: Grad-CAM on 9 test images.", "gradcam", S004_ANALYSED),
        FigureSpec("all_top1", OVERVIEW, "All experiments: top-1", "Test top-1 of every experiment with its "
                   "error bars (the axis says what they show).", S, draw=_bars(None, "Test top-1 per experiment")),
        FigureSpec("all_params", OVERVIEW, "All experiments: top-1 vs parameters", "Log x; Pareto front dashed.",
                   S, draw=_scatter(None, "Accuracy vs. parameters")),
        FigureSpec("seed_spread", OVERVIEW, "Seed spread", "Each seed's test top-1 (dots) and the mean (bar).",
                   S, draw=_seed_spread),
    ]
    return specs


FIGURES: dict[str, FigureSpec] = {s.name: s for s in _specs()}


def study_figures(study: str) -> list[FigureSpec]:
    """The figures of one study page, in the document's order."""
    return [s for s in FIGURES.values() if s.study == study]


def summary_figures(inputs: FigureInputs) -> dict[str, Figure]:
    """Every summary-scope figure that has data, keyed by file name (``<name>.png``)."""
    out = {}
    for spec in FIGURES.values():
        if spec.scope == "summary":
            fig = spec.draw(inputs)
            if fig is not None:
                out[f"{spec.name}.png"] = fig
    return out


def experiment_figures(run: Mapping[str, Any], name: str, study: str) -> dict[str, Figure]:
    """Every experiment-scope figure of one run, keyed by file name (``<kind>__<exp>.png``)."""
    out = {}
    for spec in FIGURES.values():
        if spec.scope == "experiment":
            fig = spec.draw(run, name, study)
            if fig is not None:
                out[f"{spec.name}__{name}.png"] = fig
    return out
