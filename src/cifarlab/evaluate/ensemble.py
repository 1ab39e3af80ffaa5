"""Ensembles of saved predictions, with no retraining (numpy + scipy, torch-free).

s004 names three combinations of its trained models as a next step: hard voting,
probability averaging and weighted averaging. The weights are fitted on the validation
split only (the probabilities evaluate saves there), by minimising the ensemble's negative
log-likelihood over the probability simplex with ``scipy.optimize.minimize`` (SLSQP);
the test labels are never seen before the weights are fixed.

Members may have been evaluated on nested subsets of one split (the quick profile's budget
gives each run its own number of images, always a prefix of the same permutation): they
are combined on the images they share, matched by split index.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy.optimize import minimize

METHODS = ("vote", "mean", "weighted")
_EPS = 1e-12  # probability floor inside the log (as evaluate's loss)


@dataclass(frozen=True)
class Predictions:
    """One member's probabilities on one split part."""

    probs: np.ndarray  # float (N, K)
    labels: np.ndarray  # int64 (N,)
    indices: np.ndarray  # int64 (N,): positions in the split part

    @classmethod
    def load(cls, path: str | Path) -> "Predictions":
        with np.load(path) as f:
            return cls(f["probs"].astype(np.float64), f["labels"], f["indices"])


def align(parts: Sequence[Predictions]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(stack (M, N, K), labels (N,), indices (N,))`` over the indices every part holds."""
    if not parts:
        raise ValueError("an ensemble needs at least one member")
    common = reduce(np.intersect1d, [p.indices for p in parts])
    if len(common) == 0:
        raise ValueError("the members share no evaluated image")
    stack, labels = [], None
    for p in parts:
        order = np.argsort(p.indices, kind="stable")
        pos = order[np.searchsorted(p.indices, common, sorter=order)]
        if labels is not None and not np.array_equal(labels, p.labels[pos]):
            raise ValueError("members disagree on the labels of the same images (different splits?)")
        labels = p.labels[pos]
        stack.append(p.probs[pos])
    return np.stack(stack), labels, common


def vote(stack: np.ndarray) -> np.ndarray:
    """Hard voting as a distribution: ``(votes + mean probabilities) / (M + 1)``. Its argmax
    is the majority class, ties broken by the mean probability (a class with one vote more
    always wins: the mean adds less than one vote); top-5 ranks by votes the same way."""
    m, _, k = stack.shape
    votes = (stack.argmax(axis=2)[..., None] == np.arange(k)).sum(axis=0)
    return (votes + stack.mean(axis=0)) / (m + 1)


def average(stack: np.ndarray) -> np.ndarray:
    """Probability averaging: the members' mean distribution."""
    return stack.mean(axis=0)


def weighted(stack: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``sum_m w_m p_m`` for weights on the simplex."""
    return np.tensordot(weights, stack, axes=1)


def fit_weights(val_stack: np.ndarray, val_labels: np.ndarray) -> np.ndarray:
    """Weights on the simplex minimising the validation NLL of ``sum_m w_m p_m``.

    The NLL is convex in w (a log of a linear function), so SLSQP from equal weights finds
    the minimum; the result is clipped to [0, 1] and renormalised against round-off."""
    m, n, _ = val_stack.shape
    if m == 1:
        return np.ones(1)
    p_true = val_stack[:, np.arange(n), val_labels]  # (M, N)

    def nll(w):
        return -np.log(np.clip(w @ p_true, _EPS, None)).mean()

    def grad(w):
        return -(p_true / np.clip(w @ p_true, _EPS, None)).mean(axis=1)

    res = minimize(nll, np.full(m, 1.0 / m), jac=grad, method="SLSQP", bounds=[(0.0, 1.0)] * m,
                   constraints=({"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(m)},),
                   options={"ftol": 1e-10, "maxiter": 500})
    w = np.clip(res.x, 0.0, None)
    return w / w.sum()


@dataclass(frozen=True)
class Combined:
    """The three ensembles of one group of members on their shared test images."""

    probs: dict[str, np.ndarray]  # method -> (N, K)
    labels: np.ndarray
    indices: np.ndarray
    weights: np.ndarray  # fitted on validation, one per member
    member_correct: np.ndarray  # bool (M, N): each member's top-1 hits on the same test images

    @property
    def member_top1(self) -> np.ndarray:
        return self.member_correct.mean(axis=1)


def combine(val: Sequence[Predictions], test: Sequence[Predictions]) -> Combined:
    """Vote, average and validation-weighted average of members (same order in both lists)."""
    if len(val) != len(test):
        raise ValueError("one validation and one test prediction per member")
    val_stack, val_labels, _ = align(val)
    weights = fit_weights(val_stack, val_labels)
    stack, labels, indices = align(test)
    probs = {"vote": vote(stack), "mean": average(stack), "weighted": weighted(stack, weights)}
    return Combined(probs, labels, indices, weights, stack.argmax(axis=2) == labels)
