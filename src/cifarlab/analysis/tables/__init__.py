"""The data tables: pure pandas, records and frames in, DataFrames out (torch-free).

- :mod:`.experiments`: runs.csv (one row per experiment and seed) and experiments.csv
  (seed means, spreads and 95% intervals), an experiment's most confused class pairs;
- :mod:`.study_tables`: the documents' own tables, one function per table in ``TABLES``;
- :mod:`.next_steps`: the documents' next steps, measured: variants against their base,
  ensembles against their best member (the study pages' "next steps" section);
- :mod:`.scorecard`: each claim of the documents beside our measurement, with a verdict;
- :mod:`.timing`: predicted vs measured training time per experiment.

The statistics they report come from :mod:`cifarlab.analysis.stats`.
"""
