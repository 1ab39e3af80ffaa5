"""evaluate: each seed's best checkpoint on the held-out test set -> metrics, predictions,
and the experiment's seed summary (results/runs/<exp>/metrics.json, the DVC metrics)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from cifarlab import dag, phases, threads
from cifarlab.config import Config, ExperimentConfig
from cifarlab.io import atomic_path, read_json, write_json
from cifarlab.steps._common import read_meta, record, split_dir


def evaluate_seed(cfg: Config, exp: ExperimentConfig, seed: int, device: str, meta: dict,
                  out_dir: Path) -> dict[str, Any]:
    """One seed's test metrics and files into ``out_dir``; returns its metrics.json dict."""
    import torch

    from cifarlab.evaluate import (evaluate_predictions, measure_latency, peak_memory_mb, predict,
                                   reset_peak_memory, write_evaluation)
    from cifarlab.models.complexity import count_params
    from cifarlab.steps._model import build_for_checkpoint
    from cifarlab.steps.train import loader_over, split_part

    phases.mark("imports (torch, evaluation)")
    train_dir = Path(dag.seed_dir(dag.train_dir(exp.name), seed))
    run_facts, train_facts = read_json(train_dir / "run.json"), read_json(train_dir / "train.json")
    budget = run_facts["budget"]
    model = build_for_checkpoint(exp, meta["num_classes"], run_facts)
    best = torch.load(train_dir / "best.pt", map_location="cpu", weights_only=True)
    model.load_state_dict(best["state_dict"])
    model.to(device).eval()
    phases.mark("model build, checkpoint")

    reset_peak_memory(device)
    images, labels, indices = split_part(exp, "test", budget["test_images"], cfg.split.seed)
    phases.mark("split read")
    px = budget["input_px"]
    loader = loader_over(exp, torch.from_numpy(images), torch.from_numpy(labels), device, train=False,
                         seed=seed, num_classes=meta["num_classes"],
                         resize=px)
    probs, y = predict(model, loader, device)
    phases.mark("inference")
    evaluation = evaluate_predictions(probs, y, meta["classes"])
    phases.mark("metrics")
    latency_batch = (cfg.profile.budget.latency_batch if cfg.profile.budget else None) or exp.recipe.eval_batch_size
    facts = {
        "params": count_params(model),
        "flops": _forward_flops(model, px, budget),
        **measure_latency(model, (3, px, px), device, batch_sizes=(latency_batch, 1),
                          repeats=cfg.profile.latency_repeats),
        "device": device,
        "train_seconds": train_facts["train_seconds"],
        "epochs": train_facts["epochs_run"],
        "best_epoch": train_facts["best_epoch"],
        "seed": seed,
        "input_px": px,
        "lr_scale": budget.get("lr_scale", 1.0),  # the budget's scaling of the recipe's learning rates
        "train_batch_size": budget.get("batch_size"),
        "pretrained": bool(run_facts.get("pretrained")),
    }
    phases.mark("latency")
    facts["peak_mem_mb"], facts["peak_mem_source"] = peak_memory_mb(device)
    wrong = evaluation.preds != evaluation.labels  # s004 quotes its most confident error
    facts["max_error_confidence"] = float(probs[wrong].max()) if wrong.any() else None
    write_val_predictions(exp, model, budget, seed, device, meta, cfg.split.seed, out_dir)
    metrics = write_evaluation(out_dir, evaluation, indices=indices, facts=facts)
    phases.mark("seed files")
    print(f"evaluate: {exp.name} seed {seed}: top1 {metrics['top1']:.4f} top5 {metrics['top5']:.4f} "
          f"on {len(y)} test images", flush=True)
    return metrics


def write_val_predictions(exp: ExperimentConfig, model, budget: dict[str, Any], seed: int, device: str,
                          meta: dict, split_seed: int, out_dir: Path) -> None:
    """The validation images training monitored (the budget's subset), predicted by the best
    checkpoint: what the ensemble step fits its weights on, never the test labels."""
    import torch

    from cifarlab.evaluate import predict
    from cifarlab.evaluate.writer import write_predictions
    from cifarlab.steps.train import loader_over, split_part

    images, labels, indices = split_part(exp, "val", budget["val_images"], split_seed)
    loader = loader_over(exp, torch.from_numpy(images), torch.from_numpy(labels), device, train=False,
                         seed=seed, num_classes=meta["num_classes"], resize=budget["input_px"])
    probs, y = predict(model, loader, device)
    write_predictions(out_dir / dag.VAL_PREDICTIONS, probs, y, indices)


def _forward_flops(model, px: int, budget: dict[str, Any]) -> int:
    """Forward FLOPs per image: train measured them on this architecture at this size (its
    budget); counting again would cost this process torch's FlopCounterMode, whose first
    use imports torch._dynamo (about 1.5 s)."""
    if budget.get("gflops_per_image") is not None and budget.get("input_px") == px:
        return int(round(budget["gflops_per_image"] * 1e9))
    from cifarlab.models.complexity import count_flops

    return count_flops(model, px)


def run(cfg: Config, experiment: str, command: Sequence[str]) -> None:
    from cifarlab.device import resolve_device
    from cifarlab.evaluate.seeds import seed_summary

    exp = cfg.experiment(experiment)
    device = resolve_device(cfg.profile.device)
    threads.pin_torch()
    meta = read_meta(exp.dataset.name)
    train_dir = Path(dag.train_dir(experiment))
    with atomic_path(dag.eval_dir(experiment)) as stage:
        per_seed = {seed: evaluate_seed(cfg, exp, seed, device, meta, Path(dag.seed_dir(str(stage), seed)))
                    for seed in exp.seeds}
        record(cfg, "evaluate", command, [split_dir(exp.dataset.name), train_dir],
               stage / dag.EVAL_PROV, experiment, device)
    write_json(dag.metrics_file(experiment), seed_summary(per_seed))
    phases.mark("output folder, provenance")
