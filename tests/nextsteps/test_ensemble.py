"""Ensembles of saved predictions: voting, averaging and validation-fitted weights."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cifarlab.evaluate.ensemble import Predictions, align, average, combine, fit_weights, vote, weighted

F32 = np.finfo(np.float32).eps


def _probs(seed, n=60, k=4):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, k)) * 2
    p = np.exp(z)
    return p / p.sum(1, keepdims=True)


def _member(seed, labels, indices=None):
    idx = np.arange(len(labels)) if indices is None else indices
    return Predictions(_probs(seed, len(labels)), labels, idx)


def test_an_ensemble_of_identical_members_is_the_member():
    labels = np.random.default_rng(0).integers(0, 4, 60)
    val, test = _member(1, labels), _member(2, labels)
    c = combine([val, val, val], [test, test, test])
    np.testing.assert_allclose(c.probs["mean"], test.probs, rtol=4 * F32)
    np.testing.assert_allclose(c.probs["weighted"], test.probs, rtol=4 * F32)
    assert np.array_equal(c.probs["vote"].argmax(1), test.probs.argmax(1))
    assert c.weights.sum() == pytest.approx(1.0) and np.all(c.member_top1 == c.member_top1[0])


def test_probability_averaging_of_two_fixed_classifiers_by_hand():
    a = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4]])
    b = np.array([[0.3, 0.6, 0.1], [0.2, 0.2, 0.6]])
    stack = np.stack([a, b])
    # by hand: (0.7+0.3)/2, (0.2+0.6)/2, ...
    expected = np.array([[0.5, 0.4, 0.1], [0.15, 0.35, 0.5]])
    np.testing.assert_allclose(average(stack), expected, rtol=1e-12)
    np.testing.assert_allclose(weighted(stack, np.array([0.25, 0.75])),
                               [[0.4, 0.5, 0.1], [0.175, 0.275, 0.55]], rtol=1e-12)
    # voting: row 0 splits 1:1 between classes 0 and 1; the mean probability (0.5 > 0.4) breaks the tie
    assert vote(stack).argmax(1).tolist() == [0, 2]
    np.testing.assert_allclose(vote(stack).sum(1), 1.0, rtol=1e-12)


def test_a_majority_beats_a_confident_minority():
    confident = np.array([[0.01, 0.99]])
    lukewarm = np.array([[0.55, 0.45]])
    assert vote(np.stack([confident, lukewarm, lukewarm])).argmax(1).tolist() == [0]
    assert average(np.stack([confident, lukewarm, lukewarm])).argmax(1).tolist() == [1]


def test_weights_never_see_test_labels():
    rng = np.random.default_rng(3)
    val_labels, test_labels = rng.integers(0, 4, 80), rng.integers(0, 4, 60)
    val = [_member(s, val_labels) for s in (10, 11, 12)]
    test = [_member(s, test_labels) for s in (20, 21, 22)]
    w = combine(val, test).weights
    permuted = rng.permutation(test_labels)
    assert not np.array_equal(permuted, test_labels)
    shuffled = [Predictions(t.probs, permuted, t.indices) for t in test]
    again = combine(val, shuffled)
    assert np.array_equal(again.weights, w)
    assert not np.array_equal(again.member_top1, combine(val, test).member_top1)  # test labels did change


def test_fitted_weights_minimise_validation_nll_on_the_simplex():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 4, 200)
    good = np.full((200, 4), 0.1)
    good[np.arange(200), labels] = 0.7
    stack = np.stack([good, _probs(5, 200), _probs(6, 200)])
    w = fit_weights(stack, labels)
    nll = lambda v: -np.log(np.clip(v @ stack[:, np.arange(200), labels], 1e-12, None)).mean()  # noqa: E731
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0) and w.argmax() == 0
    grid = [np.array([a, b, 1 - a - b]) / 1.0 for a, b in itertools.product(np.linspace(0, 1, 21), repeat=2)
            if a + b <= 1 + 1e-12]
    assert nll(w) <= min(nll(g) for g in grid) + 1e-9


def test_members_are_combined_on_the_images_they_share():
    labels = np.arange(10) % 3
    big = Predictions(_probs(1, 10, 3), labels, np.arange(10))
    keep = np.array([1, 4, 7])
    small = Predictions(big.probs[keep][::-1], labels[keep][::-1], keep[::-1])  # any order
    stack, lab, idx = align([big, small])
    assert idx.tolist() == [1, 4, 7] and lab.tolist() == labels[keep].tolist()
    np.testing.assert_array_equal(stack[0], stack[1])
    bad = Predictions(small.probs, (small.labels + 1) % 3, small.indices)
    with pytest.raises(ValueError, match="disagree on the labels"):
        align([big, bad])
