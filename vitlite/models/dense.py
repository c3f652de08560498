"""A dense one-stage detector (in the manner of FCOS, Tian et al., ICCV 2019): chapter 07's baseline.

Every cell of the backbone's feature map predicts class scores, the distances from its centre to the
four sides of a box, and a "centerness". A cell is trained as a positive for the smallest object whose
box contains its centre. Many cells fire for one object, so inference keeps the best-scoring boxes and
removes their overlapping duplicates with non-maximum suppression (NMS): exactly the hand-designed
step DETR's set prediction does away with.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vitlite.boxes import cxcywh_to_xyxy, generalized_box_iou, nms, xyxy_to_cxcywh
from vitlite.layers import check_image, check_num_classes
from vitlite.models import register_model
from vitlite.models.resnet import ResNetBackbone

__all__ = ["DenseDetector", "sigmoid_focal_loss"]


def sigmoid_focal_loss(
    logits: torch.Tensor, targets: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0
) -> torch.Tensor:
    """Focal loss (Lin et al., ICCV 2017), summed: binary cross-entropy scaled down where it is already small."""
    p = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    weight = alpha * targets + (1 - alpha) * (1 - targets)
    return (weight * ce * (1 - p_t) ** gamma).sum()


class DenseDetector(nn.Module):
    """Backbone, two 3x3 conv towers (GroupNorm, ReLU), and per cell: K class logits, 4 side distances
    (in units of the stride, through ReLU) and a centerness logit.

    ``forward`` returns ``{"logits": (B, HW, K), "boxes": (B, HW, 4) normalised cxcywh, "centerness":
    (B, HW)}``; :meth:`loss` trains it; :meth:`detect` turns outputs into boxes, scores and labels
    with NMS.
    """

    def __init__(
        self,
        backbone: ResNetBackbone,
        num_classes: int = 5,
        width: int = 96,
        tower: int = 2,
        score_threshold: float = 0.05,
        nms_iou: float = 0.6,
        max_detections: int = 100,
    ):
        super().__init__()
        if check_num_classes(num_classes) < 1:
            raise ValueError("the detector needs num_classes >= 1")
        self.backbone, self.num_classes, self.in_chans = backbone, num_classes, backbone.in_chans
        self.score_threshold, self.nms_iou, self.max_detections = score_threshold, nms_iou, max_detections

        def towers() -> nn.Sequential:
            layers, ch = [], backbone.channels[-1]
            for _ in range(tower):
                layers += [nn.Conv2d(ch, width, 3, padding=1), nn.GroupNorm(8, width), nn.ReLU()]
                ch = width
            return nn.Sequential(*layers)

        self.cls_tower, self.box_tower = towers(), towers()
        self.cls_out = nn.Conv2d(width, num_classes, 3, padding=1)
        self.box_out = nn.Conv2d(width, 4, 3, padding=1)
        self.ctr_out = nn.Conv2d(width, 1, 3, padding=1)
        nn.init.constant_(self.cls_out.bias, -math.log(99))  # start by predicting "nothing here" (p = 0.01)

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        check_image(images, self.in_chans, model=self)
        feature = self.backbone(images)[-1]
        b, _, h, w = feature.shape
        cls, box = self.cls_tower(feature), self.box_tower(feature)
        ys, xs = torch.meshgrid(
            (torch.arange(h, device=images.device) + 0.5) / h,
            (torch.arange(w, device=images.device) + 0.5) / w,
            indexing="ij",
        )
        centres = torch.stack([xs, ys], -1).reshape(1, h * w, 2)
        ltrb = F.relu(self.box_out(box)).flatten(2).transpose(1, 2) * torch.tensor(
            [1 / w, 1 / h, 1 / w, 1 / h], device=images.device
        )
        xyxy = torch.cat([centres - ltrb[..., :2], centres + ltrb[..., 2:]], -1)
        return {
            "logits": self.cls_out(cls).flatten(2).transpose(1, 2),
            "boxes": xyxy_to_cxcywh(xyxy),
            "centerness": self.ctr_out(box).flatten(2).squeeze(1),
            "centres": centres.expand(b, -1, -1),
        }

    def loss(
        self, outputs: dict[str, torch.Tensor], targets: list[dict[str, torch.Tensor]]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Focal loss on the class scores of every cell; GIoU on the boxes and BCE on the centerness of the positive cells."""
        logits, boxes, centres = outputs["logits"], outputs["boxes"], outputs["centres"]
        cls_target = torch.zeros_like(logits)
        pos_pred, pos_box, pos_ctr, pos_ctr_target = [], [], [], []
        for i, t in enumerate(targets):
            if len(t["labels"]) == 0:
                continue
            gt = cxcywh_to_xyxy(t["boxes"])  # (M, 4)
            c = centres[i]  # (HW, 2)
            left, top = c[:, None, 0] - gt[None, :, 0], c[:, None, 1] - gt[None, :, 1]
            r, bottom = gt[None, :, 2] - c[:, None, 0], gt[None, :, 3] - c[:, None, 1]
            inside = torch.stack([left, top, r, bottom], -1).min(-1).values > 0  # (HW, M)
            area = (t["boxes"][:, 2] * t["boxes"][:, 3])[None].expand_as(inside)
            area = torch.where(inside, area, torch.full_like(area, float("inf")))
            best_area, owner = area.min(1)
            cells = torch.isfinite(best_area).nonzero().squeeze(1)
            if len(cells) == 0:
                continue
            obj = owner[cells]
            cls_target[i, cells, t["labels"][obj]] = 1.0
            pos_pred.append(boxes[i, cells])
            pos_box.append(t["boxes"][obj])
            lr, tb = (
                torch.stack([left[cells, obj], r[cells, obj]], -1),
                torch.stack([top[cells, obj], bottom[cells, obj]], -1),
            )
            pos_ctr_target.append(
                ((lr.min(-1).values / lr.max(-1).values) * (tb.min(-1).values / tb.max(-1).values)).sqrt()
            )
            pos_ctr.append(outputs["centerness"][i, cells])
        num_pos = max(1, sum(len(p) for p in pos_pred))
        loss_cls = sigmoid_focal_loss(logits, cls_target) / num_pos
        if pos_pred:
            pred, gt, ctr, ctr_t = (
                torch.cat(pos_pred),
                torch.cat(pos_box),
                torch.cat(pos_ctr),
                torch.cat(pos_ctr_target),
            )
            loss_box = (1 - generalized_box_iou(cxcywh_to_xyxy(pred), cxcywh_to_xyxy(gt)).diag()).sum() / num_pos
            loss_ctr = F.binary_cross_entropy_with_logits(ctr, ctr_t, reduction="sum") / num_pos
        else:
            loss_box = loss_ctr = logits.sum() * 0
        return loss_cls + 2.0 * loss_box + loss_ctr, {
            "cls": loss_cls.item(),
            "giou": loss_box.item(),
            "ctr": loss_ctr.item(),
        }

    @torch.no_grad()
    def detect(self, outputs: dict[str, torch.Tensor], nms_iou: float | None = None) -> list[dict[str, torch.Tensor]]:
        """Boxes (normalised cxcywh), scores and labels per image: score = sqrt(p(class) * centerness),
        above ``score_threshold``, class-wise NMS at ``nms_iou`` (None: the model's; 1.0 turns NMS off)."""
        nms_iou = self.nms_iou if nms_iou is None else nms_iou
        results = []
        for logits, boxes, ctr in zip(outputs["logits"], outputs["boxes"], outputs["centerness"]):
            scores = (logits.sigmoid() * ctr.sigmoid()[:, None]).sqrt()  # (HW, K)
            flat = scores.flatten()
            keep = (flat > self.score_threshold).nonzero().squeeze(1)
            keep = keep[flat[keep].argsort(descending=True)][: 10 * self.max_detections]
            cells, labels = keep // self.num_classes, keep % self.num_classes
            cand, cand_scores = boxes[cells], flat[keep]
            if nms_iou < 1.0 and len(keep):
                kept = nms(cxcywh_to_xyxy(cand).clamp(0, 1), cand_scores, nms_iou, labels)
            else:
                kept = torch.arange(len(keep))
            kept = kept[: self.max_detections]
            results.append({"boxes": cand[kept], "scores": cand_scores[kept], "labels": labels[kept]})
        return results


@register_model
def dense_tiny_shapes(**overrides) -> DenseDetector:
    """Course size: chapter 07's small backbone (an 8x8 map for 64x64 images) with FCOS-style heads, 5 classes."""
    from vitlite.models.detr import small_backbone

    return DenseDetector(small_backbone(), **{**dict(num_classes=5, width=96, tower=2), **overrides})
