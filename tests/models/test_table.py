"""The zoo table is measured, and docs/models.md carries the current measurement."""

from __future__ import annotations

from pathlib import Path

import pytest

from cifarlab.models import list_models
from cifarlab.models.table import BEGIN, END, markdown_table

DOCS = Path(__file__).resolve().parents[2] / "docs" / "models.md"


def test_table_rows_are_measured() -> None:
    table = markdown_table(["cnn4", "resnet_20"])
    lines = table.strip().splitlines()
    assert len(lines) == 4
    assert "| `resnet_20` | cifar_resnet | s002 | 278,324 | 272,474 | 32 |" in table
    assert "+0.00%" in lines[-1]


@pytest.mark.slow
def test_docs_table_is_current() -> None:
    text = DOCS.read_text()
    current = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert current == markdown_table(list_models()).strip(), (
        "docs/models.md is stale: run `python -m cifarlab.models.table --out docs/models.md`"
    )
