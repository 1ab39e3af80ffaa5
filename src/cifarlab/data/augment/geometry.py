"""Per-sample affine warps (rotation, shear, translation) and random resized crops,
each as ONE ``affine``-grid + ``grid_sample`` over the whole batch.

torchvision.v2's ``RandomRotation`` / ``RandomResizedCrop`` draw one parameter set per
call, so a batch would share it; these ops draw per sample and reproduce torchvision's
tensor kernels exactly for each sample (same inverse matrix, same pixel-centre grid,
``align_corners=False``, zero fill).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as nnf
from torch import Tensor

from ._base import (Op, check_choice, check_fill, check_range, check_size, randint, register_op,
                    uniform)


def inverse_affine(angle: Tensor, tx: Tensor, ty: Tensor, shear_x: Tensor, shear_y: Tensor,
                   cx: Tensor, cy: Tensor, scale: float = 1.0) -> Tensor:
    """Batched ``torchvision.transforms.functional._get_inverse_affine_matrix``.

    Angles in degrees (counter-clockwise in torchvision's ``affine`` convention), shifts and
    the centre in pixels relative to the image centre; all (N,) float64. Returns (N, 2, 3)
    mapping output pixel coordinates to input coordinates.
    """
    rot, sx, sy = torch.deg2rad(angle), torch.deg2rad(shear_x), torch.deg2rad(shear_y)
    a = torch.cos(rot - sy) / torch.cos(sy)
    b = -torch.cos(rot - sy) * torch.tan(sx) / torch.cos(sy) - torch.sin(rot)
    c = torch.sin(rot - sy) / torch.cos(sy)
    d = -torch.sin(rot - sy) * torch.tan(sx) / torch.cos(sy) + torch.cos(rot)
    m0, m1, m3, m4 = d / scale, -b / scale, -c / scale, a / scale
    m2 = m0 * (-cx - tx) + m1 * (-cy - ty) + cx
    m5 = m3 * (-cx - tx) + m4 * (-cy - ty) + cy
    return torch.stack([m0, m1, m2, m3, m4, m5], dim=1).view(-1, 2, 3)


def affine_grid(theta: Tensor, h: int, w: int, dtype: torch.dtype) -> Tensor:
    """(N, 2, 3) pixel-space matrices -> (N, h, w, 2) grid for ``grid_sample`` (torchvision's
    ``_affine_grid`` with a batch of thetas)."""
    dev = theta.device
    xs = torch.linspace((1.0 - w) * 0.5, (w - 1.0) * 0.5, w, device=dev, dtype=dtype).view(1, 1, w)
    ys = torch.linspace((1.0 - h) * 0.5, (h - 1.0) * 0.5, h, device=dev, dtype=dtype).view(1, h, 1)
    t = theta.to(dtype)
    t = (t / torch.tensor([0.5 * w, 0.5 * h], device=dev, dtype=dtype).view(1, 2, 1)).unsqueeze(-1).unsqueeze(-1)
    # Broadcast arithmetic instead of a (HW x 3) @ (3 x 2) bmm, which is slow on CPU.
    gx = t[:, 0, 0] * xs + t[:, 0, 1] * ys + t[:, 0, 2]
    gy = t[:, 1, 0] * xs + t[:, 1, 1] * ys + t[:, 1, 2]
    return torch.stack([gx, gy], -1)


def warp(x: Tensor, grid: Tensor, mode: str, fill: list[float]) -> Tensor:
    """``grid_sample`` with zero padding; a non-zero ``fill`` colour goes where the grid
    leaves the image (mask-channel trick, as torchvision)."""
    if not any(fill):
        return nnf.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    ones = torch.ones_like(x[:, :1])
    out = nnf.grid_sample(torch.cat([x, ones], 1), grid, mode=mode, padding_mode="zeros", align_corners=False)
    out, mask = out[:, :-1], out[:, -1:]
    fill_t = torch.tensor(fill, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    if mode == "nearest":
        return torch.where(mask < 0.5, fill_t.expand_as(out), out)
    return (out - fill_t) * mask + fill_t


def affine_batch(x: Tensor, theta: Tensor, mode: str = "nearest", fill: list[float] | None = None) -> Tensor:
    """Warp each sample of ``x`` by its own inverse matrix ``theta`` (N, 2, 3)."""
    grid = affine_grid(theta, x.shape[-2], x.shape[-1], x.dtype)
    return warp(x, grid, mode, fill or [0.0])


@register_op("rotate")
class Rotate(Op):
    """torchvision ``RandomRotation(degrees)`` per sample: angle uniform in
    [-degrees, degrees] (or [min, max]) degrees, counter-clockwise, about the image centre;
    same size, corners filled with ``fill`` ([0, 1] scale); ``interpolation`` nearest
    (torchvision's default) or bilinear."""

    def __init__(self, degrees: float | list[float], interpolation: str = "nearest",
                 fill: float | list[float] = 0.0):
        self.degrees = check_range("rotate", "degrees", degrees, symmetric=True)
        self.interpolation = check_choice("rotate", "interpolation", interpolation, ["nearest", "bilinear"])
        self.fill = check_fill("rotate", "fill", fill)

    def sample(self, gen: torch.Generator, n: int, device: torch.device) -> Tensor:
        """(N,) angles in degrees."""
        return uniform(gen, n, *self.degrees, device)

    def apply(self, x: Tensor, angle: Tensor) -> Tensor:
        angle = angle.double()
        zero = torch.zeros_like(angle)
        # torchvision's rotate() passes -angle to the affine-matrix helper.
        theta = inverse_affine(-angle, zero, zero, zero, zero, zero, zero)
        return affine_batch(x, theta, self.interpolation, self.fill)

    def __call__(self, x: Tensor, gen: torch.Generator) -> Tensor:
        if self.degrees == (0.0, 0.0):
            return x
        return self.apply(x, self.sample(gen, x.shape[0], x.device))


def resized_crop_params(gen: torch.Generator, n: int, h: int, w: int, scale: tuple[float, float],
                        ratio: tuple[float, float], device: torch.device, attempts: int = 10) -> Tensor:
    """torchvision ``RandomResizedCrop.get_params`` for n samples at once: up to 10 tries of
    area ~ U(scale) * h * w and log-aspect ~ U(log ratio); the first crop that fits wins,
    else the central crop clipped to ``ratio``. Returns (N, 4) int64 (top, left, ch, cw)."""
    area = h * w
    target = area * uniform(gen, n * attempts, *scale, device).view(n, attempts)
    log_r = uniform(gen, n * attempts, math.log(ratio[0]), math.log(ratio[1]), device).view(n, attempts)
    aspect = torch.exp(log_r)
    cw = torch.round(torch.sqrt(target * aspect)).long()
    ch = torch.round(torch.sqrt(target / aspect)).long()
    ok = (cw > 0) & (cw <= w) & (ch > 0) & (ch <= h)
    first = ok.int().argmax(1, keepdim=True)
    ch, cw = ch.gather(1, first)[:, 0], cw.gather(1, first)[:, 0]
    # Fallback: central crop with the aspect ratio clipped into `ratio`.
    in_ratio = w / h
    if in_ratio < min(ratio):
        fw, fh = w, int(round(w / min(ratio)))
    elif in_ratio > max(ratio):
        fh, fw = h, int(round(h * max(ratio)))
    else:
        fw, fh = w, h
    found = ok.any(1)
    ch = torch.where(found, ch, torch.full_like(ch, fh))
    cw = torch.where(found, cw, torch.full_like(cw, fw))
    top = torch.where(found, randint(gen, h - ch + 1, n, device), torch.full_like(ch, (h - fh) // 2))
    left = torch.where(found, randint(gen, w - cw + 1, n, device), torch.full_like(cw, (w - fw) // 2))
    return torch.stack([top, left, ch, cw], 1)


def resized_crop_grid(box: Tensor, h: int, w: int, oh: int, ow: int, dtype: torch.dtype) -> Tensor:
    """Grid that resamples each box (top, left, ch, cw) to oh x ow like ``interpolate``
    (align_corners=False, source coordinates clamped to the box's edge pixels)."""
    top, left, ch, cw = (v.to(dtype)[:, None] for v in box.unbind(1))
    oy = torch.arange(oh, device=box.device, dtype=dtype)[None]
    ox = torch.arange(ow, device=box.device, dtype=dtype)[None]
    sy = torch.minimum(torch.clamp_min((oy + 0.5) * ch / oh - 0.5, 0.0), ch - 1) + top
    sx = torch.minimum(torch.clamp_min((ox + 0.5) * cw / ow - 0.5, 0.0), cw - 1) + left
    gy = (sy + 0.5) * (2.0 / h) - 1.0  # (N, oh)
    gx = (sx + 0.5) * (2.0 / w) - 1.0  # (N, ow)
    n = box.shape[0]
    return torch.stack([gx[:, None, :].expand(n, oh, ow), gy[:, :, None].expand(n, oh, ow)], -1)


@register_op("random_resized_crop")
class RandomResizedCrop(Op):
    """torchvision ``RandomResizedCrop(size, scale, ratio)`` per sample: a crop covering a
    fraction ``scale`` of the image area with width/height ratio in ``ratio`` (log-uniform),
    resized to ``size`` (int or [h, w] pixels). Bilinear without antialiasing (identical to
    torchvision when the crop is not larger than ``size``, as for CIFAR crops to 32);
    ``nearest`` samples the nearest source pixel centre."""

    def __init__(self, size: int | list[int], scale: list[float] = (0.08, 1.0),
                 ratio: list[float] = (3.0 / 4.0, 4.0 / 3.0), interpolation: str = "bilinear"):
        self.size = check_size("random_resized_crop", "size", size)
        self.scale = check_range("random_resized_crop", "scale", list(scale), low=0.0, high=1.0)
        self.ratio = check_range("random_resized_crop", "ratio", list(ratio), low=1e-6)
        if self.scale[1] <= 0:
            raise ValueError("augment op 'random_resized_crop': scale max must be > 0")
        self.interpolation = check_choice("random_resized_crop", "interpolation", interpolation,
                                          ["nearest", "bilinear"])

    def sample(self, gen: torch.Generator, n: int, h: int, w: int, device: torch.device) -> Tensor:
        """(N, 4) int64 crop boxes (top, left, height, width)."""
        return resized_crop_params(gen, n, h, w, self.scale, self.ratio, device)

    def apply(self, x: Tensor, box: Tensor) -> Tensor:
        h, w = x.shape[-2:]
        grid = resized_crop_grid(box, h, w, *self.size, x.dtype)
        return nnf.grid_sample(x, grid, mode=self.interpolation, padding_mode="border", align_corners=False)

    def __call__(self, x: Tensor, gen: torch.Generator) -> Tensor:
        n, _, h, w = x.shape
        return self.apply(x, self.sample(gen, n, h, w, x.device))
