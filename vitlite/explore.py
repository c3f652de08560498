"""Interactive explorers: ipywidgets controls on top of plain drawing functions.

An :class:`Explorer` is a function ``draw(fig, **values)`` plus a description of its
controls. The drawing (and whatever it computes) is ordinary code, tested without
a browser; the widgets are built only when a notebook front end will show them.
Only widget features common to ipywidgets 7.7 (Colab) and 8.x are used. Without a
front end (a script, the test suite), ``show()`` prints one line and draws the
default view as a static figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from vitlite import env
from vitlite.viz import DPI, Figure

if TYPE_CHECKING:
    import torch

__all__ = [
    "IntSlider",
    "FloatSlider",
    "Dropdown",
    "Checkbox",
    "Explorer",
    "conv_attention_explorer",
    "vit_attention_explorer",
    "soft_split_explorer",
    "shifted_window_explorer",
    "mobilevit_explorer",
    "context_score_explorer",
    "matching_explorer",
    "detr_attention_explorer",
    "denoising_explorer",
    "deformable_sampling_explorer",
    "setr_explorer",
    "dpt_stage_explorer",
    "depth_error_explorer",
]


@dataclass(frozen=True)
class IntSlider:
    min: int
    max: int
    step: int = 1
    value: int | None = None
    description: str | None = None

    @property
    def default(self) -> int:
        return self.min if self.value is None else self.value

    def check(self, name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not self.min <= value <= self.max:
            raise ValueError(f"{name} must be an int in [{self.min}, {self.max}], got {value!r}")
        return value

    def widget(self, name: str):
        import ipywidgets as W

        return W.IntSlider(
            min=self.min,
            max=self.max,
            step=self.step,
            value=self.default,
            description=self.description or name,
            continuous_update=False,
        )


@dataclass(frozen=True)
class FloatSlider:
    min: float
    max: float
    step: float = 0.1
    value: float | None = None
    log: bool = False
    description: str | None = None

    @property
    def default(self) -> float:
        return self.min if self.value is None else self.value

    def check(self, name: str, value: Any) -> float:
        slack = 1e-9 * max(abs(self.min), abs(self.max))  # a log slider's ends are 10**log10(x), a hair off x
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not self.min - slack <= value <= self.max + slack
        ):
            raise ValueError(f"{name} must be a number in [{self.min}, {self.max}], got {value!r}")
        return min(max(float(value), self.min), self.max)

    def widget(self, name: str):
        import ipywidgets as W

        label = self.description or name
        if self.log:
            return W.FloatLogSlider(
                base=10,
                min=math.log10(self.min),
                max=math.log10(self.max),
                step=self.step,
                value=self.default,
                description=label,
                continuous_update=False,
            )
        return W.FloatSlider(
            min=self.min, max=self.max, step=self.step, value=self.default, description=label, continuous_update=False
        )


@dataclass(frozen=True)
class Dropdown:
    options: Sequence[Any] | Mapping[str, Any]
    value: Any = None
    description: str | None = None

    def _pairs(self) -> list[tuple[str, Any]]:
        if isinstance(self.options, Mapping):
            return list(self.options.items())
        return [(str(o), o) for o in self.options]

    @property
    def default(self) -> Any:
        return self._pairs()[0][1] if self.value is None else self.value

    def check(self, name: str, value: Any) -> Any:
        allowed = [v for _, v in self._pairs()]
        if value not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        return value

    def widget(self, name: str):
        import ipywidgets as W

        return W.Dropdown(options=self._pairs(), value=self.default, description=self.description or name)


@dataclass(frozen=True)
class Checkbox:
    value: bool = False
    description: str | None = None

    @property
    def default(self) -> bool:
        return self.value

    def check(self, name: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, got {value!r}")
        return value

    def widget(self, name: str):
        import ipywidgets as W

        return W.Checkbox(value=self.default, description=self.description or name)


Control = IntSlider | FloatSlider | Dropdown | Checkbox


class Explorer:
    """Controls plus a drawing function ``draw(fig, **values)``.

    ``figure(**values)`` renders one view as a static figure (for tests and for the
    fixed-setting figure after each explorer); ``show()`` (or leaving the explorer as
    a cell's last expression) displays the live widgets.
    """

    def __init__(
        self,
        draw: Callable[..., None],
        controls: Mapping[str, Control],
        title: str = "",
        figsize: tuple[float, float] = (9.0, 3.6),
    ):
        self.draw = draw
        self.controls = dict(controls)
        self.title = title
        self.figsize = figsize

    def values(self, **overrides: Any) -> dict[str, Any]:
        """Every control's value: its default unless overridden; bad names and values raise ValueError."""
        unknown = set(overrides) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; this explorer has {sorted(self.controls)}")
        return {
            name: control.check(name, overrides[name]) if name in overrides else control.default
            for name, control in self.controls.items()
        }

    def figure(self, **values: Any) -> Figure:
        """The view at the given control values (defaults for the rest)."""
        fig = Figure(figsize=self.figsize, dpi=DPI, layout="constrained")
        self.draw(fig, **self.values(**values))
        if self.title:
            fig.suptitle(self.title, fontsize=11)
        return fig

    def widget(self):
        """The live explorer: the controls above an output area that redraws on every change."""
        import ipywidgets as W
        from IPython.display import clear_output, display

        inputs = {name: control.widget(name) for name, control in self.controls.items()}
        out = W.Output()

        def redraw(_change: Any = None) -> None:
            with out:
                clear_output(wait=True)
                display(self.figure(**{name: w.value for name, w in inputs.items()}))

        for w in inputs.values():
            w.observe(redraw, names="value")
        redraw()
        return W.VBox([W.HBox(list(inputs.values()), layout=W.Layout(flex_flow="row wrap")), out])

    def show(self) -> None:
        from IPython.display import display

        if env.headless():
            names = ", ".join(self.controls)
            print(
                f"[explorer] {self.title or 'explorer'}: controls {names}. Run the notebook live to use them; default view below."
            )
            display(self.figure())
        else:
            display(self.widget())

    def _ipython_display_(self) -> None:
        self.show()


# ---------------------------------------------------------------- chapter 01
def conv_attention_explorer(image: "torch.Tensor", kernel: "torch.Tensor") -> Explorer:
    """Cordonnier et al.'s construction, live: pick a query pixel, a head and alpha.

    ``image`` is one channel (H, W); ``kernel`` is (3, 3). Left: where the chosen head
    looks from the query. Middle: the kernel, with the head's tap outlined. Right: how
    the whole attention layer weighs the input around the query, next to the kernel's
    footprint it approaches as alpha grows.
    """
    import torch

    from vitlite.models.attnconv import attention_from_conv, conv_shifts, effective_weights, head_attention_map
    from vitlite.viz import heatmap, overlay

    if image.ndim != 2 or kernel.shape != (3, 3):
        raise ValueError(
            f"expected a (H, W) image and a (3, 3) kernel, got {tuple(image.shape)} and {tuple(kernel.shape)}"
        )
    h, w = image.shape
    image, kernel = image.double(), kernel.double()
    shifts = conv_shifts(3).int().tolist()
    padded = torch.nn.functional.pad(image, [1, 1, 1, 1])
    conv = torch.nn.functional.conv2d(image[None, None], kernel[None, None], padding=1)[0, 0]

    def draw(fig, row: int, col: int, head: int, alpha: float) -> None:
        layer = attention_from_conv(kernel[None, None], alpha=alpha)
        maps = head_attention_map(layer, (h, w), row, col)
        weights = effective_weights(layer, (h, w), row, col)[0, 0]
        out = layer(image[None, None])[0, 0, row, col].item()
        ax_head, ax_kernel, ax_layer = fig.subplots(1, 3)
        norm = padded / max(padded.max().item(), 1e-9)
        overlay(
            ax_head,
            norm,
            maps[head],
            alpha=0.65,
            cmap="magma",
            title=f"head {head} (shift {tuple(shifts[head])}): attention from the query",
        )
        ax_head.add_patch(_square(col + 1, row + 1, "cyan"))
        heatmap(
            ax_kernel, kernel, title="kernel (this head's tap outlined)", annotate=True, fmt="{:.0f}", cmap="coolwarm"
        )
        dy, dx = shifts[head]
        ax_kernel.add_patch(_square(dx + 1, dy + 1, "black", lw=3))
        lim = kernel.abs().max().item()
        # Only the query's neighbourhood carries weight: show the 5x5 cells of the padded image around it,
        # with the values written in, and the kernel's 3x3 footprint outlined.
        top, left = max(0, min(row - 1, weights.shape[0] - 5)), max(0, min(col - 1, weights.shape[1] - 5))
        crop = weights[top : top + 5, left : left + 5]
        crop = torch.where(crop.abs() < 0.005, torch.zeros_like(crop), crop)  # no "-0.00"
        heatmap(
            ax_layer,
            crop,
            title=f"layer's weights around the query (padded grid)\noutput {out:.3f}, convolution {conv[row, col].item():.3f}",
            annotate=True,
            fmt="{:.2f}",
            cmap="coolwarm",
            vmin=-lim,
            vmax=lim,
        )
        ax_layer.add_patch(_square(col + 1 - left, row + 1 - top, "black", size=3))
        ax_layer.add_patch(_square(col + 1 - left, row + 1 - top, "cyan"))

    controls = {
        "row": IntSlider(0, h - 1, value=0),
        "col": IntSlider(0, w - 1, value=0),
        "head": Dropdown({f"{i}: shift {tuple(s)}": i for i, s in enumerate(shifts)}, value=4),
        "alpha": FloatSlider(0.1, 100.0, step=0.05, value=2.0, log=True),
    }
    return Explorer(draw, controls, title="A 3x3 convolution as 9-head attention", figsize=(11.0, 4.0))


def _image_options(titles: "list[str]") -> dict[str, int]:
    """Dropdown options for a list of images: their titles, numbered when two titles are the same."""
    if len(set(titles)) == len(titles):
        return {t: i for i, t in enumerate(titles)}
    return {f"{i}: {t}": i for i, t in enumerate(titles)}


def _square(x: float, y: float, color: str, size: int = 1, lw: float = 2.0):
    from matplotlib.patches import Rectangle

    half = size / 2
    return Rectangle((x - half, y - half), size, size, fill=False, edgecolor=color, linewidth=lw)


# ---------------------------------------------------------------- chapter 02
def vit_attention_explorer(model, images: "torch.Tensor", titles: "list[str] | None" = None) -> Explorer:
    """Where a ViT looks: pick an image, a layer, a head (or their mean) and a query
    (the class token or a patch). Left: the image and the query. Middle: that layer's
    attention from the query. Right: attention rollout through all layers up to this one."""
    from vitlite.models.vit import attention_rollout, collect_attention
    from vitlite.viz import heatmap, overlay

    if images.ndim != 4:
        raise ValueError(f"images must be a batch (B, C, H, W), got shape {tuple(images.shape)}")
    maps = collect_attention(model, images.to(next(model.parameters()).device))
    maps = [m.cpu() for m in maps]
    gh, gw = images.shape[-2] // model.patch_size, images.shape[-1] // model.patch_size
    prefix, p = model.num_prefix_tokens, model.patch_size
    titles = titles or [f"image {i}" for i in range(len(images))]
    queries = ({"class token": -1} if prefix else {}) | {
        f"patch ({r}, {c})": r * gw + c for r in range(gh) for c in range(gw)
    }

    def draw(fig, image: int, layer: int, head: int, query: int) -> None:
        token = 0 if query < 0 else prefix + query
        attn = maps[layer][image]  # (heads, T, T)
        row = (attn.mean(0) if head < 0 else attn[head])[token, prefix:].reshape(gh, gw)
        rolled = attention_rollout([m[image : image + 1] for m in maps[: layer + 1]])[0, token, prefix:].reshape(gh, gw)
        ax_img, ax_attn, ax_roll = fig.subplots(1, 3)
        ax_img.imshow(images[image].permute(1, 2, 0).clamp(0, 1).cpu().numpy(), interpolation="nearest")
        ax_img.set_title(titles[image], fontsize=9)
        ax_img.axis("off")
        if query >= 0:
            r, c = divmod(query, gw)
            ax_img.add_patch(_square(c * p + (p - 1) / 2, r * p + (p - 1) / 2, "cyan", size=p))
        who = "class token" if query < 0 else f"patch {divmod(query, gw)}"
        which = "mean of heads" if head < 0 else f"head {head}"
        overlay(ax_attn, images[image], row, title=f"layer {layer}, {which}: attention of the {who}")
        heatmap(ax_roll, rolled, title=f"rollout through layers 0..{layer}", cmap="inferno")

    controls = {
        "image": Dropdown(_image_options(titles)),
        "layer": IntSlider(0, len(maps) - 1, value=len(maps) - 1),
        "head": Dropdown({"mean of heads": -1} | {f"head {h}": h for h in range(maps[0].shape[1])}),
        "query": Dropdown(queries),
    }
    return Explorer(draw, controls, title="Where the ViT looks", figsize=(10.5, 3.8))


# ---------------------------------------------------------------- chapter 03
def soft_split_explorer(
    image: "torch.Tensor",
    kernels: tuple[int, ...] = (7, 3, 3),
    strides: tuple[int, ...] = (4, 2, 2),
    paddings: tuple[int, ...] = (2, 1, 1),
    vit_patch: int = 16,
) -> Explorer:
    """Pick a point of the image: for each T2T stage, the pixels the soft splits gather into the token
    there (green) and into its right-hand neighbour (magenta), overlap in white; and ViT's hard patch."""
    import numpy as np
    from matplotlib.patches import Rectangle

    from vitlite.models.t2t import soft_split_footprint, soft_split_size
    from vitlite.viz import to_image

    size = image.shape[-1]
    sides, side = [], size
    for k, s, p in zip(kernels, strides, paddings):
        side = soft_split_size(side, k, s, p)
        sides.append(side)

    def token_at(y: int, x: int, stage: int) -> tuple[int, int]:
        scale = size / sides[stage]
        return min(int(y / scale), sides[stage] - 1), min(int(x / scale), sides[stage] - 1)

    def draw(fig, y: int, x: int) -> None:
        axes = fig.subplots(1, len(sides) + 1)
        base = to_image(image) * 0.45
        for stage, ax in enumerate(axes[: len(sides)]):
            r, c = token_at(y, x, stage)
            this = soft_split_footprint(size, kernels, strides, paddings, stage, r, c) > 0
            right = soft_split_footprint(size, kernels, strides, paddings, stage, r, min(c + 1, sides[stage] - 1)) > 0
            rgb = base.copy()
            rgb[this.numpy()] = [0.2, 0.9, 0.2]
            rgb[right.numpy()] = [0.9, 0.2, 0.9]
            rgb[(this & right).numpy()] = [1.0, 1.0, 1.0]
            ax.imshow(rgb, interpolation="nearest")
            ax.set_title(
                f"stage {stage}: token ({r}, {c}) of {sides[stage]}x{sides[stage]}\n{int(this.sum())} px, {int((this & right).sum())} shared",
                fontsize=8,
            )
            ax.axis("off")
            # A zoomed inset: at full size a footprint of a few pixels is hard to see.
            rows, cols = np.nonzero((this | right).numpy())
            if len(rows):
                pad = 4
                r0, r1 = max(0, rows.min() - pad), min(size, rows.max() + pad + 1)
                c0, c1 = max(0, cols.min() - pad), min(size, cols.max() + pad + 1)
                left = 0.0 if cols.mean() > size / 2 else 0.6  # the corner away from the footprint
                bottom = 0.0 if rows.mean() < size / 2 else 0.6  # (axes coordinates: y grows upwards)
                inset = ax.inset_axes([left, bottom, 0.4, 0.4])
                inset.imshow(rgb[r0:r1, c0:c1], interpolation="nearest")
                inset.set_xticks([])
                inset.set_yticks([])
                for spine in inset.spines.values():
                    spine.set_edgecolor("yellow")
                ax.add_patch(
                    Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False, edgecolor="yellow", linewidth=0.8)
                )
        ax = axes[-1]
        rgb = base.copy()
        py, px = (y // vit_patch) * vit_patch, (x // vit_patch) * vit_patch
        rgb[py : py + vit_patch, px : px + vit_patch] = [0.2, 0.9, 0.2]
        rgb[py : py + vit_patch, px + vit_patch : px + 2 * vit_patch] = [0.9, 0.2, 0.9]
        ax.imshow(np.clip(rgb, 0, 1), interpolation="nearest")
        ax.set_title(f"ViT, hard {vit_patch}x{vit_patch} split:\nneighbours share nothing", fontsize=8)
        ax.axis("off")

    controls = {"y": IntSlider(0, size - 1, value=size // 2), "x": IntSlider(0, size - 1, value=size // 2)}
    return Explorer(draw, controls, title="What a token is made of: soft split versus hard split", figsize=(11.0, 3.4))


# ---------------------------------------------------------------- chapter 04
def shifted_window_explorer(image: "torch.Tensor", grid: int = 8, window_size: int = 4) -> Explorer:
    """The shifted-window mechanism on an image cut into ``grid`` x ``grid`` tokens with M x M windows.

    Choose the shift, a window and a query token. Left: the window grid on the image (displaced by the
    shift). Next: the image after the cyclic roll, regular windows, the regions the roll brought
    together tinted. Then the chosen window's mask, and the tokens the query may attend to."""
    import numpy as np
    import torch

    from vitlite.models.swin import shifted_window_mask
    from vitlite.viz import heatmap, to_image

    if grid % window_size:
        raise ValueError(f"grid {grid} must be a multiple of window_size {window_size}")
    size = image.shape[-1]
    if size % grid:
        raise ValueError(f"image size {size} must be a multiple of grid {grid}")
    cell, m, nw = size // grid, window_size, grid // window_size
    tints = np.array(
        [
            [0.9, 0.3, 0.3],
            [0.3, 0.8, 0.3],
            [0.3, 0.5, 0.95],
            [0.95, 0.8, 0.2],
            [0.8, 0.4, 0.9],
            [0.3, 0.85, 0.85],
            [0.95, 0.6, 0.3],
            [0.6, 0.6, 0.6],
            [0.9, 0.9, 0.9],
        ]
    )

    def lines(ax, offset: int) -> None:
        for k in range(-1, nw + 1):
            pos = (k * m + offset) * cell - 0.5
            if -0.5 < pos < size - 0.5:
                ax.axhline(pos, color="white", linewidth=1.5)
                ax.axvline(pos, color="white", linewidth=1.5)

    def draw(fig, shift: int, window: int, query: int) -> None:
        ax_img, ax_roll, ax_mask, ax_query = fig.subplots(1, 4)
        img = to_image(image)
        ax_img.imshow(img, interpolation="nearest")
        lines(ax_img, shift)
        ax_img.set_title("windows on the image" if shift == 0 else f"windows shifted by {shift} tokens", fontsize=9)
        ax_img.axis("off")
        rolled = np.roll(img, (-shift * cell, -shift * cell), axis=(0, 1))
        regions = np.arange(grid)
        band = (
            (regions >= grid - m).astype(int) + (regions >= grid - shift).astype(int) if shift else np.zeros(grid, int)
        )
        label = band[:, None] * 3 + band[None, :]
        tint = np.kron(tints[label], np.ones((cell, cell, 1)))
        ax_roll.imshow(0.55 * rolled + 0.45 * tint, interpolation="nearest")
        lines(ax_roll, 0)
        r, c = divmod(window, nw)
        ax_roll.add_patch(_square((c + 0.5) * m * cell - 0.5, (r + 0.5) * m * cell - 0.5, "black", size=m * cell, lw=3))
        ax_roll.set_title("after the cyclic roll (regions tinted)", fontsize=9)
        ax_roll.axis("off")
        mask = shifted_window_mask(grid, grid, m, shift)[window] if shift else torch.zeros(m * m, m * m)
        heatmap(ax_mask, mask, title=f"mask of window {window} (black: -100)", cmap="gray", vmin=-100, vmax=0)
        allowed = (mask[query] == 0).float().reshape(m, m)
        heatmap(ax_query, allowed, title=f"keys query {query} may attend to", cmap="Greens", vmin=0, vmax=1)
        qr, qc = divmod(query, m)
        ax_query.add_patch(_square(qc, qr, "red", lw=2.5))

    controls = {
        "shift": IntSlider(0, window_size - 1, value=window_size // 2),
        "window": IntSlider(0, nw * nw - 1, value=nw * nw - 1),
        "query": IntSlider(0, window_size * window_size - 1, value=0),
    }
    return Explorer(draw, controls, title="Shifted windows: the cyclic roll and its mask", figsize=(11.5, 3.3))


# ---------------------------------------------------------------- chapter 05
def mobilevit_explorer(model, images: "torch.Tensor", titles: "list[str] | None" = None) -> Explorer:
    """Pick an image, a MobileViT block and a pixel. Panels: the image with the pixel; the pixels it
    attends to in the block's last attention layer (only those at the same place in their 2x2 patch);
    the effective receptive field of the block's local representation (the 3x3 conv: a small
    neighbourhood) and of the block's output (after attention and fusion: the whole image)."""
    import torch.nn.functional as F

    from vitlite.layers import effective_receptive_field
    from vitlite.models.mobilevit import attended_pixels, mobilevit_blocks
    from vitlite.viz import to_image

    if images.ndim != 4:
        raise ValueError(f"images must be a batch (B, C, H, W), got shape {tuple(images.shape)}")
    blocks = mobilevit_blocks(model)
    size = images.shape[-1]
    titles = titles or [f"image {i}" for i in range(len(images))]

    def panel(fig, ax, heat, title, cmap, label):
        im = ax.imshow(heat, cmap=cmap, interpolation="nearest", extent=(-0.5, size - 0.5, size - 0.5, -0.5))
        ax.set_title(title, fontsize=9)
        ax.axis("off")
        fig.colorbar(im, ax=ax, fraction=0.046, label=label)

    def draw(fig, image: int, block: int, row: int, col: int) -> None:
        x = images[image]
        attn, (r, c) = attended_pixels(model, x, block, row, col)
        h = attn.shape[0]
        cell = size / h
        local = effective_receptive_field(model, x[None], blocks[block].conv_1x1, r, c)
        whole = effective_receptive_field(model, x[None], blocks[block], r, c)
        axes = fig.subplots(1, 4)
        axes[0].imshow(to_image(x), interpolation="nearest")
        axes[0].add_patch(_square(col, row, "cyan", lw=2))
        axes[0].add_patch(_square((c + 0.5) * cell - 0.5, (r + 0.5) * cell - 0.5, "white", size=int(cell), lw=1))
        axes[0].set_title(
            f"{titles[image]}: pixel ({row}, {col})\nin cell ({r}, {c}) of block {block}'s {h}x{h} map", fontsize=9
        )
        axes[0].axis("off")
        up = F.interpolate(attn[None, None], size=(size, size), mode="nearest")[0, 0]
        panel(
            fig,
            axes[1],
            up.numpy(),
            f"attention weights, last layer of block {block}\n(same place in every 2x2 patch)",
            "magma",
            "weight",
        )
        axes[1].add_patch(_square((c + 0.5) * cell - 0.5, (r + 0.5) * cell - 0.5, "cyan", size=int(cell), lw=1.5))
        for ax, erf, what in ((axes[2], local, "after the local 3x3 conv"), (axes[3], whole, "after the whole block")):
            erf = erf / erf.max().clamp_min(1e-12)
            panel(fig, ax, erf.numpy(), f"receptive field {what}", "viridis", "|gradient| (max = 1)")
            ax.add_patch(_square(col, row, "red", lw=1.5))

    controls = {
        "image": Dropdown(_image_options(titles)),
        "block": IntSlider(0, len(blocks) - 1, value=0),
        "row": IntSlider(0, size - 1, value=size // 2),
        "col": IntSlider(0, size - 1, value=size // 2),
    }
    return Explorer(
        draw, controls, title="MobileViT: local convolution, then attention across patches", figsize=(13.0, 3.4)
    )


# ---------------------------------------------------------------- chapter 06
def context_score_explorer(model, images: "torch.Tensor", titles: "list[str] | None" = None) -> Explorer:
    """Separable self-attention's context scores, per block: pick an image and a block. Left: the image.
    Middle: every feature pixel's score (its weight in the context vector of its sequence; the four
    sequences, one per place in a 2x2 patch, each sum to 1). Right: the scores laid over the image."""
    import torch.nn.functional as F

    from vitlite.models.mobilevitv2 import MobileViTv2Block, context_scores
    from vitlite.viz import overlay, to_image

    if images.ndim != 4:
        raise ValueError(f"images must be a batch (B, C, H, W), got shape {tuple(images.shape)}")
    count = sum(isinstance(m, MobileViTv2Block) for m in model.modules())
    titles = titles or [f"image {i}" for i in range(len(images))]
    size = images.shape[-1]

    def draw(fig, image: int, block: int) -> None:
        scores = context_scores(model, images[image], block)
        ax_img, ax_scores, ax_over = fig.subplots(1, 3)
        ax_img.imshow(to_image(images[image]), interpolation="nearest")
        ax_img.set_title(titles[image], fontsize=9)
        ax_img.axis("off")
        im = ax_scores.imshow(scores.numpy(), cmap="magma", interpolation="nearest")
        ax_scores.set_title(f"context scores, block {block} ({scores.shape[0]}x{scores.shape[1]} map)", fontsize=9)
        ax_scores.axis("off")
        fig.colorbar(im, ax=ax_scores, fraction=0.046, label="score (each sequence sums to 1)")
        up = F.interpolate(scores[None, None], size=(size, size), mode="nearest")[0, 0]
        overlay(ax_over, images[image], up, alpha=0.55, cmap="magma", title="scores over the image (same colours)")
        ax_over.images[-1].set_clim(im.get_clim())

    controls = {"image": Dropdown(_image_options(titles)), "block": IntSlider(0, count - 1, value=0)}
    return Explorer(
        draw, controls, title="Separable self-attention: which pixels fill the context vector", figsize=(10.5, 3.4)
    )


# ---------------------------------------------------------------- chapter 07
def matching_explorer(model, dataset, indices: "list[int] | None" = None) -> Explorer:
    """DETR's bipartite matching on one image, with each cost term switchable. Left: the image, its
    objects (white) and every query's box, the matched ones in colour and joined to their object.
    Right: the cost matrix (queries x objects) that the Hungarian algorithm minimises, its choice framed."""
    import torch

    from vitlite.models.detr import matching_costs
    from vitlite.viz import draw_boxes, to_image

    indices = list(range(min(8, len(dataset)))) if indices is None else list(indices)
    if not indices:
        raise ValueError("no images to explore")
    model.eval()
    with torch.no_grad():
        outputs = model(dataset.images[indices])
    size = dataset.images.shape[-1]

    def draw(fig, image: int, use_class: bool, use_l1: bool, use_giou: bool) -> None:
        _, target = dataset[indices[image]]
        logits, boxes = outputs["pred_logits"][image], outputs["pred_boxes"][image]
        costs = matching_costs(logits, boxes, target, 1.0 * use_class, 5.0 * use_l1, 2.0 * use_giou)
        ax_img, ax_cost = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.3]})
        ax_img.imshow(to_image(dataset.images[indices[image]]), interpolation="nearest")
        matched = dict(zip(costs["rows"].tolist(), costs["cols"].tolist()))
        for q in range(len(boxes)):
            if q not in matched:
                draw_boxes(ax_img, boxes[q : q + 1], size=size, color="0.6")
        draw_boxes(ax_img, target["boxes"], target["labels"], dataset.classes, size=size, color="white")
        for q, obj in matched.items():
            color = f"C{obj % 10}"
            draw_boxes(ax_img, boxes[q : q + 1], [q], [f"q{i}" for i in range(len(boxes))], size=size, color=color)
            (px, py), (gx, gy) = (boxes[q, :2] * size - 0.5).tolist(), (target["boxes"][obj, :2] * size - 0.5).tolist()
            ax_img.plot([px, gx], [py, gy], color=color, linewidth=1.2)
        ax_img.set_title("objects (white), matched queries (colour), the rest (grey)", fontsize=8)
        ax_img.axis("off")
        total = costs["total"]
        im = ax_cost.imshow(total.T.numpy(), cmap="viridis_r", aspect="auto", interpolation="nearest")
        for q, obj in matched.items():
            ax_cost.add_patch(_square(q, obj, "red", lw=2))
        ax_cost.set_xlabel("query")
        ax_cost.set_ylabel("object")
        ax_cost.set_xticks(range(len(boxes)))
        ax_cost.set_yticks(
            range(len(target["labels"])), [dataset.classes[int(c)] for c in target["labels"]], fontsize=8
        )
        terms = (
            " + ".join(name for name, on in (("class", use_class), ("5 L1", use_l1), ("2 GIoU", use_giou)) if on)
            or "no term (every matching costs 0)"
        )
        ax_cost.set_title(f"cost = {terms}; red: the matching", fontsize=8)
        fig.colorbar(im, ax=ax_cost, fraction=0.046, label="cost (lower is better)")

    controls = {
        "image": IntSlider(0, len(indices) - 1, value=0),
        "use_class": Checkbox(True, description="class"),
        "use_l1": Checkbox(True, description="L1"),
        "use_giou": Checkbox(True, description="GIoU"),
    }
    return Explorer(
        draw, controls, title="Bipartite matching: which query answers for which object", figsize=(10.5, 3.8)
    )


def detr_attention_explorer(model, images: "torch.Tensor", classes: "tuple[str, ...]" = ()) -> Explorer:
    """Where one object query looks in a decoder layer's cross-attention (mean of heads), beside its
    predicted box and class."""
    import torch.nn.functional as F

    from vitlite.models.detr import cross_attention
    from vitlite.viz import draw_boxes, overlay, to_image

    if images.ndim != 4:
        raise ValueError(f"images must be a batch (B, C, H, W), got shape {tuple(images.shape)}")
    size = images.shape[-1]

    def draw(fig, image: int, query: int, layer: int) -> None:
        attn, out = cross_attention(model, images[image], query, layer)
        probs = out["pred_logits"].softmax(-1)[query]
        label = int(probs[:-1].argmax())
        name = classes[label] if classes else str(label)
        ax_img, ax_attn = fig.subplots(1, 2)
        ax_img.imshow(to_image(images[image]), interpolation="nearest")
        draw_boxes(ax_img, out["pred_boxes"][query : query + 1], size=size, color="cyan")
        ax_img.set_title(f"query {query}: {name} {probs[label]:.2f}, no object {probs[-1]:.2f}", fontsize=8)
        ax_img.axis("off")
        up = F.interpolate(attn[None, None], size=(size, size), mode="nearest")[0, 0]
        overlay(
            ax_attn,
            images[image],
            up,
            alpha=0.6,
            cmap="inferno",
            title=f"its cross-attention, decoder layer {layer % len(model.decoder)}",
        )
        fig.colorbar(ax_attn.images[-1], ax=ax_attn, fraction=0.046, label="attention weight")

    controls = {
        "image": IntSlider(0, len(images) - 1, value=0),
        "query": IntSlider(0, model.num_queries - 1, value=0),
        "layer": IntSlider(0, len(model.decoder) - 1, value=len(model.decoder) - 1),
    }
    return Explorer(draw, controls, title="What an object query looks at", figsize=(8.0, 3.6))


# ---------------------------------------------------------------- chapter 08
def denoising_explorer(dataset, indices: "list[int] | None" = None, num_queries: int = 10) -> Explorer:
    """DINO's contrastive denoising queries for one image: the objects (white), the positive copies
    (green: each corner moved by less than lambda times half the side) and the negative copies (red:
    moved by lambda to 2 lambda), for a chosen number of groups; beside them, the decoder's
    self-attention mask (dark: blocked) for those groups and ``num_queries`` matching queries."""
    import torch

    from vitlite.models.dino import denoising_attention_mask, denoising_queries
    from vitlite.viz import draw_boxes, to_image

    indices = list(range(min(8, len(dataset)))) if indices is None else list(indices)
    if not indices:
        raise ValueError("no images to explore")
    size = dataset.images.shape[-1]

    def draw(fig, image: int, lam: float, groups: int, seed: int) -> None:
        _, target = dataset[indices[image]]
        m = len(target["labels"])
        gen = torch.Generator().manual_seed(seed)
        dn = denoising_queries(
            [target],
            len(dataset.classes),
            dn_number=groups * max(m, 1),
            label_noise_ratio=0.5,
            box_noise_scale=lam,
            generator=gen,
        )
        ax_img, ax_mask = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.15]})
        ax_img.imshow(to_image(dataset.images[indices[image]]), interpolation="nearest")
        valid = dn["valid"][0]
        pos, neg = valid & dn["positive"][0], valid & ~dn["positive"][0]
        draw_boxes(ax_img, dn["boxes"][0][neg], size=size, color="tab:red")
        draw_boxes(ax_img, dn["boxes"][0][pos], size=size, color="lime")
        draw_boxes(ax_img, target["boxes"], target["labels"], dataset.classes, size=size, color="white")
        flipped = int((dn["labels"][0][valid] != target["labels"][dn["object"][0][valid]]).sum())
        ax_img.set_title(
            f"objects (white), positives (green), negatives (red)\nlambda1 = {lam:.2f}, lambda2 = {2 * lam:.2f}; {flipped} of {int(valid.sum())} labels flipped",
            fontsize=8,
        )
        ax_img.axis("off")
        mask = denoising_attention_mask(dn["groups"], dn["group_size"], num_queries)
        ax_mask.imshow(mask.numpy(), cmap="Greys", vmin=0, vmax=1.6, interpolation="nearest")
        pad = dn["groups"] * dn["group_size"]
        for g in range(1, dn["groups"] + 1):
            ax_mask.axhline(g * dn["group_size"] - 0.5, color="tab:blue", linewidth=0.6)
            ax_mask.axvline(g * dn["group_size"] - 0.5, color="tab:blue", linewidth=0.6)
        ax_mask.set_title(
            f"self-attention mask: {dn['groups']} group(s) of {dn['group_size']} (2 x {m} objects), then {num_queries} matching queries\ndark = blocked; rows attend to columns",
            fontsize=8,
        )
        ax_mask.set_xlabel(f"key (denoising 0-{pad - 1}, matching {pad}-{pad + num_queries - 1})", fontsize=8)
        ax_mask.set_ylabel("query", fontsize=8)

    controls = {
        "image": IntSlider(0, len(indices) - 1, value=0),
        "lam": FloatSlider(0.1, 1.5, step=0.05, value=1.0, description="lambda"),
        "groups": IntSlider(1, 4, value=2),
        "seed": IntSlider(0, 9, value=0),
    }
    return Explorer(
        draw, controls, title="Contrastive denoising: noised copies of the ground truth", figsize=(10.5, 4.2)
    )


def deformable_sampling_explorer(model, dataset, indices: "list[int] | None" = None) -> Explorer:
    """Where one matching query of a trained DINO samples in a decoder layer's cross-attention: on each
    level's grid, its reference box (dashed) and its sampling points, coloured by head, sized by weight;
    on the image, the query's final box."""
    from matplotlib.patches import Rectangle

    from vitlite.models.dino import sampling_points
    from vitlite.viz import draw_boxes, to_image

    indices = list(range(min(8, len(dataset)))) if indices is None else list(indices)
    if not indices:
        raise ValueError("no images to explore")
    size = dataset.images.shape[-1]
    cache: dict[tuple[int, int], dict] = {}

    def draw(fig, image: int, query: int, layer: int) -> None:
        key = (image, layer)
        if key not in cache:
            cache[key] = sampling_points(model, dataset.images[indices[image]], layer)
        info = cache[key]
        levels = len(info["shapes"])
        axes = fig.subplots(1, levels + 1)
        axes[0].imshow(to_image(dataset.images[indices[image]]), interpolation="nearest")
        label = int(info["labels"][query])
        draw_boxes(
            axes[0],
            info["boxes"][query : query + 1],
            [label],
            dataset.classes,
            size=size,
            color="yellow",
            scores=info["scores"][query : query + 1],
        )
        axes[0].set_title(f"query {query}: its final box", fontsize=8)
        axes[0].axis("off")
        heads = info["locations"].shape[1]
        ref = info["reference"][query]
        for lv in range(levels):
            ax = axes[lv + 1]
            h, w = info["shapes"][lv].tolist()
            ax.imshow(
                to_image(dataset.images[indices[image]]), extent=(0, w, h, 0), interpolation="nearest", alpha=0.35
            )
            for k in range(1, w):
                ax.axvline(k, color="0.8", linewidth=0.4)
            for k in range(1, h):
                ax.axhline(k, color="0.8", linewidth=0.4)
            cx, cy, bw, bh = (ref * ref.new_tensor([w, h, w, h])).tolist()
            ax.add_patch(
                Rectangle(
                    (cx - bw / 2, cy - bh / 2), bw, bh, fill=False, linestyle="--", edgecolor="black", linewidth=1
                )
            )
            for head in range(heads):
                pts = info["locations"][query, head, lv] * info["locations"].new_tensor([w, h])
                ax.scatter(
                    pts[:, 0],
                    pts[:, 1],
                    s=8 + 200 * info["weights"][query, head, lv],
                    color=f"C{head}",
                    edgecolor="black",
                    linewidth=0.3,
                    label=f"head {head}" if lv == 0 else None,
                )
            ax.set_xlim(-0.5, w + 0.5)
            ax.set_ylim(h + 0.5, -0.5)
            ax.set_title(f"level {lv}: {h}x{w} map", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[1].legend(fontsize=6, loc="lower left")

    controls = {
        "image": IntSlider(0, len(indices) - 1, value=0),
        "query": IntSlider(0, model.num_queries - 1, value=0),
        "layer": IntSlider(0, len(model.decoder) - 1, value=len(model.decoder) - 1),
    }
    return Explorer(draw, controls, title="Deformable cross-attention: where a query samples", figsize=(10.5, 3.4))


# ---------------------------------------------------------------- chapter 09
def setr_explorer(models: "dict[str, Any]", dataset, indices: "list[int] | None" = None, band: int = 2) -> Explorer:
    """Segmentation by several decoders on one image: the image with a chosen patch, the true classes with
    the boundary band, each model's prediction (errors outlined), and where the chosen patch attends in a
    chosen encoder layer of the first model (mean of heads)."""
    import torch

    from vitlite.dense import boundary_band
    from vitlite.layers import attention_maps
    from vitlite.viz import SEG_COLORS, overlay, to_image

    if not models:
        raise ValueError("give at least one model, e.g. {'Naive': model}")
    indices = list(range(min(8, len(dataset)))) if indices is None else list(indices)
    if not indices:
        raise ValueError("no images to explore")
    first = next(iter(models.values()))
    enc = first.encoder
    images = dataset.images[indices]
    with torch.no_grad():
        preds = {name: m.eval()(images).argmax(1) for name, m in models.items()}
        with attention_maps(enc) as maps:
            first(images)
        layers = [maps[f"blocks.{i}.attn"] for i in range(len(enc.blocks))]  # (B, heads, T, T)
    p = enc.patch_size
    gh, gw = images.shape[-2] // p, images.shape[-1] // p
    truth = dataset.targets[indices]
    bands = boundary_band(truth, band)

    def draw(fig, image: int, layer: int, row: int, col: int) -> None:
        if not (0 <= row < gh and 0 <= col < gw):
            raise ValueError(f"the patch must be inside the {gh}x{gw} grid")
        axes = fig.subplots(1, 3 + len(models))
        axes[0].imshow(to_image(images[image]), interpolation="nearest")
        axes[0].add_patch(_square(col * p + (p - 1) / 2, row * p + (p - 1) / 2, "cyan", size=p))
        axes[0].set_title(f"image; patch ({row}, {col})", fontsize=8)
        shown = SEG_COLORS[truth[image].numpy()].copy()
        shown[bands[image].numpy()] = shown[bands[image].numpy()] * 0.5 + 0.5
        axes[1].imshow(shown, interpolation="nearest")
        axes[1].set_title(f"truth; {band}-px boundary band light", fontsize=8)
        for ax, (name, pred) in zip(axes[2:], preds.items()):
            ax.imshow(SEG_COLORS[pred[image].numpy()], interpolation="nearest")
            wrong = (pred[image] != truth[image]).float().numpy()
            ax.contour(wrong, levels=[0.5], colors="white", linewidths=0.6)
            ax.set_title(f"{name}: {1 - wrong.mean():.0%} of pixels right", fontsize=8)
        attn = layers[layer][image].mean(0)[1 + row * gw + col, 1:].reshape(gh, gw)
        overlay(axes[-1], images[image], attn, title=f"{next(iter(models))}'s layer {layer + 1}: the patch's attention")
        axes[-1].add_patch(_square(col * p + (p - 1) / 2, row * p + (p - 1) / 2, "cyan", size=p))
        fig.colorbar(axes[-1].images[-1], ax=axes[-1], fraction=0.046, label="attention weight (mean of heads)")
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])

    controls = {
        "image": IntSlider(0, len(indices) - 1, value=0),
        "layer": IntSlider(0, len(enc.blocks) - 1, value=len(enc.blocks) - 1),
        "row": IntSlider(0, gh - 1, value=gh // 2),
        "col": IntSlider(0, gw - 1, value=gw // 2),
    }
    return Explorer(draw, controls, title="SETR's decoders on one image", figsize=(3.0 * (3 + len(models)), 3.4))


# ---------------------------------------------------------------- chapter 10
def dpt_stage_explorer(model, images: "torch.Tensor") -> Explorer:
    """DPT's reassembled and fused maps for one image and one stage: the image, three channels of the
    reassembled map (as RGB after scaling), the same for the fusion block's output at that stage, and
    the model's output."""
    import torch

    from vitlite.viz import to_image

    if images.ndim != 4:
        raise ValueError(f"images must be a batch (B, C, H, W), got shape {tuple(images.shape)}")
    with torch.no_grad():
        feats = model.eval().features(images)
        outputs = model(images)

    def as_rgb(x: "torch.Tensor") -> "torch.Tensor":
        x = x[:3] if x.shape[0] >= 3 else x[:1].expand(3, -1, -1)
        lo, hi = x.amin((1, 2), keepdim=True), x.amax((1, 2), keepdim=True)
        return ((x - lo) / (hi - lo).clamp_min(1e-6)).permute(1, 2, 0).numpy()

    stages = len(feats["reassembled"])

    def draw(fig, image: int, stage: int) -> None:
        axes = fig.subplots(1, 4)
        axes[0].imshow(to_image(images[image]), interpolation="nearest")
        axes[0].set_title("image", fontsize=8)
        r = feats["reassembled"][stage][image]
        axes[1].imshow(as_rgb(r), interpolation="nearest")
        axes[1].set_title(
            f"stage {stage}: reassembled {r.shape[0]}x{r.shape[1]}x{r.shape[2]} (channels 0-2)", fontsize=8
        )
        f = feats["fused"][stages - 1 - stage][image]
        axes[2].imshow(as_rgb(f), interpolation="nearest")
        axes[2].set_title(f"after fusion at this stage: {f.shape[1]}x{f.shape[2]}", fontsize=8)
        out = outputs[image]
        if out.ndim == 3:  # class scores
            from vitlite.viz import SEG_COLORS

            axes[3].imshow(SEG_COLORS[out.argmax(0).numpy()], interpolation="nearest")
        else:
            shown = axes[3].imshow(out.reshape(out.shape[-2:]).numpy(), cmap="magma", interpolation="nearest")
            fig.colorbar(shown, ax=axes[3], fraction=0.046, label="depth (the model's scale)")
        axes[3].set_title("output", fontsize=8)
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])

    controls = {"image": IntSlider(0, len(images) - 1, value=0), "stage": IntSlider(0, stages - 1, value=0)}
    return Explorer(draw, controls, title="DPT: reassemble and fuse, stage by stage", figsize=(11.0, 3.2))


def depth_error_explorer(
    models: "dict[str, Any]", dataset, indices: "list[int] | None" = None, band: int = 2
) -> Explorer:
    """Depth predictions (aligned to the truth by scale and shift) beside the truth, the absolute relative
    error of each model, and the boundary band where the error concentrates."""
    import torch

    from vitlite.dense import align_scale_shift, boundary_band
    from vitlite.viz import to_image

    if not models:
        raise ValueError("give at least one model, e.g. {'DPT': model}")
    indices = list(range(min(8, len(dataset)))) if indices is None else list(indices)
    images, depth = dataset.images[indices], dataset.targets[indices]
    with torch.no_grad():
        preds = {}
        for name, m in models.items():
            out = m.eval()(images)
            out = out[:, None] if out.ndim == 3 else out
            preds[name] = align_scale_shift(out.float(), depth)
    bands = boundary_band(dataset.scenes.instance[indices], band)  # object edges (as depth_scores uses them)
    vmax = float(depth.max())

    def draw(fig, image: int) -> None:
        axes = fig.subplots(1, 3 + len(models))
        axes[0].imshow(to_image(images[image]), interpolation="nearest")
        axes[0].set_title("image", fontsize=8)
        shown = axes[1].imshow(depth[image, 0].numpy(), cmap="magma", vmin=0, vmax=vmax)
        fig.colorbar(shown, ax=axes[1], fraction=0.046, label="depth")
        axes[1].set_title("true depth", fontsize=8)
        axes[2].imshow(bands[image].numpy(), cmap="Greys", interpolation="nearest")
        axes[2].set_title(f"{band}-px band around the objects", fontsize=8)
        for ax, (name, pred) in zip(axes[3:], preds.items()):
            err = ((pred[image, 0] - depth[image, 0]).abs() / depth[image, 0]).numpy()
            shown = ax.imshow(err, cmap="inferno", vmin=0, vmax=0.5)
            inside = err[bands[image].numpy()].mean() if bands[image].any() else float("nan")
            ax.set_title(f"{name}: AbsRel {err.mean():.3f}\n(band {inside:.3f})", fontsize=8)
        fig.colorbar(shown, ax=axes[-1], fraction=0.046, label="|error| / depth (0.5 and above: brightest)")
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])

    controls = {"image": IntSlider(0, len(indices) - 1, value=0)}
    return Explorer(draw, controls, title="Where the depth error is", figsize=(2.8 * (3 + len(models)), 3.2))
