"""Write one run's evaluation files, each atomically (torch-free)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from cifarlab.evaluate.metrics import Evaluation, confusion_frame
from cifarlab.io import atomic_path, write_json

# Keys every metrics.json carries (null when the caller did not supply them), so that
# `dvc metrics diff` and the aggregate step always see the same flat key set.
SUMMARY_KEYS = (
    "top1", "top1_ci_low", "top1_ci_high", "top5", "top5_ci_low", "top5_ci_high",  # 95% Wilson
    "top5_k", "loss", "macro_precision", "macro_recall", "macro_f1",
    "weighted_precision", "weighted_recall", "weighted_f1", "balanced_accuracy",
    "n_test", "num_classes",
)
FACT_KEYS = (
    "params", "flops",  # count, multiply-accumulates per image (models.complexity)
    "latency_ms_per_image_batched", "latency_ms_per_image_b1", "latency_batch_size", "latency_threads",
    "peak_mem_mb", "peak_mem_source",  # MiB; "cuda_max_allocated" | "process_max_rss"
    "device",
    "train_seconds", "epochs", "best_epoch",  # wall seconds of fit(); epochs run; 1-based best
)
_ROUND = 6  # decimals kept for fractions and the loss: stable, readable diffs


def _scalar(key: str, value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if math.isnan(v) else round(v, _ROUND)
    raise ValueError(f"metrics.json: {key!r} must be a scalar, got {type(value).__name__}")


def metrics_record(evaluation: Evaluation, facts: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The flat dict that goes to metrics.json: SUMMARY_KEYS, FACT_KEYS, then any other facts.

    Fractions stay fractions (0.8270, not 82.70). Facts may not override a measured key.
    """
    facts = dict(facts or {})
    clash = sorted(set(facts) & set(SUMMARY_KEYS))
    if clash:
        raise ValueError(f"facts may not override measured metrics: {', '.join(clash)}")
    record = {k: _scalar(k, evaluation.summary.get(k)) for k in SUMMARY_KEYS}
    for key in (*FACT_KEYS, *sorted(set(facts) - set(FACT_KEYS))):
        record[key] = _scalar(key, facts.get(key))
    return record


def write_predictions(path: str | os.PathLike, probs: np.ndarray, labels: np.ndarray,
                      indices: np.ndarray) -> None:
    """Probabilities float32 (N, K), labels and split indices int64 (N,) to one .npz, atomically
    (evaluate's validation predictions, which the ensemble step fits its weights on)."""
    with atomic_path(Path(path)) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, probs=np.asarray(probs, dtype=np.float32),
                            labels=np.asarray(labels, dtype=np.int64), indices=np.asarray(indices, dtype=np.int64))


def write_evaluation(
    out_dir: str | os.PathLike,
    evaluation: Evaluation,
    *,
    indices: np.ndarray | None = None,
    facts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write metrics.json, per_class.csv, confusion.csv and predictions.npz into ``out_dir``.

    Args:
        evaluation: from :func:`evaluate_predictions`.
        indices: int64 (N,) positions of the evaluated images in the official test set
            (the split's ``indices``); None stores 0..N-1.
        facts: flat scalars measured elsewhere: params, flops, latency_* (from
            :func:`measure_latency`), peak_mem_mb / peak_mem_source (from
            :func:`peak_memory_mb`), device, and the train facts train_seconds, epochs,
            best_epoch (extra scalar keys are kept too).

    Each file is written through ``cifarlab.io.atomic_path``: a crash leaves either the old
    file or the new one. predictions.npz holds probs float32 (N, K), labels, preds and
    indices int64 (N,). Returns the metrics.json dict.
    """
    out = Path(out_dir)
    n = len(evaluation.labels)
    idx = np.arange(n, dtype=np.int64) if indices is None else np.asarray(indices, dtype=np.int64)
    if idx.shape != (n,):
        raise ValueError(f"indices must have shape ({n},), got {idx.shape}")
    record = metrics_record(evaluation, facts)
    with atomic_path(out / "per_class.csv") as tmp:
        evaluation.per_class.to_csv(tmp, index=False, float_format="%.6f")
    with atomic_path(out / "confusion.csv") as tmp:
        confusion_frame(evaluation).to_csv(tmp)
    with atomic_path(out / "predictions.npz") as tmp, open(tmp, "wb") as fh:
        # a file object, not a name: np.savez would append ".npz" to the temporary name
        np.savez_compressed(fh, probs=evaluation.probs, labels=evaluation.labels,
                            preds=evaluation.preds, indices=idx)
    write_json(out / "metrics.json", record)  # last: its presence means the set is complete
    return record
