"""Figures as pure functions: data in, ``matplotlib.figure.Figure`` out (no pyplot state).

The figures live in one module per concern; this module is the front door that gathers
them (and keeps the names older callers import):

- :mod:`cifarlab.analysis.figbase`: style, percent, file names, ``save_figure``;
- :mod:`cifarlab.analysis.curves`: training curves (s000 two panels, s001 three, s002 zoom,
  seed bands);
- :mod:`cifarlab.analysis.summary`: top-1 bars with error bars, accuracy vs params with
  the Pareto front, family averages, seed spread;
- :mod:`cifarlab.analysis.ablations`: one figure per ablation, the dla34 grid heatmap;
- :mod:`cifarlab.analysis.per_class`: confusion (counts, row-normalised), per-class bars,
  confused pairs;
- :mod:`cifarlab.analysis.images`: most confident errors, Grad-CAM overlays, feature maps;
- :mod:`cifarlab.analysis.sample_figures`: sample grid, augmentation preview;
- :mod:`cifarlab.analysis.catalogue`: the table of every figure, its study and caption.
"""

from __future__ import annotations

from cifarlab.analysis.ablations import plot_ablation, plot_batch_epoch_heatmap
from cifarlab.analysis.curves import phase_boundaries, plot_loss_and_val_accuracy, plot_training_curves
from cifarlab.analysis.figbase import ACC_ALIASES, PER_EXPERIMENT_SEP, figure_name, history_column, save_figure
from cifarlab.analysis.images import plot_feature_maps, plot_gradcam, plot_misclassified
from cifarlab.analysis.per_class import plot_confused_pairs, plot_confusion, plot_per_class_accuracy
from cifarlab.analysis.summary import (
    plot_accuracy_bars,
    plot_accuracy_vs_params,
    plot_family_averages,
    plot_seed_spread,
)

__all__ = [
    "ACC_ALIASES", "PER_EXPERIMENT_SEP", "figure_name", "history_column", "phase_boundaries", "plot_ablation",
    "plot_accuracy_bars", "plot_accuracy_vs_params", "plot_batch_epoch_heatmap", "plot_confused_pairs",
    "plot_confusion", "plot_family_averages", "plot_feature_maps", "plot_gradcam", "plot_loss_and_val_accuracy",
    "plot_misclassified", "plot_per_class_accuracy", "plot_seed_spread", "plot_training_curves", "save_figure",
]
