"""Shared helpers for the model-zoo tests."""

from __future__ import annotations

import functools

import pytest
import torch

from cifarlab.models import get_model, get_model_info, list_models
from cifarlab.models.complexity import count_params

BIG = 5_000_000  # params at 100 classes above which forward tests are marked slow


@functools.cache
def meta_params(name: str, num_classes: int = 100) -> int:
    """Parameter count without allocating weights (built on the meta device)."""
    with torch.device("meta"):
        return count_params(get_model(name, num_classes))


def model_names() -> list[str]:
    return list_models()


def input_size(name: str) -> int:
    return get_model_info(name).input_size


@pytest.fixture(autouse=True)
def _one_thread():
    """Run the zoo's tiny batches on one intra-op thread, restored afterwards.

    Batch-2 steps gain nothing from threads, and on a busy 2-core machine OpenMP's
    spinning threads made the suite >10x slower (measured: 11 s vs 138 s per pass).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
