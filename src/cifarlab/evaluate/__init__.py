"""Test-set evaluation: metrics (numpy/scikit-learn), predictions and latency (torch), files.

Typical use by the evaluate step::

    from cifarlab.evaluate import (evaluate_predictions, measure_latency, peak_memory_mb,
                                   predict, reset_peak_memory, write_evaluation)
    reset_peak_memory(device)
    probs, labels = predict(model, test_loader, device)
    ev = evaluate_predictions(probs, labels, meta["classes"])
    facts = {"params": ..., "flops": ..., **measure_latency(model, (3, 32, 32), device),
             "peak_mem_mb": mb, "peak_mem_source": src, "device": device, **train_facts}
    write_evaluation(run_dir, ev, indices=test.indices, facts=facts)

The torch functions are imported lazily, so ``import cifarlab.evaluate`` (metrics and the
writer) stays torch-free.
"""

from __future__ import annotations

from typing import Any

from cifarlab.evaluate.metrics import (
    AVERAGE_ROWS,
    Evaluation,
    confusion_frame,
    cross_entropy,
    evaluate_predictions,
    per_class_table,
    top_k_accuracy,
)
from cifarlab.evaluate.writer import FACT_KEYS, SUMMARY_KEYS, metrics_record, write_evaluation

_TORCH_FUNCTIONS = ("predict", "measure_latency", "peak_memory_mb", "reset_peak_memory")

__all__ = [
    "AVERAGE_ROWS", "Evaluation", "FACT_KEYS", "SUMMARY_KEYS", "confusion_frame", "cross_entropy",
    "evaluate_predictions", "metrics_record", "per_class_table", "top_k_accuracy", "write_evaluation",
    *_TORCH_FUNCTIONS,
]


def __getattr__(name: str) -> Any:
    if name in _TORCH_FUNCTIONS:
        from cifarlab.evaluate import runtime

        return getattr(runtime, name)
    raise AttributeError(f"module 'cifarlab.evaluate' has no attribute {name!r}")
