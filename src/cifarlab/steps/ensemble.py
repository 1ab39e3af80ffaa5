"""ensemble: combine the saved predictions of trained experiments, with no retraining.

For each group of members (``over: members``: seed k of every member, one group per seed
they share; ``over: seeds``: every seed of one member) it writes, per method (vote, mean,
weighted; cifarlab.evaluate.ensemble), what evaluate writes for a run:
``results/ensembles/<name>/eval/<group>/<method>/{metrics.json, per_class.csv,
confusion.csv, predictions.npz}``, the members' top-1 on the same images and their fitted
weights in ``<group>/members.json``, and the summary ``results/ensembles/<name>/metrics.json``
(the DVC metrics: each method's means over groups, the best member, the gains).
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any, Mapping, Sequence

from cifarlab import dag
from cifarlab.config import Config, ConfigError, EnsembleConfig
from cifarlab.io import atomic_path, write_json
from cifarlab.steps._common import read_meta, record

SUMMARY = ("top1", "top5", "loss", "macro_f1")  # per method, into the summary metrics.json
PROV = "ensemble.prov.json"

Part = tuple[str, str, int]  # (member label, experiment, seed)


def groups(cfg: Config, ens: EnsembleConfig) -> dict[str, list[Part]]:
    """Group name -> the (label, experiment, seed) predictions it combines."""
    if ens.over == "seeds":
        exp = cfg.experiment(ens.members[0])
        return {"seeds": [(f"seed_{s}", exp.name, s) for s in exp.seeds]}
    seed_lists = [cfg.experiment(m).seeds for m in ens.members]
    shared = [s for s in seed_lists[0] if all(s in seeds for seeds in seed_lists)]
    if not shared:
        raise ConfigError(f"ensembles.{ens.name}.members: the members share no seed in profile {cfg.profile.name}")
    return {f"seed_{s}": [(m, m, s) for m in ens.members] for s in shared}


def _files(part: Part) -> tuple[Path, Path]:
    folder = Path(dag.seed_dir(dag.eval_dir(part[1]), part[2]))
    return folder / dag.VAL_PREDICTIONS, folder / "predictions.npz"


def ensemble_group(parts: Sequence[Part], classes: Sequence[str], out: Path) -> dict[str, Any]:
    """The three ensembles of one group into ``out/<method>/``; returns their metrics and
    the members' top-1 and weights."""
    from cifarlab.evaluate import evaluate_predictions, write_evaluation
    from cifarlab.evaluate.ensemble import METHODS, Predictions, combine

    val = [Predictions.load(_files(p)[0]) for p in parts]
    test = [Predictions.load(_files(p)[1]) for p in parts]
    c = combine(val, test)
    labels = [p[0] for p in parts]
    methods = {}
    for method in METHODS:
        ev = evaluate_predictions(c.probs[method], c.labels, classes)
        methods[method] = write_evaluation(out / method, ev, indices=c.indices,
                                           facts={"method": method, "members": ",".join(labels)})
    members = {label: {"top1": float(t), "weight": float(w)}
               for label, t, w in zip(labels, c.member_top1, c.weights)}
    write_json(out / "members.json", members)
    correct = {m: (c.indices, c.probs[m].argmax(axis=1) == c.labels) for m in METHODS}
    correct.update({label: (c.indices, hits) for label, hits in zip(labels, c.member_correct)})
    return {"methods": methods, "members": members, "correct": correct}


def _mean(values: Sequence[float]) -> float:
    return round(statistics.fmean(values), 6)


def summary(ens: EnsembleConfig, per_group: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The DVC metrics of an ensemble: means over groups, the best member on the same
    images, and each method's top-1 gain over it (fractions)."""
    out: dict[str, Any] = {"ensemble": ens.name, "study": ens.study, "over": ens.over,
                           "members": ",".join(ens.members), "groups": ",".join(per_group)}
    first = next(iter(per_group.values()))
    out["n_test"] = first["methods"]["mean"]["n_test"]
    member_top1 = {m: _mean([g["members"][m]["top1"] for g in per_group.values()]) for m in first["members"]}
    best = max(member_top1, key=member_top1.get)
    out.update(best_member=best, best_member_top1=member_top1[best])
    for method in first["methods"]:
        for key in SUMMARY:
            values = [g["methods"][method][key] for g in per_group.values()]
            out[f"{method}_{key}"] = _mean(values)
            if key == "top1":
                out[f"{method}_top1_std"] = round(statistics.stdev(values), 6) if len(values) > 1 else None
        out[f"{method}_gain_top1"] = round(out[f"{method}_top1"] - member_top1[best], 6)
    for m in first["members"]:
        out[f"member_top1_{m}"] = member_top1[m]
        out[f"weight_{m}"] = _mean([g["members"][m]["weight"] for g in per_group.values()])
    out.update(paired_gains(per_group, best))
    out["per_group"] = {name: {**{f"{k}_top1": v["top1"] for k, v in g["methods"].items()},
                               **{f"member_top1_{m}": v["top1"] for m, v in g["members"].items()}}
                        for name, g in per_group.items()}
    return out


def paired_gains(per_group: Mapping[str, Mapping[str, Any]], best: str) -> dict[str, Any]:
    """Each method against the best member on the same test images and groups (seeds):
    the 95% paired-bootstrap interval of the gain, McNemar's exact p (seeds combined) and
    whether they are tied, as cifarlab.analysis.stats defines them for the documents."""
    from cifarlab.analysis.stats.paired import align, compare

    reference = {i: g["correct"][best] for i, g in enumerate(per_group.values())}
    out: dict[str, Any] = {}
    for method in next(iter(per_group.values()))["methods"]:
        _, a, b = align({i: g["correct"][method] for i, g in enumerate(per_group.values())}, reference)
        r = compare(a, b)
        out.update({f"{method}_gain_ci_low": round(r.ci_low, 6), f"{method}_gain_ci_high": round(r.ci_high, 6),
                    f"{method}_gain_p": r.p_value, f"{method}_tied_with_best": r.tied})
    return out


def run(cfg: Config, experiment: str, command: Sequence[str]) -> None:
    ens = cfg.ensemble(experiment)
    plan = groups(cfg, ens)
    inputs = [f for parts in plan.values() for p in parts for f in _files(p)]
    missing = [str(f) for f in inputs if not f.is_file()]
    if missing:  # before any work: evaluate the members first (an older evaluate lacks val predictions)
        raise FileNotFoundError(f"ensembles.{ens.name}: member predictions missing: {', '.join(missing[:3])}"
                                + (f" (+{len(missing) - 3} more)" if len(missing) > 3 else ""))
    classes = read_meta(cfg.experiment(ens.members[0]).dataset.name)["classes"]
    with atomic_path(dag.ensemble_eval_dir(ens.name)) as stage:
        per_group = {name: ensemble_group(parts, classes, Path(stage) / name) for name, parts in plan.items()}
        record(cfg, "ensemble", command, dag.ensemble_inputs(ens.members), Path(stage) / PROV, ens.name)
    result = summary(ens, per_group)
    write_json(dag.ensemble_metrics_file(ens.name), result)
    for method in ("vote", "mean", "weighted"):
        print(f"ensemble: {ens.name}: {method} top1 {result[f'{method}_top1']:.4f} "
              f"({result[f'{method}_gain_top1']:+.4f} vs best member {result['best_member']})", flush=True)
