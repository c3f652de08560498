"""Dense prediction's toolkit: the boundary band, depth losses and depth metrics.

- :func:`boundary_band`: the pixels within ``k`` pixels of a class edge, where dense predictors lose
  most; :func:`vitlite.metrics.segmentation_scores` and :func:`vitlite.metrics.depth_scores` score
  inside and outside it.
- Depth losses: plain :func:`depth_l1_loss`, and :func:`ssi_loss`, the scale-and-shift-invariant loss
  of MiDaS and DPT (Ranftl et al.): each prediction is first aligned to its target by the scale and
  shift that fit it best (least squares), so only the *shape* of the depth map is learned.
- :func:`resolution_ceiling`: what predicting at 1/s of the image and upsampling bilinearly costs by
  itself: the true masks averaged over s x s cells and upsampled back, as SETR-Naive upsamples.
- :func:`depth_metrics`: AbsRel, RMSE and the share of pixels with delta = max(p/g, g/p) < 1.25.

Every function takes an optional ``valid`` mask (True where a pixel counts).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    "boundary_band",
    "resolution_ceiling",
    "coarse_depth",
    "align_scale_shift",
    "ssi_loss",
    "depth_l1_loss",
    "depth_metrics",
]


def boundary_band(mask: torch.Tensor, k: int = 2) -> torch.Tensor:
    """Bool map of the pixels that have a pixel of another class within ``k`` pixels (a (2k+1)^2
    window, so diagonals count): both sides of every class edge, ``k`` pixels deep. ``mask`` is an
    integer class map (H, W) or (B, H, W); the image border is not an edge."""
    if mask.is_floating_point():
        raise ValueError("boundary_band takes an integer class map; take scores.argmax(1) first")
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive number of pixels, got {k!r}")
    if mask.ndim not in (2, 3):
        raise ValueError(f"mask must be (H, W) or (B, H, W), got shape {tuple(mask.shape)}")
    x = mask.float()[None] if mask.ndim == 2 else mask.float()
    x = F.pad(x[:, None], (k, k, k, k), mode="replicate")
    high = F.max_pool2d(x, 2 * k + 1, stride=1)
    low = -F.max_pool2d(-x, 2 * k + 1, stride=1)
    band = (high != low)[:, 0]
    return band[0] if mask.ndim == 2 else band


def _check_stride(maps: torch.Tensor, stride: int, what: str) -> tuple[int, int]:
    """The maps' (H, W), once ``stride`` is a positive whole number that divides both."""
    if not isinstance(stride, int) or isinstance(stride, bool) or stride < 1:
        raise ValueError(f"stride must be a positive whole number of pixels, got {stride!r}")
    h, w = maps.shape[-2:]
    if h % stride or w % stride:
        raise ValueError(f"the {what}' size {h}x{w} must be a multiple of the stride {stride}")
    return h, w


def resolution_ceiling(masks: torch.Tensor, num_classes: int, stride: int) -> torch.Tensor:
    """Class scores (B, K, H, W) of a predictor that knows the true masks but only at 1/``stride`` of
    their resolution: each class's share of every ``stride`` x ``stride`` cell, upsampled bilinearly back
    to (H, W) as SETR-Naive upsamples its scores. Its argmax scores what that resolution and that
    upsampling lose by themselves: a reference for a model that predicts at 1/``stride`` (not a strict
    upper bound; a model could place its coarse scores better than the cell averages)."""
    if masks.is_floating_point() or masks.ndim != 3:
        raise ValueError(f"masks must be integer class maps (B, H, W), got {masks.dtype} of shape {tuple(masks.shape)}")
    h, w = _check_stride(masks, stride, "masks")
    if int(masks.min()) < 0 or int(masks.max()) >= num_classes:
        raise ValueError(f"class indices must lie in [0, {num_classes}), got {int(masks.min())}..{int(masks.max())}")
    shares = F.avg_pool2d(F.one_hot(masks.long(), num_classes).permute(0, 3, 1, 2).float(), stride)
    return F.interpolate(shares, size=(h, w), mode="bilinear", align_corners=False) if stride > 1 else shares


def coarse_depth(depth: torch.Tensor, stride: int) -> torch.Tensor:
    """The true depth maps (B, 1, H, W) known only at 1/``stride`` of their resolution: averaged over
    ``stride`` x ``stride`` cells and upsampled bilinearly back to (H, W), as SETR-Naive upsamples its
    prediction. Scored like a model, it shows what that resolution and that upsampling cost by
    themselves (a reference, not a bound; the depth counterpart of :func:`resolution_ceiling`)."""
    if not depth.is_floating_point() or depth.ndim != 4 or depth.shape[1] != 1:
        raise ValueError(f"depth must be float maps (B, 1, H, W), got {depth.dtype} of shape {tuple(depth.shape)}")
    h, w = _check_stride(depth, stride, "maps")
    if stride == 1:
        return depth.clone()
    return F.interpolate(F.avg_pool2d(depth, stride), size=(h, w), mode="bilinear", align_corners=False)


def _flat(
    pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    if pred.shape != target.shape:
        raise ValueError(
            f"prediction and target must have the same shape, got {tuple(pred.shape)} and {tuple(target.shape)}"
        )
    if valid is None:
        valid = torch.ones_like(target, dtype=torch.bool)
    elif valid.shape != target.shape:
        raise ValueError(f"valid must have the target's shape {tuple(target.shape)}, got {tuple(valid.shape)}")
    b = target.shape[0]
    return pred.reshape(b, -1), target.reshape(b, -1), valid.reshape(b, -1).to(pred.dtype)


def align_scale_shift(pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
    """``s * pred + t`` with, for each image of the batch, the scale s and shift t that minimise the
    squared error to ``target`` over its valid pixels (the 2x2 normal equations of least squares).
    An image whose prediction is constant gets s = 0 and t = the target's mean."""
    p, g, m = _flat(pred, target, valid)
    n = m.sum(1).clamp_min(1)
    mean_p, mean_g = (m * p).sum(1) / n, (m * g).sum(1) / n
    var_p = (m * (p - mean_p[:, None]) ** 2).sum(1)
    cov = (m * (p - mean_p[:, None]) * (g - mean_g[:, None])).sum(1)
    scale = torch.where(var_p > 1e-12, cov / var_p.clamp_min(1e-12), torch.zeros_like(var_p))
    shift = mean_g - scale * mean_p
    return (scale[:, None] * p + shift[:, None]).reshape(pred.shape)


def ssi_loss(pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
    """MiDaS's scale-and-shift-invariant loss: half the mean squared error after :func:`align_scale_shift`
    (gradients flow through the alignment, which is a differentiable function of the prediction)."""
    aligned = align_scale_shift(pred, target, valid)
    _, g, m = _flat(aligned, target, valid)
    a = aligned.reshape(g.shape)
    return 0.5 * (m * (a - g) ** 2).sum() / m.sum().clamp_min(1)


def depth_l1_loss(pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
    """Mean absolute error over the valid pixels."""
    p, g, m = _flat(pred, target, valid)
    return (m * (p - g).abs()).sum() / m.sum().clamp_min(1)


def depth_metrics(pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor | None = None) -> dict[str, float]:
    """``abs_rel`` = mean |p - g| / g, ``rmse`` = sqrt(mean (p - g)^2) and ``delta1`` = the share of
    pixels with max(p / g, g / p) < 1.25, over the valid pixels (targets must be positive there;
    predictions are clamped to at least 1e-6 for the ratio)."""
    p, g, m = _flat(pred.double(), target.double(), valid)
    keep = m > 0
    if not keep.any():
        raise ValueError("no valid pixels to score")
    p, g = p[keep], g[keep]
    if (g <= 0).any():
        raise ValueError("depth targets must be positive where they are scored (AbsRel divides by them)")
    ratio = torch.maximum(p.clamp_min(1e-6) / g, g / p.clamp_min(1e-6))
    return {
        "abs_rel": ((p - g).abs() / g).mean().item(),
        "rmse": ((p - g) ** 2).mean().sqrt().item(),
        "delta1": (ratio < 1.25).double().mean().item(),
    }
