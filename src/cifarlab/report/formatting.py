"""DataFrame -> display strings for the report (percentages, thousands, dashes for gaps)."""

from __future__ import annotations

import math
from typing import Any, Sequence

import pandas as pd

from cifarlab.analysis.tables.study_tables import COUNT_COLUMNS, count_text

# Fractions in [0, 1] in the CSVs, shown as percent in the report.
FRACTION_COLUMNS = frozenset({
    "top1", "top5", "macro_f1", "weighted_f1", "val_top1", "train_top1", "balanced_accuracy",
    "macro_precision", "macro_recall", "weighted_precision", "weighted_recall",
    "precision", "recall", "f1", "accuracy", "share_of_true",
})
INTEGER_COLUMNS = COUNT_COLUMNS  # one list with the documents' tables
COUNT_UNITS = ("count", "epoch")  # scorecard units whose claims are whole numbers
DECIMALS = {"loss": 4, "params_m": 3, "latency_ms_per_image_b1": 3, "latency_ms_per_image_batched": 3,
            "train_seconds": 1}
MISSING = "—"
_UNIT_COLUMNS = ("claimed", "measured", "delta", "ci_low", "ci_high")  # scorecard cells in the claim's own unit


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(column: str, value: Any, unit: str | None = None) -> str:
    """One cell as text. ``unit`` (scorecard rows) overrides the column rule for numbers."""
    if _missing(value):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if unit is not None:  # scorecard claimed / measured / delta, already in the claim's unit
        if unit in COUNT_UNITS:
            return ("+" if column == "delta" and value >= 0 else "") + count_text(value)
        decimals = 3 if unit == "M" else 2
        return f"{value:+.{decimals}f}" if column == "delta" else f"{value:.{decimals}f}"
    if _is_fraction(column):
        return f"{float(value) * 100:.2f}"
    if column in INTEGER_COLUMNS:
        return count_text(float(value))
    if isinstance(value, float):
        return f"{value:.{DECIMALS.get(column, 2)}f}"
    return str(value)


def _is_fraction(column: str) -> bool:
    """A fraction column, or its spread over seeds (``top1_std``): both shown in percent."""
    return column in FRACTION_COLUMNS or column.removesuffix("_std") in FRACTION_COLUMNS


def interval_label(metric: str) -> str:
    """The header of ``metric``'s 95% interval column (see :func:`with_intervals`)."""
    return f"{metric} 95% interval (%)"


def with_intervals(df: pd.DataFrame, metrics: Sequence[str] = ("top1", "top5")) -> pd.DataFrame:
    """``df`` plus one text column per metric, "[61.20, 68.35]" in percent, folded from the
    fraction columns ``<metric>_ci_low`` / ``<metric>_ci_high`` where the table has them."""
    out = df.copy()
    for metric in metrics:
        low, high = f"{metric}_ci_low", f"{metric}_ci_high"
        if {low, high} <= set(df.columns):
            out[interval_label(metric)] = [
                MISSING if _missing(lo) or _missing(hi) else f"[{float(lo) * 100:.2f}, {float(hi) * 100:.2f}]"
                for lo, hi in zip(df[low], df[high])]
    return out


def column_label(column: str) -> str:
    """Header text: fraction columns say they are shown in percent."""
    return f"{column} (%)" if _is_fraction(column) else column


def table_rows(df: pd.DataFrame, columns: Sequence[str] | None = None, *, as_written: bool = False
               ) -> tuple[list[str], list[list[str]]]:
    """``(header labels, rows of cell strings)`` for the columns of ``df`` that exist.

    ``as_written``: numbers as the CSV has them (2 decimals, integers with thousands),
    no fraction -> percent scaling: the documents' tables are already in their units.
    """
    cols = [c for c in (columns or df.columns) if c in df.columns]
    has_unit = "unit" in df.columns
    rows = []
    for rec in df.to_dict("records"):
        unit = rec.get("unit") if has_unit else None
        if as_written:
            rows.append([_as_written(c, rec[c]) for c in cols])
        else:
            rows.append([format_value(c, rec[c], unit if c in _UNIT_COLUMNS else None) for c in cols])
    return ([str(c) for c in cols] if as_written else [column_label(c) for c in cols]), rows


def _as_written(column: str, value: Any) -> str:
    if _missing(value) or isinstance(value, (bool, str)):
        return format_value(column, value)
    if float(value).is_integer() and column in INTEGER_COLUMNS:
        return f"{float(value):,.0f}"
    return f"{value:.{DECIMALS.get(column, 2)}f}" if isinstance(value, float) else str(value)
