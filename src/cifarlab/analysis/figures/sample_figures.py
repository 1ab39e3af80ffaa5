"""Image-sample figures: numpy arrays in, ``matplotlib.figure.Figure`` out (no torch, no pyplot).

- ``plot_augmentation_preview``: s000's preview of augmented training samples with labels
  (the images from ``cifarlab.data.loader.preview_batch``).
- ``plot_sample_grid``: s001's grid of random training images with their class names.

Images may be (N, H, W, C) or (N, C, H, W), uint8 in [0, 255] or float in [0, 1];
grey images have C = 1 or no channel axis.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

_INCH_PER_IMAGE = 1.6  # figure inches per image cell


def to_hwc_float(images: np.ndarray) -> np.ndarray:
    """(N, H, W, C) float in [0, 1] from any of the accepted layouts and dtypes."""
    arr = np.asarray(images)
    if arr.ndim == 3:  # (N, H, W) grey
        arr = arr[..., None]
    if arr.ndim != 4:
        raise ValueError(f"expected a batch of images (N, H, W[, C]), got shape {arr.shape}")
    if arr.shape[1] in (1, 3) and arr.shape[-1] not in (1, 3):
        arr = arr.transpose(0, 2, 3, 1)
    arr = arr.astype(np.float64) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float64)
    return np.clip(arr, 0.0, 1.0)


def _class_name(label: int, class_names: Sequence[str] | None) -> str:
    label = int(label)
    if class_names is not None and 0 <= label < len(class_names):
        return str(class_names[label])
    return str(label)


def _show(ax, image: np.ndarray, title: str) -> None:
    if image.shape[-1] == 1:
        ax.imshow(image[..., 0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(image, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()


def plot_sample_grid(images: np.ndarray, labels: Sequence[int], class_names: Sequence[str] | None = None,
                     ncols: int = 8, title: str | None = None) -> Figure:
    """Grid of images titled with their class names, ``ncols`` per row (s001's sample grid)."""
    imgs = to_hwc_float(images)
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(imgs):
        raise ValueError(f"{len(imgs)} images but {len(labels)} labels")
    n = len(imgs)
    ncols = max(1, min(int(ncols), n)) if n else 1
    nrows = max(1, -(-n // ncols))
    fig = Figure(figsize=(ncols * _INCH_PER_IMAGE, nrows * _INCH_PER_IMAGE + (0.4 if title else 0.0)),
                 layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).reshape(-1)
    for ax in axes[n:]:
        ax.set_axis_off()
    for ax, img, lab in zip(axes, imgs, labels):
        _show(ax, img, _class_name(lab, class_names))
    if title:
        fig.suptitle(title)
    return fig


def plot_augmentation_preview(images_hwc_float: np.ndarray, labels: Sequence[int],
                              class_names: Sequence[str] | None = None,
                              title: str = "Augmented training samples") -> Figure:
    """One row of augmented training images with their labels (s000 shows 4)."""
    n = len(np.asarray(labels).reshape(-1))
    return plot_sample_grid(images_hwc_float, labels, class_names, ncols=max(n, 1), title=title)
