"""The index opens with the scorecard's summary (verdict counts per study, the claims
decided), then the full scorecard, collapsed and filterable by verdict."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cifarlab.report import build_site, render_pages
from cifarlab.report.scorecard_page import scorecard_section, verdict_counts
from tests.report.site_fixture import SCORECARD, build_tree


def test_verdict_counts_per_study_with_totals():
    counts = verdict_counts(pd.DataFrame(SCORECARD)).set_index("study")
    assert counts.loc["s000", "not comparable"] == 2 and counts.loc["s000", "reproduced"] == 0
    assert counts.loc["s001", ["reproduced", "not reproduced", "not comparable", "total"]].tolist() == [1, 2, 1, 4]
    assert counts.loc["s004", "inconclusive"] == 1 and counts.loc["s002", "not run"] == 1
    assert counts.loc["all", "total"] == len(SCORECARD)
    assert list(counts.columns[:3]) == ["reproduced", "not reproduced", "inconclusive"]  # decided first


def test_the_section_splits_decided_measured_and_not_run():
    sec = scorecard_section(pd.DataFrame(SCORECARD), "scorecard.csv", None)
    rows = pd.DataFrame(sec["decided"]["rows"], columns=sec["decided"]["columns"])
    decided = set(zip(rows["experiment"], rows["metric"], rows["verdict"]))
    assert decided == {("efficientnet_b2", "params", "reproduced"), ("efficientnet_b2", "params_m", "not reproduced"),
                       ("efficientnet_b2", "top1", "not reproduced")}
    assert len(sec["full"]["rows"]) == 7 and sec["undecided"] == 4 and len(sec["not_run"]["rows"]) == 1
    assert {f["verdict"]: f["n"] for f in sec["filters"]} == {
        "reproduced": 1, "not reproduced": 2, "inconclusive": 1, "not comparable": 3}
    full = pd.DataFrame(sec["full"]["rows"], columns=sec["full"]["columns"]).set_index("metric")
    assert sorted(full.loc["top1", "measured [95% interval]"]) == ["61.10 [50.80, 70.50]", "65.50",
                                                                   "93.90 [88.80, 99.00]"]
    assert "needed" in sec["full"]["columns"]  # issue 16: the seeds and images that would decide
    layout = dict(zip(sec["full"]["columns"], sec["full"]["col_classes"]))
    assert layout["reason"] == layout["caveat"] == "text"  # prose wraps in a readable width
    assert layout["section"] == "wrap" and layout["claimed"] == ""  # phrases may wrap, numbers never
    none = scorecard_section(pd.DataFrame(SCORECARD[:2]), "scorecard.csv", None)
    assert none["decided"] is None  # no empty table: the page says so in words


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return render_pages(build_site(**build_tree(tmp_path_factory.mktemp("sc"))))["index.html"]


def test_index_opens_with_the_summary_and_collapses_the_full_scorecard(index):
    order = [index.index(f'id="{i}"') for i in ("scorecard-summary", "summary", "scorecard-full", "tables")]
    assert order == sorted(order)
    full = index[index.index('id="scorecard-full"'):index.index('id="tables"')]
    assert re.search(r'<details class="scorecard">\s*<summary>Show all 7 measured claims', full)
    assert full.count('type="radio"') == 1 + 4  # all + each verdict present
    assert "#scorecard-full:has(#vf-not-comparable:checked)" in full and "<script" not in index


def test_index_prints_counts_as_integers_and_intervals(index):
    assert "<td>29</td>" in index and "29.00" not in index  # the epoch claim
    assert "7,715,084" in index and "efficientnet_<wbr>b2" in index  # names may wrap at underscores
    assert re.search(r"<th>top1 95% interval \(%\)</th>.*<td>\[\d+\.\d\d, \d+\.\d\d\]</td>", index, re.S)
