"""MobileViT (Mehta and Rastegari, ICLR 2022): transformers as convolutions.

A MobileNetV2 body whose later stages end in a MobileViT block. The block learns local
features with a 3x3 convolution, then global ones with a transformer that runs across
patches: the feature map is cut into 2x2 patches and pixels at the same position in
every patch attend to each other (``unfold``), the result is put back (``fold``) and
fused with the block's input by another 3x3 convolution::

    X (C, H, W) -> conv 3x3 -> conv 1x1 -> (d, H, W) -> unfold -> (P, N, d)
      -> L x transformer -> LayerNorm -> fold -> (d, H, W) -> conv 1x1 -> (C, H, W)
      -> concat with X -> conv 3x3 -> (C, H, W)

with P = 4 pixels per 2x2 patch and N = HW / 4 patches. Every output pixel sees every
input pixel: the 3x3 convolution brings its neighbourhood, attention across patches
brings the rest of the map.

The layout follows Apple's ml-cvnets: convolutions without bias, BatchNorm (eps 1e-5) and
SiLU, pre-norm transformer layers with a SiLU feed-forward network, and a LayerNorm after
the stack. The DeepLabv3 head of the paper's segmentation experiments is here too.
"""

from __future__ import annotations

import copy
import math
from typing import Sequence

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from vitlite.layers import Block, check_image, check_num_classes, check_positive, effective_receptive_field, square_size
from vitlite.models import register_model

__all__ = [
    "make_divisible",
    "ConvNormAct",
    "InvertedResidual",
    "unfold_patches",
    "fold_patches",
    "MobileViTBlock",
    "MobileViT",
    "MobileNetV2",
    "ASPP",
    "DeepLabV3",
    "MobileViTSegmentation",
    "MOBILEVIT_CONFIGS",
    "mobilevit_blocks",
    "attended_pixels",
    "global_reach",
]


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """The nearest multiple of ``divisor`` to ``value`` (MobileNet's channel rounding), never more than 10% below it."""
    min_value = min_value or divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


_ACTIVATIONS = {"silu": nn.SiLU, "relu": nn.ReLU, None: None}


class ConvNormAct(nn.Module):
    """Convolution (no bias unless asked), then BatchNorm and an activation, each optional.

    Padding keeps the size at stride 1: ``dilation * (kernel_size - 1) // 2``.
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int = 1,
        stride: int = 1,
        groups: int = 1,
        dilation: int = 1,
        bias: bool = False,
        norm: bool = True,
        act: str | None = "silu",
    ):
        super().__init__()
        if act not in _ACTIVATIONS:
            raise ValueError(f"act must be one of {sorted(a for a in _ACTIVATIONS if a)} or None, got {act!r}")
        self.conv = nn.Conv2d(
            in_ch,
            out_ch,
            kernel_size,
            stride,
            dilation * (kernel_size - 1) // 2,
            dilation=dilation,
            groups=groups,
            bias=bias,
        )
        self.norm = nn.BatchNorm2d(out_ch, eps=1e-5) if norm else None
        self.act = _ACTIVATIONS[act]() if act else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        return self.act(x) if self.act is not None else x


class InvertedResidual(nn.Module):
    """MobileNetV2's block: expand with a 1x1 conv, filter each channel with a depthwise 3x3,
    project back with a linear 1x1 (no activation); add the input when the shape is unchanged.

    Hidden width: ``make_divisible(round(in_ch * expand_ratio))``; with ``expand_ratio=1`` there is
    no expansion conv (MobileNetV2's first block).
    """

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, expand_ratio: float = 4.0, dilation: int = 1):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        hidden = make_divisible(int(round(in_ch * expand_ratio)))
        self.use_residual = stride == 1 and in_ch == out_ch
        self.expand = ConvNormAct(in_ch, hidden, 1) if expand_ratio != 1 else nn.Identity()
        self.depthwise = ConvNormAct(hidden, hidden, 3, stride, groups=hidden, dilation=dilation)
        self.project = ConvNormAct(hidden, out_ch, 1, act=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(self.depthwise(self.expand(x)))
        return x + out if self.use_residual else out


def unfold_patches(x: torch.Tensor, patch_size: int = 2) -> torch.Tensor:
    """(B, d, H, W) -> (B * P, N, d): pixel position p of every patch, as a sequence of N patches.

    P = patch_size**2 positions (row-major within a patch), N = (H / p) * (W / p) patches in reading order.
    """
    return rearrange(x, "b d (nh ph) (nw pw) -> (b ph pw) (nh nw) d", ph=patch_size, pw=patch_size)


def fold_patches(patches: torch.Tensor, grid: tuple[int, int], patch_size: int = 2) -> torch.Tensor:
    """The inverse of :func:`unfold_patches`: (B * P, N, d) -> (B, d, H, W) for a grid of (H / p, W / p) patches."""
    return rearrange(
        patches, "(b ph pw) (nh nw) d -> b d (nh ph) (nw pw)", ph=patch_size, pw=patch_size, nh=grid[0], nw=grid[1]
    )


class MobileViTBlock(nn.Module):
    """Local representation (3x3 then 1x1 conv to ``dim``), global representation (``depth``
    transformer layers over unfolded patches, then LayerNorm), 1x1 projection back to
    ``channels``, and fusion (3x3 conv on the concatenation [input, projection]).

    ``attention=False`` keeps everything but the attention sublayers (each layer is then
    x + MLP(LN(x)), a per-pixel network): the control that removes the global mixing.
    ``dilation`` widens the local 3x3 convolution, as the official code does when a
    segmentation model trades stride for dilation.

    ``fusion="v3"`` is MobileViT v3's block: the local 3x3 is depthwise, the fusion is a 1x1
    convolution of [local features (d channels), projection (C channels)], and the block's input
    is added to its output (``input_residual=False`` drops that addition: chapter 06's control).
    """

    def __init__(
        self,
        channels: int,
        dim: int,
        depth: int = 2,
        num_heads: int = 4,
        mlp_ratio: float = 2.0,
        patch_size: int = 2,
        dilation: int = 1,
        attention: bool = True,
        qkv_bias: bool = True,
        drop: float = 0.0,
        fusion: str = "v1",
        input_residual: bool = True,
    ):
        super().__init__()
        if fusion not in ("v1", "v3"):
            raise ValueError(f"fusion must be 'v1' or 'v3', got {fusion!r}")
        self.patch_size, self.attention = check_positive("patch_size", patch_size), attention
        self.fusion_kind, self.input_residual = fusion, input_residual
        self.conv_kxk = ConvNormAct(channels, channels, 3, groups=channels if fusion == "v3" else 1, dilation=dilation)
        self.conv_1x1 = ConvNormAct(channels, dim, 1, norm=False, act=None)
        self.transformer = nn.ModuleList(
            Block(
                dim,
                num_heads,
                mlp_hidden=int(dim * mlp_ratio),
                qkv_bias=qkv_bias,
                act_layer=nn.SiLU,
                norm_eps=1e-5,
                drop=drop,
            )
            for _ in range(depth)
        )
        if not attention:
            for layer in self.transformer:
                layer.norm1 = layer.attn = None
        self.norm = nn.LayerNorm(dim, eps=1e-5)
        self.conv_proj = ConvNormAct(dim, channels, 1)
        self.fusion = (
            ConvNormAct(2 * channels, channels, 3) if fusion == "v1" else ConvNormAct(dim + channels, channels, 1)
        )

    def global_representation(self, x: torch.Tensor) -> torch.Tensor:
        """(B, d, H, W) -> (B, d, H, W): unfold, transformer layers, LayerNorm, fold.

        A map whose sides are not multiples of the patch size is resized (bilinear) to the
        next multiples first and back afterwards, as the official code does."""
        h, w = x.shape[-2:]
        p = self.patch_size
        nh, nw = math.ceil(h / p), math.ceil(w / p)
        resized = (nh * p, nw * p) != (h, w)
        if resized:
            x = F.interpolate(x, size=(nh * p, nw * p), mode="bilinear", align_corners=False)
        tokens = unfold_patches(x, p)  # (B*P, N, d)
        for layer in self.transformer:
            tokens = layer(tokens) if self.attention else tokens + layer.drop_path(layer.mlp(layer.norm2(tokens)))
        x = fold_patches(self.norm(tokens), (nh, nw), p)
        return F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False) if resized else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        local = self.conv_1x1(self.conv_kxk(x))
        global_ = self.conv_proj(self.global_representation(local))
        if self.fusion_kind == "v1":
            return self.fusion(torch.cat([x, global_], dim=1))
        out = self.fusion(torch.cat([local, global_], dim=1))
        return x + out if self.input_residual else out


class MobileViT(nn.Module):
    """The MobileViT network: a 3x3 stride-2 stem, MobileNetV2 stages, then stages that each
    downsample with an inverted residual and end in a MobileViT block; a 1x1 expansion conv,
    global average pooling, dropout and a linear classifier.

    Args:
        channels: output channels of the stem and of each stage. ``len(channels) = 1 + len(ir_blocks) + len(dims)``.
        ir_blocks: inverted residual blocks in each MobileNetV2 stage (the first stage keeps the
            resolution, the others halve it).
        dims, depths: width and number of transformer layers of each MobileViT stage.
        exp_channels: width of the final 1x1 expansion (0: none; segmentation models drop it).
        output_stride: 32, 16 or 8; below 32 the last stages keep their resolution and dilate
            their convolutions instead (for dense prediction).
        attention: False removes the attention sublayers of every MobileViT block (the control).
        local_dilation: dilate the MobileViT blocks' local 3x3 convolution along with the stage
            (ml-cvnets does; Hugging Face does not, so its converter turns this off).
        block: ``"v1"`` (MobileViT), ``"v3"`` (MobileViT v3 on v1's layout), ``"v2"`` (separable
            self-attention, :class:`vitlite.models.mobilevitv2.MobileViTv2Block`) or ``"v3-v2"``
            (MobileViT v3 on v2's layout). The v2 blocks take ``ffn_multiplier`` instead of
            ``mlp_ratio`` and ``num_heads``.
        input_residual: v3 blocks add their input to their output; False removes that (a control).
        readout: ``"mean"`` (the paper's global average pooling) or ``"corner"``: the classifier reads only
            the top-left cell of the last feature map, so whatever the answer needs must travel there (a
            read-out where pooling cannot do the work; chapter 05's study). Same parameters either way.
    """

    def __init__(
        self,
        img_size: int = 256,
        in_chans: int = 3,
        num_classes: int = 1000,
        channels: Sequence[int] = (16, 32, 64, 96, 128, 160),
        ir_blocks: Sequence[int] = (1, 3),
        dims: Sequence[int] = (144, 192, 240),
        depths: Sequence[int] = (2, 4, 3),
        exp_channels: int = 640,
        num_heads: int = 4,
        expand_ratio: float = 4.0,
        mlp_ratio: float = 2.0,
        patch_size: int = 2,
        output_stride: int = 32,
        drop_rate: float = 0.1,
        attention: bool = True,
        qkv_bias: bool = True,
        local_dilation: bool = True,
        block: str = "v1",
        ffn_multiplier: float = 2.0,
        input_residual: bool = True,
        readout: str = "mean",
    ):
        super().__init__()
        if readout not in ("mean", "corner"):
            raise ValueError(
                f"readout must be 'mean' (global average pooling) or 'corner' (the top-left cell), got {readout!r}"
            )
        self.readout = readout
        if block not in ("v1", "v3", "v2", "v3-v2"):
            raise ValueError(f"block must be 'v1', 'v3', 'v2' or 'v3-v2', got {block!r}")
        self.img_size, self.in_chans, self.num_classes = (
            square_size(img_size, "MobileViT"),
            in_chans,
            check_num_classes(num_classes),
        )
        if len(dims) != len(depths):
            raise ValueError(f"dims {tuple(dims)} and depths {tuple(depths)} need one entry per MobileViT stage each")
        if len(channels) != 1 + len(ir_blocks) + len(dims):
            raise ValueError(
                f"channels needs {1 + len(ir_blocks) + len(dims)} entries (stem, {len(ir_blocks)} MobileNetV2 and {len(dims)} MobileViT stages), got {len(channels)}"
            )
        if output_stride not in (8, 16, 32):
            raise ValueError(f"output_stride must be 8, 16 or 32, got {output_stride}")
        self.channels, self.output_stride = tuple(channels), output_stride
        self.stem = ConvNormAct(in_chans, channels[0], 3, stride=2)
        stages, in_ch, stride = [], channels[0], 2
        for i, n in enumerate(ir_blocks):
            first = 1 if i == 0 else 2
            stride *= first
            blocks = [
                InvertedResidual(
                    in_ch if j == 0 else channels[1 + i], channels[1 + i], first if j == 0 else 1, expand_ratio
                )
                for j in range(n)
            ]
            stages.append(nn.Sequential(*blocks))
            in_ch = channels[1 + i]
        dilation = 1
        for i, (dim, depth) in enumerate(zip(dims, depths)):
            out_ch = channels[1 + len(ir_blocks) + i]
            if stride * 2 > output_stride:  # keep the resolution, dilate instead (DeepLab)
                dilation *= 2
                down = InvertedResidual(in_ch, out_ch, 1, expand_ratio, dilation=dilation // 2)
            else:
                stride *= 2
                down = InvertedResidual(in_ch, out_ch, 2, expand_ratio)
            kxk_dilation = dilation if local_dilation else 1
            if block in ("v1", "v3"):
                mvit = MobileViTBlock(
                    out_ch,
                    dim,
                    depth,
                    num_heads,
                    mlp_ratio,
                    patch_size,
                    dilation=kxk_dilation,
                    attention=attention,
                    qkv_bias=qkv_bias,
                    fusion=block,
                    input_residual=input_residual,
                )
            else:
                from vitlite.models.mobilevitv2 import MobileViTv2Block

                mvit = MobileViTv2Block(
                    out_ch,
                    dim,
                    depth,
                    ffn_multiplier,
                    patch_size,
                    dilation=kxk_dilation,
                    fusion="v3" if block == "v3-v2" else "none",
                    input_residual=input_residual,
                )
            stages.append(nn.Sequential(down, mvit))
            in_ch = out_ch
        self.stages = nn.ModuleList(stages)
        self.num_features = exp_channels or in_ch
        self.conv_exp = ConvNormAct(in_ch, exp_channels, 1) if exp_channels else None
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def forward_stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(B, C, H, W) -> the output of every stage, finest first (the stem's is not included)."""
        check_image(x, self.in_chans, model=self)
        x = self.stem(x)
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return outs

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> the last feature map after the 1x1 expansion, (B, exp_channels, H/32, W/32)."""
        x = self.forward_stages(x)[-1]
        return self.conv_exp(x) if self.conv_exp is not None else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.forward_features(x)
        pooled = features[:, :, 0, 0] if self.readout == "corner" else features.mean(dim=(-2, -1))
        return self.head(self.head_drop(pooled))


class MobileNetV2(nn.Module):
    """MobileNetV2 (Sandler et al., CVPR 2018): the all-convolutional baseline of chapter 05.

    ``blocks[i]`` inverted residuals make stage i (the first of a stage may halve the
    resolution); the first stage does not expand (t = 1), the others by ``expand_ratio``.
    The activations are MobileViT's SiLU (the original uses ReLU6), so that the comparison with
    MobileViT differs only in the blocks; parameter counts are the same either way.
    """

    def __init__(
        self,
        img_size: int = 224,
        in_chans: int = 3,
        num_classes: int = 1000,
        channels: Sequence[int] = (32, 16, 24, 32, 64, 96, 160, 320),
        blocks: Sequence[int] = (1, 2, 3, 4, 3, 3, 1),
        strides: Sequence[int] = (1, 2, 2, 2, 1, 2, 1),
        expand_ratio: float = 6.0,
        exp_channels: int = 1280,
        output_stride: int = 32,
        drop_rate: float = 0.2,
    ):
        super().__init__()
        self.img_size, self.in_chans, self.num_classes = (
            square_size(img_size, "MobileNetV2"),
            in_chans,
            check_num_classes(num_classes),
        )
        if not len(channels) - 1 == len(blocks) == len(strides):
            raise ValueError(
                f"channels needs one entry more than blocks and strides (the stem's): got {len(channels)}, {len(blocks)}, {len(strides)}"
            )
        if output_stride not in (8, 16, 32):
            raise ValueError(f"output_stride must be 8, 16 or 32, got {output_stride}")
        self.channels, self.output_stride = tuple(channels), output_stride
        self.stem = ConvNormAct(in_chans, channels[0], 3, stride=2)
        stages, in_ch, stride, dilation = [], channels[0], 2, 1
        for i, (n, s) in enumerate(zip(blocks, strides)):
            if s == 2 and stride * 2 > output_stride:
                s, dilation = 1, dilation * 2
            stride *= s
            stage = [
                InvertedResidual(
                    in_ch if j == 0 else channels[1 + i],
                    channels[1 + i],
                    s if j == 0 else 1,
                    expand_ratio if i else 1.0,
                    dilation=dilation,
                )
                for j in range(n)
            ]
            stages.append(nn.Sequential(*stage))
            in_ch = channels[1 + i]
        self.stages = nn.ModuleList(stages)
        self.num_features = exp_channels or in_ch
        self.conv_exp = ConvNormAct(in_ch, exp_channels, 1) if exp_channels else None
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    readout = "mean"  # the paper's global average pooling; MobileViT's forward reads this
    forward_stages = MobileViT.forward_stages
    forward_features = MobileViT.forward_features
    forward = MobileViT.forward


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling (DeepLabv3): a 1x1 conv, three dilated 3x3 convs and an
    image-level pooling branch, concatenated and projected; BatchNorm and ReLU throughout."""

    def __init__(self, in_ch: int, out_ch: int = 256, rates: Sequence[int] = (6, 12, 18), drop: float = 0.1):
        super().__init__()
        self.branches = nn.ModuleList(
            [ConvNormAct(in_ch, out_ch, 1, act="relu")]
            + [ConvNormAct(in_ch, out_ch, 3, dilation=r, act="relu") for r in rates]
        )
        self.pool = ConvNormAct(in_ch, out_ch, 1, act="relu")
        self.project = ConvNormAct((len(rates) + 2) * out_ch, out_ch, 1, act="relu")
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.pool(x.mean(dim=(-2, -1), keepdim=True))
        pooled = F.interpolate(pooled, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return self.drop(self.project(torch.cat([b(x) for b in self.branches] + [pooled], dim=1)))


class DeepLabV3(nn.Module):
    """The segmentation head: ASPP, dropout, and a 1x1 classifier (with bias) to class scores."""

    def __init__(
        self,
        in_ch: int,
        num_classes: int,
        aspp_channels: int = 256,
        rates: Sequence[int] = (6, 12, 18),
        drop: float = 0.1,
    ):
        super().__init__()
        self.aspp = ASPP(in_ch, aspp_channels, rates, drop)
        self.drop = nn.Dropout2d(drop)
        self.classifier = nn.Conv2d(aspp_channels, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.drop(self.aspp(x)))


class MobileViTSegmentation(nn.Module):
    """A backbone (MobileViT or MobileNetV2, without its expansion conv and classifier) with a
    DeepLabv3 head on its last feature map.

    ``forward`` returns class scores at the input's resolution (bilinear upsampling of the
    head's output); ``forward_logits`` the head's output at 1/output_stride, as Hugging Face's
    ``MobileViTForSemanticSegmentation`` returns them.
    """

    def __init__(
        self,
        backbone: nn.Module,
        num_classes: int,
        aspp_channels: int = 256,
        rates: Sequence[int] = (6, 12, 18),
        drop: float = 0.1,
    ):
        super().__init__()
        if check_num_classes(num_classes) < 1:
            raise ValueError("a segmentation model needs num_classes >= 1")
        if getattr(backbone, "conv_exp", None) is not None:
            raise ValueError(
                "build the backbone with exp_channels=0: the segmentation head takes the last stage's features"
            )
        self.backbone, self.num_classes = backbone, num_classes
        self.in_chans = backbone.in_chans
        self.head = DeepLabV3(backbone.channels[-1], num_classes, aspp_channels, rates, drop)

    def forward_logits(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, classes, H / output_stride, W / output_stride)."""
        return self.head(self.backbone.forward_stages(x)[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, classes, H, W)."""
        return F.interpolate(self.forward_logits(x), size=x.shape[-2:], mode="bilinear", align_corners=False)


# ---------------------------------------------------------------------- looking inside
def mobilevit_blocks(model: nn.Module) -> list[MobileViTBlock]:
    """The MobileViT blocks of a model (a MobileViT, or a segmentation model built on one), in order."""
    blocks = [m for m in model.modules() if isinstance(m, MobileViTBlock)]
    if not blocks:
        raise ValueError(f"{type(model).__name__} has no MobileViT blocks")
    return blocks


def attended_pixels(
    model: nn.Module, image: torch.Tensor, block: int, row: int, col: int
) -> tuple[torch.Tensor, tuple[int, int]]:
    """Where one feature pixel looks in a block's last attention layer, on that block's feature grid.

    ``image`` is (C, H, W); (row, col) is a pixel of the image, mapped to the block's h x w grid. Only
    pixels at the same position inside their patch share a sequence with it, so the (h, w) map is
    zero elsewhere; it holds the head-averaged attention weights. Returns (map, (r, c) on the grid)."""
    from vitlite.layers import attention_maps

    blocks = mobilevit_blocks(model)
    if not 0 <= block < len(blocks):
        raise ValueError(f"block must be in [0, {len(blocks) - 1}], got {block}")
    target = blocks[block]
    if not target.attention or not len(target.transformer):
        raise ValueError("this block has no attention layers to look at (built with attention=False or depth 0)")
    grid: list[tuple[int, int]] = []
    handle = target.conv_1x1.register_forward_hook(lambda _m, _i, out: grid.append(tuple(out.shape[-2:])))
    try:
        with torch.no_grad(), attention_maps(target) as maps:
            model.eval()(image[None])
    finally:
        handle.remove()
    h, w = grid[0]
    p = target.patch_size
    if h % p or w % p:
        raise ValueError(
            f"the block's {h}x{w} map is not a multiple of its {p}x{p} patches (it is resized before unfolding); use an image size that keeps it even"
        )
    r, c = min(row * h // image.shape[-2], h - 1), min(col * w // image.shape[-1], w - 1)
    attn = maps[f"transformer.{len(target.transformer) - 1}.attn"]  # (P, heads, N, N) for one image
    position, patch = (r % p) * p + (c % p), (r // p) * (w // p) + (c // p)
    weights = attn[position].mean(0)[patch]  # (N,)
    out = torch.zeros(h, w)
    out[r % p :: p, c % p :: p] = weights.reshape(h // p, w // p)
    return out, (r, c)


def global_reach(
    model: nn.Module, images: torch.Tensor, block: int = 0, row: int | None = None, col: int | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """How much of a MobileViT block's global representation comes from beyond its convolutions' reach.

    For one cell (row, col) of the block's grid (default: the centre) and each image, the effective
    receptive field (:func:`vitlite.layers.effective_receptive_field`) of the global representation's
    output (``conv_proj``, before the fusion convolution, which sees the block's input directly). The
    convolutions' reach is the set of pixels that cell depends on with every attention sublayer removed
    (a copy of the model without them, so the same weights and geometry): only attention can bring
    gradient from outside it. Returns (share of each image's gradient mass outside the reach, (B,);
    the mean receptive field with each image's normalised to sum 1, (H, W); the reach, (H, W) bool).
    A model without attention gets a share of exactly 0."""
    if images.ndim != 4:
        raise ValueError(f"images must be a batch (B, C, H, W), got shape {tuple(images.shape)}")
    blocks = mobilevit_blocks(model)
    if not 0 <= block < len(blocks):
        raise ValueError(f"block must be in [0, {len(blocks) - 1}], got {block}")
    grid: list[tuple[int, int]] = []
    handle = blocks[block].conv_proj.register_forward_hook(lambda _m, _i, out: grid.append(tuple(out.shape[-2:])))
    try:
        with torch.no_grad():
            model.eval()(images[:1])
    finally:
        handle.remove()
    h, w = grid[0]
    row, col = h // 2 if row is None else row, w // 2 if col is None else col
    convs_only = copy.deepcopy(model)
    for b in mobilevit_blocks(convs_only):
        b.attention = False
    target, target_convs = blocks[block].conv_proj, mobilevit_blocks(convs_only)[block].conv_proj
    fields = torch.stack([effective_receptive_field(model, x[None], target, row, col) for x in images])
    reach = effective_receptive_field(convs_only, images, target_convs, row, col) > 0
    totals = fields.sum(dim=(1, 2)).clamp_min(1e-30)
    share = fields[:, ~reach].sum(dim=1) / totals
    return share, (fields / totals[:, None, None]).mean(0), reach


# ---------------------------------------------------------------------- configurations
# The paper's three sizes (Table 5 of the appendix; Apple's ml-cvnets): stage widths, transformer
# widths, expansion ratio of the inverted residuals.
MOBILEVIT_CONFIGS: dict[str, dict] = {
    "xxs": dict(channels=(16, 16, 24, 48, 64, 80), dims=(64, 80, 96), exp_channels=320, expand_ratio=2.0),
    "xs": dict(channels=(16, 32, 48, 64, 80, 96), dims=(96, 120, 144), exp_channels=384, expand_ratio=4.0),
    "s": dict(channels=(16, 32, 64, 96, 128, 160), dims=(144, 192, 240), exp_channels=640, expand_ratio=4.0),
}


def _mobilevit(size: str, overrides: dict) -> MobileViT:
    return MobileViT(**{**MOBILEVIT_CONFIGS[size], **overrides})


@register_model
def mobilevit_xxs(**overrides) -> MobileViT:
    """MobileViT-XXS: 1.3M parameters with the ImageNet head, 256x256 input."""
    return _mobilevit("xxs", overrides)


@register_model
def mobilevit_xs(**overrides) -> MobileViT:
    """MobileViT-XS: 2.3M parameters."""
    return _mobilevit("xs", overrides)


@register_model
def mobilevit_s(**overrides) -> MobileViT:
    """MobileViT-S: 5.6M parameters."""
    return _mobilevit("s", overrides)


# Course size, for 64x64 ShapesWorld images: two MobileNetV2 stages (32x32, 16x16), two MobileViT
# stages (8x8: 16 patches of 2x2; 4x4: 4 patches), 0.23M parameters.
TINY_SHAPES = dict(
    img_size=64,
    num_classes=5,
    channels=(16, 16, 24, 32, 48),
    ir_blocks=(1, 2),
    dims=(48, 64),
    depths=(2, 2),
    exp_channels=192,
    num_heads=2,
    expand_ratio=2.0,
    drop_rate=0.0,
)


@register_model
def mobilevit_tiny_shapes(**overrides) -> MobileViT:
    """Course size for 64x64 ShapesWorld images (see TINY_SHAPES)."""
    return MobileViT(**{**TINY_SHAPES, **overrides})


@register_model
def mobilenetv2_tiny_shapes(**overrides) -> MobileNetV2:
    """The MobileNetV2 baseline at the course size: the same stem and strides as mobilevit_tiny_shapes,
    inverted residuals where the MobileViT blocks stand, widened to the same 0.23M parameters."""
    defaults = dict(
        img_size=64,
        num_classes=5,
        channels=(16, 16, 24, 48, 80),
        blocks=(1, 2, 3, 3),
        strides=(1, 2, 2, 2),
        expand_ratio=4.0,
        exp_channels=320,
        drop_rate=0.0,
    )
    return MobileNetV2(**{**defaults, **overrides})


@register_model
def mobilenetv2_100(**overrides) -> MobileNetV2:
    """MobileNetV2 1.0 at 224x224: 3.5M parameters with the ImageNet head."""
    return MobileNetV2(**overrides)


def _deeplab(
    backbone: nn.Module, num_classes: int, aspp_channels: int, rates: Sequence[int], drop: float
) -> MobileViTSegmentation:
    return MobileViTSegmentation(backbone, num_classes, aspp_channels, rates, drop)


@register_model
def deeplabv3_mobilevit_xxs(
    num_classes: int = 21,
    aspp_channels: int = 256,
    rates: Sequence[int] = (6, 12, 18),
    drop_rate: float = 0.1,
    **overrides,
) -> MobileViTSegmentation:
    """MobileViT-XXS with the DeepLabv3 head at output stride 16 (PASCAL VOC, 21 classes): 1.9M parameters."""
    return _deeplab(
        _mobilevit("xxs", {"num_classes": 0, "exp_channels": 0, "output_stride": 16, **overrides}),
        num_classes,
        aspp_channels,
        rates,
        drop_rate,
    )


@register_model
def deeplabv3_mobilevit_xs(
    num_classes: int = 21,
    aspp_channels: int = 256,
    rates: Sequence[int] = (6, 12, 18),
    drop_rate: float = 0.1,
    **overrides,
) -> MobileViTSegmentation:
    """MobileViT-XS with the DeepLabv3 head: 2.9M parameters."""
    return _deeplab(
        _mobilevit("xs", {"num_classes": 0, "exp_channels": 0, "output_stride": 16, **overrides}),
        num_classes,
        aspp_channels,
        rates,
        drop_rate,
    )


@register_model
def deeplabv3_mobilevit_s(
    num_classes: int = 21,
    aspp_channels: int = 256,
    rates: Sequence[int] = (6, 12, 18),
    drop_rate: float = 0.1,
    **overrides,
) -> MobileViTSegmentation:
    """MobileViT-S with the DeepLabv3 head: 6.4M parameters."""
    return _deeplab(
        _mobilevit("s", {"num_classes": 0, "exp_channels": 0, "output_stride": 16, **overrides}),
        num_classes,
        aspp_channels,
        rates,
        drop_rate,
    )


# At the course size the last map is 8x8 at output stride 8, so the ASPP's dilations shrink to 1, 2, 3
# (DeepLab's 6, 12, 18 are for maps of 32x32 and more) and its width to 64.
@register_model
def mobilevit_deeplabv3_tiny_shapes(
    num_classes: int = 6, aspp_channels: int = 64, rates: Sequence[int] = (1, 2, 3), drop_rate: float = 0.1, **overrides
) -> MobileViTSegmentation:
    """Course size: the mobilevit_tiny_shapes backbone at output stride 8 with a small DeepLabv3 head, for 64x64 segmentation."""
    backbone = MobileViT(**{**TINY_SHAPES, "num_classes": 0, "exp_channels": 0, "output_stride": 8, **overrides})
    return _deeplab(backbone, num_classes, aspp_channels, rates, drop_rate)


@register_model
def mobilenetv2_deeplabv3_tiny_shapes(
    num_classes: int = 6, aspp_channels: int = 64, rates: Sequence[int] = (1, 2, 3), drop_rate: float = 0.1, **overrides
) -> MobileViTSegmentation:
    """The same head on the mobilenetv2_tiny_shapes backbone at output stride 8."""
    defaults = dict(
        img_size=64,
        num_classes=0,
        channels=(16, 16, 24, 48, 80),
        blocks=(1, 2, 3, 3),
        strides=(1, 2, 2, 2),
        expand_ratio=4.0,
        exp_channels=0,
        output_stride=8,
    )
    return _deeplab(MobileNetV2(**{**defaults, **overrides}), num_classes, aspp_channels, rates, drop_rate)
