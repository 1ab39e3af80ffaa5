"""evaluate: the best checkpoint on the held-out test set -> metrics.json and predictions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from cifarlab import dag
from cifarlab.config import Config
from cifarlab.steps._common import read_meta, record, split_dir
from cifarlab.steps.train import make_loader


def run(cfg: Config, experiment: str, command: Sequence[str]) -> None:
    from cifarlab.device import resolve_device

    exp = cfg.experiment(experiment)
    device = resolve_device(cfg.profile.device)

    import torch

    from cifarlab.data.split import read_split
    from cifarlab.evaluate import (
        evaluate_predictions,
        measure_latency,
        peak_memory_mb,
        predict,
        reset_peak_memory,
        write_evaluation,
    )
    from cifarlab.models import get_model
    from cifarlab.models.complexity import count_flops, count_params

    run_dir = Path(dag.run_dir(experiment))
    meta = read_meta(exp.dataset.name)
    model = get_model(exp.model, num_classes=meta["num_classes"], **exp.model_args)
    best = torch.load(run_dir / "best.pt", map_location="cpu", weights_only=True)
    model.load_state_dict(best["state_dict"])
    model.to(device).eval()

    reset_peak_memory(device)
    loader = make_loader(exp, "test", device, train=False, seed=exp.seed)
    probs, labels = predict(model, loader, device)
    evaluation = evaluate_predictions(probs, labels, meta["classes"])
    size = exp.recipe.resize or meta["image_size"]
    train_facts = json.loads((run_dir / "train.json").read_text())
    facts = {
        "params": count_params(model),
        "flops": count_flops(model, size),
        **measure_latency(model, (3, size, size), device, batch_sizes=(exp.recipe.eval_batch_size, 1),
                          repeats=cfg.profile.latency_repeats),
        "device": device,
        "train_seconds": train_facts["train_seconds"],
        "epochs": train_facts["epochs_run"],
        "best_epoch": train_facts["best_epoch"],
    }
    facts["peak_mem_mb"], facts["peak_mem_source"] = peak_memory_mb(device)
    _, _, indices = read_split(split_dir(exp.dataset.name), "test")
    metrics = write_evaluation(run_dir, evaluation, indices=indices, facts=facts)
    print(f"evaluate: {experiment}: top1 {metrics['top1']:.4f} top5 {metrics['top5']:.4f}", flush=True)
    record(cfg, "evaluate", command, [split_dir(exp.dataset.name), run_dir / "best.pt"],
           run_dir / "evaluate.prov.json", experiment, device)
