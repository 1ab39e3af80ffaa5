"""Figures of test images: most confident errors, Grad-CAM overlays, first-layer feature maps.

Arrays in (computed by the explain step, which owns the model), Figure out; no torch.
Images follow :func:`cifarlab.analysis.figures.sample_figures.to_hwc_float`'s layouts; Grad-CAM
maps are (N, H, W) floats in [0, 1] from pytorch-grad-cam, at the image's size.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from cifarlab.analysis.figures.sample_figures import to_hwc_float

_INCH = 1.9  # figure inches per image cell (room for two lines of title)


def _name(label: int, class_names: Sequence[str]) -> str:
    label = int(label)
    return str(class_names[label]) if 0 <= label < len(class_names) else str(label)


def _grid(n: int, ncols: int, title: str | None, rows_per_item: int = 1) -> tuple[Figure, np.ndarray]:
    ncols = max(1, min(ncols, n)) if n else 1
    nrows = max(1, -(-n // ncols)) * rows_per_item
    fig = Figure(figsize=(ncols * _INCH, nrows * _INCH + (0.5 if title else 0.0)), layout="constrained")
    axes = np.atleast_2d(fig.subplots(nrows, ncols, squeeze=False))
    for ax in axes.reshape(-1):
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return fig, axes


def _show(ax, image: np.ndarray) -> None:
    if image.shape[-1] == 1:
        ax.imshow(image[..., 0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(image, interpolation="nearest")


def most_confident_errors(probs: np.ndarray, labels: np.ndarray, n: int = 20) -> np.ndarray:
    """Indices of the ``n`` misclassified samples with the highest predicted probability."""
    probs, labels = np.asarray(probs), np.asarray(labels)
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != labels)
    order = np.argsort(-probs[wrong, pred[wrong]], kind="stable")
    return wrong[order[:n]]


def plot_misclassified(images: np.ndarray, labels: Sequence[int], probs: np.ndarray,
                       class_names: Sequence[str], *, ncols: int = 5, title: str | None = None) -> Figure:
    """Each image titled with true and predicted class and both probabilities (s004 §2.4)."""
    imgs, labels, probs = to_hwc_float(images), np.asarray(labels), np.asarray(probs)
    if not (len(imgs) == len(labels) == len(probs)):
        raise ValueError(f"{len(imgs)} images, {len(labels)} labels, {len(probs)} probability rows")
    fig, axes = _grid(len(imgs), ncols, title)
    for ax, img, y, p in zip(axes.reshape(-1), imgs, labels, probs):
        pred = int(np.argmax(p))
        _show(ax, img)
        ax.set_title(f"true {_name(y, class_names)} ({p[int(y)] * 100:.2f}%)\n"
                     f"pred {_name(pred, class_names)} ({p[pred] * 100:.2f}%)", fontsize=7, color="firebrick")
    return fig


def plot_gradcam(images: np.ndarray, cams: np.ndarray, labels: Sequence[int], preds: Sequence[int],
                 class_names: Sequence[str], *, ncols: int = 3, with_originals: bool = False,
                 title: str | None = None) -> Figure:
    """Grad-CAM heat maps (jet, alpha 0.5) over each image, titled true / predicted.

    With ``with_originals`` every item takes two rows: the plain image above its overlay
    (s001's layout). Correct predictions are titled in green, errors in red.
    """
    imgs, cams = to_hwc_float(images), np.asarray(cams, dtype=float)
    if cams.shape[0] != len(imgs) or cams.shape[1:] != imgs.shape[1:3]:
        raise ValueError(f"Grad-CAM maps {cams.shape} do not match images {imgs.shape}")
    rows = 2 if with_originals else 1
    fig, axes = _grid(len(imgs), ncols, title, rows_per_item=rows)
    ncols = axes.shape[1]
    for i, (img, cam, y, p) in enumerate(zip(imgs, cams, labels, preds)):
        r, c = divmod(i, ncols)
        top = axes[r * rows, c]
        if with_originals:
            _show(top, img)
            top.set_title(f"true {_name(y, class_names)}", fontsize=8)
        ax = axes[r * rows + rows - 1, c]
        _show(ax, img)
        ax.imshow(np.clip(cam, 0, 1), cmap="jet", alpha=0.5, vmin=0, vmax=1, interpolation="bilinear")
        ok = int(y) == int(p)
        ax.set_title(f"true {_name(y, class_names)}\npred {_name(p, class_names)}", fontsize=8,
                     color="darkgreen" if ok else "firebrick")
    return fig


def plot_feature_maps(image: np.ndarray, maps: np.ndarray, *, n: int = 16, ncols: int = 6,
                      title: str | None = None) -> Figure:
    """The input image, then the first ``n`` channels of a layer's output (C, H, W)."""
    img = to_hwc_float(np.asarray(image)[None])[0]
    maps = np.asarray(maps, dtype=float)
    if maps.ndim != 3:
        raise ValueError(f"feature maps must be (C, H, W), got {maps.shape}")
    maps = maps[:n]
    fig, axes = _grid(len(maps) + 1, ncols, title)
    flat = axes.reshape(-1)
    _show(flat[0], img)
    flat[0].set_title("input", fontsize=8)
    for k, (ax, fmap) in enumerate(zip(flat[1:], maps)):
        ax.imshow(fmap, cmap="viridis", interpolation="nearest")
        ax.set_title(f"channel {k}", fontsize=7)
    return fig
