"""Official weights into vitlite models.

``from_transformers(hf_model)`` builds the vitlite model that computes the same function as a
Hugging Face ``transformers`` model and copies its weights. ``load_pretrained(repo_id)`` does
the same from a hub checkpoint when online, and prints one line and returns None when not.

Both Hugging Face module layouts are understood: transformers 4.x (``encoder.layer[i]
.attention.attention.query``) and 5.x (``layers[i].attention.q_proj``).
"""

from __future__ import annotations

import os
import re
import socket
import urllib.error
import urllib.request
from typing import Any, Callable

import torch
from torch import nn

__all__ = [
    "from_transformers",
    "compare_with_transformers",
    "load_pretrained",
    "prepare_image",
    "top_classes",
    "show_top_classes",
    "supported",
]

_CONVERTERS: dict[str, Callable[[nn.Module], nn.Module]] = {}


def _converter(*class_names: str):
    def register(fn: Callable[[nn.Module], nn.Module]) -> Callable[[nn.Module], nn.Module]:
        for name in class_names:
            _CONVERTERS[name] = fn
        return fn

    return register


def supported() -> list[str]:
    """The Hugging Face model classes :func:`from_transformers` accepts."""
    return sorted(_CONVERTERS)


def from_transformers(hf_model: nn.Module) -> nn.Module:
    """The vitlite model equal to ``hf_model`` (same configuration, same weights), in eval mode."""
    name = type(hf_model).__name__
    if name not in _CONVERTERS:
        raise ValueError(f"no vitlite equivalent for {name}; supported: {', '.join(supported())}")
    model = _CONVERTERS[name](hf_model)
    model.eval()
    return model


def _get(module: nn.Module, *paths: str) -> Any:
    """The first attribute path that exists, e.g. _get(layer, "attention.q_proj", "attention.attention.query")."""
    for path in paths:
        obj: Any = module
        try:
            for part in path.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            continue
        return obj
    raise AttributeError(f"{type(module).__name__} has none of {paths}; is this transformers version supported?")


@torch.no_grad()
def _copy(dst: nn.Module | torch.Tensor, src: nn.Module | torch.Tensor) -> None:
    if isinstance(dst, torch.Tensor):
        if dst.shape != src.shape:
            raise ValueError(f"shape mismatch while copying weights: {tuple(src.shape)} -> {tuple(dst.shape)}")
        dst.copy_(src)
        return
    for name, tensor in dst.state_dict().items():
        _copy(tensor, src.state_dict()[name])


def _copy_qkv(
    dst: nn.Linear, layer: nn.Module, paths: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], bias: bool
) -> None:
    """Stack Hugging Face's separate query, key and value layers into one fused qkv Linear."""
    q, k, v = (_get(layer, *candidates) for candidates in paths)
    _copy(dst.weight, torch.cat([q.weight, k.weight, v.weight]))
    if bias:
        _copy(dst.bias, torch.cat([q.bias, k.bias, v.bias]))


def compare_with_transformers(
    build: Callable[[Any], nn.Module],
    inputs: torch.Tensor,
    what: str,
    tolerance: float = 1e-4,
    weights_std: float | None = None,
) -> float | None:
    """For the chapters: build a Hugging Face model with ``build(transformers)``, convert it, and print
    the largest difference of the outputs (logits, or the last hidden state) beside their size. None,
    with a line saying so, when transformers is not installed.

    ``weights_std`` redraws every parameter from N(0, std) (seeded) first: some Hugging Face models
    initialise so that a deep network's output all but vanishes, which would make any comparison pass."""
    try:
        import transformers
    except ImportError:
        print("transformers is not installed (pip install transformers); the test suite runs this comparison.")
        return None
    hf = build(transformers).eval()
    if weights_std is not None:
        gen = torch.Generator().manual_seed(0)
        with torch.no_grad():
            for p in hf.parameters():
                p.copy_(torch.randn(p.shape, generator=gen) * weights_std)
    ours = from_transformers(hf)
    name = type(hf).__name__
    with torch.no_grad():
        result = hf(inputs)
        if name.endswith("ObjectDetection"):  # logits and boxes, side by side
            got = ours(inputs)
            ref, out = (
                torch.cat([result.logits.flatten(), result.pred_boxes.flatten()]),
                torch.cat([got["pred_logits"].flatten(), got["pred_boxes"].flatten()]),
            )
        elif name.endswith("ForImageClassification") or name.endswith("ForSemanticSegmentation"):
            ref, out = result.logits, ours(inputs)
        elif name.endswith("ForDepthEstimation"):
            ref, out = result.predicted_depth, ours(inputs)
        else:
            ref, out = result.last_hidden_state, ours.forward_features(inputs)
    difference = (out - ref).abs().max().item()
    count = sum(p.numel() for p in ours.parameters())
    print(
        f"{what}, {count:,} parameters: outputs up to {ref.abs().max().item():.2g} in size, max |vitlite - Hugging Face| = {difference:.1e}"
    )
    if difference >= tolerance * max(1.0, ref.abs().max().item()):
        raise AssertionError(
            f"{what}: outputs differ by {difference:.2e} (tolerance {tolerance} relative to their size)"
        )
    return difference


# ---------------------------------------------------------------------------- ViT
def _vit_layers(hf_vit: nn.Module) -> list[nn.Module]:
    return list(_get(hf_vit, "layers", "encoder.layer"))


def _copy_vit_encoder(model: nn.Module, vit: nn.Module, c: Any) -> None:
    """Embeddings and blocks of a Hugging Face ViT-style model into a vitlite VisionTransformer."""
    emb = vit.embeddings
    _copy(model.cls_token, emb.cls_token)
    _copy(model.pos_embed, emb.position_embeddings)
    _copy(model.patch_embed.proj, emb.patch_embeddings.projection)
    for block, layer in zip(model.blocks, _vit_layers(vit)):
        _copy_qkv(
            block.attn.qkv,
            layer,
            (
                ("attention.q_proj", "attention.attention.query"),
                ("attention.k_proj", "attention.attention.key"),
                ("attention.v_proj", "attention.attention.value"),
            ),
            c.qkv_bias,
        )
        _copy(block.attn.proj, _get(layer, "attention.o_proj", "attention.output.dense"))
        _copy(block.norm1, layer.layernorm_before)
        _copy(block.norm2, layer.layernorm_after)
        _copy(block.mlp.fc1, _get(layer, "mlp.fc1", "intermediate.dense"))
        _copy(block.mlp.fc2, _get(layer, "mlp.fc2", "output.dense"))


@_converter("ViTModel", "ViTForImageClassification")
def _vit(hf: nn.Module) -> nn.Module:
    from vitlite.models.vit import VisionTransformer

    classifier = type(hf).__name__ == "ViTForImageClassification"
    vit = hf.vit if classifier else hf
    c = hf.config
    pooler = getattr(vit, "pooler", None)
    model = VisionTransformer(
        img_size=c.image_size,
        patch_size=c.patch_size,
        in_chans=c.num_channels,
        num_classes=c.num_labels if classifier else 0,
        embed_dim=c.hidden_size,
        depth=c.num_hidden_layers,
        num_heads=c.num_attention_heads,
        mlp_hidden=c.intermediate_size,
        qkv_bias=c.qkv_bias,
        norm_eps=c.layer_norm_eps,
        act=c.hidden_act,
        pooler_dim=getattr(c, "pooler_output_size", c.hidden_size) if pooler is not None else None,
        dynamic_img_size=True,
    )
    if pooler is not None and getattr(c, "pooler_act", "tanh") != "tanh":
        raise ValueError(f"pooler_act {c.pooler_act!r} is not supported (only tanh)")
    _copy_vit_encoder(model, vit, c)
    _copy(model.norm, vit.layernorm)
    if pooler is not None:
        _copy(model.pooler[0], pooler.dense)
    if classifier:
        _copy(model.head, hf.classifier)
    return model


# ---------------------------------------------------------------------------- Swin
@_converter("SwinModel", "SwinForImageClassification")
def _swin(hf: nn.Module) -> nn.Module:
    from vitlite.models.swin import SwinTransformer

    classifier = type(hf).__name__ == "SwinForImageClassification"
    swin = hf.swin if classifier else hf
    c = hf.config
    if getattr(c, "use_absolute_embeddings", False):
        raise ValueError("Swin with absolute position embeddings is not supported")
    if c.hidden_act != "gelu":
        raise ValueError(f"Swin with hidden_act {c.hidden_act!r} is not supported (only gelu)")
    model = SwinTransformer(
        img_size=c.image_size,
        patch_size=c.patch_size,
        in_chans=c.num_channels,
        num_classes=c.num_labels if classifier else 0,
        embed_dim=c.embed_dim,
        depths=tuple(c.depths),
        num_heads=tuple(c.num_heads),
        window_size=c.window_size,
        mlp_ratio=c.mlp_ratio,
        qkv_bias=c.qkv_bias,
        drop_path_rate=0.0,
        norm_eps=c.layer_norm_eps,
    )
    _copy(model.patch_embed, swin.embeddings.patch_embeddings.projection)
    _copy(model.patch_norm, swin.embeddings.norm)
    for stage, hf_stage in zip(model.stages, swin.encoder.layers):
        for block, layer in zip(stage.blocks, hf_stage.blocks):
            _copy_qkv(
                block.attn.qkv,
                layer,
                (
                    ("attention.q_proj", "attention.self.query"),
                    ("attention.k_proj", "attention.self.key"),
                    ("attention.v_proj", "attention.self.value"),
                ),
                c.qkv_bias,
            )
            _copy(
                block.attn.relative_position_bias_table,
                _get(
                    layer,
                    "attention.relative_position_bias.relative_position_bias_table",
                    "attention.self.relative_position_bias_table",
                ),
            )
            _copy(block.attn.proj, _get(layer, "attention.o_proj", "attention.output.dense"))
            _copy(block.norm1, layer.layernorm_before)
            _copy(block.norm2, layer.layernorm_after)
            _copy(block.mlp.fc1, _get(layer, "mlp.fc1", "intermediate.dense"))
            _copy(block.mlp.fc2, _get(layer, "mlp.fc2", "output.dense"))
        if stage.downsample is not None:
            _copy(stage.downsample.norm, hf_stage.downsample.norm)
            _copy(stage.downsample.reduction, hf_stage.downsample.reduction)
    _copy(model.norm, swin.layernorm)
    if classifier:
        _copy(model.head, hf.classifier)
    return model


# ---------------------------------------------------------------------------- MobileViT
def _copy_conv_layer(dst: nn.Module, src: nn.Module) -> None:
    """A vitlite ConvNormAct from a Hugging Face MobileViTConvLayer (convolution, normalization)."""
    _copy(dst.conv, src.convolution)
    if dst.norm is not None:
        _copy(dst.norm, src.normalization)


def _copy_inverted_residual(dst: nn.Module, src: nn.Module) -> None:
    if isinstance(dst.expand, nn.Identity):
        raise ValueError("expand_ratio 1 has no expansion conv in vitlite but one in Hugging Face's MobileViT")
    _copy_conv_layer(dst.expand, src.expand_1x1)
    _copy_conv_layer(dst.depthwise, src.conv_3x3)
    _copy_conv_layer(dst.project, src.reduce_1x1)


def _copy_mobilevit_backbone(model: nn.Module, hf: nn.Module, qkv_bias: bool) -> None:
    _copy_conv_layer(model.stem, hf.conv_stem)
    hf_layers = list(hf.encoder.layer)
    for stage, layer in zip(model.stages[:2], hf_layers[:2]):
        for block, hf_block in zip(stage, layer.layer):
            _copy_inverted_residual(block, hf_block)
    for stage, layer in zip(model.stages[2:], hf_layers[2:]):
        down, block = stage
        _copy_inverted_residual(down, layer.downsampling_layer)
        _copy_conv_layer(block.conv_kxk, layer.conv_kxk)
        _copy_conv_layer(block.conv_1x1, layer.conv_1x1)
        for ours, theirs in zip(block.transformer, layer.transformer.layer):
            _copy_qkv(
                ours.attn.qkv,
                theirs,
                (("attention.attention.query",), ("attention.attention.key",), ("attention.attention.value",)),
                qkv_bias,
            )
            _copy(ours.attn.proj, theirs.attention.output.dense)
            _copy(ours.norm1, theirs.layernorm_before)
            _copy(ours.norm2, theirs.layernorm_after)
            _copy(ours.mlp.fc1, theirs.intermediate.dense)
            _copy(ours.mlp.fc2, theirs.output.dense)
        _copy(block.norm, layer.layernorm)
        _copy_conv_layer(block.conv_proj, layer.conv_projection)
        _copy_conv_layer(block.fusion, layer.fusion)


def _mobilevit_backbone(c: Any, num_classes: int, exp: bool) -> nn.Module:
    from vitlite.models.mobilevit import MobileViT

    if c.hidden_act != "silu" or c.conv_kernel_size != 3:
        raise ValueError(
            f"MobileViT with hidden_act {c.hidden_act!r} and conv_kernel_size {c.conv_kernel_size} is not supported (silu and 3 only)"
        )
    return MobileViT(
        img_size=c.image_size,
        in_chans=c.num_channels,
        num_classes=num_classes,
        channels=tuple(c.neck_hidden_sizes[:6]),
        ir_blocks=(1, 3),
        dims=tuple(c.hidden_sizes),
        depths=(2, 4, 3),
        exp_channels=c.neck_hidden_sizes[6] if exp else 0,
        num_heads=c.num_attention_heads,
        expand_ratio=c.expand_ratio,
        mlp_ratio=c.mlp_ratio,
        patch_size=c.patch_size,
        output_stride=c.output_stride,
        qkv_bias=c.qkv_bias,
        local_dilation=False,  # Hugging Face leaves the MobileViT block's 3x3 undilated; ml-cvnets dilates it
    )


@_converter("MobileViTModel", "MobileViTForImageClassification")
def _mobilevit(hf: nn.Module) -> nn.Module:
    classifier = type(hf).__name__ == "MobileViTForImageClassification"
    body = hf.mobilevit if classifier else hf
    c = hf.config
    expand = getattr(body, "conv_1x1_exp", None) is not None
    model = _mobilevit_backbone(c, c.num_labels if classifier else 0, expand)
    _copy_mobilevit_backbone(model, body, c.qkv_bias)
    if expand:
        _copy_conv_layer(model.conv_exp, body.conv_1x1_exp)
    if classifier:
        _copy(model.head, hf.classifier)
    return model


@_converter("MobileViTForSemanticSegmentation")
def _mobilevit_segmentation(hf: nn.Module) -> nn.Module:
    from vitlite.models.mobilevit import MobileViTSegmentation

    c = hf.config
    backbone = _mobilevit_backbone(c, 0, exp=False)
    _copy_mobilevit_backbone(backbone, hf.mobilevit, c.qkv_bias)
    model = MobileViTSegmentation(backbone, c.num_labels, c.aspp_out_channels, tuple(c.atrous_rates))
    aspp, theirs = model.head.aspp, hf.segmentation_head.aspp
    for ours, branch in zip(aspp.branches, list(theirs.convs)[:-1]):
        _copy_conv_layer(ours, branch)
    _copy_conv_layer(aspp.pool, theirs.convs[-1].conv_1x1)
    _copy_conv_layer(aspp.project, theirs.project)
    _copy(model.head.classifier, hf.segmentation_head.classifier.convolution)
    return model


@_converter("MobileViTV2Model", "MobileViTV2ForImageClassification")
def _mobilevitv2(hf: nn.Module) -> nn.Module:
    """Hugging Face's MobileViTV2 equals ml-cvnets' wherever every feature map is even (see the tests for odd ones)."""
    from vitlite.models.mobilevitv2 import mobilevitv2

    classifier = type(hf).__name__ == "MobileViTV2ForImageClassification"
    body = hf.mobilevitv2 if classifier else hf
    c = hf.config
    if c.hidden_act not in ("swish", "silu") or c.conv_kernel_size != 3:
        raise ValueError(
            f"MobileViTV2 with hidden_act {c.hidden_act!r} and conv_kernel_size {c.conv_kernel_size} is not supported (swish and 3 only)"
        )
    model = mobilevitv2(
        c.width_multiplier,
        img_size=c.image_size,
        in_chans=c.num_channels,
        num_classes=c.num_labels if classifier else 0,
        depths=tuple(c.n_attn_blocks),
        dims=tuple(make_divisible_dims(c)),
        expand_ratio=c.expand_ratio,
        ffn_multiplier=c.ffn_multiplier,
        patch_size=c.patch_size,
        output_stride=c.output_stride,
        local_dilation=False,  # as in MobileViT v1, Hugging Face does not dilate the local 3x3
    )
    _copy_conv_layer(model.stem, body.conv_stem)
    hf_layers = list(body.encoder.layer)
    for stage, layer in zip(model.stages[:2], hf_layers[:2]):
        for block, hf_block in zip(stage, layer.layer):
            _copy_inverted_residual(block, hf_block)
    for stage, layer in zip(model.stages[2:], hf_layers[2:]):
        down, block = stage
        _copy_inverted_residual(down, layer.downsampling_layer)
        _copy_conv_layer(block.conv_kxk, layer.conv_kxk)
        _copy_conv_layer(block.conv_1x1, layer.conv_1x1)
        for ours, theirs in zip(block.transformer, layer.transformer.layer):
            _copy(ours.norm1, theirs.layernorm_before)
            _copy(ours.attn.qkv_proj, theirs.attention.qkv_proj.convolution)
            _copy(ours.attn.out_proj, theirs.attention.out_proj.convolution)
            _copy(ours.norm2, theirs.layernorm_after)
            _copy(ours.ffn[0], theirs.ffn.conv1.convolution)
            _copy(ours.ffn[3], theirs.ffn.conv2.convolution)
        _copy(block.norm, layer.layernorm)
        _copy_conv_layer(block.conv_proj, layer.conv_projection)
    if classifier:
        _copy(model.head, hf.classifier)
    return model


def make_divisible_dims(c: Any) -> list[int]:
    """MobileViTV2's attention widths from its configuration."""
    from vitlite.models.mobilevit import make_divisible

    return [make_divisible(d * c.width_multiplier) for d in c.base_attn_unit_dims]


# ---------------------------------------------------------------------------- DETR
def _hf_resnet(c: Any, norm: str = "frozen") -> nn.Module:
    from vitlite.models.resnet import ResNetBackbone

    if c.model_type != "resnet" or c.layer_type not in ("bottleneck", "basic") or c.hidden_act != "relu":
        raise ValueError(
            f"only Hugging Face ResNet backbones with relu and basic or bottleneck layers are supported, got {c.model_type} {getattr(c, 'layer_type', '')}"
        )
    if getattr(c, "downsample_in_bottleneck", False):
        raise ValueError("ResNet v1 (stride in the first 1x1 conv) is not supported; vitlite follows v1.5")
    strides = (2 if c.downsample_in_first_stage else 1,) + (2,) * (len(c.depths) - 1)
    return ResNetBackbone(
        layers=tuple(c.depths),
        channels=tuple(c.hidden_sizes),
        strides=strides,
        stem_width=c.embedding_size,
        block=c.layer_type,
        norm=norm,
        stem="7x7",
        in_chans=c.num_channels,
    )


def _copy_resnet(ours: nn.Module, hf: nn.Module) -> None:
    _copy(ours.conv1, hf.embedder.embedder.convolution)
    _copy(ours.bn1, hf.embedder.embedder.normalization)
    for stage, hf_stage in zip(ours.layers, hf.encoder.stages):
        for block, layer in zip(stage, hf_stage.layers):
            convs = [(block.conv1, block.bn1), (block.conv2, block.bn2)] + (
                [(block.conv3, block.bn3)] if hasattr(block, "conv3") else []
            )
            for (conv, bn), hf_conv in zip(convs, layer.layer):
                _copy(conv, hf_conv.convolution)
                _copy(bn, hf_conv.normalization)
            if block.downsample is not None:
                _copy(block.downsample[0], layer.shortcut.convolution)
                _copy(block.downsample[1], layer.shortcut.normalization)


def _copy_attention(ours: nn.Module, hf: nn.Module) -> None:
    for name in ("q_proj", "k_proj", "v_proj"):
        _copy(getattr(ours, name), getattr(hf, name))
    _copy(ours.out_proj, _get(hf, "o_proj", "out_proj"))


@_converter("DetrForObjectDetection")
def _detr(hf: nn.Module) -> nn.Module:
    from vitlite.models.detr import DETR

    c = hf.config
    if c.use_timm_backbone:
        raise ValueError(
            "DETR with a timm backbone is not supported: build it with use_timm_backbone=False (a transformers ResNet)"
        )
    if c.position_embedding_type != "sine" or c.activation_function != "relu":
        raise ValueError(
            f"DETR with {c.position_embedding_type} position embeddings and {c.activation_function} is not supported (sine and relu only)"
        )
    body = hf.model
    model = DETR(
        _hf_resnet(c.backbone_config),
        num_classes=c.num_labels,
        dim=c.d_model,
        num_heads=c.encoder_attention_heads,
        enc_layers=c.encoder_layers,
        dec_layers=c.decoder_layers,
        ffn_dim=c.encoder_ffn_dim,
        dec_num_heads=c.decoder_attention_heads,
        dec_ffn_dim=c.decoder_ffn_dim,
        num_queries=c.num_queries,
        dropout=c.dropout,
        aux_loss=c.auxiliary_loss,
    )
    _copy_resnet(model.backbone, body.backbone.model)
    _copy(model.input_proj, body.input_projection)
    _copy(model.query_embed, body.query_position_embeddings)
    for ours, layer in zip(model.encoder, body.encoder.layers):
        _copy_attention(ours.self_attn, layer.self_attn)
        _copy(ours.norm1, layer.self_attn_layer_norm)
        _copy(ours.ffn[0], layer.mlp.fc1 if hasattr(layer, "mlp") else layer.fc1)
        _copy(ours.ffn[3], layer.mlp.fc2 if hasattr(layer, "mlp") else layer.fc2)
        _copy(ours.norm2, layer.final_layer_norm)
    for ours, layer in zip(model.decoder, body.decoder.layers):
        _copy_attention(ours.self_attn, layer.self_attn)
        _copy(ours.norm1, layer.self_attn_layer_norm)
        _copy_attention(ours.cross_attn, layer.encoder_attn)
        _copy(ours.norm2, layer.encoder_attn_layer_norm)
        _copy(ours.ffn[0], layer.mlp.fc1 if hasattr(layer, "mlp") else layer.fc1)
        _copy(ours.ffn[3], layer.mlp.fc2 if hasattr(layer, "mlp") else layer.fc2)
        _copy(ours.norm3, layer.final_layer_norm)
    _copy(model.decoder_norm, body.decoder.layernorm)
    _copy(model.class_embed, hf.class_labels_classifier)
    for ours, theirs in zip(model.bbox_embed.layers, hf.bbox_predictor.layers):
        _copy(ours, theirs)
    return model


# ---------------------------------------------------------------------------- hub
def _hub_settings() -> tuple[str, bool]:
    """The hub's address and whether offline mode is on (the environment, or huggingface_hub's own settings)."""
    endpoint, offline = os.environ.get("HF_ENDPOINT", "https://huggingface.co"), False
    try:
        from huggingface_hub import constants

        endpoint, offline = constants.ENDPOINT, bool(constants.HF_HUB_OFFLINE)
    except (ImportError, AttributeError):
        pass
    offline = offline or os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    return endpoint.rstrip("/"), offline


def _hub_answers(repo_id: str, timeout: float) -> str | None:
    """None if the hub answers an HTTP request about ``repo_id`` within ``timeout`` seconds (to connect,
    and again to read), else the reason in a few words. A server that accepts the connection and
    then never answers is caught by the read timeout."""
    endpoint, _ = _hub_settings()
    request = urllib.request.Request(f"{endpoint}/api/models/{repo_id}", method="HEAD")
    try:
        urllib.request.urlopen(request, timeout=timeout).close()
    except urllib.error.HTTPError as error:  # it answered: 401/404 are for from_pretrained to explain
        return None if error.code < 500 else f"the hub answered HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, (socket.timeout, TimeoutError)) or "timed out" in str(reason):
            return f"the hub did not answer within {timeout:.0f} s"
        return f"the hub is not reachable ({str(reason)[:80]})"
    return None


def _bounded_downloads(timeout: float) -> None:
    """Make huggingface_hub give up on a stalled connection after ``timeout`` seconds (its own defaults are longer)."""
    try:
        from huggingface_hub import constants
    except ImportError:
        return
    for name in ("HF_HUB_ETAG_TIMEOUT", "HF_HUB_DOWNLOAD_TIMEOUT"):
        if hasattr(constants, name):
            setattr(constants, name, min(float(getattr(constants, name)), timeout))


def _head_class(config: Any, default: Any) -> Any:
    """The transformers class a checkpoint was saved from (its config's ``architectures``, e.g.
    ``DPTForDepthEstimation``) when vitlite converts it, else ``default``: a depth or segmentation
    checkpoint keeps its head."""
    import transformers

    for name in config.architectures or []:
        if name in _CONVERTERS and hasattr(transformers, name):
            return getattr(transformers, name)
    return default


_REPO_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9_.\-]*/)?[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def _repo_id_problem(repo_id: object) -> str | None:
    """None if ``repo_id`` can name a Hugging Face repository ("owner/name" or "name": letters, digits,
    '-', '_', '.'; at most 96 characters) or is a folder on disk; else what is wrong, in a few words."""
    example = "e.g. 'google/vit-base-patch16-224'"
    if not isinstance(repo_id, str):
        return f"a repository id is a string, 'owner/name' ({example}); got {type(repo_id).__name__}"
    if os.path.isdir(repo_id):
        return None
    if len(repo_id) > 96 or not _REPO_ID.match(repo_id) or ".." in repo_id or repo_id.endswith("."):
        return f"not a Hugging Face repository id: write 'owner/name' with letters, digits, '-', '_' or '.' ({example}), or give a folder that save_pretrained wrote"
    return None


def load_pretrained(repo_id: str, timeout: float = 10.0) -> nn.Module | None:
    """A hub checkpoint (e.g. ``"google/vit-base-patch16-224"``) as a vitlite model, or None offline.

    The returned model carries ``pretrained_cfg``: the class names, the input size and the
    normalisation the checkpoint expects. Needs ``transformers`` and the network; without
    them it prints one line saying why and returns None. The local cache is tried first; a
    hub that does not answer within ``timeout`` seconds (to connect or to read) counts as
    offline, so the call never hangs.
    """
    problem = _repo_id_problem(repo_id)
    if problem:
        print(f"load_pretrained({repo_id!r}): skipped, {problem}")
        return None
    try:
        from transformers import AutoConfig, AutoImageProcessor, AutoModel, AutoModelForImageClassification
    except ImportError:
        print(f"load_pretrained({repo_id!r}): skipped, it needs Hugging Face transformers (pip install transformers)")
        return None
    loaded = None
    for local_only in (True, False):  # the local cache first: works offline once downloaded
        if not local_only:
            _, offline = _hub_settings()
            problem = "offline mode is on (HF_HUB_OFFLINE)" if offline else _hub_answers(repo_id, timeout)
            if problem:
                print(f"load_pretrained({repo_id!r}): skipped, offline ({problem}, and the model is not cached)")
                return None
            _bounded_downloads(timeout)
        try:
            config = AutoConfig.from_pretrained(repo_id, local_files_only=local_only)
            classifier = any(a.endswith("ForImageClassification") for a in (config.architectures or []))
            auto = AutoModelForImageClassification if classifier else _head_class(config, AutoModel)
            loaded = (
                config,
                classifier,
                auto.from_pretrained(repo_id, local_files_only=local_only),
                AutoImageProcessor.from_pretrained(repo_id, local_files_only=local_only),
            )
            break
        except Exception as error:  # not cached, unknown repository, or a hub error
            if not local_only:
                reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
                print(f"load_pretrained({repo_id!r}): skipped, the hub could not provide it ({reason})")
                return None
    config, classifier, hf, processor = loaded
    model = from_transformers(hf)
    model.pretrained_cfg = {
        "repo_id": repo_id,
        "labels": [config.id2label[i] for i in range(len(config.id2label))] if classifier else None,
        **_input_settings(processor, config),
    }
    return model


def _input_settings(processor: Any, config: Any) -> dict[str, Any]:
    """What a checkpoint's image processor does to an image, as :func:`prepare_image` needs it: the side
    of the square it feeds the model, the normalisation (none when the processor does not normalise, as
    MobileViT's) and whether it flips RGB to BGR (MobileViT's checkpoints were trained on BGR)."""
    size = getattr(processor, "size", None) or {}
    crop = getattr(processor, "crop_size", None) or {}
    side = (
        (crop.get("height") if getattr(processor, "do_center_crop", False) and crop else None)
        or size.get("height")
        or size.get("shortest_edge")
        or getattr(config, "image_size", 224)
    )
    normalise = getattr(processor, "do_normalize", False) and getattr(processor, "image_mean", None) is not None
    return {
        "mean": list(processor.image_mean) if normalise else [0.0, 0.0, 0.0],
        "std": list(processor.image_std) if normalise else [1.0, 1.0, 1.0],
        "image_size": int(side),
        "flip_channels": bool(getattr(processor, "do_flip_channel_order", False)),
    }


def prepare_image(model: nn.Module, image: torch.Tensor) -> torch.Tensor:
    """A (3, H, W) image in [0, 1] (e.g. :func:`vitlite.data.photo`) as the (1, 3, S, S) input a model from
    :func:`load_pretrained` expects: resized to its square side, channels flipped if its processor flips
    them, normalised as its processor normalises."""
    cfg = getattr(model, "pretrained_cfg", None)
    if cfg is None:
        raise ValueError("prepare_image needs a model from vitlite.hub.load_pretrained (it reads model.pretrained_cfg)")
    if not torch.is_tensor(image) or image.ndim != 3 or image.shape[0] != 3:
        raise ValueError(
            f"give one RGB image as a (3, H, W) tensor in [0, 1], e.g. vitlite.data.photo('coffee'); got {tuple(image.shape) if torch.is_tensor(image) else type(image).__name__}"
        )
    x = image.float()[None]
    side = cfg["image_size"]
    if tuple(x.shape[-2:]) != (side, side):
        x = torch.nn.functional.interpolate(
            x, size=(side, side), mode="bicubic", align_corners=False, antialias=True
        ).clamp(0, 1)
    if cfg.get("flip_channels"):
        x = x.flip(1)
    mean, std = torch.tensor(cfg["mean"]).view(1, 3, 1, 1), torch.tensor(cfg["std"]).view(1, 3, 1, 1)
    return (x - mean) / std


def show_top_classes(model: nn.Module | None, k: int = 3) -> None:
    """Print a pretrained classifier's ``k`` best guesses for each of the course's photos; for None (a
    download skipped or refused), the one line that says how to get the weights."""
    from vitlite.data import list_photos, photo

    if model is None:
        print("pretrained weights: skipped (set LOAD_PRETRAINED = True above to download them)")
        return
    for name in list_photos():
        print(f"{name:<10}", "; ".join(f"{label} {prob:.0%}" for prob, label in top_classes(model, photo(name), k=k)))


def top_classes(model: nn.Module, image: torch.Tensor, k: int = 5) -> list[tuple[float, str]]:
    """The ``k`` most probable classes of a classifier from :func:`load_pretrained` for one image:
    (probability, label) pairs, most probable first."""
    labels = (getattr(model, "pretrained_cfg", None) or {}).get("labels")
    if not labels:
        raise ValueError(
            "top_classes needs an image classifier from vitlite.hub.load_pretrained (its checkpoint names the classes)"
        )
    device = next(model.parameters()).device
    with torch.no_grad():
        probs = model.eval()(prepare_image(model, image).to(device)).softmax(-1)[0].cpu()
    values, indices = probs.topk(min(k, len(labels)))
    return [(float(v), labels[int(i)]) for v, i in zip(values, indices)]


# ---------------------------------------------------------------------------- DPT
def _copy_bit_hybrid(model: nn.Module, dpt: nn.Module, c: Any) -> None:
    """DPT-Hybrid's embeddings (BiT backbone, 1x1 projection, class token, positions) and ViT blocks."""
    emb = dpt.embeddings
    _copy(model.encoder.cls_token, emb.cls_token)
    _copy(model.encoder.pos_embed, emb.position_embeddings)
    _copy(model.bit_projection, emb.projection)
    hf_bit = emb.backbone.bit
    _copy(model.bit.stem_conv, hf_bit.embedder.convolution)
    _copy(model.bit.stem_norm, hf_bit.embedder.norm)
    for ours, theirs in zip(model.bit.stages, hf_bit.encoder.stages):
        for mine, layer in zip(ours, theirs.layers):
            if mine.downsample is not None:
                _copy(mine.downsample[0], layer.downsample.conv)
                _copy(mine.downsample[1], layer.downsample.norm)
            for k in (1, 2, 3):
                _copy(getattr(mine, f"conv{k}"), getattr(layer, f"conv{k}"))
                _copy(getattr(mine, f"norm{k}"), getattr(layer, f"norm{k}"))
    for block, layer in zip(model.encoder.blocks, _vit_layers(dpt)):
        _copy_qkv(
            block.attn.qkv,
            layer,
            (("attention.attention.query",), ("attention.attention.key",), ("attention.attention.value",)),
            c.qkv_bias,
        )
        _copy(block.attn.proj, layer.attention.output.dense)
        _copy(block.norm1, layer.layernorm_before)
        _copy(block.norm2, layer.layernorm_after)
        _copy(block.mlp.fc1, layer.intermediate.dense)
        _copy(block.mlp.fc2, layer.output.dense)


@_converter("DPTForDepthEstimation", "DPTForSemanticSegmentation")
def _dpt(hf: nn.Module) -> nn.Module:
    """DPT with a ViT backbone (not the hybrid); the segmentation model's auxiliary head, used only for
    its training loss, is not converted."""
    from vitlite.models.dpt import DPT

    c = hf.config
    bit = None
    if c.is_hybrid:
        bit = c.backbone_config
        if (
            bit is None
            or bit.model_type != "bit"
            or bit.layer_type != "bottleneck"
            or str(bit.global_padding).lower() != "same"
            or not bit.embedding_dynamic_padding
            or bit.hidden_act != "relu"
            or len(bit.depths) != 3
        ):
            raise ValueError(
                "the hybrid is supported with BiT's post-activation bottleneck, 'same' padding and three stages only (DPT-Hybrid's configuration)"
            )
    elif getattr(c, "backbone_config", None) is not None:
        raise ValueError("DPT on an external backbone (not its own ViT or the BiT hybrid) is not supported")
    if (
        c.hidden_act != "gelu"
        or c.add_projection
        or c.head_in_index != -1
        or getattr(c, "use_batch_norm_in_fusion_residual", False)
    ):
        raise ValueError(
            "DPT with hidden_act other than gelu, add_projection, head_in_index other than -1 or batch norm in the fusion is not supported"
        )
    segmentation = type(hf).__name__ == "DPTForSemanticSegmentation"
    model = DPT(
        img_size=c.image_size,
        patch_size=c.patch_size,
        embed_dim=c.hidden_size,
        depth=c.num_hidden_layers,
        num_heads=c.num_attention_heads,
        mlp_ratio=c.intermediate_size / c.hidden_size,
        hooks=tuple(c.backbone_out_indices),
        readout=c.readout_type,
        factors=tuple(c.reassemble_factors),
        neck_channels=tuple(c.neck_hidden_sizes),
        fusion_channels=c.fusion_hidden_size,
        head="segmentation" if segmentation else "depth",
        num_classes=c.num_labels,
        norm_eps=c.layer_norm_eps,
        in_chans=c.num_channels,
        **(
            {}
            if bit is None
            else dict(
                hybrid=True,
                bit_depths=tuple(bit.depths),
                bit_channels=tuple(bit.hidden_sizes[:3]),
                bit_stem=bit.embedding_size,
                bit_groups=bit.num_groups,
            )
        ),
    )
    if model.encoder.blocks[0].mlp.fc1.out_features != c.intermediate_size:
        raise ValueError(
            f"intermediate_size {c.intermediate_size} is not a multiple of hidden_size {c.hidden_size} that vitlite's mlp_ratio can express"
        )
    if bit is None:
        _copy_vit_encoder(model.encoder, hf.dpt, c)
    else:
        _copy_bit_hybrid(model, hf.dpt, c)
    _copy(model.encoder.norm, hf.dpt.layernorm)
    stage = hf.neck.reassemble_stage
    for i, ours in enumerate(model.reassemble):
        if isinstance(ours, nn.Identity):  # the hybrid's two BiT maps pass straight through
            continue
        _copy(ours.projection, stage.layers[i].projection)
        if not isinstance(ours.resize, nn.Identity):
            _copy(ours.resize, stage.layers[i].resize)
        if ours.readout.project is not None:
            _copy(ours.readout.project[0], stage.readout_projects[i][0])
    for ours, theirs in zip(model.convs, hf.neck.convs):
        _copy(ours, theirs)
    for ours, theirs in zip(model.fusion, hf.neck.fusion_stage.layers):
        _copy(ours.projection, theirs.projection)
        for mine, hf_rcu in ((ours.rcu1, theirs.residual_layer1), (ours.rcu2, theirs.residual_layer2)):
            _copy(mine.conv1, hf_rcu.convolution1)
            _copy(mine.conv2, hf_rcu.convolution2)
    for ours, theirs in zip(model.head, hf.head.head):
        if isinstance(ours, (nn.Conv2d, nn.BatchNorm2d)):
            _copy(ours, theirs)
    return model
