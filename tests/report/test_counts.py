"""Counts (epochs, support, params, best epoch, seeds) print as integers, in the documents'
tables (display) and in the report's own tables and scorecard."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cifarlab.analysis.tables.study_tables import display
from cifarlab.report.formatting import format_value, table_rows


def test_document_tables_print_counts_as_integers():
    df = pd.DataFrame({"experiment": ["wrn_16_8", "vit"], "epochs": [29.0, 5.0], "best_epoch": [28.0, np.nan],
                       "params": [76562.0, 1.2e7], "support": [1000.0, 1000.0], "top1": [55.6712, 40.0]})
    out = display(df)
    assert list(out["epochs"]) == ["29", "5"] and list(out["params"]) == ["76,562", "12,000,000"]
    assert list(out["best_epoch"]) == ["28", ""] and list(out["support"]) == ["1,000", "1,000"]
    assert list(out["top1"]) == ["55.67", "40.00"]  # accuracies keep their decimals


def test_a_mean_count_over_seeds_keeps_one_decimal_and_its_spread():
    df = pd.DataFrame({"best_epoch": [28.0 + 1 / 3], "best_epoch_std": [1.2], "n_seeds": [3]})
    assert display(df)["best_epoch"].iloc[0] == "28.3 ± 1.2 (3)"


def test_report_cells_and_scorecard_units():
    assert format_value("epochs", 29.0) == "29" and format_value("n_seeds", 3.0) == "3"
    assert format_value("params", 76562.0) == "76,562" and format_value("support", 1000.0) == "1,000"
    assert format_value("measured", 29.0, "epoch") == "29" and format_value("delta", -3.0, "epoch") == "-3"
    assert format_value("delta", 2.0, "count") == "+2" and format_value("claimed", 71.2, "%") == "71.20"
    card = pd.DataFrame({"metric": ["best_val_epoch"], "claimed": [29.0], "measured": [5.0], "delta": [-24.0],
                         "unit": ["epoch"]})
    assert table_rows(card)[1] == [["best_val_epoch", "29", "5", "-24", "epoch"]]
