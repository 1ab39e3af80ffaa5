"""A small results tree, written by the real analysis code, that the report tests render.

Three experiments of three studies (one with two seeds, one two-phase run), tables.json
with one document table, runs.csv, every catalogue figure the data allows, an explain
figure, and an experiment whose description is an HTML injection attempt.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cifarlab.analysis.figures.catalogue import FIGURES, FigureInputs, experiment_figures, summary_figures
from cifarlab.analysis.figures.figbase import save_figure
from cifarlab.analysis.figures.images import plot_gradcam
from cifarlab.analysis.figures.sample_figures import plot_augmentation_preview, plot_sample_grid
from cifarlab.analysis.runs import load_run, seed_records
from cifarlab.analysis.tables.experiments import aggregate, runs_table
from cifarlab.analysis.tables.study_tables import TableInputs, s004_models
from cifarlab.evaluate import evaluate_predictions, write_evaluation
from cifarlab.io import write_json
from cifarlab.provenance import collect_provenance, write_provenance
from cifarlab.steps.figures import _extra as figure_extra

EVIL = "<img src=x onerror=alert(1)>"
CLASSES = ["T-shirt", "trouser & co", "<b>bag</b>"]
EXPERIMENTS = {
    "cnn4": {"study": "s000", "model": "cnn4", "description": "four conv blocks", "recipe": "s000_adamw"},
    "efficientnet_b2": {"study": "s001", "model": "efficientnet_b2", "description": EVIL, "recipe": "s001_effnet"},
    "wrn_16_8": {"study": "s004", "model": "wrn_16_8", "description": "the analysed model", "recipe": "s004_sgd"},
}
PROFILE = {"name": "quick", "description": "tiny fixture profile", "device": "cpu"}


def prov(step: str, root: Path, inputs=(), extra=None) -> dict:
    return collect_provenance(step, ["python", f"workflow/scripts/{step}.py", "--profile", "quick"],
                              {"profile": "quick", "experiments": {"cnn4": {"seed": 0}}}, list(inputs),
                              repo_dir=root, extra=extra)


def _history(rng, epochs: int, two_phase: bool) -> pd.DataFrame:
    e = np.arange(1, epochs + 1)
    h = pd.DataFrame({"epoch": e, "train_loss": 2 / e + rng.random(epochs) * .05,
                      "val_loss": 2.2 / e + rng.random(epochs) * .05, "train_acc": 1 - 1 / (e + 1),
                      "val_acc": 1 - 1.2 / (e + 1.5), "lr": np.linspace(1e-3, 1e-5, epochs)})
    h["phase"] = ["head" if two_phase and i < 2 else "all" for i in range(epochs)]
    return h


def _runs(root: Path, rng) -> tuple[list[dict], dict]:
    """results/runs/<exp>/{metrics.json, train/seed_<k>/history.csv, eval/seed_<k>/...}."""
    records, runs = [], {}
    for n, (exp, desc) in enumerate(EXPERIMENTS.items()):
        run_dir = root / "runs" / exp
        for seed in range(2 if exp == "wrn_16_8" else 1):  # two seeds: curves draw a band
            labels = rng.integers(0, 3, 90)
            probs = rng.dirichlet(np.ones(3) * 0.5, 90).astype(np.float32)
            probs[np.arange(45), labels[:45]] += 2.0  # mostly right
            probs /= probs.sum(axis=1, keepdims=True)
            ev = evaluate_predictions(probs, labels, CLASSES)
            metrics = write_evaluation(run_dir / "eval" / f"seed_{seed}", ev,
                                       facts={"params": 1000 * (n + 1), "epochs": 6})
            (run_dir / "train" / f"seed_{seed}").mkdir(parents=True)
            _history(rng, 6, exp == "efficientnet_b2").to_csv(run_dir / "train" / f"seed_{seed}" / "history.csv",
                                                              index=False)
        write_json(run_dir / "metrics.json", metrics)
        write_provenance(run_dir / "eval" / "evaluate.prov.json", prov("evaluate", root, [run_dir / "train"]))
        runs[exp] = load_run(run_dir)
        records += seed_records(runs[exp], {"study": desc["study"], "model": desc["model"], "recipe": desc["recipe"],
                                            "dataset": "fashion_mnist", "profile": "quick", "max_epochs": 6,
                                            "train_size": 100, "num_classes": 3, "device": "cpu",
                                            "description": desc["description"]})
    return records, runs


def _with_intervals(records: list[dict]) -> list[dict]:
    """Each seed's Wilson 95% interval of top-1 and top-5, as issue 16's aggregate writes
    them (``<metric>_ci_low`` / ``_ci_high``, fractions); kept when the records have them."""
    from scipy.stats import binomtest

    out = []
    for r in records:
        r = dict(r)
        for m in ("top1", "top5"):
            if f"{m}_ci_low" not in r and r.get(m) is not None:
                n = int(r.get("n_test") or 90)
                ci = binomtest(round(float(r[m]) * n), n).proportion_ci(0.95, method="wilson")
                r[f"{m}_ci_low"], r[f"{m}_ci_high"] = ci.low, ci.high
        out.append(r)
    return out


# The scorecard as issue 7 and issue 16 write it (built here: the scorecard has its own
# tests): one row per verdict, reasons as long as the real ones, an epoch claim.
LONG_REASON = ("quick profile: fashion_mnist vs the document's cifar10; 5 epochs vs the document's 100; "
               "20,000 training images vs 50,000")
SCORECARD = [
    {"study": "s000", "experiment": "cnn4", "metric": "top1", "claimed": 82.70, "measured": 65.5,
     "delta": -17.2, "unit": "%", "verdict": "not comparable", "reason": LONG_REASON, "simulated": False},
    {"study": "s000", "experiment": "cnn4", "metric": "best_val_epoch", "claimed": 29.0, "measured": 5.0,
     "delta": -24.0, "unit": "epoch", "verdict": "not comparable", "reason": LONG_REASON, "simulated": False},
    {"study": "s001", "experiment": "efficientnet_b2", "metric": "params", "claimed": 7715084,
     "measured": 7715084, "delta": 0, "unit": "count", "verdict": "reproduced", "reason": "", "simulated": False},
    {"study": "s001", "experiment": "efficientnet_b2", "metric": "top1", "claimed": 97.1, "measured": 61.1,
     "ci_low": 50.8, "ci_high": 70.5, "delta": -36.0, "unit": "%", "verdict": "not reproduced",
     "reason": "the claim lies outside our 95% interval widened by the tolerance", "simulated": False},
    {"study": "s001", "experiment": "efficientnet_b2", "metric": "params_m", "claimed": 7.9, "measured": 7.715,
     "delta": -0.185, "unit": "M", "verdict": "not reproduced", "reason": "", "simulated": False},
    {"study": "s004", "experiment": "wrn_16_8", "metric": "top1", "claimed": 94.6, "measured": 93.9,
     "ci_low": 88.8, "ci_high": 99.0, "delta": -0.7, "unit": "%", "verdict": "inconclusive", "reason": "our 95% interval (10.2 points) is wider "
     "than twice the tolerance", "needed": "3 seeds x 10,000 test images", "simulated": False},
    {"study": "s001", "experiment": "efficientnet_b2_no_label_smoothing", "metric": "latency_ms_batched",
     "claimed": 0.41, "measured": 2.73, "delta": 2.32, "unit": "ms/image", "verdict": "not comparable",
     "reason": "hardware: the document's NVIDIA A100 vs our cpu", "caveat": "hardware-dependent: the seed's GPU "
     "and software differ from ours; the document states neither its batch size nor its precision",
     "section": "4.3 (ablation table)", "simulated": False},
    {"study": "s002", "experiment": "resnet_56", "metric": "top1", "claimed": 72.5, "measured": None,
     "delta": None, "unit": "%", "verdict": "not run", "reason": "not in this run", "simulated": False},
]


def _tables(root: Path, records: list[dict]) -> pd.DataFrame:
    tables = root / "tables"
    tables.mkdir(parents=True)
    records[:] = _with_intervals(records)
    df = aggregate(records)
    df.to_csv(tables / "experiments.csv", index=False)
    pd.DataFrame(SCORECARD).to_csv(tables / "scorecard.csv", index=False)
    runs_table(records).to_csv(tables / "runs.csv", index=False)
    pd.DataFrame({"model": ["cnn4", EVIL], "top1": [0.9, 0.8]}).to_csv(tables / "s000__table1.csv", index=False)
    models = s004_models(TableInputs(experiments=df))  # a real document table: epochs are seed means
    models.to_csv(tables / "s004__models.csv", index=False)
    write_json(tables / "tables.json", [{"study": "s000", "key": "table1", "caption": "s000 Table 1",
                                         "file": "results/tables/s000__table1.csv", "note": "fixture"},
                                        {"study": "s004", "key": "models", "caption": "s004 model table",
                                         "file": "results/tables/s004__models.csv"}])
    write_provenance(tables / "aggregate.prov.json", prov("aggregate", root, [root / "runs"]))
    return df


def _previews(root: Path, rng) -> None:
    """What the preview step writes: a sample grid per dataset, a preview per recipe."""
    images = rng.integers(0, 255, (4, 3, 32, 32), dtype=np.uint8)
    for name, fig in (("samples__fashion_mnist", plot_sample_grid(images, [0, 1, 2, 0], CLASSES)),
                      ("augment__s000_adamw", plot_augmentation_preview(images, [0, 1, 2, 0], CLASSES))):
        save_figure(fig, root / "figures" / "data" / f"{name}.png", dpi=50,
                    provenance=prov("preview", root, [root / "tables"], {"caption": f"fixture {name}"}))


def _explain(root: Path, rng) -> None:
    images = rng.integers(0, 255, (4, 3, 32, 32), dtype=np.uint8)
    cams = rng.random((4, 32, 32))
    fig = plot_gradcam(images, cams, [0, 1, 2, 0], [0, 1, 0, 2], CLASSES, ncols=2, title="wrn_16_8: Grad-CAM")
    spec = FIGURES["gradcam"]
    extra = {"figure": "gradcam", "study": spec.study, "label": spec.label, "caption": spec.caption,
             "experiment": "wrn_16_8"}
    save_figure(fig, root / "figures" / "explain" / "gradcam__wrn_16_8.png",
                provenance=prov("explain", root, [root / "runs" / "wrn_16_8"], extra))


def build_tree(root: Path) -> dict:
    """Write the tree under ``root``; returns the build_site keyword arguments for it."""
    rng = np.random.default_rng(0)
    records, runs = _runs(root, rng)
    df = _tables(root, records)
    inputs = FigureInputs(experiments=df, runs=runs, seed_runs=pd.read_csv(root / "tables" / "runs.csv"))
    figs = dict(summary_figures(inputs))
    for exp, desc in EXPERIMENTS.items():
        figs.update(experiment_figures(runs[exp], exp, desc["study"]))
    for filename, fig in figs.items():
        name, _, exp = filename.removesuffix(".png").partition("__")
        extra = figure_extra(name, exp, fig)  # as the figures step writes it (with what the error bars show)
        save_figure(fig, root / "figures" / "summary" / filename, dpi=60,
                    provenance=prov("figures", root, [root / "tables" / "experiments.csv"], extra))
    _explain(root, rng)
    _previews(root, rng)
    return {"tables_dir": root / "tables", "runs_dir": root / "runs", "experiments": EXPERIMENTS,
            "figure_dirs": {"data": root / "figures" / "data", "summary": root / "figures" / "summary",
                            "explain": root / "figures" / "explain"},
            "profile": PROFILE, "provenance": prov("report", root, [root / "tables"])}
