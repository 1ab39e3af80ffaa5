"""Figures as pure functions: data in, ``matplotlib.figure.Figure`` out (no pyplot state).

One module per concern (import the one you need: this package imports none of them):

- :mod:`.figbase`: style, percent, intervals as error bars, file names, ``save_figure``;
- :mod:`.curves`: training curves (s000 two panels, s001 three, s002 zoom, seed bands);
- :mod:`.summary`: top-1 bars with error bars, accuracy vs params with the Pareto front,
  family averages, seed spread;
- :mod:`.ablations`: one figure per ablation, the dla34 grid heatmap;
- :mod:`.per_class`: confusion (counts, row-normalised), per-class bars, confused pairs;
- :mod:`.images`: most confident errors, Grad-CAM overlays, feature maps;
- :mod:`.sample_figures`: sample grid, augmentation preview;
- :mod:`.catalogue`: the table of every figure, its study, caption and drawing function.
"""
