"""The statistics every table, figure and the scorecard call (torch-free, pure functions).

- :mod:`.intervals`: 95% intervals of one accuracy: Wilson per (experiment, seed) over the
  test images; over seeds, a variance sum of the seed spread and the binomial variance.
- :mod:`.paired`: two experiments on the same test images: McNemar's exact test per seed
  (combined over seeds by Fisher's method) and a paired bootstrap interval of the difference.
- :mod:`.power`: could a run detect a difference, and how many seeds and test images would.
- :mod:`.verdicts`: the scorecard's interval rule (reproduced / not reproduced / inconclusive).
- :mod:`.comparisons`: the comparisons the documents make, measured on saved predictions.
- :mod:`.claimed`: the differences the documents claim, with the power to detect them.
- :mod:`.chance`: is a run's top-1 above chance (a one-sided binomial test).

scipy.stats does the distributions and tests; it is imported inside the functions, so
importing this package costs numpy only.
"""

LEVEL = 0.95  # every interval in the report is a 95% interval
ALPHA = 0.05  # and every test is two-sided at 5%
