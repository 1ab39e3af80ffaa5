"""How many batches a timed pass takes: set by a probe, on a fake clock (no real timing)."""

from __future__ import annotations

import pytest
import torch

from cifarlab.plan import measure


@pytest.fixture
def clock(monkeypatch):
    """A clock that only the fake passes move: each batch costs ``per_batch`` seconds."""
    state = {"now": 0.0, "asked": []}
    monkeypatch.setattr(measure.time, "perf_counter", lambda: state["now"])
    return state


def passes(clock, per_batch: float, first_extra: float = 0.0):
    calls = {"n": 0}

    def make_pass(n: int):
        clock["asked"].append(n)

        def run():
            calls["n"] += 1
            clock["now"] += per_batch * n + (first_extra if calls["n"] == 1 else 0.0)
        return run
    return make_pass


@pytest.mark.parametrize("per_batch, max_steps, asked", [
    (0.1, 20, [1, 10]),  # fast steps: as many as fill the 1 s target
    (0.1, 4, [1, 4]),  # ... but no more than max_steps
    (2.0, 10, [1]),  # a slow step: the probe's one-batch pass is timed again, nothing bigger
])
def test_steps_follow_the_probe_and_the_cap(clock, per_batch, max_steps, asked):
    # A slow first call (lazy initialisation) must not count: the warm-up absorbs it.
    make_pass = passes(clock, per_batch, first_extra=5.0)
    seconds = measure.step_seconds(make_pass, torch.device("cpu"), max_steps=max_steps,
                                   repeats=3, target_s=1.0)
    assert seconds == pytest.approx(per_batch)
    assert clock["asked"] == asked
