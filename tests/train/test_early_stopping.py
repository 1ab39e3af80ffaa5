import math

import pytest

from cifarlab.train import EarlyStopping


def feed(stopper, values):
    """Update with values for epochs 1.., return the epoch it asks to stop at (or None)."""
    for epoch, value in enumerate(values, start=1):
        stopper.update(value, epoch)
        if stopper.should_stop:
            return epoch
    return None


def test_min_mode_counts_epochs_without_improvement():
    s = EarlyStopping("min", patience=2)
    assert feed(s, [1.0, 0.8, 0.9, 0.85, 0.7]) == 4
    assert (s.best, s.best_epoch) == (0.8, 2)


def test_max_mode_and_recovery_resets_the_count():
    s = EarlyStopping("max", patience=2)
    assert feed(s, [0.5, 0.4, 0.6, 0.6, 0.55]) == 5  # equal is no improvement
    assert (s.best, s.best_epoch) == (0.6, 3)


def test_min_delta_requires_a_real_improvement():
    s = EarlyStopping("max", patience=2, min_delta=0.01)
    assert feed(s, [0.50, 0.505, 0.509, 0.6]) == 3
    assert s.best_epoch == 1
    s = EarlyStopping("min", patience=3, min_delta=0.1)
    assert s.update(1.0, 1) and not s.update(0.95, 2) and s.update(0.85, 3)


def test_patience_none_never_stops_but_still_tracks_the_best():
    s = EarlyStopping("min", patience=None)
    assert feed(s, [1.0] + [2.0] * 50) is None
    assert s.best_epoch == 1


def test_non_finite_values_never_improve():
    s = EarlyStopping("min", patience=2)
    assert not s.update(math.nan, 1)
    assert s.best is None
    assert s.update(3.0, 2) and not s.update(math.inf, 3)


def test_state_round_trip():
    s = EarlyStopping("min", patience=3)
    feed(s, [1.0, 0.5, 0.7])
    t = EarlyStopping("min", patience=3)
    t.load_state_dict(s.state_dict())
    assert t == s and feed(t, [0.9, 0.9]) == 2


def test_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping("up")
