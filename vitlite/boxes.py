"""Boxes: formats, areas, IoU and generalised IoU.

Three formats, all (..., 4) float tensors:

- ``cxcywh``: centre x, centre y, width, height (what DETR predicts, normalised to [0, 1]);
- ``xyxy``: left, top, right, bottom (what IoU is computed on);
- ``xywh``: left, top, width, height (COCO's annotation format).

IoU and GIoU are pairwise: ``box_iou(a, b)`` for N and M boxes is (N, M). A box whose right edge lies
left of its left edge (or bottom above top) is degenerate; the functions that need valid boxes
reject it with an error that names the box.
"""

from __future__ import annotations

import torch

__all__ = [
    "cxcywh_to_xyxy",
    "xyxy_to_cxcywh",
    "xywh_to_xyxy",
    "xyxy_to_xywh",
    "box_area",
    "check_boxes",
    "box_iou",
    "generalized_box_iou",
    "nms",
]


def _check_shape(boxes: torch.Tensor, what: str) -> None:
    if not isinstance(boxes, torch.Tensor):
        raise ValueError(f"{what} must be a torch.Tensor of shape (..., 4), got {type(boxes).__name__}")
    if boxes.shape[-1:] != (4,):
        raise ValueError(f"{what} must have shape (..., 4), got {tuple(boxes.shape)}")


def cxcywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    """(cx, cy, w, h) -> (x0, y0, x1, y1)."""
    _check_shape(boxes, "boxes")
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)


def xyxy_to_cxcywh(boxes: torch.Tensor) -> torch.Tensor:
    """(x0, y0, x1, y1) -> (cx, cy, w, h)."""
    _check_shape(boxes, "boxes")
    x0, y0, x1, y1 = boxes.unbind(-1)
    return torch.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], dim=-1)


def xywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    """(x0, y0, w, h) -> (x0, y0, x1, y1)."""
    _check_shape(boxes, "boxes")
    x0, y0, w, h = boxes.unbind(-1)
    return torch.stack([x0, y0, x0 + w, y0 + h], dim=-1)


def xyxy_to_xywh(boxes: torch.Tensor) -> torch.Tensor:
    """(x0, y0, x1, y1) -> (x0, y0, w, h)."""
    _check_shape(boxes, "boxes")
    x0, y0, x1, y1 = boxes.unbind(-1)
    return torch.stack([x0, y0, x1 - x0, y1 - y0], dim=-1)


def check_boxes(boxes: torch.Tensor, what: str = "boxes") -> None:
    """Raise a ValueError naming the first box whose x1 < x0 or y1 < y0 (or that holds NaN)."""
    _check_shape(boxes, what)
    flat = boxes.reshape(-1, 4)
    bad = (flat[:, 2] < flat[:, 0]) | (flat[:, 3] < flat[:, 1]) | torch.isnan(flat).any(-1)
    if bad.any():
        i = int(bad.nonzero()[0])
        raise ValueError(
            f"{what}[{i}] = {flat[i].tolist()} is degenerate: in xyxy format the right edge must not lie left of the left edge, nor the bottom above the top (convert cxcywh boxes with cxcywh_to_xyxy first)"
        )


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """Areas of xyxy boxes, (...,)."""
    check_boxes(boxes)
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def _inter_union(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    area_a, area_b = box_area(a), box_area(b)
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])  # (N, M, 2)
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area_a[:, None] + area_b[None, :] - inter


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise intersection over union of xyxy boxes: (N, 4), (M, 4) -> (N, M). Two empty boxes have IoU 0."""
    check_boxes(a, "a")
    check_boxes(b, "b")
    inter, union = _inter_union(a.reshape(-1, 4), b.reshape(-1, 4))
    return torch.where(union > 0, inter / union.clamp(min=torch.finfo(union.dtype).tiny), torch.zeros_like(union))


def generalized_box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise generalised IoU (Rezatofighi et al., CVPR 2019) of xyxy boxes: IoU - |C - (A ∪ B)| / |C|,
    with C the smallest box enclosing both. In [-1, 1]; below 0 for disjoint boxes, the more so the
    farther apart, which is what makes it a useful loss where IoU is flat at 0."""
    check_boxes(a, "a")
    check_boxes(b, "b")
    a, b = a.reshape(-1, 4), b.reshape(-1, 4)
    inter, union = _inter_union(a, b)
    tiny = torch.finfo(union.dtype).tiny
    iou = torch.where(union > 0, inter / union.clamp(min=tiny), torch.zeros_like(union))
    top_left = torch.minimum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.maximum(a[:, None, 2:], b[None, :, 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    hull = wh[..., 0] * wh[..., 1]
    return iou - torch.where(hull > 0, (hull - union) / hull.clamp(min=tiny), torch.zeros_like(hull))


def nms(
    boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float = 0.5, labels: torch.Tensor | None = None
) -> torch.Tensor:
    """Greedy non-maximum suppression: the indices (by decreasing score) of the xyxy boxes kept after
    removing every box that overlaps a higher-scoring kept one by more than ``iou_threshold``. With
    ``labels``, boxes of different classes never suppress each other."""
    check_boxes(boxes)
    if boxes.shape[0] != scores.shape[0]:
        raise ValueError(f"one score per box: {boxes.shape[0]} boxes, {scores.shape[0]} scores")
    order = scores.argsort(descending=True, stable=True)
    if order.numel() == 0:
        return order
    iou = box_iou(boxes[order], boxes[order])
    if labels is not None:
        iou = torch.where(labels[order][:, None] == labels[order][None, :], iou, torch.zeros_like(iou))
    keep = torch.ones(len(order), dtype=torch.bool)
    for i in range(len(order)):
        if keep[i]:
            keep[i + 1 :] &= iou[i, i + 1 :] <= iou_threshold
    return order[keep]
