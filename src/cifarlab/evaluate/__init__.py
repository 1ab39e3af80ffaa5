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

Each name is imported on first use, so ``import cifarlab.evaluate`` costs nothing and the
metrics and writer stay torch-free.
"""

from __future__ import annotations

from typing import Any

# Every name loads its module on first use (PEP 562): the train step reads its peak memory
# from ``runtime`` and must not pay for scikit-learn and scipy (~0.9 s a job) with it.
_MODULES = {
    **dict.fromkeys(("AVERAGE_ROWS", "Evaluation", "confusion_frame", "cross_entropy",
                     "evaluate_predictions", "per_class_table", "top_k_accuracy"), "metrics"),
    **dict.fromkeys(("FACT_KEYS", "SUMMARY_KEYS", "metrics_record", "write_evaluation"), "writer"),
    **dict.fromkeys(("predict", "measure_latency", "peak_memory_mb", "reset_peak_memory"), "runtime"),
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        import importlib

        return getattr(importlib.import_module(f"cifarlab.evaluate.{_MODULES[name]}"), name)
    raise AttributeError(f"module 'cifarlab.evaluate' has no attribute {name!r}")
