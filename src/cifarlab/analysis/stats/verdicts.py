"""The scorecard's rule for a claim measured with an interval (values in the claim's unit).

Decided in this order:

- ``not reproduced``: the claim lies outside our 95% interval widened by the claim's
  tolerance on both sides (a wide interval can still refute a claim far outside it);
- ``inconclusive``: the claim lies inside, but the interval is wider than twice the
  tolerance, so it could not have told a miss of one tolerance from a hit;
- ``reproduced``: the claim lies inside and the interval is at most twice the tolerance.
"""

from __future__ import annotations

RULE = (
    "Verdicts of measured accuracies: 'reproduced' when the claimed value lies inside our 95% "
    "interval widened by the claim's tolerance and that interval is at most twice the tolerance "
    "wide; 'not reproduced' when the claim lies outside the widened interval; 'inconclusive' when "
    "it lies inside but the interval is wider than twice the tolerance ('needed' gives the seeds "
    "and test images that would decide). Numbers without an interval (parameters, memory, time) "
    "are reproduced when |delta| <= max(tolerance, 2 std over seeds).")
_EPS = 1e-9  # claims and tolerances are printed to 2 decimals: float noise is not a miss


def interval_verdict(claimed: float, low: float, high: float, tolerance: float) -> str:
    """'reproduced', 'not reproduced' or 'inconclusive' (see the module docstring)."""
    tol = max(float(tolerance or 0.0), 0.0)
    if not (low - tol - _EPS <= claimed <= high + tol + _EPS):
        return "not reproduced"
    return "inconclusive" if high - low > 2.0 * tol + _EPS else "reproduced"
