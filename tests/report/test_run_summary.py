"""What a person sees: one named line per epoch, a bar only on a terminal, and the summary
`make run` ends with."""

from __future__ import annotations

import io

import pandas as pd

from cifarlab.report.run_summary import summary_lines


def test_summary_names_experiments_best_top1_wall_time_and_report(tmp_path):
    table = tmp_path / "experiments.csv"
    pd.DataFrame({"experiment": ["cnn4", "resnet_20", "broken"], "study": ["s000", "s002", "s002"],
                  "profile": ["quick"] * 3, "top1": [0.91, 0.87, None], "top1_std": [0.004, None, None]}
                 ).to_csv(table, index=False)
    report = tmp_path / "report" / "index.html"
    lines = summary_lines(table, report, 312.4)
    assert lines[0] == "cifarlab: done in 312 s: 2 experiments (s000, s002), profile quick"
    assert "cnn4" in lines[1] and "91.00% +- 0.40" in lines[1] and "87.00%" in lines[2]
    assert lines[-1].endswith(f"{report.resolve()} (not written)")
    assert "did not reach aggregate" in summary_lines(tmp_path / "none.csv", report, None)[0]


def test_epoch_line_and_no_bar_without_a_terminal(monkeypatch):
    import sys

    from cifarlab.train.loop import EpochStats, epoch_line, progress_bar

    line = epoch_line("cnn4 seed 0", "epoch 3/5", EpochStats(0.51234, 0.8), EpochStats(0.6, 0.75), 1e-3, 2.04)
    assert line == ("[cnn4 seed 0] epoch 3/5: loss 0.5123 acc 0.8000 | val_loss 0.6000 val_acc 0.7500 | "
                    "lr 0.001 | 2.0s")
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a log file / pipe: not a TTY
    assert progress_bar(10, "epoch 1/1", True).disable

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Tty())
    assert not progress_bar(10, "epoch 1/1", True).disable
    assert progress_bar(10, "epoch 1/1", False).disable


def test_chance_p_is_a_binomial_tail_and_pools_seeds():
    import math

    from cifarlab.analysis.stats.chance import chance_p

    assert chance_p(0.125, 128, 10) > 0.1  # 16 of 128 at 10 classes: luck
    assert chance_p(0.20, 128, 10) < 0.001
    assert chance_p(0.125, 128, 10, n_seeds=8) < chance_p(0.125, 128, 10)  # more evidence
    assert chance_p(0.012, 1000, 100) > 0.1 and chance_p(0.05, 1000, 100) < 1e-6
    assert math.isnan(chance_p(float("nan"), 128, 10))


def test_summary_names_the_experiments_not_above_chance(tmp_path):
    from cifarlab.analysis.tables.experiments import aggregate

    records = [{"experiment": "good", "study": "s000", "top1": 0.6, "n_test": 128, "num_classes": 10},
               {"experiment": "luck", "study": "s001", "top1": 0.125, "n_test": 128, "num_classes": 10}]
    table = tmp_path / "experiments.csv"
    aggregate(records).assign(profile="quick").to_csv(table, index=False)
    lines = summary_lines(table, tmp_path / "index.html", None)
    assert "  above chance (one-sided binomial p < 0.01): 1 of 2" in lines
    assert any(line.startswith("    not: luck 12.50% on 128 test images") for line in lines)


def test_efficiency_is_fit_seconds_over_wall_times_cores(tmp_path):
    import json

    from cifarlab.report.run_summary import efficiency_line, fit_seconds

    for exp, seed, secs in (("a", 0, 30.0), ("a", 1, 20.0), ("b", 0, 50.0)):
        d = tmp_path / exp / "train" / f"seed_{seed}"
        d.mkdir(parents=True)
        (d / "train.json").write_text(json.dumps({"train_seconds": secs}))
    fit = fit_seconds(tmp_path)
    assert fit == 100.0
    line = efficiency_line(fit, seconds=100.0, cores=2, speed={"factor": 1.5, "expected_seconds": 90.0})
    assert "efficiency: 50% of 2 cores" in line and "speed factor 1.50" in line and "expected 90 s" in line


def test_speed_factor_is_the_geometric_mean_of_step_ratios_and_scales_the_reference(tmp_path):
    import json
    import math

    from cifarlab.speed import expected_seconds, speed_factor

    f = speed_factor({"a": 2.0, "b": 4.5}, {"a": 1.0, "b": 2.0, "c": 9.0})
    assert math.isclose(f, math.sqrt(2.0 * 2.25))
    ref = tmp_path / "run_reference.json"
    assert expected_seconds(1.5, ref) is None
    ref.write_text(json.dumps({"seconds": 1000, "speed_factor": 1.25}))
    assert math.isclose(expected_seconds(1.5, ref), 1200.0)
