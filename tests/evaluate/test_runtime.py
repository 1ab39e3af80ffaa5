"""predict / measure_latency / peak memory on a tiny CPU model."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cifarlab.evaluate import measure_latency, peak_memory_mb, predict, reset_peak_memory  # noqa: E402


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 5), torch.nn.Dropout(0.5))


def test_predict_returns_probabilities_in_loader_order():
    model = _model()
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(10, 3, 4, 4, generator=gen)
    y = torch.arange(10) % 5
    batches = [(x[:4], y[:4]), (x[4:], y[4:])]  # what a DeviceLoader(train=False) yields
    model.train()
    probs, labels = predict(model, batches, "cpu")
    assert model.training  # mode restored
    assert probs.dtype == np.float32 and probs.shape == (10, 5)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(labels, y.numpy())
    with torch.no_grad():
        expected = model.eval()(x).softmax(1).numpy()  # eval mode: dropout off, deterministic
    np.testing.assert_allclose(probs, expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="no batches"):
        predict(model, [], "cpu")


def test_measure_latency_and_peak_memory_on_cpu():
    out = measure_latency(_model(), (3, 4, 4), "cpu", batch_sizes=(8, 1), warmup=1, repeats=3)
    assert out["latency_ms_per_image_batched"] > 0 and out["latency_ms_per_image_b1"] > 0
    assert out["latency_batch_size"] == 8 and out["latency_threads"] >= 1
    reset_peak_memory("cpu")  # no-op on CPU
    mb, source = peak_memory_mb("cpu")
    assert source == "process_max_rss" and mb > 10  # at least the interpreter + torch
    with pytest.raises(ValueError):
        measure_latency(_model(), (3, 4, 4), "cpu", repeats=0)
