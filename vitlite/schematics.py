"""The "architecture at a glance" figure of each chapter, drawn with :class:`vitlite.viz.Diagram`.

The tensor shapes on the arrows are not typed in: each function runs the course-size model once
on a blank image and reads them off, so the picture cannot drift from the code.
"""

from __future__ import annotations

import torch
from torch import nn

from vitlite.viz import Diagram, Figure

__all__ = ["traced_shapes", "mobilevit"]


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

    d = Diagram(20.5, 7.6, title=f"MobileViT at a glance (course size, {size}x{size} input; shapes are channels x height x width)")
    top = 5.7
    items = [("image", "input"), ("conv 3x3\nstride 2", "conv")]
    items += [(f"MV2 x{len(model.stages[i])}" + ("\n↓2" if i else ""), "conv") for i in range(n_ir)]
    items += [(f"MV2 ↓2 +\nMobileViT\nblock (L={len(b.transformer)})", "attention") for b in mobilevit_blocks(model)]
    items += [("conv 1x1", "conv"), ("pool", "pool"), ("linear", "head")]
    arrows = [_fmt((model.in_chans, size, size)), _fmt(shapes["stem"])] + [_fmt(shapes[f"stage{i}"]) for i in range(len(model.stages))] + [_fmt(shapes["exp"]), str(shapes["exp"][0])]
    net = d.flow(items, x0=0.2, y=top, gap=0.62, w=1.45, h=1.05, shapes=arrows)

    low = 2.2
    blocks = d.flow(
        [("X", "input"), ("conv 3x3", "conv"), ("conv 1x1\nto d", "conv"), ("unfold", "reshape"), (f"{len(block.transformer)} x transformer\n+ LayerNorm", "attention"), ("fold", "reshape"), ("conv 1x1\nto C", "conv")],
        x0=0.2, y=low, gap=0.95, w=1.45, h=0.95,
        shapes=[_fmt(shapes["local"]), _fmt(shapes["local"]), _fmt(shapes["to_d"]), seq, seq, _fmt(shapes["to_d"])],
    )
    cat = d.op(blocks[-1].right[0] + 0.75, low, "c")
    d.arrow(blocks[-1], cat, _fmt(shapes["proj"]))
    fuse = d.box(cat.x + 1.45, low, "conv 3x3\n(fusion)", "conv", w=1.4, h=0.95)
    d.arrow(cat, fuse, f"{2 * shapes['proj'][0]}x{h}x{w}")
    d.ax.text(fuse.right[0] + 0.1, low, _fmt(shapes["fusion"]), ha="left", va="center", fontsize=7, color="#1f4e79")
    d.skip(blocks[0], cat, "the input X, concatenated first", height=0.95)
    d.ax.text(blocks[3].x + 1.2, low - 0.95, f"global representation: {p * p} sequences (one per place in a {p}x{p} patch) of {h * w // (p * p)} patches each", ha="center", fontsize=7.5, color="#7a3e00")
    d.ax.text(blocks[1].x + 0.6, low - 0.95, "local representation", ha="center", fontsize=7.5, color="#1f4e79")
    first_mvit = net[2 + n_ir]
    d.ax.annotate("", xy=(blocks[0].x, low + 1.55), xytext=(first_mvit.x, first_mvit.y - 0.6), arrowprops=dict(arrowstyle="-", color="#999999", linestyle="--"))
    d.ax.text(0.3, low + 1.75, f"inside the first MobileViT block (C = {shapes['local'][0]}, d = {d_in}, {h}x{w} map):", fontsize=8.5, color="#333333")
    d.legend()
    return d.figure
