"""The "architecture at a glance" figure of each chapter, drawn with :class:`vitlite.viz.Diagram`.

The tensor shapes on the arrows are not typed in: each function runs the course-size model once
on a blank image and reads them off, so the picture cannot drift from the code.
"""

from __future__ import annotations

import torch
from torch import nn

from vitlite.viz import Diagram, Figure

__all__ = ["traced_shapes", "mobilevit", "mobilevit_versions", "detr", "dino", "setr", "dpt"]


def traced_shapes(model: nn.Module, x: torch.Tensor, modules: dict[str, nn.Module]) -> dict[str, tuple[int, ...]]:
    """The output shape (without the batch axis) of each named submodule when ``model(x)`` runs."""
    shapes: dict[str, tuple[int, ...]] = {}
    handles = [m.register_forward_hook(lambda _m, _i, out, name=name: shapes.__setitem__(name, tuple(out.shape[1:]))) for name, m in modules.items()]
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for h in handles:
            h.remove()
    return shapes


def _fmt(shape: tuple[int, ...]) -> str:
    return "x".join(str(s) for s in shape)


def mobilevit(model: nn.Module) -> Figure:
    """Chapter 05: the MobileViT network (top row) and the MobileViT block of its first transformer stage (bottom row)."""
    from vitlite.models.mobilevit import mobilevit_blocks

    size = model.img_size
    n_ir = len(model.stages) - len(mobilevit_blocks(model))
    named = {"stem": model.stem, **{f"stage{i}": s for i, s in enumerate(model.stages)}}
    block = mobilevit_blocks(model)[0]
    named.update(local=block.conv_kxk, to_d=block.conv_1x1, proj=block.conv_proj, fusion=block.fusion, exp=model.conv_exp)
    shapes = traced_shapes(model, torch.zeros(1, model.in_chans, size, size), named)
    d_in, h, w = shapes["to_d"]
    p = block.patch_size
    seq = f"({p * p}, {h * w // (p * p)}, {d_in})"

    d = Diagram(22.5, 7.6, title=f"MobileViT at a glance (course size, {size}x{size} input; shapes are channels x height x width)")
    top = 5.7
    items = [("image", "input"), ("conv 3x3\nstride 2", "conv")]
    items += [(f"MV2 x{len(model.stages[i])}" + ("\n↓2" if i else ""), "conv") for i in range(n_ir)]
    items += [(f"MV2 ↓2 +\nMobileViT\nblock (L={len(b.transformer)})", "attention") for b in mobilevit_blocks(model)]
    items += [("conv 1x1", "conv"), ("pool", "pool"), ("linear", "head")]
    arrows = [_fmt((model.in_chans, size, size)), _fmt(shapes["stem"])] + [_fmt(shapes[f"stage{i}"]) for i in range(len(model.stages))] + [_fmt(shapes["exp"]), str(shapes["exp"][0])]
    net = d.flow(items, x0=0.2, y=top, gap=0.95, w=1.3, h=1.05, shapes=arrows)

    low = 2.2
    blocks = d.flow(
        [("X", "input"), ("conv 3x3", "conv"), ("conv 1x1\nto d", "conv"), ("unfold", "reshape"), (f"{len(block.transformer)} x transformer\n+ LayerNorm", "attention"), ("fold", "reshape"), ("conv 1x1\nto C", "conv")],
        x0=0.2, y=low, gap=1.15, w=1.45, h=0.95,
        shapes=[_fmt(shapes["local"]), _fmt(shapes["local"]), _fmt(shapes["to_d"]), seq, seq, _fmt(shapes["to_d"])],
    )
    cat = d.op(blocks[-1].right[0] + 0.75, low, "c")
    d.arrow(blocks[-1], cat, _fmt(shapes["proj"]))
    fuse = d.box(cat.x + 1.45, low, "conv 3x3\n(fusion)", "conv", w=1.4, h=0.95)
    d.arrow(cat, fuse, f"{2 * shapes['proj'][0]}x{h}x{w}")
    d.ax.text(fuse.right[0] + 0.1, low, _fmt(shapes["fusion"]), ha="left", va="center", fontsize=7, color="#1f4e79")
    d.skip(blocks[0], cat, "the input X, concatenated first", height=0.95, label_at=0.2)
    d.ax.text(blocks[3].x + 1.2, low - 0.95, f"global representation: {p * p} sequences (one per place in a {p}x{p} patch) of {h * w // (p * p)} patches each", ha="center", fontsize=7.5, color="#7a3e00")
    d.ax.text(blocks[1].x + 0.6, low - 0.95, "local representation", ha="center", fontsize=7.5, color="#1f4e79")
    first_mvit = net[2 + n_ir]
    d.ax.annotate("", xy=(first_mvit.x, low + 1.55), xytext=(first_mvit.x, first_mvit.y - 0.6), arrowprops=dict(arrowstyle="-|>", color="#999999", linestyle="--"))
    d.ax.text(first_mvit.x + 0.2, low + 1.75, f"inside the first MobileViT block (C = {shapes['local'][0]}, d = {d_in}, {h}x{w} map):", fontsize=8.5, color="#333333")
    d.legend()
    return d.figure


def mobilevit_versions() -> Figure:
    """Chapter 06: the first MobileViT block of the course-size model in its three versions, one row each."""
    from vitlite.models import create_model
    from vitlite.models.mobilevit import MobileViTBlock
    from vitlite.models.mobilevitv2 import MobileViTv2Block

    d = Diagram(22.5, 10.2, title="One block, three versions (course size, first MobileViT stage: C = 32, d = 48, 8x8 map, 2x2 patches)")
    rows = {"v1": 8.2, "v2": 5.2, "v3": 2.2}
    for version, y in rows.items():
        model = create_model("mobilevit_tiny_shapes", block=version)
        block = next(m for m in model.modules() if isinstance(m, (MobileViTBlock, MobileViTv2Block)))
        shapes = traced_shapes(model, torch.zeros(1, 3, model.img_size, model.img_size), {"x": block.conv_kxk, "local": block.conv_1x1, "proj": block.conv_proj})
        c, h, w = shapes["x"]
        dim = shapes["local"][0]
        p = block.patch_size
        seq = f"({p * p}, {h * w // (p * p)}, {dim})" if version != "v2" else f"({dim}, {p * p}, {h * w // (p * p)})"
        attention = "2 x MHA layers\n+ LayerNorm" if version != "v2" else "2 x separable\nattention + GN"
        local_conv = "conv 3x3" if version == "v1" else "depthwise\nconv 3x3"
        d.ax.text(0.2, y + 1.3, {"v1": "v1 (MobileViT)", "v2": "v2 (separable self-attention, no fusion)", "v3": "v3 (v1-based: 1x1 fusion of local and global, input added)"}[version], fontsize=9, color="#333333")
        items = [("X", "input"), (local_conv, "conv"), ("conv 1x1\nto d", "conv"), ("unfold", "reshape"), (attention, "attention"), ("fold", "reshape"), ("conv 1x1\nto C", "conv" if version != "v2" else "conv")]
        boxes = d.flow(items, x0=0.2, y=y, gap=1.15, w=1.45, h=0.9, shapes=[f"{c}x{h}x{w}", f"{c}x{h}x{w}", f"{dim}x{h}x{w}", seq, seq, f"{dim}x{h}x{w}"])
        if version == "v2":
            d.ax.text(boxes[-1].right[0] + 0.1, y, f"{c}x{h}x{w}: the output (BN, no activation)", ha="left", va="center", fontsize=7, color="#1f4e79")
            continue
        cat = d.op(boxes[-1].right[0] + 0.75, y, "c")
        d.arrow(boxes[-1], cat, f"{c}x{h}x{w}")
        fuse = d.box(cat.x + 1.45, y, "conv 3x3" if version == "v1" else "conv 1x1", "conv", w=1.3, h=0.9)
        if version == "v1":
            d.arrow(cat, fuse, f"{2 * c}x{h}x{w}")
            d.skip(boxes[0], cat, "the input X", height=0.6, label_at=0.5)
            d.ax.text(fuse.right[0] + 0.1, y, f"{c}x{h}x{w}", ha="left", va="center", fontsize=7, color="#1f4e79")
        else:
            d.arrow(cat, fuse, f"{dim + c}x{h}x{w}")
            d.skip(boxes[2], cat, "the local features (d channels)", height=0.6, label_at=0.5)
            plus = d.op(fuse.right[0] + 0.6, y, "+")
            d.arrow(fuse, plus)
            d.skip(boxes[0], plus, "the input X, added", height=0.75, below=True, label_at=0.1)
            d.ax.text(plus.right[0] + 0.1, y, f"{c}x{h}x{w}", ha="left", va="center", fontsize=7, color="#1f4e79")
    d.legend()
    return d.figure


def detr(model: nn.Module) -> Figure:
    """Chapter 07: DETR's pipeline (backbone, encoder, decoder with object queries, heads, matching)."""
    size = 64
    x = torch.zeros(1, model.in_chans, size, size)
    shapes = traced_shapes(model, x, {"backbone_last": model.backbone.layers[-1], "proj": model.input_proj, "cls": model.class_embed})
    c, h, w = shapes["backbone_last"]
    d_model = shapes["proj"][0]
    n = model.num_queries
    k = shapes["cls"][-1]
    d = Diagram(22.0, 7.0, title=f"DETR at a glance (course size, {size}x{size} input)")
    y = 4.6
    boxes = d.flow(
        [("image", "input"), ("CNN\nbackbone", "conv"), ("conv 1x1", "conv"), ("flatten\n+ sine pos", "reshape"), (f"encoder\n{len(model.encoder)} layers", "attention"), (f"decoder\n{len(model.decoder)} layers", "attention"), ("class head\n+ box MLP", "head"), ("Hungarian\nmatching", "loss")],
        x0=0.3, y=y, gap=1.05, w=1.55, h=1.0,
        shapes=[f"3x{size}x{size}", f"{c}x{h}x{w}", f"{d_model}x{h}x{w}", f"({h * w}, {d_model})", f"({h * w}, {d_model})", f"({n}, {d_model})", f"({n}, {k}), ({n}, 4)"],
    )
    queries = d.box(boxes[5].x, 2.0, f"{n} object queries\n(learned, {d_model})", "mlp", w=1.9, h=0.9)
    d.arrow(queries, boxes[5])
    targets = d.box(boxes[7].x, 2.0, "ground truth\n(M objects)", "input", w=1.6, h=0.9)
    d.arrow(targets, boxes[7])
    d.ax.text(boxes[7].x, y + 0.9, "one prediction per object;\nthe rest: 'no object'", ha="center", fontsize=7.5, color="#7a1f1f")
    d.ax.text(boxes[4].x + 1.3, 1.2, "no anchors, no NMS: a set of N predictions, trained through a one-to-one matching", ha="center", fontsize=8, color="#333333")
    d.legend()
    return d.figure


def dino(model: nn.Module) -> Figure:
    """Chapter 08: DINO's pipeline (the paper's Figure 2): multi-scale features, deformable encoder,
    mixed query selection, a decoder that refines anchor boxes, and contrastive denoising beside it."""
    size = 64
    x = torch.zeros(1, model.in_chans, size, size)
    shapes = traced_shapes(model, x, {f"level{i}": p for i, p in enumerate(model.input_proj)})
    levels = [shapes[f"level{i}"] for i in range(len(model.input_proj))]
    d_model = levels[0][0]
    tokens = sum(h * w for _, h, w in levels)
    n = model.num_queries
    d = Diagram(22.0, 8.2, title=f"DINO at a glance (course size, {size}x{size} input)")
    y = 5.6
    boxes = d.flow(
        [("image", "input"), ("CNN backbone\n+ extra level", "conv"), ("flatten levels\n+ pos + level emb.", "reshape"), (f"deformable\nencoder x{len(model.encoder)}", "attention"), ("query selection\n(top-K proposals)", "head"), (f"deformable\ndecoder x{len(model.decoder)}", "attention"), ("class + box\nheads (shared)", "head"), ("Hungarian\nmatching", "loss")],
        x0=0.3, y=y, gap=1.0, w=1.6, h=1.05,
        shapes=[f"3x{size}x{size}", " + ".join(f"{h}x{w}" for _, h, w in levels), f"({tokens}, {d_model})", f"({tokens}, {d_model})", f"{n} anchors", f"({n}, {d_model})", f"({n}, K), ({n}, 4)"],
    )
    content = d.box(boxes[4].x, 3.3, f"{n} content queries\n(learned)", "mlp", w=1.8, h=0.85)
    d.arrow(content, boxes[5])
    dn = d.box(boxes[5].x, 1.6, "denoising queries\n(training only)", "input", w=2.0, h=0.9)
    d.arrow(dn, boxes[5])
    gt = d.box(boxes[3].x, 1.6, "ground truth\n+ noise λ1, λ2", "input", w=1.8, h=0.9)
    d.arrow(gt, dn, "positives, negatives")
    recon = d.box(boxes[7].x, 1.6, "reconstruct\n(no matching)", "loss", w=1.7, h=0.9)
    d.arrow(dn, recon, "positives: box; negatives: 'no object'", label_pos="below")
    d.ax.text(boxes[5].x, y + 1.0, "each layer refines every anchor box;\nlook forward twice: layer i's box trains layer i - 1 too", ha="center", fontsize=7.5, color="#7a1f1f")
    d.ax.text(boxes[3].x, y - 1.45, "each position samples a few points\non every level (not all positions)", ha="center", fontsize=7.5, color="#333333")
    d.legend()
    return d.figure


def setr(model: nn.Module) -> Figure:
    """Chapter 09: SETR: a ViT encoder at one resolution and the three decoders."""
    size = 64
    enc = model.encoder
    grid = size // enc.patch_size
    dim = enc.embed_dim
    k = model.num_classes
    d = Diagram(22.0, 8.0, title=f"SETR at a glance (course size, {size}x{size} input, {enc.patch_size}x{enc.patch_size} patches)")
    y = 6.3
    boxes = d.flow(
        [("image", "input"), ("patches\n+ pos", "reshape"), (f"ViT encoder\n{len(enc.blocks)} blocks", "attention"), ("tokens -> map\n(drop class token)", "reshape")],
        x0=0.3, y=y, gap=1.1, w=1.7, h=1.0,
        shapes=[f"3x{size}x{size}", f"({grid * grid + 1}, {dim})", f"({grid * grid + 1}, {dim})"],
    )
    rows = [
        ("Naive", [("LN, 1x1 conv\nBN, ReLU", "conv"), (f"1x1 conv\nto {k} classes", "head"), ("bilinear\nup x" + str(enc.patch_size), "reshape")], f"{dim}x{grid}x{grid}"),
        ("PUP", [("3x3 conv, BN,\nReLU, up x2", "conv"), ("... x log2(p)", "conv"), ("1x1 conv\nto classes", "head")], f"{dim}x{grid}x{grid}"),
        ("MLA", [("4 layers: LN,\n1x1 conv", "conv"), ("top-down sums,\n3x3 convs", "conv"), ("heads, up x4,\nconcat, 3x3", "head")], f"4 x {dim}x{grid}x{grid}"),
    ]
    for r, (name, items, shape) in enumerate(rows):
        yy = 4.3 - 1.5 * r
        label = d.box(boxes[3].x + 0.1, yy, name, "input", w=1.0, h=0.7)
        row = d.flow(items, x0=boxes[3].x + 1.8, y=yy, gap=0.9, w=1.8, h=0.95)
        d.arrow(label, row[0], shape)
        out = d.box(row[-1].x + 2.6, yy, f"{k}x{size}x{size}", "input", w=1.5, h=0.7)
        d.arrow(row[-1], out)
    d.ax.text(boxes[2].x, y - 1.1, "one resolution throughout: 1/p of the image;\nevery layer sees the whole image", ha="center", fontsize=7.5, color="#7a1f1f")
    d.legend()
    return d.figure


def dpt(model: nn.Module) -> Figure:
    """Chapter 10: DPT: tokens of four layers reassembled at four resolutions and fused coarse to fine."""
    size = 64
    x = torch.zeros(1, model.in_chans, size, size)
    with torch.no_grad():
        feats = model.eval().features(x)
    maps = [tuple(m.shape[1:]) for m in feats["reassembled"]]
    fused = [tuple(f.shape[1:]) for f in feats["fused"]]
    enc = model.encoder
    grid = size // enc.patch_size
    d = Diagram(22.0, 9.0, title=f"DPT at a glance (course size, {size}x{size} input, {enc.patch_size}x{enc.patch_size} patches)")
    top = 7.6
    encoder = d.flow([("image", "input"), ("patches\n+ pos", "reshape")], x0=0.3, y=top, gap=1.0, w=1.5, h=0.9, shapes=[f"3x{size}x{size}"])
    blocks = []
    for i, hook in enumerate(model.hooks):
        xb = 5.6 + 3.6 * i
        blocks.append(d.box(xb, top, f"blocks ..{hook + 1}", "attention", w=1.9, h=0.9))
        d.arrow(encoder[-1] if i == 0 else blocks[i - 1], blocks[i], f"({grid * grid + 1}, {enc.embed_dim})" if i == 0 else None)
    ups = []
    for i, (b, shape) in enumerate(zip(blocks, maps)):
        factor = model.reassemble[i].factor
        resample = f"up x{int(factor)}" if factor > 1 else ("x1" if factor == 1 else f"down /{round(1 / factor)}")
        r = d.box(b.x, top - 2.1, f"reassemble\n1x1 conv, {resample}", "reshape", w=1.9, h=0.9)
        d.arrow(b, r, f"readout: {model.reassemble[i].readout.mode}")
        ups.append(r)
        f = d.box(b.x, top - 4.2, "fusion\n(RCU, up x2)", "conv", w=1.9, h=0.9)
        d.arrow(r, f, _fmt(shape))
        ups[i] = f
    for i in range(len(ups) - 1, 0, -1):
        d.arrow(ups[i], ups[i - 1], _fmt(fused[len(ups) - 1 - i]))
    head = d.box(ups[0].x - 3.4, top - 4.2, "depth or\nsegmentation head", "head", w=2.2, h=0.9)
    d.arrow(ups[0], head, _fmt(fused[-1]))
    out = d.box(head.x, top - 6.3, f"{size}x{size} map", "input", w=1.8, h=0.8)
    d.arrow(head, out)
    d.ax.text(11.0, 0.6, "coarse to fine: the deepest layer's map is fused first, each fusion doubles the resolution", ha="center", fontsize=8, color="#333333")
    d.legend()
    return d.figure
