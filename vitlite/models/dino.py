"""DINO (Zhang et al., ICLR 2023): DETR with improved deNoising anchOr boxes.

Built on Deformable DETR (Zhu et al., ICLR 2021) and on chapter 07's DETR::

    image -> backbone -> L feature maps -> 1x1 conv + GroupNorm each (and a 3x3 stride-2 conv for an
      extra, coarser level) -> flattened, + sine positions + a learned embedding per level
    deformable encoder: every position reads a few sampled points around itself on every level
    query selection: each encoder position proposes a box; the top-K by class score become the
      decoder's *anchors* (detached); the *content* queries are learned (mixed query selection)
    deformable decoder: each layer refines every anchor box; cross-attention samples points around it
    training only: contrastive denoising queries (noised copies of the ground truth, positive and
      negative) go through the decoder beside the matching queries, kept apart by an attention mask

Classes are sigmoid scores (no "no object" logit) trained with the focal loss. One box head and one
class head are shared by all decoder layers, as in the official configuration. Three switches turn
the paper's three contributions off, for the ablation: ``denoising=False``, ``look_forward_twice=False``
(each layer's box is trained through its own layer only, as in Deformable DETR) and
``query_selection="static"`` (learned anchors and content queries, no encoder proposals).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from vitlite.boxes import cxcywh_to_xyxy, generalized_box_iou
from vitlite.layers import check_heads, check_image, check_num_classes, check_positive, multi_scale_deformable_attention
from vitlite.matching import linear_sum_assignment
from vitlite.models import register_model
from vitlite.models.detr import MLP, MultiheadAttention, query_detections, sine_position_encoding, small_backbone
from vitlite.models.resnet import ResNetBackbone, resnet50_backbone

__all__ = [
    "inverse_sigmoid",
    "MSDeformableAttention",
    "DeformableEncoderLayer",
    "DeformableDecoderLayer",
    "box_sine_embedding",
    "encoder_proposals",
    "denoising_queries",
    "denoising_attention_mask",
    "DINO",
    "DINOCriterion",
    "sampling_points",
]


def inverse_sigmoid(x: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """log(x / (1 - x)) with x clamped to [0, 1] and both parts to at least ``eps`` (DINO uses 1e-3)."""
    x = x.clamp(0, 1)
    return torch.log(x.clamp(min=eps) / (1 - x).clamp(min=eps))


class MSDeformableAttention(nn.Module):
    """Multi-scale deformable attention as a layer: from each query, per head, ``num_points`` sampling
    offsets and weights on each of ``num_levels`` levels, around the query's reference point (x, y) or
    inside its reference box (cx, cy, w, h).

    ``forward(query (B, Q, d), reference (B, Q, L, 2 or 4), value (B, S, d), spatial_shapes (L, 2))``.
    """

    def __init__(self, dim: int = 256, num_heads: int = 8, num_levels: int = 4, num_points: int = 4):
        super().__init__()
        self.num_heads, self.num_levels, self.num_points = (
            check_heads(dim, num_heads),
            check_positive("num_levels", num_levels),
            check_positive("num_points", num_points),
        )
        self.sampling_offsets = nn.Linear(dim, num_heads * num_levels * num_points * 2)
        self.attention_weights = nn.Linear(dim, num_heads * num_levels * num_points)
        self.value_proj = nn.Linear(dim, dim)
        self.output_proj = nn.Linear(dim, dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Deformable DETR's start: no learned offsets yet, the points of head h spread along direction
        2πh/heads at distances 1, 2, ..., P (in pixels of each level); uniform weights."""
        nn.init.zeros_(self.sampling_offsets.weight)
        theta = torch.arange(self.num_heads, dtype=torch.float32) * (2 * math.pi / self.num_heads)
        grid = torch.stack([theta.cos(), theta.sin()], -1)
        grid = (
            (grid / grid.abs().max(-1, keepdim=True)[0])
            .view(self.num_heads, 1, 1, 2)
            .repeat(1, self.num_levels, self.num_points, 1)
        )
        grid = grid * torch.arange(1, self.num_points + 1, dtype=torch.float32).view(1, 1, -1, 1)
        with torch.no_grad():
            self.sampling_offsets.bias.copy_(grid.flatten())
        nn.init.zeros_(self.attention_weights.weight)
        nn.init.zeros_(self.attention_weights.bias)
        for layer in (self.value_proj, self.output_proj):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def sampling(
        self, query: torch.Tensor, reference: torch.Tensor, spatial_shapes: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Sampling locations (B, Q, heads, L, P, 2) in [0, 1] and weights (B, Q, heads, L, P)."""
        b, q, _ = query.shape
        h, lv, p = self.num_heads, self.num_levels, self.num_points
        if reference.shape[:3] != (b, q, lv) or reference.shape[-1] not in (2, 4):
            raise ValueError(f"reference must be (B={b}, Q={q}, L={lv}, 2 or 4), got {tuple(reference.shape)}")
        offsets = self.sampling_offsets(query).view(b, q, h, lv, p, 2)
        weights = self.attention_weights(query).view(b, q, h, lv * p).softmax(-1).view(b, q, h, lv, p)
        if reference.shape[-1] == 2:  # offsets in pixels of each level
            size = torch.stack([spatial_shapes[:, 1], spatial_shapes[:, 0]], -1).to(
                query.device, query.dtype
            )  # (L, 2): (W, H)
            locations = reference[:, :, None, :, None, :] + offsets / size[None, None, None, :, None, :]
        else:  # offsets in units of half the box, divided among the points
            locations = reference[:, :, None, :, None, :2] + offsets / p * reference[:, :, None, :, None, 2:] * 0.5
        return locations, weights

    def forward(
        self,
        query: torch.Tensor,
        reference: torch.Tensor,
        value: torch.Tensor,
        spatial_shapes: torch.Tensor,
        padding_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if len(spatial_shapes) != self.num_levels:
            raise ValueError(
                f"this layer was built for {self.num_levels} levels, got spatial shapes for {len(spatial_shapes)}"
            )
        b, s, d = value.shape
        v = self.value_proj(value)
        if padding_mask is not None:
            v = v.masked_fill(padding_mask[..., None], 0.0)
        locations, weights = self.sampling(query, reference, spatial_shapes)
        out = multi_scale_deformable_attention(
            v.view(b, s, self.num_heads, d // self.num_heads), spatial_shapes, locations, weights
        )
        return self.output_proj(out)


class DeformableEncoderLayer(nn.Module):
    """x = LN(x + DeformAttn(x + pos, reference points, x)); x = LN(x + FFN(x)) (post-norm)."""

    def __init__(
        self,
        dim: int = 256,
        num_heads: int = 8,
        ffn_dim: int = 2048,
        num_levels: int = 4,
        num_points: int = 4,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.self_attn = MSDeformableAttention(dim, num_heads, num_levels, num_points)
        self.norm1 = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(nn.Linear(dim, ffn_dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ffn_dim, dim))
        self.norm2 = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, pos: torch.Tensor, reference: torch.Tensor, spatial_shapes: torch.Tensor
    ) -> torch.Tensor:
        x = self.norm1(x + self.drop(self.self_attn(x + pos, reference, x, spatial_shapes)))
        return self.norm2(x + self.drop(self.ffn(x)))


class DeformableDecoderLayer(nn.Module):
    """Self-attention among the queries (positions on q and k; ``attn_mask`` keeps denoising groups
    apart), deformable cross-attention around each query's box, FFN; each followed by LN(x + ...)."""

    def __init__(
        self,
        dim: int = 256,
        num_heads: int = 8,
        ffn_dim: int = 2048,
        num_levels: int = 4,
        num_points: int = 4,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.self_attn = MultiheadAttention(dim, num_heads, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.cross_attn = MSDeformableAttention(dim, num_heads, num_levels, num_points)
        self.norm1 = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(nn.Linear(dim, ffn_dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ffn_dim, dim))
        self.norm3 = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def forward(
        self,
        tgt: torch.Tensor,
        query_pos: torch.Tensor,
        reference: torch.Tensor,
        memory: torch.Tensor,
        spatial_shapes: torch.Tensor,
        attn_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        qk = tgt + query_pos
        tgt = self.norm2(tgt + self.drop(self.self_attn(qk, qk, tgt, attn_mask=attn_mask)))
        tgt = self.norm1(tgt + self.drop(self.cross_attn(tgt + query_pos, reference, memory, spatial_shapes)))
        return self.norm3(tgt + self.drop(self.ffn(tgt)))


def box_sine_embedding(boxes: torch.Tensor, num_feats: int = 128, temperature: float = 10000.0) -> torch.Tensor:
    """A box (cx, cy, w, h) in [0, 1] as sines: each coordinate times 2π over ``num_feats`` geometric
    frequencies (sine and cosine interleaved), in the order y, x, w, h: (..., 4 * num_feats)."""
    dim_t = torch.arange(num_feats, dtype=torch.float32, device=boxes.device)
    dim_t = temperature ** (2 * torch.div(dim_t, 2, rounding_mode="floor") / num_feats)
    parts = []
    for k in (1, 0, 2, 3):
        pos = boxes[..., k, None] * (2 * math.pi) / dim_t
        parts.append(torch.stack([pos[..., 0::2].sin(), pos[..., 1::2].cos()], -1).flatten(-2))
    return torch.cat(parts, -1).to(boxes.dtype)


def encoder_proposals(memory: torch.Tensor, spatial_shapes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One proposal per encoder position: a box centred on its cell, of side 0.05 * 2^level, as logits
    (inverse sigmoid). Proposals with a coordinate outside (0.01, 0.99) are invalid: their logits are
    +inf and their memory zeroed, so they are never selected. Returns (memory, proposals (B, S, 4))."""
    proposals = []
    for level, (h, w) in enumerate(spatial_shapes.tolist()):
        ys, xs = torch.meshgrid(
            torch.arange(h, dtype=torch.float32, device=memory.device),
            torch.arange(w, dtype=torch.float32, device=memory.device),
            indexing="ij",
        )
        centres = torch.stack([(xs + 0.5) / w, (ys + 0.5) / h], -1).view(-1, 2)
        proposals.append(torch.cat([centres, torch.full_like(centres, 0.05 * 2.0**level)], -1))
    boxes = torch.cat(proposals)[None].expand(memory.shape[0], -1, -1)
    valid = ((boxes > 0.01) & (boxes < 0.99)).all(-1, keepdim=True)
    logits = torch.log(boxes / (1 - boxes)).masked_fill(~valid, float("inf"))
    return memory.masked_fill(~valid, 0.0), logits.to(memory.dtype)


# ---------------------------------------------------------------------- contrastive denoising
def denoising_queries(
    targets: list[dict[str, torch.Tensor]],
    num_classes: int,
    dn_number: int = 100,
    label_noise_ratio: float = 0.5,
    box_noise_scale: float = 1.0,
    generator: torch.Generator | None = None,
) -> dict[str, Any]:
    """The official recipe's noised ground truth, before embedding. With M = the most objects in an image
    of the batch, there are G = max(1, dn_number // M) groups of 2M queries: M positives (each object's
    box moved a little), then M negatives (moved more); images with fewer objects leave slots unused.

    Labels: each copy's class is replaced by a uniformly random one with probability
    ``label_noise_ratio / 2``. Boxes: each corner moves by ±u · (w/2 or h/2) · ``box_noise_scale``, with
    u in [0, 1) for positives and [1, 2) for negatives, then the box is clipped to the image.

    Returns ``labels`` (B, 2MG) long (-1 where unused), ``boxes`` (B, 2MG, 4) cxcywh, ``valid`` (B, 2MG),
    ``positive`` (B, 2MG), ``object`` (B, 2MG) (the index of the object each slot copies), ``groups``
    G and ``group_size`` 2M.
    """
    max_objects = max((len(t["labels"]) for t in targets), default=0)
    batch = len(targets)
    device = targets[0]["boxes"].device if targets else torch.device("cpu")
    if max_objects == 0 or dn_number <= 0:
        empty = torch.zeros(batch, 0, dtype=torch.long, device=device)
        return {
            "labels": empty,
            "boxes": torch.zeros(batch, 0, 4, device=device),
            "valid": empty.bool(),
            "positive": empty.bool(),
            "object": empty,
            "groups": 0,
            "group_size": 0,
        }
    groups = max(1, dn_number // max_objects)
    size = 2 * max_objects
    labels = torch.full((batch, groups * size), -1, dtype=torch.long, device=device)
    boxes = torch.zeros(batch, groups * size, 4, device=device)
    positive = torch.zeros(batch, groups * size, dtype=torch.bool, device=device)
    index = torch.full((batch, groups * size), -1, dtype=torch.long, device=device)
    copies = 2 * groups  # group g: copy 2g holds the positives, copy 2g + 1 the negatives
    for b, t in enumerate(targets):
        m = len(t["labels"])
        if m == 0:
            continue
        copy = torch.arange(copies, device=device).repeat_interleave(m)
        kind = copy % 2  # 0: positive, 1: negative
        slots = (copy // 2) * size + kind * max_objects + torch.arange(m, device=device).repeat(copies)
        lab = t["labels"].repeat(copies)
        flip = torch.rand(len(lab), generator=generator, device=device) < label_noise_ratio * 0.5
        lab = torch.where(flip, torch.randint(0, num_classes, (len(lab),), generator=generator, device=device), lab)
        box = t["boxes"].to(boxes.dtype).repeat(copies, 1)
        if box_noise_scale > 0:
            xyxy = cxcywh_to_xyxy(box)
            half = torch.cat([box[:, 2:], box[:, 2:]], -1) / 2
            sign = torch.randint(0, 2, (len(box), 4), generator=generator, device=device).to(box.dtype) * 2 - 1
            amount = torch.rand(len(box), 4, generator=generator, device=device) + kind[:, None]  # [0, 1) or [1, 2)
            xyxy = (xyxy + sign * amount * half * box_noise_scale).clamp(0, 1)
            box = torch.cat([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]], -1)
        labels[b, slots], boxes[b, slots] = lab, box
        index[b, slots] = torch.arange(m, device=device).repeat(copies)
        positive[b, slots] = kind == 0
    return {
        "labels": labels,
        "boxes": boxes,
        "valid": labels >= 0,
        "positive": positive,
        "object": index,
        "groups": groups,
        "group_size": size,
    }


def denoising_attention_mask(
    groups: int, group_size: int, num_queries: int, device: torch.device | str | None = None
) -> torch.Tensor:
    """(D + N, D + N) with D = groups * group_size denoising queries first, True where attention is
    blocked: the N matching queries see no denoising query (they would read the answers); each
    denoising group sees itself and the matching queries, not the other groups."""
    pad = groups * group_size
    mask = torch.zeros(pad + num_queries, pad + num_queries, dtype=torch.bool, device=device)
    mask[pad:, :pad] = True
    for g in range(groups):
        rows = slice(g * group_size, (g + 1) * group_size)
        mask[rows, : g * group_size] = True
        mask[rows, (g + 1) * group_size : pad] = True
    return mask


# ---------------------------------------------------------------------- the model
class DINO(nn.Module):
    """Backbone levels + extra levels, deformable encoder, query selection, deformable decoder with
    anchor refinement, shared heads; contrastive denoising in training.

    ``forward(images, targets=None)`` returns ``pred_logits`` (B, N, K) sigmoid logits and ``pred_boxes``
    (B, N, 4) cxcywh for the N matching queries; in training also ``aux_outputs`` (earlier layers),
    ``interm_outputs`` (the selected encoder proposals) and, given targets, ``dn_outputs`` with
    ``dn_meta`` (the denoising queries' predictions and what they copy).
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
        num_queries: int = 900,
        backbone_levels: tuple[int, ...] = (1, 2, 3),
        extra_levels: int = 1,
        num_points: int = 4,
        dropout: float = 0.0,
        dn_number: int = 100,
        label_noise_ratio: float = 0.5,
        box_noise_scale: float = 1.0,
        denoising: bool = True,
        look_forward_twice: bool = True,
        query_selection: str = "mixed",
        aux_loss: bool = True,
    ):
        super().__init__()
        check_num_classes(num_classes)
        check_heads(dim, num_heads)
        if query_selection not in ("mixed", "static"):
            raise ValueError(
                f"query_selection must be 'mixed' (anchors from the encoder's top proposals) or 'static' (learned anchors), got {query_selection!r}"
            )
        if not backbone_levels or any(not 0 <= i < len(backbone.channels) for i in backbone_levels):
            raise ValueError(
                f"backbone_levels must pick stages of the backbone (0..{len(backbone.channels) - 1}), got {backbone_levels}"
            )
        groups = math.gcd(32, dim)
        self.backbone, self.backbone_levels, self.in_chans = backbone, tuple(backbone_levels), backbone.in_chans
        self.num_classes, self.num_queries, self.dim = num_classes, check_positive("num_queries", num_queries), dim
        self.num_levels = len(backbone_levels) + extra_levels
        self.dn_number, self.label_noise_ratio, self.box_noise_scale = dn_number, label_noise_ratio, box_noise_scale
        self.denoising, self.look_forward_twice, self.query_selection, self.aux_loss = (
            denoising,
            look_forward_twice,
            query_selection,
            aux_loss,
        )
        proj = [
            nn.Sequential(nn.Conv2d(backbone.channels[i], dim, 1), nn.GroupNorm(groups, dim)) for i in backbone_levels
        ]
        in_ch = backbone.channels[backbone_levels[-1]]
        for _ in range(extra_levels):
            proj.append(nn.Sequential(nn.Conv2d(in_ch, dim, 3, stride=2, padding=1), nn.GroupNorm(groups, dim)))
            in_ch = dim
        self.input_proj = nn.ModuleList(proj)
        self.level_embed = nn.Parameter(torch.empty(self.num_levels, dim))
        self.encoder = nn.ModuleList(
            DeformableEncoderLayer(dim, num_heads, ffn_dim, self.num_levels, num_points, dropout)
            for _ in range(enc_layers)
        )
        self.decoder = nn.ModuleList(
            DeformableDecoderLayer(dim, num_heads, ffn_dim, self.num_levels, num_points, dropout)
            for _ in range(dec_layers)
        )
        self.decoder_norm = nn.LayerNorm(dim)
        self.ref_point_head = MLP(2 * dim, dim, dim, 2)
        self.tgt_embed = nn.Embedding(num_queries, dim)  # the learned content queries
        if query_selection == "mixed":
            self.enc_output = nn.Linear(dim, dim)
            self.enc_output_norm = nn.LayerNorm(dim)
            self.enc_out_class_embed = nn.Linear(dim, num_classes)
            self.enc_out_bbox_embed = MLP(dim, dim, 4, 3)
        else:
            self.refpoint_embed = nn.Embedding(num_queries, 4)  # learned anchors (as logits)
        self.class_embed = nn.Linear(dim, num_classes)  # shared by every decoder layer
        self.bbox_embed = MLP(dim, dim, 4, 3)
        self.label_enc = nn.Embedding(num_classes + 1, dim)  # denoising queries' content: their (noised) class
        self.criterion = DINOCriterion(num_classes)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        for name, p in self.named_parameters():
            if (
                p.dim() > 1
                and not name.startswith(("backbone.", "input_proj.", "label_enc.", "tgt_embed."))
                and ".sampling_offsets." not in name
                and ".attention_weights." not in name
            ):
                nn.init.xavier_uniform_(p)
        for m in self.modules():
            if isinstance(m, MSDeformableAttention):
                m.reset_parameters()
        nn.init.normal_(self.level_embed)
        for proj in self.input_proj:
            nn.init.xavier_uniform_(proj[0].weight)
            nn.init.zeros_(proj[0].bias)
        prior = -math.log((1 - 0.01) / 0.01)  # every class starts at probability 0.01
        for head in [self.class_embed] + ([self.enc_out_class_embed] if self.query_selection == "mixed" else []):
            nn.init.constant_(head.bias, prior)
        for mlp in [self.bbox_embed] + ([self.enc_out_bbox_embed] if self.query_selection == "mixed" else []):
            nn.init.zeros_(mlp.layers[-1].weight)
            nn.init.zeros_(mlp.layers[-1].bias)

    # ------------------------------------------------------------------ pieces
    def levels(self, images: torch.Tensor) -> list[torch.Tensor]:
        """The projected feature maps, finest first: (B, d, H_l, W_l) for each level."""
        check_image(images, self.in_chans, model=self)
        feats = self.backbone(images)
        srcs = [proj(feats[i]) for proj, i in zip(self.input_proj, self.backbone_levels)]
        last = feats[self.backbone_levels[-1]]
        for proj in self.input_proj[len(self.backbone_levels) :]:
            last = proj(last)
            srcs.append(last)
        return srcs

    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(memory (B, S, d), positions with level embeddings (B, S, d), spatial shapes (L, 2))."""
        srcs = self.levels(images)
        b = images.shape[0]
        shapes = torch.tensor(
            [s.shape[-2:] for s in srcs]
        )  # on the CPU: Python reads it (and the meta device has no data)
        flat = torch.cat([s.flatten(2).transpose(1, 2) for s in srcs], 1)
        pos = torch.cat(
            [
                (
                    sine_position_encoding(b, *s.shape[-2:], self.dim // 2, temperature=20.0, device=images.device)
                    .flatten(2)
                    .transpose(1, 2)
                    .to(s.dtype)
                    + self.level_embed[lv]
                )
                for lv, s in enumerate(srcs)
            ],
            1,
        )
        centres = []
        for h, w in shapes.tolist():
            ys, xs = torch.meshgrid(
                torch.arange(h, device=images.device), torch.arange(w, device=images.device), indexing="ij"
            )
            centres.append(torch.stack([(xs.flatten() + 0.5) / w, (ys.flatten() + 0.5) / h], -1))
        reference = torch.cat(centres)[None, :, None, :].expand(b, -1, self.num_levels, -1).to(flat.dtype)
        memory = flat
        for layer in self.encoder:
            memory = layer(memory, pos, reference, shapes)
        return memory, pos, shapes

    def select_queries(
        self, memory: torch.Tensor, shapes: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor] | None]:
        """(content queries (B, N, d), anchors as logits (B, N, 4), the selected proposals' predictions or None)."""
        b = memory.shape[0]
        content = self.tgt_embed.weight[None].expand(b, -1, -1)
        if self.query_selection == "static":
            return content, self.refpoint_embed.weight[None].expand(b, -1, -1), None
        out_memory, proposals = encoder_proposals(memory, shapes)
        out_memory = self.enc_output_norm(self.enc_output(out_memory))
        scores = self.enc_out_class_embed(out_memory)  # (B, S, K)
        coords = self.enc_out_bbox_embed(out_memory) + proposals  # logits
        k = min(self.num_queries, memory.shape[1])
        top = scores.max(-1)[0].topk(k, dim=1)[1]  # (B, N)
        chosen = torch.gather(coords, 1, top[..., None].expand(-1, -1, 4))
        selected = torch.gather(out_memory, 1, top[..., None].expand(-1, -1, self.dim))
        interm = {"pred_logits": self.enc_out_class_embed(selected), "pred_boxes": chosen.sigmoid()}
        return content[:, :k], chosen.detach(), interm

    def decode(
        self,
        tgt: torch.Tensor,
        anchors: torch.Tensor,
        memory: torch.Tensor,
        shapes: torch.Tensor,
        attn_mask: torch.Tensor | None = None,
    ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """(normalised outputs of every layer, boxes of every layer): layer i's box is its box head's
        offset added to the reference it started from; the reference the next layer starts from is
        detached. With look forward twice the box keeps its gradient path into layer i - 1's box."""
        reference = anchors.sigmoid()
        start = reference  # what layer i's box is predicted relative to
        hidden, boxes = [], []
        out = tgt
        for layer in self.decoder:
            query_pos = self.ref_point_head(box_sine_embedding(reference, self.dim // 2))
            out = layer(
                out, query_pos, reference[:, :, None].expand(-1, -1, self.num_levels, -1), memory, shapes, attn_mask
            )
            normed = self.decoder_norm(out)
            hidden.append(normed)
            boxes.append((self.bbox_embed(normed) + inverse_sigmoid(start)).sigmoid())
            refined = (self.bbox_embed(out) + inverse_sigmoid(reference)).sigmoid()
            reference = refined.detach()
            start = refined if self.look_forward_twice else reference
        return hidden, boxes

    def forward(self, images: torch.Tensor, targets: list[dict[str, torch.Tensor]] | None = None) -> dict[str, Any]:
        memory, _, shapes = self.encode(images)
        tgt, anchors, interm = self.select_queries(memory, shapes)
        n = tgt.shape[1]
        dn = None
        attn_mask = None
        if self.training and self.denoising and targets is not None:
            dn = denoising_queries(
                targets, self.num_classes, self.dn_number, self.label_noise_ratio, self.box_noise_scale
            )
            if dn["groups"]:
                dn_content = self.label_enc(dn["labels"].clamp(min=0)) * dn["valid"][..., None]
                dn_anchors = torch.where(
                    dn["valid"][..., None], inverse_sigmoid(dn["boxes"]), torch.zeros_like(dn["boxes"])
                )
                tgt = torch.cat([dn_content.to(tgt.dtype), tgt], 1)
                anchors = torch.cat([dn_anchors.to(anchors.dtype), anchors], 1)
                attn_mask = denoising_attention_mask(dn["groups"], dn["group_size"], n, device=images.device)
        hidden, boxes = self.decode(tgt, anchors, memory, shapes, attn_mask)
        hidden = [
            h + self.label_enc.weight[0, 0] * 0.0 for h in hidden
        ]  # keep label_enc in the graph when nothing is denoised
        logits = [self.class_embed(h) for h in hidden]
        pad = tgt.shape[1] - n
        preds = [{"pred_logits": c[:, pad:], "pred_boxes": bx[:, pad:]} for c, bx in zip(logits, boxes)]
        out: dict[str, Any] = dict(preds[-1])
        if self.training:
            if self.aux_loss:
                out["aux_outputs"] = preds[:-1]
            if interm is not None:
                out["interm_outputs"] = interm
            if dn is not None and pad > 0:
                dn_preds = [{"pred_logits": c[:, :pad], "pred_boxes": bx[:, :pad]} for c, bx in zip(logits, boxes)]
                out["dn_outputs"] = {**dn_preds[-1], "aux_outputs": dn_preds[:-1] if self.aux_loss else []}
                out["dn_meta"] = dn
        return out

    takes_targets = True  # training calls forward(images, targets): the denoising queries are built from them

    def loss(
        self, outputs: dict[str, Any], targets: list[dict[str, torch.Tensor]]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """:class:`DINOCriterion` of ``outputs`` (from ``forward(images, targets)``) against ``targets``."""
        return self.criterion(outputs, targets)

    @torch.no_grad()
    def assign(self, images: torch.Tensor, targets: list[dict[str, torch.Tensor]]) -> list[torch.Tensor]:
        """The matching of the last decoder layer (in eval mode): for each image, the query matched to
        each of its objects, in the objects' order. Comparing it between checkpoints measures how
        unstable the matching is (DN-DETR's instability)."""
        was_training = self.training
        out = self.eval()(images)
        self.train(was_training)
        result = []
        for b, t in enumerate(targets):
            rows, cols = self.criterion.match(out["pred_logits"][b], out["pred_boxes"][b], t)
            query = torch.full((len(t["labels"]),), -1, dtype=torch.long)
            query[cols.cpu()] = rows.cpu()
            result.append(query)
        return result

    @torch.no_grad()
    def detect(self, outputs: dict[str, Any], nms_iou: float | None = None) -> list[dict[str, torch.Tensor]]:
        """One detection per query: its best class, that class's sigmoid score, its box (no NMS unless asked)."""
        scores, labels = outputs["pred_logits"].sigmoid().max(-1)
        return query_detections(outputs["pred_boxes"], scores, labels, nms_iou)


# ---------------------------------------------------------------------- looking inside
@torch.no_grad()
def sampling_points(model: DINO, image: torch.Tensor, layer: int = -1) -> dict[str, torch.Tensor]:
    """Where the matching queries' cross-attention samples in one decoder layer, for one image (C, H, W):
    ``locations`` (N, heads, L, P, 2) in [0, 1], ``weights`` (N, heads, L, P), the layer's reference
    boxes (N, 4), the final predictions (``boxes`` (N, 4), ``scores`` (N,), ``labels`` (N,)), and the
    levels' ``shapes`` (L, 2)."""
    if not -len(model.decoder) <= layer < len(model.decoder):
        raise ValueError(f"layer must be in [-{len(model.decoder)}, {len(model.decoder) - 1}], got {layer}")
    attn = model.decoder[layer].cross_attn
    captured: dict[str, torch.Tensor] = {}
    original = attn.sampling

    def recording(query, reference, spatial_shapes):
        locations, weights = original(query, reference, spatial_shapes)
        captured.update(locations=locations[0], weights=weights[0], reference=reference[0, :, 0], shapes=spatial_shapes)
        return locations, weights

    attn.sampling = recording
    try:
        out = model.eval()(image[None])
    finally:
        del attn.sampling
    scores, labels = out["pred_logits"][0].sigmoid().max(-1)
    return {**captured, "boxes": out["pred_boxes"][0], "scores": scores, "labels": labels}


# ---------------------------------------------------------------------- the loss
def focal_cost(logits: torch.Tensor, labels: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0) -> torch.Tensor:
    """The matcher's class cost (N, M): the focal loss of calling query i class c_j, minus that of not."""
    prob = logits.sigmoid()[:, labels]
    pos = alpha * (1 - prob) ** gamma * -(prob + 1e-8).log()
    neg = (1 - alpha) * prob**gamma * -(1 - prob + 1e-8).log()
    return pos - neg


def _focal(logits: torch.Tensor, onehot: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0) -> torch.Tensor:
    p = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, onehot, reduction="none")
    p_t = p * onehot + (1 - p) * (1 - onehot)
    return ((alpha * onehot + (1 - alpha) * (1 - onehot)) * ce * (1 - p_t) ** gamma).sum()


class DINOCriterion(nn.Module):
    """DINO's loss: focal loss on the classes of every query (K sigmoid scores), L1 and GIoU on the
    matched boxes, each summed over the batch and divided by its number of objects; for every decoder
    layer, for the selected encoder proposals and, with denoising, for the denoising queries (positives
    reconstruct the box they copy; negatives and unused slots learn "no object"; no matching needed)."""

    def __init__(
        self,
        num_classes: int,
        cost_class: float = 2.0,
        cost_bbox: float = 5.0,
        cost_giou: float = 2.0,
        weight_class: float = 1.0,
        weight_bbox: float = 5.0,
        weight_giou: float = 2.0,
        alpha: float = 0.25,
    ):
        super().__init__()
        self.num_classes, self.costs, self.weights, self.alpha = (
            num_classes,
            (cost_class, cost_bbox, cost_giou),
            (weight_class, weight_bbox, weight_giou),
            alpha,
        )

    @torch.no_grad()
    def match(
        self, logits: torch.Tensor, boxes: torch.Tensor, target: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if len(target["labels"]) == 0:
            empty = torch.zeros(0, dtype=torch.long, device=logits.device)
            return empty, empty.clone()
        cc, cb, cg = self.costs
        cost = cc * focal_cost(logits, target["labels"], self.alpha) + cb * torch.cdist(
            boxes, target["boxes"].to(boxes.dtype), p=1
        )
        cost = cost - cg * generalized_box_iou(cxcywh_to_xyxy(boxes), cxcywh_to_xyxy(target["boxes"].to(boxes.dtype)))
        return linear_sum_assignment(cost.float())

    def terms(
        self,
        out: dict[str, torch.Tensor],
        pairs: list[tuple[torch.Tensor, torch.Tensor]],
        targets: list[dict[str, torch.Tensor]],
        num_boxes: float,
    ) -> dict[str, torch.Tensor]:
        logits, boxes = out["pred_logits"], out["pred_boxes"]
        if logits.shape[-1] != self.num_classes:
            raise ValueError(
                f"the model predicts {logits.shape[-1]} classes but the loss was built for {self.num_classes}; use the same num_classes"
            )
        onehot = torch.zeros_like(logits)
        for b, ((src, tgt), t) in enumerate(zip(pairs, targets)):
            onehot[b, src, t["labels"][tgt]] = 1.0
        src_boxes = torch.cat([boxes[b, src] for b, (src, _) in enumerate(pairs)])
        tgt_boxes = torch.cat([t["boxes"][tgt] for (_, tgt), t in zip(pairs, targets)]).to(boxes.dtype)
        giou = (
            generalized_box_iou(cxcywh_to_xyxy(src_boxes), cxcywh_to_xyxy(tgt_boxes)).diag()
            if len(src_boxes)
            else src_boxes.new_zeros(0)
        )
        return {
            "class": _focal(logits, onehot, self.alpha) / num_boxes,
            "l1": F.l1_loss(src_boxes, tgt_boxes, reduction="sum") / num_boxes,
            "giou": (1 - giou).sum() / num_boxes,
        }

    def weighted(self, parts: dict[str, torch.Tensor]) -> torch.Tensor:
        wc, wb, wg = self.weights
        return wc * parts["class"] + wb * parts["l1"] + wg * parts["giou"]

    def forward(
        self, outputs: dict[str, Any], targets: list[dict[str, torch.Tensor]]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        num_boxes = float(max(1, sum(len(t["labels"]) for t in targets)))
        logs: dict[str, float] = {}
        total = outputs["pred_logits"].new_zeros(())
        matched = (
            [outputs]
            + list(outputs.get("aux_outputs", []))
            + ([outputs["interm_outputs"]] if "interm_outputs" in outputs else [])
        )
        for i, out in enumerate(matched):
            pairs = [self.match(out["pred_logits"][b], out["pred_boxes"][b], t) for b, t in enumerate(targets)]
            parts = self.terms(out, pairs, targets, num_boxes)
            total = total + self.weighted(parts)
            if i == 0:
                logs.update({k: v.item() for k, v in parts.items()})
        if "dn_outputs" in outputs:
            meta = outputs["dn_meta"]
            pairs = []
            for b in range(len(targets)):
                keep = meta["positive"][b] & meta["valid"][b]
                pairs.append((keep.nonzero().flatten(), meta["object"][b][keep]))
            dn_total = outputs["pred_logits"].new_zeros(())
            for out in [outputs["dn_outputs"]] + list(outputs["dn_outputs"].get("aux_outputs", [])):
                dn_total = dn_total + self.weighted(self.terms(out, pairs, targets, num_boxes * meta["groups"]))
            total = total + dn_total
            logs["dn"] = dn_total.item()
        return total, logs


# ---------------------------------------------------------------------- configurations
@register_model
def dino_4scale_resnet50(**overrides) -> DINO:
    """DINO-4scale with a ResNet-50 (frozen batch norm): C3, C4, C5 and one extra level, 900 queries,
    91 classes, six encoder and decoder layers: 46.9M parameters (the paper: 47M)."""
    return DINO(resnet50_backbone(), **{**dict(backbone_levels=(1, 2, 3), extra_levels=1), **overrides})


@register_model
def dino_5scale_resnet50(**overrides) -> DINO:
    """DINO-5scale: C2 to C5 and one extra level: 47.3M parameters."""
    return DINO(resnet50_backbone(), **{**dict(backbone_levels=(0, 1, 2, 3), extra_levels=1), **overrides})


@register_model
def dino_tiny_shapes(**overrides) -> DINO:
    """Course size for 64x64 ShapesWorld detection: chapter 07's small backbone and DETR's width, layers
    and queries (128; two encoder and two decoder layers; 10 queries; 5 classes), on two levels: the
    same 8x8 map as chapter 07's DETR and one extra 4x4 level. (Adding the 16x16 map makes a training
    step about 2.5 times as slow on a CPU, because every one of its 256 positions samples points too.)
    Denoising: 12 // (the most objects in an image) groups."""
    defaults = dict(
        num_classes=5,
        dim=128,
        num_heads=4,
        enc_layers=2,
        dec_layers=2,
        ffn_dim=256,
        num_queries=10,
        backbone_levels=(2,),
        extra_levels=1,
        dn_number=12,
    )
    return DINO(small_backbone(), **{**defaults, **overrides})
