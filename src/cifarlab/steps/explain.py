"""explain: figures that need the trained model (Grad-CAM, first-layer feature maps) and the
most confident errors, for the experiments ``dag.EXPLAIN`` names.

Inputs are each experiment's first seed: its best checkpoint and run.json (architecture,
input size, test subset), its test predictions (predictions.npz, so nothing is
re-predicted) and the test split. Grad-CAM is pytorch-grad-cam's ``GradCAM``
on the model's last ``Conv2d`` that is still at least 4 px wide, for the predicted class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from cifarlab import dag
from cifarlab.config import Config, ExperimentConfig
from cifarlab.steps._common import read_meta, split_dir

N_GRADCAM = 9  # s004 shows 9 samples
N_GRADCAM_WRONG = 3  # of which misclassified
N_ERRORS = 20  # s004's 20 most confident errors
MIN_CAM_SIDE = 4  # Grad-CAM on the last conv layer at least this many pixels wide
# s001: a bird, and a plane shown as a ship. Other datasets: the class the run recognises
# most often, and its most frequent confusion (the caption names the classes used).
GRADCAM_PAIR = {"cifar10": ("bird", ("airplane", "ship"))}


def _load_model(exp: ExperimentConfig, num_classes: int, train_dir: Path, run_facts: dict, device: str):
    """The architecture the run trained (its run.json), with its best weights."""
    import torch

    from cifarlab.steps._model import build_for_checkpoint

    model = build_for_checkpoint(exp, num_classes, run_facts)
    best = torch.load(train_dir / "best.pt", map_location="cpu", weights_only=True)
    model.load_state_dict(best["state_dict"])
    return model.to(device).eval()


def _last_conv(model):
    from torch import nn

    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(f"{type(model).__name__}: no Conv2d layer for Grad-CAM")
    return convs


def target_layer(model, x, min_side: int = MIN_CAM_SIDE):
    """The last Conv2d whose output is at least ``min_side`` pixels wide for input ``x``
    (else the last Conv2d): on 32 px CIFAR images a ResNet's last block is 1x1, where a
    class activation map has nothing left to show."""
    import torch

    sides: dict[int, int] = {}
    convs = _last_conv(model)
    def keep(k: int):
        def hook(module, inputs, output) -> None:  # returns None: the output stays as it is
            sides.setdefault(k, int(output.shape[-1]))
        return hook

    hooks = [m.register_forward_hook(keep(k)) for k, m in enumerate(convs)]
    try:
        with torch.no_grad():
            model(x[:1])
    finally:
        for h in hooks:
            h.remove()
    wide = [k for k in range(len(convs)) if sides.get(k, 0) >= min_side]
    return convs[wide[-1] if wide else -1]


def gradcam_maps(model, x, classes: Sequence[int], size: int) -> np.ndarray:
    """(N, size, size) Grad-CAM maps in [0, 1] for ``classes`` (pytorch-grad-cam)."""
    import torch
    import torch.nn.functional as F
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    with GradCAM(model=model, target_layers=[target_layer(model, x)]) as cam:
        maps = cam(input_tensor=x, targets=[ClassifierOutputTarget(int(c)) for c in classes])
    if maps.shape[-1] != size:  # the model saw a resized input (s001's 64 px): back to the image
        maps = F.interpolate(torch.from_numpy(maps)[:, None], size=(size, size), mode="bilinear")[:, 0].numpy()
    return np.clip(maps, 0.0, 1.0)


def first_layer_maps(model, x) -> np.ndarray:
    """The first Conv2d's output (C, H, W) for the first image of ``x``."""
    import torch

    out: dict[str, Any] = {}
    def hook(module, inputs, output) -> None:
        out.setdefault("maps", output.detach())

    handle = _last_conv(model)[0].register_forward_hook(hook)
    try:
        with torch.no_grad():
            model(x[:1])
    finally:
        handle.remove()
    return out["maps"][0].float().cpu().numpy()


def pick_gradcam(labels: np.ndarray, preds: np.ndarray, seed: int) -> np.ndarray:
    """9 test indices: correct ones first, then up to 3 errors, in a seeded random order."""
    order = np.random.default_rng(seed).permutation(len(labels))
    wrong = [i for i in order if preds[i] != labels[i]][:N_GRADCAM_WRONG]
    right = [i for i in order if preds[i] == labels[i]][:N_GRADCAM - len(wrong)]
    return np.asarray(right + wrong, dtype=int)


def pick_pair(dataset: str, classes: Sequence[str], labels: np.ndarray, preds: np.ndarray
              ) -> tuple[list[int], str]:
    """A correct image of the document's class and an error of its pair; and what was used."""
    if dataset in GRADCAM_PAIR:
        good, (true, shown) = GRADCAM_PAIR[dataset]
        g, t, s = classes.index(good), classes.index(true), classes.index(shown)
    else:
        k = len(classes)
        cm = np.bincount(labels * k + preds, minlength=k * k).reshape(k, k)
        g = int(np.diag(cm).argmax())  # the class this run recognises most often
        np.fill_diagonal(cm, 0)
        t, s = divmod(int(cm.argmax()), k)
    right = np.flatnonzero((labels == g) & (preds == g))
    wrong = np.flatnonzero((labels == t) & (preds == s))
    picked = [int(a[0]) for a in (right, wrong) if len(a)]
    note = f"{classes[g]} (correct) and {classes[t]} -> {classes[s]} (misclassified) on {dataset}"
    if len(picked) < 2:
        note += "; this run has no such example for " + ("both" if not picked else "one of them")
    if not picked:  # a run near chance (found by `make rehearsal`): still a figure, said so
        picked, note = [0], note + "; shown instead: the first test image"
    return picked, note


class _Context:
    """One experiment's first seed: model, the test images it was evaluated on, its
    predictions, class names, and the files they came from. Mirrors the evaluate step:
    the run's architecture and input size (run.json), the budget's test subset."""

    def __init__(self, cfg: Config, name: str, device: str) -> None:
        from cifarlab.io import read_json
        from cifarlab.steps.train import split_part

        self.exp = cfg.experiment(name)
        seed = self.exp.seeds[0]
        meta = read_meta(self.exp.dataset.name)
        self.classes, self.num_classes = [str(c) for c in meta["classes"]], meta["num_classes"]
        train_dir = Path(dag.seed_dir(dag.train_dir(name), seed))
        predictions = Path(dag.seed_dir(dag.eval_dir(name), seed)) / "predictions.npz"
        run_facts = read_json(train_dir / "run.json")
        self.px, self.seed = run_facts["budget"]["input_px"], seed
        self.images, labels, _ = split_part(self.exp, "test", run_facts["budget"]["test_images"], cfg.split.seed)
        with np.load(predictions) as saved:
            self.probs, self.labels = saved["probs"], saved["labels"]
        if not np.array_equal(self.labels, labels):
            raise ValueError(f"{predictions}: does not match the test images of {name}; rerun evaluate")
        self.preds = self.probs.argmax(axis=1)
        self.device = device
        self.model = _load_model(self.exp, self.num_classes, train_dir, run_facts, device)
        self.sources = [split_dir(self.exp.dataset.name), train_dir / "best.pt", train_dir / "run.json", predictions]

    def inputs(self, idx: np.ndarray):
        """The model's input for test images ``idx``: the recipe's normalisation at the run's size."""
        import torch

        from cifarlab.steps.train import loader_over

        x, y = torch.from_numpy(self.images[idx]), torch.from_numpy(self.labels[idx])
        loader = loader_over(self.exp, x, y, self.device, train=False, seed=self.seed,
                             num_classes=self.num_classes, resize=self.px)
        return torch.cat([batch for batch, _ in loader])

    def cams(self, idx: np.ndarray, classes: Sequence[int]) -> np.ndarray:
        return gradcam_maps(self.model, self.inputs(idx), classes, self.images.shape[-1])


def _draw(kind: str, c: _Context) -> tuple[Any, str]:
    """(figure, caption detail) of one explain figure."""
    from cifarlab.analysis.figures.images import most_confident_errors, plot_feature_maps, plot_gradcam, plot_misclassified

    name = c.exp.name
    if kind == "misclassified":
        idx = most_confident_errors(c.probs, c.labels, N_ERRORS)
        fig = plot_misclassified(c.images[idx], c.labels[idx], c.probs[idx], c.classes,
                                 title=f"{name}: the {len(idx)} most confident errors")
        return fig, f"{len(idx)} of {int((c.preds != c.labels).sum())} errors on {len(c.labels)} test images"
    if kind == "gradcam":
        idx = pick_gradcam(c.labels, c.preds, c.exp.seed)
        fig = plot_gradcam(c.images[idx], c.cams(idx, c.preds[idx]), c.labels[idx], c.preds[idx], c.classes,
                           title=f"{name}: Grad-CAM for the predicted class")
        n_wrong = int((c.preds[idx] != c.labels[idx]).sum())
        return fig, f"{len(idx) - n_wrong} correct, {n_wrong} misclassified test images"
    if kind == "gradcam_pair":
        idx, note = pick_pair(c.exp.dataset.name, c.classes, c.labels, c.preds)
        idx = np.asarray(idx, dtype=int)
        fig = plot_gradcam(c.images[idx], c.cams(idx, c.preds[idx]), c.labels[idx], c.preds[idx], c.classes,
                           ncols=2, with_originals=True, title=f"{name}: Grad-CAM")
        return fig, note
    if kind == "feature_maps":
        idx = pick_gradcam(c.labels, c.preds, c.exp.seed)[:1]
        maps = first_layer_maps(c.model, c.inputs(idx))
        fig = plot_feature_maps(c.images[idx[0]], maps, title=f"{name}: first-layer feature maps")
        return fig, f"first 16 of {maps.shape[0]} channels, test image of class {c.classes[c.labels[idx[0]]]}"
    raise ValueError(f"dag.EXPLAIN: unknown figure {kind!r} (known: gradcam, gradcam_pair, misclassified, "
                     "feature_maps)")


def run(cfg: Config, experiment: str | None, command: Sequence[str]) -> None:
    from cifarlab.analysis.figures.catalogue import FIGURES
    from cifarlab.analysis.figures.figbase import figure_name, save_figure
    from cifarlab.device import resolve_device
    from cifarlab.io import atomic_path
    from cifarlab.provenance import collect_provenance
    from cifarlab.threads import pin_torch

    device = resolve_device(cfg.profile.device)
    pin_torch()
    params = dag.param_values("explain", cfg.raw)
    names = dag.explain_experiments(cfg.experiments)
    with atomic_path(dag.EXPLAIN_DIR) as stage:
        stage.mkdir(parents=True)
        for name in names:
            c = _Context(cfg, name, device)
            base = collect_provenance("explain", list(command), params, c.sources, device=device)
            for kind in dag.EXPLAIN[name]:
                fig, detail = _draw(kind, c)
                spec = FIGURES[kind]
                extra = {"figure": kind, "study": spec.study, "label": spec.label, "experiment": name,
                         "caption": f"{spec.caption} {name}: {detail}."}
                save_figure(fig, stage / figure_name(kind, name), provenance={**base, "extra": extra})
    print(f"explain: wrote {dag.EXPLAIN_DIR} ({len(names)} experiments: {', '.join(names) or 'none'})", flush=True)
