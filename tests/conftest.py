"""Shared fixtures: the tiny model/loader driver of the training and next-steps tests,
loaded by path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

DRIVER = Path(__file__).parent / "train" / "fit_driver.py"


@pytest.fixture(scope="session")
def driver():
    """tests/train/fit_driver.py as a module (TinyNet, TinyLoader, settings, run)."""
    name = "cifarlab_tests_fit_driver"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, DRIVER)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
