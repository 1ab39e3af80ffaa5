"""Test-set metrics from predicted probabilities: pure numpy / scikit-learn, no torch.

Units: every accuracy-like number here (top1, top5, precision, recall, F1, per-class
accuracy) is a FRACTION in [0, 1]; the report formats them as percent. ``loss`` is the
mean cross-entropy in nats of the predicted probabilities (no label smoothing, whatever
the training recipe used), so runs with different recipes compare on the same scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    top_k_accuracy_score,
)

AVERAGE_ROWS = ("macro avg", "weighted avg")  # the last two rows of the per-class table
PER_CLASS_COLUMNS = ("class", "precision", "recall", "f1", "support", "accuracy")
_EPS = 1e-12  # probability floor for the log in the loss (float32 softmax can underflow to 0)


@dataclass(frozen=True)
class Evaluation:
    """Everything measured from one (probs, labels) pair."""

    summary: dict[str, float | int]  # top1, top5, loss, macro_/weighted_ precision/recall/f1, ...
    per_class: pd.DataFrame  # PER_CLASS_COLUMNS; one row per class, then AVERAGE_ROWS
    confusion: np.ndarray  # int64 (K, K): rows = true class, columns = predicted class
    class_names: tuple[str, ...]
    probs: np.ndarray  # float32 (N, K)
    labels: np.ndarray  # int64 (N,)
    preds: np.ndarray  # int64 (N,): argmax of probs


def check_predictions(probs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate shapes and ranges; return ``(probs float32 (N,K), labels int64 (N,))``."""
    probs = np.asarray(probs)
    labels = np.asarray(labels)
    if probs.ndim != 2 or labels.ndim != 1 or len(probs) != len(labels):
        raise ValueError(f"expected probs (N, K) and labels (N,), got {probs.shape} and {labels.shape}")
    if len(labels) == 0:
        raise ValueError("no predictions to evaluate (N = 0)")
    k = probs.shape[1]
    if labels.min() < 0 or labels.max() >= k:
        raise ValueError(f"labels must lie in [0, {k}); got [{labels.min()}, {labels.max()}]")
    return probs.astype(np.float32, copy=False), labels.astype(np.int64, copy=False)


def top_k_accuracy(probs: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Fraction of samples whose true class is among the ``k`` highest probabilities.

    scikit-learn's ``top_k_accuracy_score``; ``k >= K`` classes is trivially 1.0.
    """
    probs, labels = check_predictions(probs, labels)
    n_classes = probs.shape[1]
    if k >= n_classes:
        return 1.0
    score = probs[:, 1] if n_classes == 2 else probs  # sklearn's binary form
    return float(top_k_accuracy_score(labels, score, k=k, labels=np.arange(n_classes)))


def cross_entropy(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-probability of the true class (nats), probabilities floored at 1e-12.

    Equals scikit-learn's ``log_loss`` for normalised probabilities away from the floor.
    """
    probs, labels = check_predictions(probs, labels)
    p_true = probs[np.arange(len(labels)), labels].astype(np.float64)
    return float(-np.log(np.clip(p_true, _EPS, 1.0)).mean())


def per_class_table(labels: np.ndarray, preds: np.ndarray, class_names: Sequence[str]) -> pd.DataFrame:
    """Per-class precision, recall, F1, support and accuracy, then macro and weighted averages.

    Per-class accuracy is correct / support of that class (the confusion-matrix diagonal
    over its row, i.e. recall); NaN for a class absent from ``labels``. Precision/recall/F1
    of an empty denominator are 0 (scikit-learn's ``zero_division=0``). The ``macro avg``
    row's accuracy is the balanced accuracy; the ``weighted avg`` row's is overall top-1.
    """
    k = len(class_names)
    ids = np.arange(k)
    p, r, f, s = precision_recall_fscore_support(labels, preds, labels=ids, zero_division=0)
    cm = confusion_matrix(labels, preds, labels=ids)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(s > 0, np.diag(cm) / np.maximum(s, 1), np.nan)
    rows = [
        {"class": name, "precision": p[i], "recall": r[i], "f1": f[i], "support": int(s[i]),
         "accuracy": acc[i]}
        for i, name in enumerate(class_names)
    ]
    n = int(s.sum())
    for avg, label in (("macro", AVERAGE_ROWS[0]), ("weighted", AVERAGE_ROWS[1])):
        ap, ar, af, _ = precision_recall_fscore_support(
            labels, preds, labels=ids, average=avg, zero_division=0)
        a = float(np.nanmean(acc)) if avg == "macro" else float(accuracy_score(labels, preds))
        rows.append({"class": label, "precision": ap, "recall": ar, "f1": af, "support": n, "accuracy": a})
    return pd.DataFrame(rows, columns=list(PER_CLASS_COLUMNS))


def evaluate_predictions(
    probs: np.ndarray, labels: np.ndarray, class_names: Sequence[str] | None = None, *, k: int = 5
) -> Evaluation:
    """All test metrics from probabilities ``probs`` (N, K) and true ``labels`` (N,).

    ``class_names`` defaults to ``"0" .. "K-1"``. ``summary`` holds: top1, top5 (top-``k``,
    ``top5_k`` says which k), their 95% Wilson intervals over the test images
    (``top1_ci_low`` / ``top1_ci_high``, ``top5_ci_low`` / ``top5_ci_high``), loss,
    macro_precision, macro_recall, macro_f1,
    weighted_precision, weighted_recall, weighted_f1, balanced_accuracy, n_test, num_classes.
    """
    probs, labels = check_predictions(probs, labels)
    n_classes = probs.shape[1]
    names = tuple(str(c) for c in (class_names if class_names is not None else range(n_classes)))
    if len(names) != n_classes:
        raise ValueError(f"{len(names)} class names for {n_classes} probability columns")
    preds = probs.argmax(axis=1).astype(np.int64)
    table = per_class_table(labels, preds, names)
    macro, weighted = (table.iloc[-2], table.iloc[-1])
    top1, top5 = float(accuracy_score(labels, preds)), top_k_accuracy(probs, labels, k)
    summary: dict[str, Any] = {
        "top1": top1,
        "top5": top5,
        "top5_k": min(k, n_classes),
        **accuracy_intervals(top1, top5, len(labels)),
        "loss": cross_entropy(probs, labels),
        "balanced_accuracy": float(macro["accuracy"]),
        "n_test": int(len(labels)),
        "num_classes": int(n_classes),
    }
    for prefix, row in (("macro", macro), ("weighted", weighted)):
        for col in ("precision", "recall", "f1"):
            summary[f"{prefix}_{col}"] = float(row[col])
    cm = confusion_matrix(labels, preds, labels=np.arange(n_classes)).astype(np.int64)
    return Evaluation(summary, table, cm, names, probs, labels, preds)


def accuracy_intervals(top1: float, top5: float, n: int) -> dict[str, float]:
    """95% Wilson intervals of top-1 and top-5 over ``n`` test images (fractions).

    scipy.stats costs this process nothing extra: scikit-learn's metrics import it already.
    """
    from cifarlab.analysis.stats.intervals import wilson_fraction

    out = {}
    for key, value in (("top1", top1), ("top5", top5)):
        out[f"{key}_ci_low"], out[f"{key}_ci_high"] = wilson_fraction(value, n)
    return out


def confusion_frame(evaluation: Evaluation) -> pd.DataFrame:
    """The confusion matrix as a labelled frame (index ``true`` class, columns predicted)."""
    names = list(evaluation.class_names)
    frame = pd.DataFrame(evaluation.confusion, index=names, columns=names)
    frame.index.name = "true"
    return frame
