"""FLOP counts are counted once per architecture and code, then read back (issue 18)."""

from __future__ import annotations

from cifarlab.steps import flop_cache


def test_a_count_is_made_once_and_read_back(tmp_path):
    calls = []

    def count():
        calls.append(1)
        return 0.041

    args = ("resnet_20", {"width": 16}, 10, 32)
    assert flop_cache.cached_gflops(*args, count, cache_dir=tmp_path) == 0.041
    assert flop_cache.cached_gflops(*args, count, cache_dir=tmp_path) == 0.041
    assert len(calls) == 1
    # Another size, classes or args is another architecture: counted afresh.
    flop_cache.cached_gflops("resnet_20", {"width": 16}, 10, 16, count, cache_dir=tmp_path)
    flop_cache.cached_gflops("resnet_20", {"width": 32}, 10, 32, count, cache_dir=tmp_path)
    flop_cache.cached_gflops("resnet_20", {"width": 16}, 100, 32, count, cache_dir=tmp_path)
    assert len(calls) == 4
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_key_follows_the_model_code(monkeypatch):
    before = flop_cache.cache_key("resnet_20", {}, 10, 32)
    real = flop_cache._file_sha
    monkeypatch.setattr(flop_cache, "_file_sha",
                        lambda m: "edited" if m.endswith("cifar_resnet") else real(m))
    assert flop_cache.cache_key("resnet_20", {}, 10, 32) != before
    assert flop_cache.cache_key("cnn4", {}, 10, 32) == flop_cache.cache_key("cnn4", {}, 10, 32)


def test_the_cached_value_is_the_counted_one(tmp_path):
    from cifarlab.models import get_model
    from cifarlab.models.complexity import count_flops

    def count():
        return count_flops(get_model("simple_cnn", num_classes=10), 32) / 1e9

    first = flop_cache.cached_gflops("simple_cnn", {}, 10, 32, count, cache_dir=tmp_path)
    again = flop_cache.cached_gflops("simple_cnn", {}, 10, 32, lambda: -1.0, cache_dir=tmp_path)
    assert first == again == count() > 0
