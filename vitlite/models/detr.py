"""DETR (Carion et al., ECCV 2020): detection as direct set prediction.

A CNN backbone makes a feature map; a 1x1 convolution projects it to width d; a transformer encoder
lets its H*W positions attend to each other (with fixed sine position encodings added to queries
and keys); a decoder turns N learned *object queries* into N predictions, each a class (or "no
object") and a box, in one pass. Training matches the N predictions to the ground-truth objects
one-to-one (the Hungarian algorithm, :mod:`vitlite.matching`), so no anchor boxes and no
non-maximum suppression are needed::

    image -> backbone -> (C, H/32, W/32) -> 1x1 conv -> (HW, d) + pos -> encoder -> memory
    zeros (N, d) + query embeddings -> decoder (self-attn, cross-attn to memory) -> (N, d)
      -> class head (K + 1) and box MLP (sigmoid cx, cy, w, h)

Layers are post-norm (LayerNorm after each residual sum), as in the paper's code; the decoder's
final LayerNorm is also applied to every intermediate layer's output, which the auxiliary losses use.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from vitlite.boxes import cxcywh_to_xyxy, generalized_box_iou
from vitlite.layers import RecordsAttention, check_heads, check_image, check_num_classes, check_positive
from vitlite.matching import linear_sum_assignment
from vitlite.models import register_model
from vitlite.models.resnet import ResNetBackbone, resnet50_backbone, resnet101_backbone

__all__ = [
    "sine_position_encoding",
    "MultiheadAttention",
    "EncoderLayer",
    "DecoderLayer",
    "MLP",
    "DETR",
    "hungarian_match",
    "SetCriterion",
    "query_detections",
    "matching_costs",
    "cross_attention",
    "query_predictions",
    "small_backbone",
]


def sine_position_encoding(
    batch: int,
    height: int,
    width: int,
    num_pos_feats: int = 128,
    temperature: float = 10000.0,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """DETR's fixed 2-D encoding, (B, 2 * num_pos_feats, H, W): the first half encodes the row, the second
    the column. Positions are 1..H (and 1..W), divided by (H + 1e-6) and times 2π; frequency i uses
    T^(2 floor(i/2) / num_pos_feats), with sine on even and cosine on odd features."""
    y = torch.arange(1, height + 1, dtype=torch.float32, device=device)[:, None].expand(height, width)
    x = torch.arange(1, width + 1, dtype=torch.float32, device=device)[None, :].expand(height, width)
    y = y / (height + 1e-6) * 2 * math.pi
    x = x / (width + 1e-6) * 2 * math.pi
    dim_t = torch.arange(num_pos_feats, dtype=torch.float32, device=device)
    dim_t = temperature ** (2 * torch.div(dim_t, 2, rounding_mode="floor") / num_pos_feats)
    pos_x, pos_y = x[..., None] / dim_t, y[..., None] / dim_t  # (H, W, F)
    pos_x = torch.stack([pos_x[..., 0::2].sin(), pos_x[..., 1::2].cos()], dim=-1).flatten(-2)  # interleaved
    pos_y = torch.stack([pos_y[..., 0::2].sin(), pos_y[..., 1::2].cos()], dim=-1).flatten(-2)
    return torch.cat([pos_y, pos_x], dim=-1).permute(2, 0, 1)[None].expand(batch, -1, -1, -1)


class MultiheadAttention(RecordsAttention, nn.Module):
    """Attention with separate query, key and value inputs (DETR adds position encodings to queries and
    keys but not to values). (B, Nq, d), (B, Nk, d), (B, Nk, d) -> (B, Nq, d)."""

    def __init__(self, dim: int, num_heads: int, dropout: float = 0.0):
        super().__init__()
        self.num_heads = check_heads(dim, num_heads)
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(dim, dim) for _ in range(4))
        self.dropout = dropout

    def forward(
        self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, attn_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``attn_mask`` (Nq, Nk) bool: True where a query may *not* attend (the convention of DETR's code)."""
        b, nq, d = query.shape
        h = self.num_heads
        q = self.q_proj(query).view(b, nq, h, d // h).transpose(1, 2)
        k = self.k_proj(key).view(b, key.shape[1], h, d // h).transpose(1, 2)
        v = self.v_proj(value).view(b, value.shape[1], h, d // h).transpose(1, 2)
        if attn_mask is not None and (attn_mask.dtype != torch.bool or tuple(attn_mask.shape) != (nq, key.shape[1])):
            raise ValueError(
                f"attn_mask must be a bool tensor of shape {(nq, key.shape[1])}, got {attn_mask.dtype} {tuple(attn_mask.shape)}"
            )
        if self._record is not None:
            scores = q @ k.transpose(-2, -1) * (d // h) ** -0.5
            if attn_mask is not None:
                scores = scores.masked_fill(attn_mask, float("-inf"))
            attn = scores.softmax(-1)
            self._emit(attn)
            out = F.dropout(attn, self.dropout, self.training) @ v
        else:
            out = F.scaled_dot_product_attention(
                q,
                k,
                v,
                attn_mask=None if attn_mask is None else ~attn_mask,
                dropout_p=self.dropout if self.training else 0.0,
            )
        return self.out_proj(out.transpose(1, 2).reshape(b, nq, d))


class EncoderLayer(nn.Module):
    """x = LN(x + SelfAttn(x + pos, x + pos, x)); x = LN(x + FFN(x))."""

    def __init__(self, dim: int, num_heads: int, ffn_dim: int, dropout: float = 0.1):
        super().__init__()
        self.self_attn = MultiheadAttention(dim, num_heads, dropout)
        self.norm1 = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(nn.Linear(dim, ffn_dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ffn_dim, dim))
        self.norm2 = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        qk = x + pos
        x = self.norm1(x + self.drop(self.self_attn(qk, qk, x)))
        return self.norm2(x + self.drop(self.ffn(x)))


class DecoderLayer(nn.Module):
    """Self-attention among the queries (query embeddings added to q and k), cross-attention to the
    memory (query embeddings added to q, position encodings to k), FFN; each followed by LN(x + ...)."""

    def __init__(self, dim: int, num_heads: int, ffn_dim: int, dropout: float = 0.1):
        super().__init__()
        self.self_attn = MultiheadAttention(dim, num_heads, dropout)
        self.norm1 = nn.LayerNorm(dim)
        self.cross_attn = MultiheadAttention(dim, num_heads, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(nn.Linear(dim, ffn_dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ffn_dim, dim))
        self.norm3 = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def forward(
        self, tgt: torch.Tensor, memory: torch.Tensor, pos: torch.Tensor, query_pos: torch.Tensor
    ) -> torch.Tensor:
        qk = tgt + query_pos
        tgt = self.norm1(tgt + self.drop(self.self_attn(qk, qk, tgt)))
        tgt = self.norm2(tgt + self.drop(self.cross_attn(tgt + query_pos, memory + pos, memory)))
        return self.norm3(tgt + self.drop(self.ffn(tgt)))


class MLP(nn.Module):
    """Linear layers with ReLU between them: DETR's box head is MLP(d, d, 4, 3)."""

    def __init__(self, in_dim: int, hidden: int, out_dim: int, num_layers: int):
        super().__init__()
        dims = [in_dim] + [hidden] * (num_layers - 1) + [out_dim]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims, dims[1:]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x) if i == len(self.layers) - 1 else F.relu(layer(x))
        return x


class DETR(nn.Module):
    """Backbone, 1x1 projection, transformer encoder and decoder, class and box heads.

    ``forward`` returns ``{"pred_logits": (B, N, K + 1), "pred_boxes": (B, N, 4)}`` (boxes as normalised
    cx, cy, w, h; the last logit is "no object"), plus ``"aux_outputs"``, the same for every earlier
    decoder layer, when training with ``aux_loss`` (the default). ``num_heads`` and ``ffn_dim`` are the
    encoder's and, unless ``dec_num_heads`` or ``dec_ffn_dim`` say otherwise, the decoder's too (the paper's
    models share them; Hugging Face's configuration sets each side apart).
    """

    def __init__(
        self,
        backbone: ResNetBackbone,
        num_classes: int = 91,
        dim: int = 256,
        num_heads: int = 8,
        enc_layers: int = 6,
        dec_layers: int = 6,
        ffn_dim: int = 2048,
        num_queries: int = 100,
        dropout: float = 0.1,
        aux_loss: bool = True,
        eos_coef: float = 0.1,
        dec_num_heads: int | None = None,
        dec_ffn_dim: int | None = None,
    ):
        super().__init__()
        if check_num_classes(num_classes) < 1:
            raise ValueError("DETR needs num_classes >= 1 (the 'no object' class is added on top)")
        dec_num_heads, dec_ffn_dim = dec_num_heads or num_heads, dec_ffn_dim or ffn_dim
        check_heads(dim, num_heads)
        check_heads(dim, dec_num_heads)
        self.backbone, self.num_classes, self.num_queries, self.aux_loss = (
            backbone,
            num_classes,
            check_positive("num_queries", num_queries),
            aux_loss,
        )
        self.in_chans = backbone.in_chans
        self.input_proj = nn.Conv2d(backbone.channels[-1], dim, 1)
        self.query_embed = nn.Embedding(num_queries, dim)
        self.encoder = nn.ModuleList(EncoderLayer(dim, num_heads, ffn_dim, dropout) for _ in range(enc_layers))
        self.decoder = nn.ModuleList(DecoderLayer(dim, dec_num_heads, dec_ffn_dim, dropout) for _ in range(dec_layers))
        self.decoder_norm = nn.LayerNorm(dim)
        self.class_embed = nn.Linear(dim, num_classes + 1)
        self.bbox_embed = MLP(dim, dim, 4, 3)
        self.criterion = SetCriterion(num_classes, eos_coef=eos_coef)

    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int]]:
        """(B, C, H, W) -> memory (B, HW, d), position encodings (B, HW, d), and the feature map's (h, w)."""
        check_image(images, self.in_chans, model=self)
        feature = self.input_proj(self.backbone(images)[-1])  # (B, d, h, w)
        b, d, h, w = feature.shape
        pos = sine_position_encoding(b, h, w, d // 2, device=images.device).flatten(2).transpose(1, 2).to(feature.dtype)
        memory = feature.flatten(2).transpose(1, 2)
        for layer in self.encoder:
            memory = layer(memory, pos)
        return memory, pos, (h, w)

    def decode(self, memory: torch.Tensor, pos: torch.Tensor) -> list[torch.Tensor]:
        """The normalised output of every decoder layer, each (B, N, d)."""
        query_pos = self.query_embed.weight[None].expand(memory.shape[0], -1, -1)
        tgt = torch.zeros_like(query_pos)
        outs = []
        for layer in self.decoder:
            tgt = layer(tgt, memory, pos, query_pos)
            outs.append(self.decoder_norm(tgt))
        return outs

    def forward(self, images: torch.Tensor) -> dict[str, Any]:
        memory, pos, _ = self.encode(images)
        hidden = self.decode(memory, pos)
        preds = [{"pred_logits": self.class_embed(h), "pred_boxes": self.bbox_embed(h).sigmoid()} for h in hidden]
        out = dict(preds[-1])
        if self.aux_loss and self.training:
            out["aux_outputs"] = preds[:-1]
        return out

    def loss(
        self, outputs: dict[str, Any], targets: list[dict[str, torch.Tensor]]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """The set loss (:class:`SetCriterion`) of ``outputs`` against one target dict per image."""
        return self.criterion(outputs, targets)

    @torch.no_grad()
    def detect(self, outputs: dict[str, Any], nms_iou: float | None = None) -> list[dict[str, torch.Tensor]]:
        """One detection per query: its most likely real class, that class's probability, its box. DETR
        needs no NMS; ``nms_iou`` applies class-wise NMS anyway (the control that shows it)."""
        scores, labels = outputs["pred_logits"].softmax(-1)[..., :-1].max(-1)
        return query_detections(outputs["pred_boxes"], scores, labels, nms_iou)


def query_detections(
    boxes: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, nms_iou: float | None = None
) -> list[dict[str, torch.Tensor]]:
    """Per image, one detection per query (boxes (B, N, 4) cxcywh, scores and labels (B, N)), with
    class-wise NMS at ``nms_iou`` when it is given and below 1 (DETR's and DINO's ``detect``)."""
    from vitlite.boxes import nms

    results = []
    for b, s, lab in zip(boxes, scores, labels):
        if nms_iou is not None and nms_iou < 1.0:
            kept = nms(cxcywh_to_xyxy(b).clamp(0, 1), s, nms_iou, lab)
            b, s, lab = b[kept], s[kept], lab[kept]
        results.append({"boxes": b, "scores": s, "labels": lab})
    return results


# ---------------------------------------------------------------------- matching and the set loss
@torch.no_grad()
def hungarian_match(
    logits: torch.Tensor,
    boxes: torch.Tensor,
    target: dict[str, torch.Tensor],
    cost_class: float = 1.0,
    cost_bbox: float = 5.0,
    cost_giou: float = 2.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The one-to-one matching of one image's N predictions to its M objects of least total cost:
    cost_class * (-p(class)) + cost_bbox * L1(boxes) + cost_giou * (-GIoU). Returns (prediction
    indices, target indices), each of length M (or N if fewer)."""
    if len(target["labels"]) == 0:
        empty = torch.zeros(0, dtype=torch.int64)
        return empty, empty.clone()
    prob = logits.softmax(-1)  # (N, K + 1)
    cost = -cost_class * prob[:, target["labels"]]
    cost = cost + cost_bbox * torch.cdist(boxes, target["boxes"], p=1)
    cost = cost - cost_giou * generalized_box_iou(cxcywh_to_xyxy(boxes), cxcywh_to_xyxy(target["boxes"]))
    return linear_sum_assignment(cost)


class SetCriterion(nn.Module):
    """DETR's loss: match, then cross-entropy on every query (the "no object" class weighted by
    ``eos_coef``), and L1 and GIoU losses on the matched boxes, normalised by the number of objects;
    the same at every decoder layer's auxiliary output. Calling it returns (loss, logs)."""

    def __init__(
        self,
        num_classes: int,
        cost_class: float = 1.0,
        cost_bbox: float = 5.0,
        cost_giou: float = 2.0,
        eos_coef: float = 0.1,
        weight_ce: float = 1.0,
        weight_bbox: float = 5.0,
        weight_giou: float = 2.0,
    ):
        super().__init__()
        self.num_classes, self.costs = num_classes, (cost_class, cost_bbox, cost_giou)
        self.weights = (weight_ce, weight_bbox, weight_giou)
        empty = torch.ones(num_classes + 1)
        empty[-1] = eos_coef
        self.register_buffer("empty_weight", empty)

    def single(
        self, out: dict[str, torch.Tensor], targets: list[dict[str, torch.Tensor]]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        logits, boxes = out["pred_logits"], out["pred_boxes"]
        if logits.shape[-1] != self.num_classes + 1:
            raise ValueError(
                f"the model predicts {logits.shape[-1] - 1} classes but the loss was built for {self.num_classes}; use the same num_classes"
            )
        matches = [hungarian_match(logits[i], boxes[i], t, *self.costs) for i, t in enumerate(targets)]
        classes = torch.full(logits.shape[:2], self.num_classes, dtype=torch.long, device=logits.device)
        for i, ((src, tgt), t) in enumerate(zip(matches, targets)):
            classes[i, src] = t["labels"][tgt]
        loss_ce = F.cross_entropy(logits.transpose(1, 2), classes, self.empty_weight)
        num_boxes = max(1, sum(len(t["labels"]) for t in targets))
        src_boxes = torch.cat([boxes[i, src] for i, (src, _) in enumerate(matches)])
        tgt_boxes = torch.cat([t["boxes"][tgt] for (_, tgt), t in zip(matches, targets)])
        loss_bbox = F.l1_loss(src_boxes, tgt_boxes, reduction="sum") / num_boxes
        loss_giou = (
            1 - generalized_box_iou(cxcywh_to_xyxy(src_boxes), cxcywh_to_xyxy(tgt_boxes)).diag()
        ).sum() / num_boxes
        wc, wb, wg = self.weights
        return wc * loss_ce + wb * loss_bbox + wg * loss_giou, {
            "ce": loss_ce.item(),
            "l1": loss_bbox.item(),
            "giou": loss_giou.item(),
        }

    def forward(
        self, outputs: dict[str, Any], targets: list[dict[str, torch.Tensor]]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        loss, logs = self.single(outputs, targets)
        for aux in outputs.get("aux_outputs", []):
            loss = loss + self.single(aux, targets)[0]
        return loss, logs


# ---------------------------------------------------------------------- looking inside
@torch.no_grad()
def matching_costs(
    logits: torch.Tensor,
    boxes: torch.Tensor,
    target: dict[str, torch.Tensor],
    cost_class: float = 1.0,
    cost_bbox: float = 5.0,
    cost_giou: float = 2.0,
) -> dict[str, torch.Tensor]:
    """The matching of one image, term by term: ``class``, ``l1`` and ``giou`` cost matrices (N, M),
    already weighted, their sum ``total``, and the assignment ``rows``, ``cols`` that minimises it.
    A weight of 0 switches a term off."""
    prob = logits.softmax(-1)
    terms = {
        "class": -cost_class * prob[:, target["labels"]],
        "l1": cost_bbox * torch.cdist(boxes, target["boxes"], p=1),
        "giou": -cost_giou * generalized_box_iou(cxcywh_to_xyxy(boxes), cxcywh_to_xyxy(target["boxes"])),
    }
    total = terms["class"] + terms["l1"] + terms["giou"]
    rows, cols = linear_sum_assignment(total)
    return {**terms, "total": total, "rows": rows, "cols": cols}


@torch.no_grad()
def cross_attention(
    model: DETR, image: torch.Tensor, query: int, layer: int = -1
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Where one object query looks: its cross-attention weights over the feature map (head mean) in a
    decoder layer, (h, w), and the model's outputs for the image."""
    from vitlite.layers import attention_maps

    if not 0 <= query < model.num_queries:
        raise ValueError(f"query must be in [0, {model.num_queries - 1}], got {query}")
    target = model.decoder[layer].cross_attn
    model.eval()
    grid: list[tuple[int, int]] = []
    handle = model.input_proj.register_forward_hook(lambda _m, _i, out: grid.append(tuple(out.shape[-2:])))
    try:
        with attention_maps(target) as maps:
            outputs = model(image[None])
    finally:
        handle.remove()
    attn = maps[""][0].mean(0)[query]  # (h * w,)
    return attn.reshape(grid[0]), {k: v[0] for k, v in outputs.items() if torch.is_tensor(v)}


@torch.no_grad()
def query_predictions(model: DETR, images: torch.Tensor, batch_size: int = 128) -> dict[str, torch.Tensor]:
    """Every query slot's prediction on every image: boxes (Q, B, 4), the probability of a real object
    (Q, B) and the most likely class (Q, B); the paper's Figure 7 plots the boxes of each slot."""
    model.eval()
    boxes, scores, labels = [], [], []
    for start in range(0, len(images), batch_size):
        out = model(images[start : start + batch_size])
        probs = out["pred_logits"].softmax(-1)
        best, label = probs[..., :-1].max(-1)
        boxes.append(out["pred_boxes"])
        scores.append(1 - probs[..., -1])
        labels.append(label)
    return {
        "boxes": torch.cat(boxes).transpose(0, 1),
        "object": torch.cat(scores).transpose(0, 1),
        "labels": torch.cat(labels).transpose(0, 1),
    }


# ---------------------------------------------------------------------- configurations
def _detr(backbone: ResNetBackbone, overrides: dict) -> DETR:
    return DETR(backbone, **overrides)


@register_model
def detr_resnet50(**overrides) -> DETR:
    """DETR with a ResNet-50 backbone (frozen batch norm), 100 queries, 91 COCO classes: 41.5M parameters."""
    return _detr(resnet50_backbone(), overrides)


@register_model
def detr_resnet101(**overrides) -> DETR:
    """DETR with a ResNet-101 backbone: 60.5M parameters."""
    return _detr(resnet101_backbone(), overrides)


def small_backbone(channels: tuple[int, ...] = (32, 64, 128), strides: tuple[int, ...] = (1, 2, 2)) -> ResNetBackbone:
    """The course's detection backbone: a 3x3 stride-2 stem and three stages of basic blocks with batch
    norm, stride 8 (a 64x64 image becomes an 8x8 map)."""
    return ResNetBackbone(
        layers=(1,) * len(channels),
        channels=channels,
        strides=strides,
        stem_width=channels[0],
        block="basic",
        norm="batch",
        stem="3x3",
    )


@register_model
def detr_tiny_shapes(**overrides) -> DETR:
    """Course size for 64x64 ShapesWorld detection: the small backbone, width 128, two encoder and two
    decoder layers, 10 queries, 5 classes."""
    defaults = dict(
        num_classes=5, dim=128, num_heads=4, enc_layers=2, dec_layers=2, ffn_dim=256, num_queries=10, dropout=0.0
    )
    return _detr(small_backbone(), {**defaults, **overrides})
