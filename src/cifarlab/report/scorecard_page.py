"""The scorecard as a reader meets it on the index: first a summary (verdict counts per
study, the claims that were decided), then the full scorecard, collapsed and filterable by
verdict (CSS only, so it works from file:// with scripts off).
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from cifarlab.report.context import slug, table_entry
from cifarlab.report.formatting import format_value

# The reader's order: decided first, then why the others were not.
VERDICT_ORDER = ("reproduced", "not reproduced", "inconclusive", "not comparable", "claim unreliable", "not run")
DECIDED = ("reproduced", "not reproduced")
# The measured value with its 95% interval (the scorecard's ci_low / ci_high, in the claim's
# unit) in one cell, "60.71 [57.59, 63.21]", as the documents' tables print it: one column
# less keeps the page within 1400 px.
MEASURED = "measured [95% interval]"
SCORECARD_COLUMNS = ("study", "experiment", "metric", "claimed", "measured", MEASURED, "delta", "unit", "verdict",
                     "reason", "needed", "status", "reasons", "caveat", "section")
# The reason says why a verdict was reached: it gets the room; a caveat is prose too; the
# section, what is needed and the names wrap only when the page is narrow.
LAYOUT = {"reason": "text", "caveat": "text", "section": "wrap", "needed": "wrap", "experiment": "wrap",
          "metric": "wrap", "verdict": "wrap", MEASURED: "wrap"}
DECIDED_COLUMNS = ("study", "experiment", "metric", "claimed", "measured", MEASURED, "delta", "unit", "verdict",
                   "reason")
SCORECARD_CAPTION = (
    "The documents' claimed numbers (as printed; percent for accuracies) beside ours. Only rows whose "
    "verdict is 'reproduced' or 'not reproduced' compare like with like; 'not comparable' rows were "
    "measured under other conditions (see the reason) and neither reproduce nor refute the claim; "
    "'inconclusive' rows were measured too imprecisely to decide ('needed' says what would).")


def verdicts(card: pd.DataFrame) -> pd.Series:
    """Each row's verdict (older scorecards: ``status``)."""
    return (card["verdict"] if "verdict" in card.columns else card["status"]).astype(str)


def _order(found: set[str]) -> list[str]:
    return list(VERDICT_ORDER) + sorted(found - set(VERDICT_ORDER))


def verdict_counts(card: pd.DataFrame) -> pd.DataFrame:
    """One row per study (and an "all" row): how many claims got each verdict, and the total."""
    v = verdicts(card)
    table = pd.crosstab(card["study"].astype(str), v).reindex(columns=_order(set(v)), fill_value=0)
    table.loc["all"] = table.sum()
    table["total"] = table.sum(axis=1)
    return table.rename_axis(index="study", columns=None).reset_index()


def with_interval(card: pd.DataFrame) -> pd.DataFrame:
    """``card`` with "measured" replaced by "measured [95% interval]" text cells where the
    scorecard has ``ci_low`` / ``ci_high`` (a row without an interval shows its value)."""
    if not {"measured", "ci_low", "ci_high"} <= set(card.columns):
        return card
    unit = card["unit"] if "unit" in card.columns else pd.Series(None, index=card.index)
    cells = [format_value("measured", m, u) + ("" if pd.isna(lo) or pd.isna(hi) else
                                                f" [{format_value('ci_low', lo, u)}, {format_value('ci_high', hi, u)}]")
             for m, lo, hi, u in zip(card["measured"], card["ci_low"], card["ci_high"], unit)]
    return card.drop(columns=["measured"]).assign(**{MEASURED: cells})


def _rows(card: pd.DataFrame) -> list[str]:
    return [f"verdict-{slug(v)}" for v in verdicts(card)]


def scorecard_section(card: pd.DataFrame, source: str, prov: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the index shows of ``scorecard.csv``: ``counts`` and ``decided`` tables (the
    latter None when no claim was decided), the ``full`` scorecard of measured claims with
    the ``filters`` (verdict, its slug, how many rows), and ``not_run`` (a collapsed table
    or None)."""
    card = with_interval(card)
    v = verdicts(card)
    ran, not_run = card[v != "not run"], card[v == "not run"]
    decided = ran[verdicts(ran).isin(DECIDED)]
    counts = verdict_counts(card)
    # With a verdict column the older status / reasons pair only repeats it.
    columns = [c for c in SCORECARD_COLUMNS if "verdict" not in card.columns or c not in ("status", "reasons")]
    found = verdicts(ran).value_counts()
    return {
        "counts": table_entry(counts, "Verdicts per study", provenance=prov, source=source,
                              caption="How many of each document's claims got each verdict."),
        "decided": None if decided.empty else table_entry(
            decided, f"Claims decided ({len(decided)})", provenance=prov, source=source,
            columns=DECIDED_COLUMNS, row_classes=_rows(decided), layout=LAYOUT,
            caption="The claims this run could compare like with like: reproduced or not."),
        "undecided": int(len(ran) - len(decided)),
        "full": table_entry(ran, f"Full scorecard ({len(ran)} measured claims)", provenance=prov, source=source,
                            caption=SCORECARD_CAPTION, columns=columns, row_classes=_rows(ran), layout=LAYOUT),
        "filters": [{"verdict": name, "slug": slug(name), "n": int(found[name])}
                    for name in _order(set(found.index)) if name in found.index],
        "not_run": None if not_run.empty else table_entry(
            not_run, f"Claims not run ({len(not_run)})", provenance=prov, source=source,
            columns=("study", "experiment", "metric", "claimed", "unit", "caveat"), collapsed=True, layout=LAYOUT,
            caption="Document claims whose experiment is not in this run."),
    }


def scorecard_tables(section: Mapping[str, Any] | None) -> list[dict]:
    """Every table of a :func:`scorecard_section` (none without a scorecard)."""
    if not section:
        return []
    return [t for t in (section["counts"], section["decided"], section["full"], section["not_run"]) if t]
