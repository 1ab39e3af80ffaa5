"""The HTML report: every table and figure with provenance, images inline, values escaped."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from cifarlab.analysis.plots import save_figure, summary_figures
from cifarlab.analysis.runs import load_run, run_record
from cifarlab.analysis.tables import aggregate, scorecard
from cifarlab.evaluate import evaluate_predictions, write_evaluation
from cifarlab.provenance import collect_provenance, sidecar_path, write_provenance
from cifarlab.report import build_report_context, load_claims, render_report

EVIL = "<script>alert('x')</script>"
EXPERIMENTS = ("cnn4", "simple_cnn")


def _prov(step, tmp, inputs=()):
    return collect_provenance(step, ["python", f"workflow/scripts/{step}.py", "--profile", "quick"],
                              {"profile": "quick"}, list(inputs), repo_dir=tmp)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    rng = np.random.default_rng(0)
    names = [EVIL, "dog & cat", "ship"]
    records, runs = [], {}
    for exp in EXPERIMENTS:
        run_dir = root / "runs" / exp
        labels = rng.integers(0, 3, 60)
        probs = rng.dirichlet(np.ones(3), 60).astype(np.float32)
        write_evaluation(run_dir, evaluate_predictions(probs, labels, names), facts={"params": 1000, "epochs": 2})
        pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.8], "val_loss": [1.1, 0.9], "train_acc": [0.4, 0.5],
                      "val_acc": [0.35, 0.45]}).to_csv(run_dir / "history.csv", index=False)
        write_provenance(run_dir / "evaluate.prov.json", _prov("evaluate", root, [run_dir / "history.csv"]))
        runs[exp] = load_run(run_dir)
        records.append(run_record(runs[exp], {"study": "s000" if exp == "cnn4" else "s001", "model": exp,
                                              "dataset": "fashion_mnist", "profile": "quick", "max_epochs": 2,
                                              "train_size": 100, "num_classes": 3, "device": "cpu"}))
    tables = root / "tables"
    df = aggregate(records)
    tables.mkdir()
    df.to_csv(tables / "experiments.csv", index=False)
    scorecard(df, load_claims()).to_csv(tables / "scorecard.csv", index=False)
    write_provenance(tables / "aggregate.prov.json", _prov("aggregate", root, [root / "runs"]))
    figs = summary_figures(df, runs)
    for name, fig in figs.items():
        save_figure(fig, root / "figures" / name, provenance=_prov("figures", root, [tables / "experiments.csv"]))
    return root, len(figs)


def _context(root, **kw):
    return build_report_context(tables_dir=root / "tables", figure_dirs={"Summary": root / "figures"},
                                runs_dir=root / "runs", profile={"name": "quick", "description": EVIL, "device": "cpu"},
                                provenance=_prov("report", root, [root / "tables"]), **kw)


def test_every_table_and_figure_has_provenance_and_inline_image(tree):
    root, n_figs = tree
    ctx = _context(root)
    html = render_report(ctx)
    tables = list(ctx["tables"]) + [t for e in ctx["experiments"] for t in e["tables"]]
    figures = [f for s in ctx["figure_sections"] for f in s["figures"]] + [f for e in ctx["experiments"] for f in e["figures"]]
    assert len(figures) == n_figs
    assert all(item["provenance"] for item in tables + figures)
    assert html.count('class="table-block"') == len(tables)
    assert html.count('class="figure-block"') == n_figs
    assert html.count('<details class="prov">') == len(tables) + n_figs + 1  # + the report's own
    assert len(re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', html)) == n_figs
    for block in html.split('class="table-block"')[1:] + html.split('class="figure-block"')[1:]:
        section = block.split("</section>")[0].split("</figure>")[0]
        assert "Provenance: rule" in section and "md5" in section and "workflow/scripts/" in section
    for title in ("Experiments", "Reproduction scorecard", "Per-class precision, recall, F1", "Top-10 confused pairs"):
        assert title in html
    for exp in EXPERIMENTS:
        assert f'id="exp-{exp}"' in html and f"curves__{exp}.png" in html and f"confusion__{exp}.png" in html


def test_report_is_self_contained_and_escaped(tree):
    root, _ = tree
    html = render_report(_context(root))
    assert "<script" not in html  # the evil class name and description arrive escaped
    assert "&lt;script&gt;alert(" in html and "dog &amp; cat" in html
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<link" not in html
    assert "quick" in html and "not comparable" in html and "fashion_mnist vs the seed" in html


def test_missing_provenance_is_an_error_or_a_visible_warning(tree, tmp_path):
    root, _ = tree
    import shutil

    copy = tmp_path / "r"
    shutil.copytree(root, copy)
    sidecar_path(copy / "figures" / "accuracy_bars.png").unlink()
    with pytest.raises(FileNotFoundError, match="accuracy_bars"):
        _context(copy)
    html = render_report(_context(copy, strict=False))
    assert html.count("Provenance record missing") == 1
    ctx = _context(copy, strict=False)
    del ctx["tables"][0]["provenance"]
    with pytest.raises(ValueError, match="provenance"):
        render_report(ctx)


def test_summary_reports_commit_and_dirty_flag(tree):
    root, _ = tree
    ctx = _context(root)
    summary = dict(ctx["summary"])
    assert summary["profile"] == "quick" and summary["experiments"] == "2"
    assert summary["git commit"].startswith("unknown")  # the temp folder is no git work tree
    assert summary["datasets measured"] == "fashion_mnist"
    assert any("not comparable" in n for n in ctx["notices"])
