"""From the runs' results to the report's tables and figures (never imports torch).

- :mod:`.runs`: reading one run folder's files (the only I/O here);
- :mod:`.stats`: the statistics every table, figure and the scorecard call;
- :mod:`.tables`: the data tables (experiments, the documents' tables, the scorecard, timing);
- :mod:`.figures`: the figures, one pure function each, and their catalogue.
"""
