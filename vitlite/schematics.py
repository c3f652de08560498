"""The "architecture at a glance" figure of each chapter, drawn with :class:`vitlite.viz.Diagram`.

The tensor shapes on the arrows are not typed in: each function runs the course-size model once
on a blank image and reads them off, so the picture cannot drift from the code.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from vitlite.viz import Diagram, Figure

__all__ = [
    "traced_shapes",
    "attention_as_convolution",
    "vit",
    "t2t",
    "swin",
    "mobilevit",
    "mobilevit_versions",
    "detr",
    "dino",
    "setr",
    "dpt",
]


def traced_shapes(
    model: nn.Module, x: torch.Tensor, modules: dict[str, nn.Module], inputs: bool = False
) -> dict[str, tuple[int, ...]]:
    """The output shape (without the batch axis) of each named submodule when ``model(x)`` runs; with
    ``inputs``, the shape of its first input instead."""
    shapes: dict[str, tuple[int, ...]] = {}
    if inputs:
        handles = [
            m.register_forward_pre_hook(lambda _m, args, name=name: shapes.__setitem__(name, tuple(args[0].shape[1:])))
            for name, m in modules.items()
        ]
    else:
        handles = [
            m.register_forward_hook(lambda _m, _i, out, name=name: shapes.__setitem__(name, tuple(out.shape[1:])))
            for name, m in modules.items()
        ]
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for h in handles:
            h.remove()
    return shapes


def _fmt(shape: tuple[int, ...]) -> str:
    return "x".join(str(s) for s in shape)


def _seq(shape: tuple[int, ...]) -> str:
    """A token sequence's shape as the chapters print it: (tokens, width)."""
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _traced_attention(model: nn.Module, x: torch.Tensor) -> dict[str, tuple[int, ...]]:
    """The shape of every attention map (batch axis included: for window attention it counts the windows)."""
    from vitlite.layers import attention_maps

    with attention_maps(model) as maps, torch.no_grad():
        model.eval()(x)
    return {name: tuple(a.shape) for name, a in maps.items()}


def _connector(d: Diagram, start: tuple[float, float], end: tuple[float, float], text: str | None = None) -> None:
    """A dashed grey arrow from a block of the top row to the row that opens it, with a caption."""
    d.ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="-|>", color="#999999", linestyle="--"))
    if text:
        d.ax.text(end[0] + 0.2, end[1] + 0.2, text, fontsize=8.5, color="#333333")


def attention_as_convolution(model: nn.Module | None = None, img_size: int = 32) -> Figure:
    """Chapter 01: Cordonnier et al.'s construction, nine heads that together compute a 3x3 convolution.

    Built (with :func:`vitlite.models.attnconv.attention_from_conv`) at the widths of the attention
    layer of ``model`` (by default the course model ``attnconv_edges``: RGB in, 32 channels out) and
    run on a ``img_size`` x ``img_size`` image; the offsets, the attention and the projection's
    shapes are read off that layer."""
    from matplotlib.patches import Rectangle

    from vitlite.models import create_model
    from vitlite.models.attnconv import QuadraticAttention, attention_from_conv

    model = create_model("attnconv_edges") if model is None else model
    source = (
        model
        if isinstance(model, QuadraticAttention)
        else next((m for m in model.modules() if isinstance(m, QuadraticAttention)), None)
    )
    if source is None:
        raise ValueError(f"{type(model).__name__} has no QuadraticAttention layer to draw the construction for")
    k = round(source.num_heads**0.5)
    if k * k != source.num_heads or k % 2 == 0:
        raise ValueError(f"the construction needs K*K heads for an odd K, got {source.num_heads} heads")
    layer = attention_from_conv(torch.zeros(source.out_dim, source.dim, k, k), torch.zeros(source.out_dim))
    x = torch.zeros(1, source.dim, img_size, img_size)
    out = traced_shapes(layer, x, {"out": layer})["out"]
    concat = traced_shapes(layer, x, {"proj": layer.proj}, inputs=True)["proj"]  # (H, W, heads * C_in)
    attn = next(iter(_traced_attention(layer, x).values()))  # (1, heads, queries, keys)
    c_in, c_out, pad = source.dim, out[0], layer.padding
    shifts = [tuple(int(v) for v in s) for s in layer.shift.round().tolist()]
    n = len(shifts)

    d = Diagram(
        22.0,
        9.6,
        title=f"Attention as a convolution at a glance (Cordonnier et al.: {n} heads = a {k}x{k} kernel; widths of the course model, {c_in} -> {c_out} channels, {img_size}x{img_size} image)",
    )
    mid = 5.2
    image = d.box(0.95, mid, "X", "input", w=1.2, h=0.8)
    padded = d.box(
        3.55,
        mid,
        f"zero-pad {pad}\n(keys, values)",
        "reshape",
        w=1.8,
        h=0.9,
        note=_fmt((c_in, img_size + 2 * pad, img_size + 2 * pad)),
    )
    d.arrow(image, padded, _fmt(tuple(x.shape[1:])))
    rows = [mid + 0.64 * ((n - 1) / 2 - h) for h in range(n)]
    cat = d.op(11.2, mid, "c")
    for h, ((dy, dx), y) in enumerate(zip(shifts, rows)):
        head = d.box(7.0, y, f"head {h}:  Δ = ({dy:+d}, {dx:+d})", "attention", w=2.6, h=0.5, fontsize=8)
        d.ax.annotate(
            "",
            xy=head.left,
            xytext=padded.right,
            arrowprops=dict(arrowstyle="-|>", color="#777777", linewidth=0.7, shrinkA=0, shrinkB=0),
        )
        value = d.box(9.25, y, f"$W^{{({h})}}_{{val}}$", "mlp", w=0.9, h=0.5, fontsize=8)
        d.arrow(head, value)
        d.ax.annotate(
            "",
            xy=(cat.x - 0.22, cat.y),
            xytext=value.right,
            arrowprops=dict(arrowstyle="-|>", color="#777777", linewidth=0.7, shrinkA=0, shrinkB=0),
        )
    top = rows[0] + 0.45
    d.ax.text(
        7.0, top + 0.55, "score$_h$(q, k) = −α$_h$ ‖(k − q) − Δ$_h$‖²", ha="center", fontsize=8.5, color="#7a3e00"
    )
    d.ax.text(
        7.0, top + 0.15, "content term q·k set to 0: only where k is counts", ha="center", fontsize=7.5, color="#7a3e00"
    )
    d.ax.text(
        6.9,
        rows[-1] - 0.4,
        f"attention: {attn[1]} heads x {attn[2]} queries\nx {attn[3]} keys (the padded grid)",
        ha="center",
        va="top",
        fontsize=7.5,
        color="#1f4e79",
    )
    d.ax.text(
        8.85,
        rows[-1] - 0.4,
        f"values: identity here ({c_in} -> {c_in}),\nas in the paper's code",
        ha="left",
        va="top",
        fontsize=7.5,
        color="#333333",
    )
    d.ax.text(cat.x, cat.y + 0.35, f"{n} heads\nconcatenated", ha="center", va="bottom", fontsize=7.5, color="#333333")
    proj = d.box(13.7, mid, f"$W_{{out}}$\n({concat[-1]} -> {c_out})", "mlp", w=1.8, h=0.9)
    d.arrow(cat, proj, _seq((concat[0] * concat[1], concat[2])))
    result = d.box(16.55, mid, f"= conv {k}x{k}\n(padding {pad})", "input", w=1.8, h=0.9)
    d.arrow(proj, result, _fmt(out))

    cell, gx, gy = 0.95, 18.1, mid + 1.2
    for h, (dy, dx) in enumerate(shifts):
        cx, cy = gx + (dx + k // 2) * cell, gy - (dy + k // 2) * cell
        centre = dy == 0 and dx == 0
        d.ax.add_patch(
            Rectangle(
                (cx, cy - cell),
                cell,
                cell,
                facecolor="#fbd3a8" if not centre else "#f5a25d",
                edgecolor="#444444",
                linewidth=1.0,
            )
        )
        d.ax.text(cx + cell / 2, cy - cell / 2, f"h {h}\n({dy:+d},{dx:+d})", ha="center", va="center", fontsize=7)
    d.ax.text(
        gx + k * cell / 2,
        gy + 0.15,
        f"the {k}x{k} kernel's taps\n(row, col) offsets",
        ha="center",
        va="bottom",
        fontsize=8,
        color="#333333",
    )
    d.ax.text(
        gx + k * cell / 2,
        gy - k * cell - 0.15,
        f"block h of $W_{{out}}$ ({c_out} x {c_in})\n= the kernel's tap at Δ$_h$",
        ha="center",
        va="top",
        fontsize=7.5,
        color="#333333",
    )

    d.ax.text(
        11.0,
        1.05,
        "offset = key position − query position (row, col); head h looks at the pixel q + Δ$_h$, and only there as α$_h$ grows",
        ha="center",
        fontsize=8,
        color="#333333",
    )
    d.ax.text(
        11.0,
        0.6,
        "the course model's attention layer has these shapes, but its heads start at random offsets and must learn where to look",
        ha="center",
        fontsize=8,
        color="#7a1f1f",
    )
    d.legend()
    return d.figure


def vit(model: nn.Module) -> Figure:
    """Chapter 02: the ViT pipeline (the paper's Figure 1) on the top row, one encoder block opened on the bottom row."""
    size = model.patch_embed.img_size[0]
    p, c = model.patch_size, model.in_chans
    block = model.blocks[0]
    named = {
        "embed": model.patch_embed,
        "tokens": model.pos_drop,
        "encoder": model.blocks[-1],
        "norm": model.norm,
        "head": model.head,
    }
    named.update(norm1=block.norm1, attn=block.attn, hidden=block.mlp.fc1, mlp=block.mlp, block=block)
    shapes = traced_shapes(model, torch.zeros(1, c, size, size), named)
    n, dim = shapes["embed"]
    grid = size // p

    d = Diagram(
        22.0,
        7.8,
        title=f"ViT at a glance (course size, {size}x{size} input, {p}x{p} patches: a {grid}x{grid} grid of {n} tokens)",
    )
    top = 5.9
    cls = "[class] token" if model.global_pool == "token" else "mean of tokens"
    net = d.flow(
        [
            ("image", "input"),
            (f"{n} patches\n{p}x{p}, flattened", "reshape"),
            ("linear projection E\n" + f"(conv {p}x{p}, stride {p})", "conv"),
            ("prepend [class],\n+ position emb.", "reshape"),
            (f"Transformer\nencoder, L = {len(model.blocks)}", "attention"),
            (f"LayerNorm,\n{cls}", "norm"),
            ("linear head", "head"),
        ],
        x0=0.2,
        y=top,
        gap=0.95,
        w=1.95,
        h=1.05,
        shapes=[
            _fmt((c, size, size)),
            _seq((n, p * p * c)),
            _seq(shapes["embed"]),
            _seq(shapes["tokens"]),
            _seq(shapes["encoder"]),
            str(shapes["norm"][-1]),
        ],
    )
    d.ax.text(
        net[-1].right[0] + 0.1,
        top,
        f"{shapes['head'][-1]} class\nscores",
        ha="left",
        va="center",
        fontsize=7.5,
        color="#1f4e79",
    )
    d.ax.text(
        net[3].x,
        top + 0.75,
        f"learned: x_class ({model.cls_token.shape[-1]}), E_pos {_seq(tuple(model.pos_embed.shape[1:]))}",
        ha="center",
        fontsize=7.5,
        color="#7a3e00",
    )

    low = 2.4
    h = 0.9
    z = d.box(0.9, low, "$z_{l-1}$", "input", w=1.1, h=h)
    ln1 = d.box(3.1, low, "LayerNorm", "norm", w=1.6, h=h)
    msa = d.box(5.9, low, f"multi-head\nattention\n({block.attn.num_heads} heads)", "attention", w=1.9, h=1.05)
    add1 = d.op(8.3, low, "+")
    ln2 = d.box(10.3, low, "LayerNorm", "norm", w=1.6, h=h)
    mlp = d.box(13.3, low, f"MLP {dim} -> {shapes['hidden'][-1]} -> {shapes['mlp'][-1]}\nGELU", "mlp", w=2.5, h=h)
    add2 = d.op(16.0, low, "+")
    out = d.box(18.0, low, "$z_l$", "input", w=1.1, h=h)
    d.arrow(z, ln1, _seq(shapes["tokens"]))
    d.arrow(ln1, msa, _seq(shapes["norm1"]))
    d.arrow(msa, add1)
    d.arrow(add1, ln2, _seq(shapes["attn"]))
    d.arrow(ln2, mlp)
    d.arrow(mlp, add2)
    d.arrow(add2, out, _seq(shapes["block"]))
    d.skip(z, add1, "residual", height=0.75, label_at=0.5)
    d.skip(add1, add2, "residual", height=0.75, below=True, label_at=0.5)
    _connector(d, net[4].bottom, (net[4].x, low + 1.6))
    d.ax.text(
        0.3,
        low + 1.65,
        f"inside each encoder block (pre-norm), for all {1 + n} tokens of width D = {dim}:",
        fontsize=8.5,
        color="#333333",
    )
    d.ax.text(
        4.6,
        low - 1.0,
        "$z'_l$ = MSA(LN($z_{l-1}$)) + $z_{l-1}$,     $z_l$ = MLP(LN($z'_l$)) + $z'_l$",
        ha="center",
        va="top",
        fontsize=8.5,
        color="#333333",
    )
    d.legend()
    return d.figure


def t2t(model: nn.Module) -> Figure:
    """Chapter 03: the Tokens-to-Token module (soft splits, T2T transformer layers, re-structurization) on the
    top row, the deep-narrow ViT backbone it feeds on the bottom row."""
    size, c = model.img_size, model.in_chans
    t2t_module = model.tokens_to_token
    x = torch.zeros(1, c, size, size)
    named = {f"split{i}": s for i, s in enumerate(t2t_module.splits)}
    named.update(
        layer1=t2t_module.attention1,
        layer2=t2t_module.attention2,
        project=t2t_module.project,
        backbone=model.blocks[-1],
        norm=model.norm,
        head=model.head,
    )
    shapes = traced_shapes(model, x, named)
    split = {
        i: tuple(reversed(shapes[f"split{i}"])) for i in range(3)
    }  # nn.Unfold gives (C k k, N): as tokens, (N, C k k)
    with torch.no_grad():
        _, stages = t2t_module.eval()(x, return_stages=True)
    images = [tuple(im.shape[1:]) for im in stages]  # the re-structurized token grids, (C, h, w)
    ks, ss, ps = t2t_module.kernels, t2t_module.strides, t2t_module.paddings
    n, dim = shapes["project"]

    d = Diagram(
        22.5,
        7.8,
        title=f"T2T-ViT at a glance (course size, {size}x{size} input; the T2T module ends on a {math.isqrt(n)}x{math.isqrt(n)} grid of {n} tokens)",
    )
    top = 5.9

    def soft(i: int) -> tuple[str, str, str]:
        side = math.isqrt(split[i][0])
        return (f"soft split {i}\nk{ks[i]} s{ss[i]} p{ps[i]}", "reshape", f"{side}x{side} tokens")

    items = [
        ("image", "input"),
        soft(0),
        ("T2T transformer\nlayer 1", "attention"),
        ("re-structurize", "reshape"),
        soft(1),
        ("T2T transformer\nlayer 2", "attention"),
        ("re-structurize", "reshape"),
        soft(2),
    ]
    row = d.flow(
        items,
        x0=0.2,
        y=top,
        gap=0.95,
        w=1.78,
        h=1.0,
        shapes=[
            _fmt((c, size, size)),
            _seq(split[0]),
            _seq(shapes["layer1"]),
            _fmt(images[0]),
            _seq(split[1]),
            _seq(shapes["layer2"]),
            _fmt(images[1]),
        ],
    )
    for i, (first, last) in enumerate(((row[2], row[4]), (row[5], row[7]))):
        x0, x1, y = first.left[0], last.right[0], top + 0.85
        d.ax.plot([x0, x0, x1, x1], [y - 0.12, y, y, y - 0.12], color="#7a3e00", linewidth=1.0)
        d.ax.text(
            (x0 + x1) / 2,
            y + 0.08,
            f"T2T process {i + 1}: {images[i][1]}x{images[i][2]} -> {math.isqrt(split[i + 1][0])}x{math.isqrt(split[i + 1][0])} tokens",
            ha="center",
            va="bottom",
            fontsize=8,
            color="#7a3e00",
        )
    d.ax.text(
        row[1].x,
        top - 0.95,
        f"each token: a {ks[0]}x{ks[0]} window of\n{c} channels, {split[0][1]} values;\nwindows overlap by {ks[0] - ss[0]} pixels",
        ha="center",
        va="top",
        fontsize=7.5,
        color="#333333",
    )

    low = 2.4
    bottom = d.flow(
        [
            ("linear\nprojection", "mlp"),
            ("prepend [class],\n+ sinusoidal pos.", "reshape"),
            (f"T2T-ViT backbone\n{len(model.blocks)} blocks, D = {dim}", "attention"),
            ("LayerNorm,\n[class] token", "norm"),
            ("linear head", "head"),
        ],
        x0=7.4,
        y=low,
        gap=1.05,
        w=1.9,
        h=1.0,
        shapes=[_seq(shapes["project"]), _seq((n + 1, dim)), _seq(shapes["backbone"]), str(shapes["norm"][-1])],
    )
    d.ax.text(
        bottom[-1].right[0] + 0.1,
        low,
        f"{shapes['head'][-1]} class\nscores",
        ha="left",
        va="center",
        fontsize=7.5,
        color="#1f4e79",
    )
    elbow = top - 1.85
    start, end = row[-1].bottom, bottom[0].top
    d.ax.plot([start[0], start[0], end[0]], [start[1], elbow, elbow], color="#333333", linewidth=1.0)
    d.ax.annotate(
        "",
        xy=end,
        xytext=(end[0], elbow),
        arrowprops=dict(arrowstyle="-|>", color="#333333", linewidth=1.0, shrinkA=0, shrinkB=0),
    )
    d.ax.text(start[0] - 0.1, elbow + 0.1, _seq(split[2]), ha="right", va="bottom", fontsize=7, color="#1f4e79")
    d.ax.text(
        0.3,
        low + 0.3,
        "T2T module: soft split,\nthen twice (T2T layer,\nre-structurize, soft split),\nthen a projection to D",
        ha="left",
        va="center",
        fontsize=8,
        color="#333333",
    )
    d.ax.text(
        bottom[2].x,
        low - 1.0,
        "re-structurize: tokens (h·w, C) laid back out as a C x h x w image; soft split: nn.Unfold, every pixel in several tokens",
        ha="center",
        va="top",
        fontsize=7.5,
        color="#333333",
    )
    d.legend()
    return d.figure


def swin(model: nn.Module) -> Figure:
    """Chapter 04: the Swin hierarchy (patch partition, stages with patch merging between them, head) on the
    top row, and two successive blocks of the first stage, regular then shifted windows, on the bottom row."""
    size, c = model.img_size, model.in_chans
    x = torch.zeros(1, c, size, size)
    n_stages = len(model.stages)
    named = {"tokens": model.patch_norm, "norm": model.norm, "head": model.head}
    for i, stage in enumerate(model.stages):
        named[f"stage{i}"] = stage.blocks[-1]
        if stage.downsample is not None:
            named[f"merge{i}"] = stage.downsample
    s = next((i for i, stage in enumerate(model.stages) if len(stage.blocks) >= 2 and stage.blocks[1].shift_size), None)
    if s is None:
        raise ValueError("no stage has a shifted-window block to draw (every stage's map fits in one window)")
    first, second = model.stages[s].blocks[0], model.stages[s].blocks[1]
    named.update(hidden=first.mlp.fc1, mlp=first.mlp)
    shapes = traced_shapes(model, x, named)
    maps = _traced_attention(model, x)
    windows, heads, m2, _ = maps[f"stages.{s}.blocks.0.attn"]  # (windows of the one image, heads, M*M, M*M)
    res, dim = model.resolutions[s], model.dims[s]

    n_items = 2 + n_stages + sum(stage.downsample is not None for stage in model.stages) + 2
    d = Diagram(
        max(22.5, 0.2 + n_items * 3.05 + 1.2),
        7.8,
        title=f"Swin at a glance (course size, {size}x{size} input, {model.patch_size}x{model.patch_size} patches, {n_stages} stages; the paper's Swin-T has four)",
    )
    top = 5.8
    items = [
        ("image", "input"),
        (f"patch partition\n+ linear embedding\n(conv {model.patch_size}x{model.patch_size}, LN)", "conv"),
    ]
    arrows = [_fmt((c, size, size)), _seq(shapes["tokens"])]
    for i, stage in enumerate(model.stages):
        h, w = model.resolutions[i]
        items.append(
            (
                f"stage {i + 1}\n{len(stage.blocks)} x Swin block",
                "attention",
                f"{h}x{w} tokens, C = {model.dims[i]}\n{stage.blocks[0].attn.num_heads} heads, M = {stage.blocks[0].window_size}",
            )
        )
        arrows.append(_seq(shapes[f"stage{i}"]))
        if stage.downsample is not None:
            items.append(("patch merging\n2x2 -> 4C -> 2C", "pool"))
            arrows.append(_seq(shapes[f"merge{i}"]))
    items += [("LayerNorm,\naverage pool", "pool"), ("linear head", "head")]
    arrows.append(str(shapes["norm"][-1]))
    net = d.flow(items, x0=0.2, y=top, gap=0.95, w=2.1, h=1.05, shapes=arrows)
    d.ax.text(
        net[-1].right[0] + 0.1,
        top,
        f"{shapes['head'][-1]} class\nscores",
        ha="left",
        va="center",
        fontsize=7.5,
        color="#1f4e79",
    )

    low = 2.5
    bw, gap, r = 1.5, 0.5, 0.22
    x0 = 0.2
    kinds = [
        ("$z^{l-1}$", "input", 0.9),
        ("LN", "norm", 0.9),
        (f"W-MSA\nM = {first.window_size}", "attention", bw),
        ("+", None, 2 * r),
        ("LN", "norm", 0.9),
        ("MLP", "mlp", 1.2),
        ("+", None, 2 * r),
        ("LN", "norm", 0.9),
        (f"SW-MSA\nM = {second.window_size},\nshift {second.shift_size}", "attention", bw + 0.2),
        ("+", None, 2 * r),
        ("LN", "norm", 0.9),
        ("MLP", "mlp", 1.2),
        ("+", None, 2 * r),
        ("$z^{l+1}$", "input", 0.9),
    ]
    boxes = []
    for text, kind, w in kinds:
        cx = x0 + w / 2
        boxes.append(
            d.op(cx, low, text, r) if kind is None else d.box(cx, low, text, kind, w=w, h=1.0 if "MSA" in text else 0.8)
        )
        x0 += w + gap
    for a, b in zip(boxes, boxes[1:]):
        d.arrow(a, b)
    plus = [i for i, (_, kind, _) in enumerate(kinds) if kind is None]
    for j, (a, b) in enumerate(zip([0] + plus[:-1], plus)):
        d.skip(boxes[a], boxes[b], None, height=0.7, below=bool(j % 2))
    msa, smsa = boxes[2], boxes[8]
    d.ax.text(
        msa.x,
        msa.bottom[1] - 0.15,
        f"{windows} windows\nx {m2} tokens",
        ha="center",
        va="top",
        fontsize=7,
        color="#1f4e79",
    )
    d.ax.text(
        smsa.x,
        smsa.bottom[1] - 0.15,
        f"roll by -{second.shift_size}, mask\n{_fmt(tuple(second.attn_mask.shape))}",
        ha="center",
        va="top",
        fontsize=7,
        color="#1f4e79",
    )
    d.ax.text(
        boxes[5].x,
        boxes[5].top[1] + 0.15,
        f"{dim} -> {shapes['hidden'][-1]} -> {shapes['mlp'][-1]}",
        ha="center",
        va="bottom",
        fontsize=7,
        color="#1f4e79",
    )
    d.ax.text(
        boxes[6].x + 0.6,
        low - 1.25,
        f"block l: windows of M x M = {m2} tokens, {heads} heads, relative position bias;  block l + 1: the window grid shifted by {second.shift_size} tokens, so neighbouring windows meet",
        ha="center",
        va="top",
        fontsize=7.5,
        color="#333333",
    )
    stage_box = net[2 + 2 * s]
    caption = f"two successive Swin blocks of stage {s + 1} ({res[0]}x{res[1]} tokens, C = {dim}); every arrow carries {_seq(shapes['stage' + str(s)])}:"
    _connector(d, (stage_box.x, stage_box.bottom[1] - 0.6), (stage_box.x, low + 1.3), caption)
    d.legend()
    return d.figure


def mobilevit(model: nn.Module) -> Figure:
    """Chapter 05: the MobileViT network (top row) and the MobileViT block of its first transformer stage (bottom row)."""
    from vitlite.models.mobilevit import mobilevit_blocks

    size = model.img_size
    n_ir = len(model.stages) - len(mobilevit_blocks(model))
    named = {"stem": model.stem, **{f"stage{i}": s for i, s in enumerate(model.stages)}}
    block = mobilevit_blocks(model)[0]
    named.update(
        local=block.conv_kxk, to_d=block.conv_1x1, proj=block.conv_proj, fusion=block.fusion, exp=model.conv_exp
    )
    shapes = traced_shapes(model, torch.zeros(1, model.in_chans, size, size), named)
    d_in, h, w = shapes["to_d"]
    p = block.patch_size
    seq = f"({p * p}, {h * w // (p * p)}, {d_in})"

    d = Diagram(
        22.5,
        7.6,
        title=f"MobileViT at a glance (course size, {size}x{size} input; shapes are channels x height x width)",
    )
    top = 5.7
    items = [("image", "input"), ("conv 3x3\nstride 2", "conv")]
    items += [(f"MV2 x{len(model.stages[i])}" + ("\n↓2" if i else ""), "conv") for i in range(n_ir)]
    items += [(f"MV2 ↓2 +\nMobileViT\nblock (L={len(b.transformer)})", "attention") for b in mobilevit_blocks(model)]
    items += [("conv 1x1", "conv"), ("pool", "pool"), ("linear", "head")]
    arrows = (
        [_fmt((model.in_chans, size, size)), _fmt(shapes["stem"])]
        + [_fmt(shapes[f"stage{i}"]) for i in range(len(model.stages))]
        + [_fmt(shapes["exp"]), str(shapes["exp"][0])]
    )
    net = d.flow(items, x0=0.2, y=top, gap=0.95, w=1.3, h=1.05, shapes=arrows)

    low = 2.2
    blocks = d.flow(
        [
            ("X", "input"),
            ("conv 3x3", "conv"),
            ("conv 1x1\nto d", "conv"),
            ("unfold", "reshape"),
            (f"{len(block.transformer)} x transformer\n+ LayerNorm", "attention"),
            ("fold", "reshape"),
            ("conv 1x1\nto C", "conv"),
        ],
        x0=0.2,
        y=low,
        gap=1.15,
        w=1.45,
        h=0.95,
        shapes=[_fmt(shapes["local"]), _fmt(shapes["local"]), _fmt(shapes["to_d"]), seq, seq, _fmt(shapes["to_d"])],
    )
    cat = d.op(blocks[-1].right[0] + 0.75, low, "c")
    d.arrow(blocks[-1], cat, _fmt(shapes["proj"]))
    fuse = d.box(cat.x + 1.45, low, "conv 3x3\n(fusion)", "conv", w=1.4, h=0.95)
    d.arrow(cat, fuse, f"{2 * shapes['proj'][0]}x{h}x{w}")
    d.ax.text(fuse.right[0] + 0.1, low, _fmt(shapes["fusion"]), ha="left", va="center", fontsize=7, color="#1f4e79")
    d.skip(blocks[0], cat, "the input X, concatenated first", height=0.95, label_at=0.2)
    d.ax.text(
        blocks[3].x + 1.2,
        low - 0.95,
        f"global representation: {p * p} sequences (one per place in a {p}x{p} patch) of {h * w // (p * p)} patches each",
        ha="center",
        fontsize=7.5,
        color="#7a3e00",
    )
    d.ax.text(blocks[1].x + 0.6, low - 0.95, "local representation", ha="center", fontsize=7.5, color="#1f4e79")
    first_mvit = net[2 + n_ir]
    d.ax.annotate(
        "",
        xy=(first_mvit.x, low + 1.55),
        xytext=(first_mvit.x, first_mvit.y - 0.6),
        arrowprops=dict(arrowstyle="-|>", color="#999999", linestyle="--"),
    )
    d.ax.text(
        first_mvit.x + 0.2,
        low + 1.75,
        f"inside the first MobileViT block (C = {shapes['local'][0]}, d = {d_in}, {h}x{w} map):",
        fontsize=8.5,
        color="#333333",
    )
    d.legend()
    return d.figure


def mobilevit_versions() -> Figure:
    """Chapter 06: the first MobileViT block of the course-size model in its three versions, one row each."""
    from vitlite.models import create_model
    from vitlite.models.mobilevit import MobileViTBlock
    from vitlite.models.mobilevitv2 import MobileViTv2Block

    d = Diagram(
        22.5,
        10.2,
        title="One block, three versions (course size, first MobileViT stage: C = 32, d = 48, 8x8 map, 2x2 patches)",
    )
    rows = {"v1": 8.2, "v2": 5.2, "v3": 2.2}
    for version, y in rows.items():
        model = create_model("mobilevit_tiny_shapes", block=version)
        block = next(m for m in model.modules() if isinstance(m, (MobileViTBlock, MobileViTv2Block)))
        shapes = traced_shapes(
            model,
            torch.zeros(1, 3, model.img_size, model.img_size),
            {"x": block.conv_kxk, "local": block.conv_1x1, "proj": block.conv_proj},
        )
        c, h, w = shapes["x"]
        dim = shapes["local"][0]
        p = block.patch_size
        seq = f"({p * p}, {h * w // (p * p)}, {dim})" if version != "v2" else f"({dim}, {p * p}, {h * w // (p * p)})"
        attention = "2 x MHA layers\n+ LayerNorm" if version != "v2" else "2 x separable\nattention + GN"
        local_conv = "conv 3x3" if version == "v1" else "depthwise\nconv 3x3"
        d.ax.text(
            0.2,
            y + 1.3,
            {
                "v1": "v1 (MobileViT)",
                "v2": "v2 (separable self-attention, no fusion)",
                "v3": "v3 (v1-based: 1x1 fusion of local and global, input added)",
            }[version],
            fontsize=9,
            color="#333333",
        )
        items = [
            ("X", "input"),
            (local_conv, "conv"),
            ("conv 1x1\nto d", "conv"),
            ("unfold", "reshape"),
            (attention, "attention"),
            ("fold", "reshape"),
            ("conv 1x1\nto C", "conv" if version != "v2" else "conv"),
        ]
        boxes = d.flow(
            items,
            x0=0.2,
            y=y,
            gap=1.15,
            w=1.45,
            h=0.9,
            shapes=[f"{c}x{h}x{w}", f"{c}x{h}x{w}", f"{dim}x{h}x{w}", seq, seq, f"{dim}x{h}x{w}"],
        )
        if version == "v2":
            d.ax.text(
                boxes[-1].right[0] + 0.1,
                y,
                f"{c}x{h}x{w}: the output (BN, no activation)",
                ha="left",
                va="center",
                fontsize=7,
                color="#1f4e79",
            )
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
    shapes = traced_shapes(
        model, x, {"backbone_last": model.backbone.layers[-1], "proj": model.input_proj, "cls": model.class_embed}
    )
    c, h, w = shapes["backbone_last"]
    d_model = shapes["proj"][0]
    n = model.num_queries
    k = shapes["cls"][-1]
    d = Diagram(22.0, 7.0, title=f"DETR at a glance (course size, {size}x{size} input)")
    y = 4.6
    boxes = d.flow(
        [
            ("image", "input"),
            ("CNN\nbackbone", "conv"),
            ("conv 1x1", "conv"),
            ("flatten\n+ sine pos", "reshape"),
            (f"encoder\n{len(model.encoder)} layers", "attention"),
            (f"decoder\n{len(model.decoder)} layers", "attention"),
            ("class head\n+ box MLP", "head"),
            ("Hungarian\nmatching", "loss"),
        ],
        x0=0.3,
        y=y,
        gap=1.05,
        w=1.55,
        h=1.0,
        shapes=[
            f"3x{size}x{size}",
            f"{c}x{h}x{w}",
            f"{d_model}x{h}x{w}",
            f"({h * w}, {d_model})",
            f"({h * w}, {d_model})",
            f"({n}, {d_model})",
            f"({n}, {k}), ({n}, 4)",
        ],
    )
    queries = d.box(boxes[5].x, 2.0, f"{n} object queries\n(learned, {d_model})", "mlp", w=1.9, h=0.9)
    d.arrow(queries, boxes[5])
    targets = d.box(boxes[7].x, 2.0, "ground truth\n(M objects)", "input", w=1.6, h=0.9)
    d.arrow(targets, boxes[7])
    d.ax.text(
        boxes[7].x,
        y + 0.9,
        "one prediction per object;\nthe rest: 'no object'",
        ha="center",
        fontsize=7.5,
        color="#7a1f1f",
    )
    d.ax.text(
        boxes[4].x + 1.3,
        1.2,
        "no anchors, no NMS: a set of N predictions, trained through a one-to-one matching",
        ha="center",
        fontsize=8,
        color="#333333",
    )
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
        [
            ("image", "input"),
            ("CNN backbone\n+ extra level", "conv"),
            ("flatten levels\n+ pos + level emb.", "reshape"),
            (f"deformable\nencoder x{len(model.encoder)}", "attention"),
            ("query selection\n(top-K proposals)", "head"),
            (f"deformable\ndecoder x{len(model.decoder)}", "attention"),
            ("class + box\nheads (shared)", "head"),
            ("Hungarian\nmatching", "loss"),
        ],
        x0=0.3,
        y=y,
        gap=1.0,
        w=1.6,
        h=1.05,
        shapes=[
            f"3x{size}x{size}",
            " + ".join(f"{h}x{w}" for _, h, w in levels),
            f"({tokens}, {d_model})",
            f"({tokens}, {d_model})",
            f"{n} anchors",
            f"({n}, {d_model})",
            f"({n}, K), ({n}, 4)",
        ],
    )
    content = d.box(boxes[4].x, 3.3, f"{n} content queries\n(learned)", "mlp", w=1.8, h=0.85)
    d.arrow(content, boxes[5])
    dn = d.box(boxes[5].x, 1.6, "denoising queries\n(training only)", "input", w=2.0, h=0.9)
    d.arrow(dn, boxes[5])
    gt = d.box(boxes[3].x, 1.6, "ground truth\n+ noise λ1, λ2", "input", w=1.8, h=0.9)
    d.arrow(gt, dn, "positives, negatives")
    recon = d.box(boxes[7].x, 1.6, "reconstruct\n(no matching)", "loss", w=1.7, h=0.9)
    d.arrow(dn, recon, "positives: box; negatives: 'no object'", label_pos="below")
    d.ax.text(
        boxes[5].x,
        y + 1.0,
        "each layer refines every anchor box;\nlook forward twice: layer i's box trains layer i - 1 too",
        ha="center",
        fontsize=7.5,
        color="#7a1f1f",
    )
    d.ax.text(
        boxes[3].x,
        y - 1.45,
        "each position samples a few points\non every level (not all positions)",
        ha="center",
        fontsize=7.5,
        color="#333333",
    )
    d.legend()
    return d.figure


def setr(model: nn.Module) -> Figure:
    """Chapter 09: SETR: a ViT encoder at one resolution and the three decoders."""
    size = 64
    enc = model.encoder
    grid = size // enc.patch_size
    dim = enc.embed_dim
    k = model.num_classes
    d = Diagram(
        22.0,
        8.0,
        title=f"SETR at a glance (course size, {size}x{size} input, {enc.patch_size}x{enc.patch_size} patches)",
    )
    y = 6.3
    boxes = d.flow(
        [
            ("image", "input"),
            ("patches\n+ pos", "reshape"),
            (f"ViT encoder\n{len(enc.blocks)} blocks", "attention"),
            ("tokens -> map\n(drop class token)", "reshape"),
        ],
        x0=0.3,
        y=y,
        gap=1.1,
        w=1.7,
        h=1.0,
        shapes=[f"3x{size}x{size}", f"({grid * grid + 1}, {dim})", f"({grid * grid + 1}, {dim})"],
    )
    rows = [
        (
            "Naive",
            [
                ("LN, 1x1 conv\nBN, ReLU", "conv"),
                (f"1x1 conv\nto {k} classes", "head"),
                ("bilinear\nup x" + str(enc.patch_size), "reshape"),
            ],
            f"{dim}x{grid}x{grid}",
        ),
        (
            "PUP",
            [("3x3 conv, BN,\nReLU, up x2", "conv"), ("... x log2(p)", "conv"), ("1x1 conv\nto classes", "head")],
            f"{dim}x{grid}x{grid}",
        ),
        (
            "MLA",
            [
                ("4 layers: LN,\n1x1 conv", "conv"),
                ("top-down sums,\n3x3 convs", "conv"),
                ("heads, up x4,\nconcat, 3x3", "head"),
            ],
            f"4 x {dim}x{grid}x{grid}",
        ),
    ]
    for r, (name, items, shape) in enumerate(rows):
        yy = 4.3 - 1.5 * r
        label = d.box(boxes[3].x + 0.1, yy, name, "input", w=1.0, h=0.7)
        row = d.flow(items, x0=boxes[3].x + 1.8, y=yy, gap=0.9, w=1.8, h=0.95)
        d.arrow(label, row[0], shape)
        out = d.box(row[-1].x + 2.6, yy, f"{k}x{size}x{size}", "input", w=1.5, h=0.7)
        d.arrow(row[-1], out)
    d.ax.text(
        boxes[2].x,
        y - 1.1,
        "one resolution throughout: 1/p of the image;\nevery layer sees the whole image",
        ha="center",
        fontsize=7.5,
        color="#7a1f1f",
    )
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
    d = Diagram(
        22.0,
        9.0,
        title=f"DPT at a glance (course size, {size}x{size} input, {enc.patch_size}x{enc.patch_size} patches)",
    )
    top = 7.6
    encoder = d.flow(
        [("image", "input"), ("patches\n+ pos", "reshape")],
        x0=0.3,
        y=top,
        gap=1.0,
        w=1.5,
        h=0.9,
        shapes=[f"3x{size}x{size}"],
    )
    blocks = []
    for i, hook in enumerate(model.hooks):
        xb = 5.6 + 3.6 * i
        blocks.append(d.box(xb, top, f"blocks ..{hook + 1}", "attention", w=1.9, h=0.9))
        d.arrow(
            encoder[-1] if i == 0 else blocks[i - 1],
            blocks[i],
            f"({grid * grid + 1}, {enc.embed_dim})" if i == 0 else None,
        )
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
    d.ax.text(
        11.0,
        0.6,
        "coarse to fine: the deepest layer's map is fused first, each fusion doubles the resolution",
        ha="center",
        fontsize=8,
        color="#333333",
    )
    d.legend()
    return d.figure
