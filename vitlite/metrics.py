"""Evaluation metrics. Each takes a model and data, or predictions and targets."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import torch
from torch import nn

from vitlite.train import to_device

__all__ = [
    "predict",
    "accuracy",
    "confusion_matrix",
    "iou_per_class",
    "mean_iou",
    "label_map_scores",
    "segmentation_scores",
    "depth_scores",
    "depth_map_scores",
    "COCO_AREAS",
    "scaled_areas",
    "relative_areas",
    "coco_ap",
    "detection_scores",
]


def _batches(data: Any, batch_size: int) -> Iterable:
    loader = getattr(data, "loader", None)
    return loader(batch_size=batch_size, shuffle=False) if callable(loader) else data


@torch.no_grad()
def predict(
    model: nn.Module, data: Any, device: torch.device | str | None = None, batch_size: int = 256
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``model`` over ``data`` (a ShapesDataset or an iterable of (inputs, targets)); return (outputs, targets) on the CPU."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    outputs, targets = [], []
    for inputs, target in _batches(data, batch_size):
        outputs.append(model(to_device(inputs, device)).float().cpu())
        targets.append(target)
    model.train(was_training)
    if not outputs:
        raise ValueError("no data to evaluate")
    return torch.cat(outputs), torch.cat(targets)


def accuracy(
    model_or_logits: nn.Module | torch.Tensor, data_or_labels: Any, device: torch.device | str | None = None
) -> float:
    """Top-1 accuracy, from a model and data or from logits (N, C) and labels (N,)."""
    if isinstance(model_or_logits, nn.Module):
        logits, labels = predict(model_or_logits, data_or_labels, device)
    else:
        logits, labels = model_or_logits, data_or_labels
    if logits.ndim != 2 or labels.shape != logits.shape[:1]:
        raise ValueError(
            f"accuracy expects logits (N, C) and labels (N,), got {tuple(logits.shape)} and {tuple(labels.shape)}"
        )
    return (logits.argmax(-1) == labels.to(logits.device)).float().mean().item()


# ---------------------------------------------------------------------- segmentation
def confusion_matrix(
    pred: torch.Tensor,
    target: torch.Tensor,
    num_classes: int,
    ignore_index: int | None = None,
    where: torch.Tensor | None = None,
) -> torch.Tensor:
    """(num_classes, num_classes) counts: row = true class, column = predicted class.

    ``pred`` and ``target`` are integer class maps of the same shape; pixels whose target is
    ``ignore_index``, or where the bool map ``where`` is False (e.g. outside a boundary band), are left out."""
    if pred.shape != target.shape:
        raise ValueError(f"pred and target must have the same shape, got {tuple(pred.shape)} and {tuple(target.shape)}")
    if pred.is_floating_point() or target.is_floating_point():
        raise ValueError(
            "pred and target must be integer class maps; take scores.argmax(1) of the model's output first"
        )
    if where is not None and where.shape != target.shape:
        raise ValueError(f"where must have the target's shape {tuple(target.shape)}, got {tuple(where.shape)}")
    keep = (
        target.reshape(-1) != ignore_index
        if ignore_index is not None
        else torch.ones(target.numel(), dtype=torch.bool, device=target.device)
    )
    if where is not None:
        keep = keep & where.reshape(-1).bool()
    pred, target = pred.reshape(-1).long(), target.reshape(-1).long()
    pred, target = pred[keep], target[keep]
    if target.numel() and (
        int(target.min()) < 0
        or int(target.max()) >= num_classes
        or int(pred.min()) < 0
        or int(pred.max()) >= num_classes
    ):
        raise ValueError(
            f"class indices must lie in [0, {num_classes}); got targets {int(target.min())}..{int(target.max())} and predictions {int(pred.min())}..{int(pred.max())}"
        )
    return torch.bincount(target * num_classes + pred, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes
    )


def iou_per_class(confusion: torch.Tensor) -> torch.Tensor:
    """Intersection over union of every class from a confusion matrix; NaN for a class that is in
    neither the targets nor the predictions."""
    confusion = confusion.double()
    inter = confusion.diag()
    union = confusion.sum(0) + confusion.sum(1) - inter
    return torch.where(union > 0, inter / union.clamp_min(1), torch.full_like(inter, float("nan")))


def mean_iou(confusion: torch.Tensor) -> float:
    """The mean of :func:`iou_per_class` over the classes that occur (the usual mIoU)."""
    iou = iou_per_class(confusion)
    present = ~torch.isnan(iou)
    if not present.any():
        raise ValueError("no pixels to score: the confusion matrix is empty")
    return iou[present].mean().item()


def _region_confusions(
    pred: torch.Tensor, masks: torch.Tensor, num_classes: int, ignore_index: int | None, band: int | None
) -> dict[str, torch.Tensor]:
    """Confusion matrices of integer class maps over every pixel (``""``) and, with ``band=k``, inside
    (``"_band"``) and outside (``"_interior"``) the true masks' boundary band."""
    from vitlite.dense import boundary_band

    if band is None:
        return {"": confusion_matrix(pred, masks, num_classes, ignore_index)}
    in_band = boundary_band(masks, band)
    return {
        "": confusion_matrix(pred, masks, num_classes, ignore_index),
        "_band": confusion_matrix(pred, masks, num_classes, ignore_index, where=in_band),
        "_interior": confusion_matrix(pred, masks, num_classes, ignore_index, where=~in_band),
    }


def _scores_from(totals: dict[str, torch.Tensor]) -> dict[str, float]:
    out = {}
    for name, total in totals.items():
        out[f"miou{name}"] = mean_iou(total)
        out[f"pixel_accuracy{name}"] = (total.diag().sum() / total.sum().clamp_min(1)).item()
    return out


def label_map_scores(
    pred: torch.Tensor, masks: torch.Tensor, num_classes: int, ignore_index: int | None = None, band: int | None = None
) -> dict[str, float]:
    """:func:`segmentation_scores` of predicted class maps (B, H, W) rather than of a model, e.g. of a
    reference such as :func:`vitlite.dense.resolution_ceiling`."""
    return _scores_from(_region_confusions(pred, masks, num_classes, ignore_index, band))


@torch.no_grad()
def segmentation_scores(
    model: nn.Module,
    data: Any,
    num_classes: int,
    device: torch.device | str | None = None,
    batch_size: int = 128,
    ignore_index: int | None = None,
    band: int | None = None,
) -> dict[str, float]:
    """mIoU and pixel accuracy of ``model`` (class scores (B, K, H, W) at the input's resolution) on
    ``data``; with ``band=k`` also ``miou_band`` / ``pixel_accuracy_band`` inside the boundary band of
    the true masks (:func:`vitlite.dense.boundary_band`) and ``miou_interior`` / ``pixel_accuracy_interior``
    outside it."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    totals: dict[str, torch.Tensor] = {}
    for images, masks in _batches(data, batch_size):
        scores = model(to_device(images, device))
        if scores.ndim != 4 or scores.shape[-2:] != masks.shape[-2:]:
            raise ValueError(
                f"the model should return class scores (B, {num_classes}, H, W) at the masks' size {tuple(masks.shape[-2:])}, got {tuple(scores.shape)}"
            )
        for name, confusion in _region_confusions(
            scores.argmax(1).cpu(), masks, num_classes, ignore_index, band
        ).items():
            totals[name] = totals[name] + confusion if name in totals else confusion
    model.train(was_training)
    return _scores_from(totals)


@torch.no_grad()
def depth_scores(
    model: nn.Module,
    data: Any,
    device: torch.device | str | None = None,
    batch_size: int = 128,
    align: bool = False,
    band: int | None = None,
) -> dict[str, float]:
    """AbsRel, RMSE and delta < 1.25 (:func:`vitlite.dense.depth_metrics`) of a depth model ((B, 1, H, W) or (B, H, W))
    on a ShapesWorld depth set. ``align=True`` first fits each prediction's scale and shift to its
    target (for models trained with the scale-and-shift-invariant loss). ``band=k`` adds the same
    metrics inside (``_band``) and outside (``_interior``) the boundary band of the scene's objects
    (the edges of its instance map: where an object meets the background or another object, which are
    depth edges too; the horizon, a depth edge between sky and ground, is not in it)."""
    from vitlite.dense import align_scale_shift

    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    preds, targets = [], []
    for images, depth in _batches(data, batch_size):
        pred = model(to_device(images, device)).float().cpu()
        if pred.ndim == 3 and depth.ndim == 4 and depth.shape[1] == 1:  # a (B, H, W) depth head
            pred = pred[:, None]
        if pred.shape != depth.shape:
            raise ValueError(
                f"the model should return depth maps {tuple(depth.shape[1:])} per image, got {tuple(pred.shape[1:])}"
            )
        preds.append(align_scale_shift(pred, depth) if align else pred)
        targets.append(depth)
    model.train(was_training)
    return _depth_region_scores(torch.cat(preds), torch.cat(targets), data, band)


def _depth_region_scores(pred: torch.Tensor, target: torch.Tensor, data: Any, band: int | None) -> dict[str, float]:
    from vitlite.dense import boundary_band, depth_metrics

    out = depth_metrics(pred, target)
    if band is not None:
        scenes = getattr(data, "scenes", None)
        if scenes is None:
            raise ValueError(
                "band scores need the scenes' instance maps: pass a ShapesWorld depth set (it keeps its scenes)"
            )
        in_band = boundary_band(scenes.instance[: len(pred)], band)[:, None]
        out.update({f"{k}_band": v for k, v in depth_metrics(pred, target, in_band).items()})
        out.update({f"{k}_interior": v for k, v in depth_metrics(pred, target, ~in_band).items()})
    return out


@torch.no_grad()
def depth_map_scores(pred: torch.Tensor, data: Any, align: bool = False, band: int | None = None) -> dict[str, float]:
    """:func:`depth_scores` of given depth maps (N, 1, H, W), one per image of ``data`` (a ShapesWorld depth
    set), rather than of a model: e.g. of a reference such as :func:`vitlite.dense.coarse_depth`."""
    from vitlite.dense import align_scale_shift

    target = data.targets
    if pred.ndim == 3:
        pred = pred[:, None]
    if pred.shape != target.shape:
        raise ValueError(
            f"give one depth map per image of the set, shape {tuple(target.shape)}; got {tuple(pred.shape)}"
        )
    pred = pred.float()
    return _depth_region_scores(align_scale_shift(pred, target) if align else pred, target, data, band)


# ---------------------------------------------------------------------- detection
COCO_AREAS: dict[str, tuple[float, float]] = {
    "all": (0.0, 1e10),
    "small": (0.0, 32.0**2),
    "medium": (32.0**2, 96.0**2),
    "large": (96.0**2, 1e10),
}


def scaled_areas(image_size: int, reference: int = 640) -> dict[str, tuple[float, float]]:
    """COCO's size bands (small below 32² px, large above 96² px, for images about 640 px wide) scaled to
    images of ``image_size`` px: the same fractions of the image's side."""
    k = (image_size / reference) ** 2
    return {name: (lo * k, hi if hi >= 1e10 else hi * k) for name, (lo, hi) in COCO_AREAS.items()}


def relative_areas(image_size: int) -> dict[str, tuple[float, float]]:
    """Size bands for small images such as ShapesWorld's: small below a quarter of the image's side
    (squared), large above half of it. (COCO's bands, scaled to 64x64, would call every ShapesWorld
    object large: the whole range of COCO's object sizes does not fit in 64 pixels.)"""
    q, h = (image_size / 4) ** 2, (image_size / 2) ** 2
    return {"all": (0.0, 1e10), "small": (0.0, q), "medium": (q, h), "large": (h, 1e10)}


@torch.no_grad()
def detection_scores(
    model: nn.Module,
    data: Any,
    batch_size: int = 64,
    areas: dict[str, tuple[float, float]] | None = None,
    nms_iou: float | None = None,
) -> dict[str, float]:
    """COCO-style AP of a detector with ``detect(outputs, nms_iou)`` (DETR, the dense detector) on a
    ShapesWorld detection set, with :func:`relative_areas` size bands unless ``areas`` are given.
    ``nms_iou`` overrides the detector's own NMS (1.0: none)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    preds, targets = [], []
    for images, target in _batches(data, batch_size):
        outputs = model(images.to(device))
        found = model.detect(outputs) if nms_iou is None else model.detect(outputs, nms_iou=nms_iou)
        preds += [{k: v.cpu() for k, v in d.items()} for d in found]
        targets += target
    model.train(was_training)
    size = data.images.shape[-1] if hasattr(data, "images") else None
    return coco_ap(
        preds, targets, box_format="cxcywh", image_size=size, areas=areas or (relative_areas(size) if size else None)
    )


def _to_pixels_xyxy(boxes: torch.Tensor, box_format: str, image_size: float | None) -> np.ndarray:
    from vitlite.boxes import cxcywh_to_xyxy, xywh_to_xyxy

    boxes = torch.as_tensor(boxes, dtype=torch.float64).reshape(-1, 4)
    if box_format == "cxcywh":
        boxes = cxcywh_to_xyxy(boxes)
    elif box_format == "xywh":
        boxes = xywh_to_xyxy(boxes)
    elif box_format != "xyxy":
        raise ValueError(f"box_format must be 'cxcywh', 'xyxy' or 'xywh', got {box_format!r}")
    if image_size is not None:
        boxes = boxes * image_size
    return boxes.numpy()


def _iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    wh = np.clip(np.minimum(a[:, None, 2:], b[None, :, 2:]) - np.maximum(a[:, None, :2], b[None, :, :2]), 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _greedy_match(ious: np.ndarray, gt_ignore: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """COCO's matching for one image and class: detections (sorted by score) take, at each IoU threshold,
    the best still-free ground truth above it, preferring ones that are not ignored. Returns (matched
    (T, D) bool, matched-to-an-ignored-box (T, D) bool)."""
    n_t, (n_d, n_g) = len(thresholds), ious.shape
    taken = np.zeros((n_t, n_g), dtype=bool)
    matched = np.zeros((n_t, n_d), dtype=bool)
    to_ignored = np.zeros((n_t, n_d), dtype=bool)
    limit = np.minimum(thresholds, 1 - 1e-10)[:, None]
    for d in range(n_d):
        ok = ~taken & (ious[d][None, :] >= limit)  # (T, G)
        pick = np.full(n_t, -1)
        for group in (~gt_ignore, gt_ignore):  # boxes that count first, ignored ones only if none of those fits
            cand = ok & group[None, :]
            has = cand.any(1) & (pick < 0)
            if has.any():
                score = np.where(cand, ious[d][None, :], -1.0)
                last_best = n_g - 1 - np.argmax(score[:, ::-1], axis=1)  # the last of equal IoUs, as COCO's loop
                pick = np.where(has, last_best, pick)
        hit = pick >= 0
        rows = np.nonzero(hit)[0]
        taken[rows, pick[hit]] = True
        matched[hit, d] = True
        to_ignored[hit, d] = gt_ignore[pick[hit]]
    return matched, to_ignored


def coco_ap(
    predictions: list[dict[str, torch.Tensor]],
    targets: list[dict[str, torch.Tensor]],
    *,
    box_format: str = "cxcywh",
    image_size: float | None = None,
    areas: dict[str, tuple[float, float]] | None = None,
    max_dets: tuple[int, int, int] = (1, 10, 100),
) -> dict[str, float]:
    """COCO-style average precision and recall, computed as pycocotools' COCOeval does for boxes.

    ``predictions[i]`` holds ``boxes`` (K, 4), ``scores`` (K,) and ``labels`` (K,) for image i;
    ``targets[i]`` holds ``boxes`` and ``labels``. Boxes are in ``box_format``; with ``image_size``
    they are normalised and get multiplied by it (areas are in pixels). ``areas`` are the size bands
    (default COCO's; see :func:`scaled_areas` for small images).

    Returns AP (mean over IoU 0.50:0.05:0.95), AP50, AP75, AP_small/medium/large, AR1, AR10, AR100
    and AR_small/medium/large; -1 where no ground truth makes a value defined (as COCOeval).
    """
    if len(predictions) != len(targets):
        raise ValueError(f"one prediction dict per image: got {len(predictions)} predictions for {len(targets)} images")
    areas = dict(areas or COCO_AREAS)
    if "all" not in areas:
        areas = {"all": (0.0, 1e10), **areas}
    thresholds = np.linspace(0.5, 0.95, 10)
    recall_points = np.linspace(0.0, 1.0, 101)
    images = []
    for i, (pred, target) in enumerate(zip(predictions, targets)):
        for key in ("boxes", "scores", "labels"):
            if key not in pred:
                raise ValueError(f"predictions[{i}] lacks {key!r}; each needs boxes, scores and labels")
        for key in ("boxes", "labels"):
            if key not in target:
                raise ValueError(f"targets[{i}] lacks {key!r}; each needs boxes and labels")
        gb = _to_pixels_xyxy(target["boxes"], box_format, image_size)
        db = _to_pixels_xyxy(pred["boxes"], box_format, image_size)
        ds = torch.as_tensor(pred["scores"], dtype=torch.float64).reshape(-1).numpy()
        if not (len(db) == len(ds) == len(torch.as_tensor(pred["labels"]).reshape(-1))):
            raise ValueError(f"predictions[{i}]: boxes, scores and labels must have the same length")
        images.append(
            (
                gb,
                torch.as_tensor(target["labels"]).reshape(-1).numpy(),
                db,
                ds,
                torch.as_tensor(pred["labels"]).reshape(-1).numpy(),
            )
        )
    classes = sorted({int(c) for _, gl, _, _, _ in images for c in gl})
    n_t, n_r, n_a, n_m = len(thresholds), len(recall_points), len(areas), len(max_dets)
    precision = -np.ones((n_t, n_r, len(classes), n_a, n_m))
    recall = -np.ones((n_t, len(classes), n_a, n_m))
    for k, cls in enumerate(classes):
        per_image = []
        for gb, gl, db, ds, dl in images:
            g = gb[gl == cls]
            keep = dl == cls
            d, s = db[keep], ds[keep]
            order = np.argsort(-s, kind="mergesort")[: max_dets[-1]]
            d, s = d[order], s[order]
            per_image.append((g, d, s, _iou_matrix(d, g) if len(d) and len(g) else np.zeros((len(d), len(g)))))
        for a, (lo, hi) in enumerate(areas.values()):
            scores, matches, ignores, n_counted = [], [], [], 0
            for g, d, s, ious in per_image:
                if not len(g) and not len(d):
                    continue
                g_area = (g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1])
                gt_ignore = (g_area < lo) | (g_area > hi)
                order = np.argsort(gt_ignore, kind="mergesort")
                gt_ignore = gt_ignore[order]
                matched, to_ignored = _greedy_match(ious[:, order], gt_ignore, thresholds)
                d_area = (d[:, 2] - d[:, 0]) * (d[:, 3] - d[:, 1])
                outside = (d_area < lo) | (d_area > hi)
                ignored = to_ignored | (~matched & outside[None, :])
                scores.append(s)
                matches.append(matched)
                ignores.append(ignored)
                n_counted += int((~gt_ignore).sum())
            if not scores or n_counted == 0:
                continue
            for m, max_det in enumerate(max_dets):
                sc = np.concatenate([x[:max_det] for x in scores])
                order = np.argsort(-sc, kind="mergesort")
                mt = np.concatenate([x[:, :max_det] for x in matches], axis=1)[:, order]
                ig = np.concatenate([x[:, :max_det] for x in ignores], axis=1)[:, order]
                tp = np.cumsum(mt & ~ig, axis=1).astype(np.float64)
                fp = np.cumsum(~mt & ~ig, axis=1).astype(np.float64)
                for t in range(n_t):
                    rc = tp[t] / n_counted
                    pr = tp[t] / (fp[t] + tp[t] + np.spacing(1))
                    recall[t, k, a, m] = rc[-1] if len(rc) else 0.0
                    pr = np.maximum.accumulate(pr[::-1])[::-1] if len(pr) else pr  # precision made non-increasing
                    idx = np.searchsorted(rc, recall_points, side="left")
                    q = np.zeros(n_r)
                    inside = idx < len(pr)
                    q[inside] = pr[idx[inside]]
                    precision[t, :, k, a, m] = q

    def mean(values: np.ndarray) -> float:
        valid = values[values > -1]
        return float(valid.mean()) if valid.size else -1.0

    names = list(areas)
    last = n_m - 1
    out = {
        "AP": mean(precision[:, :, :, 0, last]),
        "AP50": mean(precision[0, :, :, 0, last]),
        "AP75": mean(precision[5, :, :, 0, last]),
    }
    for a, name in enumerate(names[1:], start=1):
        out[f"AP_{name}"] = mean(precision[:, :, :, a, last])
    for m, max_det in enumerate(max_dets):
        out[f"AR{max_det}"] = mean(recall[:, :, 0, m])
    for a, name in enumerate(names[1:], start=1):
        out[f"AR_{name}"] = mean(recall[:, :, a, last])
    return out
