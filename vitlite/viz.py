"""Static figures. Every function returns a matplotlib ``Figure`` (or draws on an ``ax``).

Figures are made without pyplot's global state, so a notebook cell that ends with a
figure shows it exactly once, and nothing piles up in memory across a long chapter.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import matplotlib.figure
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

if TYPE_CHECKING:
    from vitlite.data import ShapesDataset
    from vitlite.train import History

__all__ = [
    "DPI",
    "Figure",
    "Diagram",
    "Box",
    "SCHEMATIC_COLORS",
    "plot_study_curves",
    "plot_seeds",
    "plot_query_slots",
    "figure",
    "to_image",
    "show_images",
    "heatmap",
    "overlay",
    "draw_boxes",
    "plot_history",
    "plot_losses",
    "show_scenes",
]

DPI = 72


class Figure(matplotlib.figure.Figure):
    """A matplotlib Figure that notebooks display as a PNG without needing pyplot."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()


SEG_COLORS = np.array(
    [
        [0.12, 0.12, 0.12],
        [0.90, 0.30, 0.25],
        [0.25, 0.65, 0.95],
        [0.95, 0.80, 0.20],
        [0.45, 0.85, 0.35],
        [0.80, 0.45, 0.90],
        [0.95, 0.60, 0.20],
        [0.55, 0.55, 0.55],
    ]
)


def figure(
    nrows: int = 1,
    ncols: int = 1,
    panel: tuple[float, float] = (3.0, 3.0),
    figsize: tuple[float, float] | None = None,
    **kwargs: Any,
) -> tuple[Figure, np.ndarray]:
    """A figure with a grid of axes (always a 2-D array), sized per panel unless ``figsize`` is given."""
    figsize = figsize or (panel[0] * ncols, panel[1] * nrows)
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes


def to_image(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """(3, H, W) or (H, W) tensor -> an array imshow accepts, (H, W, 3) or (H, W)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().float().cpu().numpy()
    if x.ndim == 3 and x.shape[0] in (1, 3):
        x = np.transpose(x, (1, 2, 0))
        if x.shape[-1] == 1:
            x = x[..., 0]
    return np.clip(x, 0, 1) if x.ndim == 3 else x


def show_images(
    images: Sequence[torch.Tensor] | torch.Tensor,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    panel: float = 1.6,
    cmap: str | None = None,
    suptitle: str | None = None,
) -> Figure:
    """A grid of images (RGB in [0, 1] or single-channel maps) with optional titles."""
    n = len(images)
    if n == 0:
        raise ValueError("no images to show")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = figure(nrows, ncols, panel=(panel, panel + (0.25 if titles else 0)))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(to_image(images[i]), cmap=cmap, interpolation="nearest")
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def heatmap(
    ax: Axes,
    matrix: torch.Tensor | np.ndarray,
    title: str | None = None,
    annotate: bool = False,
    fmt: str = "{:.2f}",
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = False,
) -> Axes:
    """Draw a 2-D array on ``ax``, optionally writing each value in its cell."""
    m = matrix.detach().float().cpu().numpy() if isinstance(matrix, torch.Tensor) else np.asarray(matrix)
    im = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    if annotate:
        for (i, j), value in np.ndenumerate(m):
            r, g, b, _ = im.cmap(im.norm(value))
            light = 0.299 * r + 0.587 * g + 0.114 * b > 0.5  # the cell's own colour decides the text's
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=8, color="black" if light else "white")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046)
    return ax


def overlay(
    ax: Axes,
    image: torch.Tensor,
    heat: torch.Tensor,
    alpha: float = 0.6,
    cmap: str = "inferno",
    title: str | None = None,
) -> Axes:
    """An image with a heat map (any resolution, stretched to the image) laid over it."""
    img = to_image(image)
    h, w = img.shape[:2]
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None, interpolation="nearest")
    heat = heat.detach().float().cpu() if isinstance(heat, torch.Tensor) else torch.as_tensor(heat, dtype=torch.float32)
    ax.imshow(heat.numpy(), cmap=cmap, alpha=alpha, extent=(-0.5, w - 0.5, h - 0.5, -0.5), interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def draw_boxes(
    ax: Axes,
    boxes: torch.Tensor,
    labels: Iterable[int] | None = None,
    classes: Sequence[str] | None = None,
    size: int | None = None,
    color: str = "white",
    scores: Iterable[float] | None = None,
) -> Axes:
    """Outline normalised cxcywh ``boxes`` on an image of ``size`` pixels (the axes' image size by default)."""
    if size is None:
        size = int(round(ax.get_xlim()[1] - ax.get_xlim()[0]))
    labels = list(labels) if labels is not None else [None] * len(boxes)
    scores = list(scores) if scores is not None else [None] * len(boxes)
    for (cx, cy, w, h), label, score in zip(boxes.tolist(), labels, scores):
        x0, y0 = (cx - w / 2) * size - 0.5, (cy - h / 2) * size - 0.5
        ax.add_patch(Rectangle((x0, y0), w * size, h * size, fill=False, edgecolor=color, linewidth=1.2))
        text = "" if label is None else (classes[int(label)] if classes else str(int(label)))
        if score is not None:
            text += f" {score:.2f}"
        if text:
            ax.text(x0, y0 - 0.5, text, color=color, fontsize=7, va="bottom")
    return ax


def plot_history(history: "History", metrics: Iterable[str] | None = None, title: str | None = None) -> Figure:
    """Training loss (raw and smoothed) and evaluated metrics against steps."""
    metrics = list(metrics) if metrics is not None else sorted(history.metrics)
    fig, axes = figure(1, 1 + len(metrics), panel=(3.6, 2.8))
    ax = axes[0, 0]
    ax.plot(history.step, history.loss, color="0.8", linewidth=0.8, label="loss")
    ax.plot(history.step, history.smoothed_loss(), color="C0", label="smoothed")
    ax.set_xlabel("step")
    ax.set_title("training loss", fontsize=10)
    ax.legend(fontsize=8)
    for ax, name in zip(axes[0, 1:], metrics):
        ax.plot(history.eval_step, history.metrics[name], marker="o", color="C1")
        ax.set_xlabel("step")
        ax.set_title(name, fontsize=10)
    if title:
        fig.suptitle(title)
    return fig


def plot_losses(runs: dict[str, "History"], title: str | None = None) -> Figure:
    """Smoothed training loss of several runs against steps, one line per label."""
    fig, axes = figure(1, 1, panel=(5.2, 3.0))
    ax = axes[0, 0]
    for label, history in runs.items():
        ax.plot(history.step, history.smoothed_loss(), label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (smoothed)")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def show_scenes(dataset: "ShapesDataset", n: int = 6) -> Figure:
    """Images of a ShapesWorld dataset above what the task asks of them (labels, boxes, masks or depth)."""
    n = min(n, len(dataset))
    rows = 1 if dataset.task in ("classification", "detection") else 2
    fig, axes = figure(rows, n, panel=(1.7, 1.9))
    size = dataset.images.shape[-1]
    for i in range(n):
        image, target = dataset[i]
        ax = axes[0, i]
        ax.imshow(to_image(image), interpolation="nearest")
        ax.axis("off")
        if dataset.task == "classification":
            ax.set_title(dataset.classes[int(target)], fontsize=8)
        elif dataset.task == "detection":
            draw_boxes(ax, target["boxes"], target["labels"], dataset.classes, size=size)
        elif dataset.task == "segmentation":
            axes[1, i].imshow(SEG_COLORS[target.numpy() % len(SEG_COLORS)], interpolation="nearest")
            axes[1, i].axis("off")
        else:
            axes[1, i].imshow(target[0].numpy(), cmap="magma_r", interpolation="nearest")
            axes[1, i].axis("off")
    fig.suptitle(f"ShapesWorld, {dataset.task}", fontsize=10)
    return fig


def plot_study_curves(
    records: Sequence[dict[str, Any]],
    metric: str,
    labels: dict[str, str] | None = None,
    title: str | None = None,
    also: Sequence[str] = (),
) -> Figure:
    """A study's full training curves: smoothed loss and the validation ``metric`` against steps, one
    colour per arm, one line per seed, the best validation step of each run marked; ``also`` adds a
    panel per further validation metric (e.g. AP by object size)."""
    labels = labels or {}
    arms = list(dict.fromkeys(r["label"] for r in records))
    for name in also:
        if any(name not in r["history"]["metrics"] for r in records):
            raise ValueError(
                f"metric {name!r} is not in every record's history; they have {sorted(records[0]['history']['metrics'])}"
            )
    fig, axes = figure(1, 2 + len(also), panel=(4.6 if not also else 3.4, 3.1))
    for color, arm in enumerate(arms):
        for i, record in enumerate(r for r in records if r["label"] == arm):
            history = record["history"]
            name = labels.get(arm, arm) if i == 0 else None
            axes[0, 0].plot(history["step"], history["loss"], color=f"C{color}", linewidth=0.9, alpha=0.8, label=name)
            axes[0, 1].plot(
                history["eval_step"],
                history["metrics"][metric],
                color=f"C{color}",
                linewidth=0.9,
                alpha=0.8,
                marker=".",
                markersize=3,
                label=name,
            )
            best = (
                history["eval_step"].index(record["best_step"]) if record["best_step"] in history["eval_step"] else None
            )
            if best is not None:
                axes[0, 1].plot(
                    record["best_step"],
                    history["metrics"][metric][best],
                    "o",
                    color=f"C{color}",
                    markersize=5,
                    markerfacecolor="none",
                )
            for k, name in enumerate(also, start=2):
                axes[0, k].plot(
                    history["eval_step"],
                    history["metrics"][name],
                    color=f"C{color}",
                    linewidth=0.9,
                    alpha=0.8,
                    marker=".",
                    markersize=3,
                )
    axes[0, 0].set_ylabel("training loss (smoothed)")
    axes[0, 1].set_ylabel(f"validation {metric}")
    for k, name in enumerate(also, start=2):
        axes[0, k].set_ylabel(f"validation {name}")
    for ax in axes[0]:
        ax.set_xlabel("step")
    axes[0, 0].legend(fontsize=7)
    axes[0, 1].set_title("circles: the kept (best) step of each run", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_seeds(
    ax: Axes,
    summary: dict[str, dict[str, Any]],
    labels: dict[str, str] | None = None,
    ylabel: str = "",
    colors: Sequence[str] | None = None,
) -> Axes:
    """Every seed's score as a dot and the mean as a bar, one column per arm (from :func:`vitlite.recipes.summarize`)."""
    labels = labels or {}
    for i, (arm, entry) in enumerate(summary.items()):
        color = colors[i] if colors else f"C{i}"
        ax.bar(i, entry["mean"], color=color, alpha=0.35, width=0.6)
        ax.errorbar(i, entry["mean"], yerr=entry["std"], color="black", capsize=3, linewidth=1)
        ax.scatter(
            [i] * len(entry["values"]), entry["values"], color=color, edgecolor="black", linewidth=0.5, zorder=3, s=18
        )
        ax.annotate(
            f"{entry['mean']:.3f}",
            (i, entry["mean"] + entry["std"]),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            fontsize=7,
        )
    ax.set_xticks(range(len(summary)), [labels.get(a, a) for a in summary], fontsize=8)
    ax.set_ylabel(ylabel)
    return ax


def plot_query_slots(
    boxes: torch.Tensor, objectness: torch.Tensor, threshold: float = 0.5, ncols: int = 5, panel: float = 1.8
) -> Figure:
    """The paper's Figure 7: for each object query, the centres of the boxes it predicts over a set of
    images (objectness above ``threshold``), coloured by the box's area, on a unit square (the image)."""
    q = boxes.shape[0]
    nrows = -(-q // ncols)
    fig, axes = figure(nrows, ncols, panel=(panel, panel))
    area = (boxes[..., 2] * boxes[..., 3]).clamp(0, 1)
    sc = None
    for i, ax in enumerate(axes.flat):
        ax.set_xlim(0, 1)
        ax.set_ylim(1, 0)
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= q:
            ax.axis("off")
            continue
        keep = objectness[i] > threshold
        sc = ax.scatter(
            boxes[i, keep, 0], boxes[i, keep, 1], c=area[i, keep], s=6, cmap="viridis", vmin=0, vmax=float(area.max())
        )
        ax.set_title(f"query {i}: {int(keep.sum())} boxes", fontsize=7)
    if sc is not None:
        fig.colorbar(sc, ax=axes, fraction=0.03, label="box area (fraction of the image)")
    return fig


# ---------------------------------------------------------------------- schematics
SCHEMATIC_COLORS: dict[str, str] = {
    "input": "#ffffff",
    "conv": "#cfe3f7",
    "attention": "#fbd3a8",
    "mlp": "#fff0a8",
    "norm": "#e2e2e2",
    "reshape": "#cdeccb",
    "pool": "#f3d0e4",
    "head": "#dccbf0",
    "loss": "#f6c6c6",
}
SCHEMATIC_LABELS: dict[str, str] = {
    "input": "tensor",
    "conv": "convolution",
    "attention": "attention / transformer",
    "mlp": "per-token MLP",
    "norm": "normalisation",
    "reshape": "reshape (no weights)",
    "pool": "pooling / resampling",
    "head": "prediction head",
    "loss": "loss / matching",
}


class Box:
    """A drawn block of a :class:`Diagram`: its centre and size, and the anchor points arrows attach to."""

    def __init__(self, x: float, y: float, w: float, h: float):
        self.x, self.y, self.w, self.h = x, y, w, h

    @property
    def left(self) -> tuple[float, float]:
        return (self.x - self.w / 2, self.y)

    @property
    def right(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y)

    @property
    def top(self) -> tuple[float, float]:
        return (self.x, self.y + self.h / 2)

    @property
    def bottom(self) -> tuple[float, float]:
        return (self.x, self.y - self.h / 2)


class Diagram:
    """An architecture schematic: labelled blocks coloured by kind, arrows labelled with tensor shapes.

    Coordinates are in abstract units (a block is about 1.6 wide); the figure is sized from
    ``width`` and ``height``. Every chapter's "architecture at a glance" is drawn with it::

        d = Diagram(12, 3, title="MobileViT block")
        a = d.box(1, 1, "input", "input")
        b = d.box(3.5, 1, "conv 3x3", "conv")
        d.arrow(a, b, "C x H x W")
        d.figure
    """

    def __init__(self, width: float, height: float, title: str | None = None, inches_per_unit: float = 0.75):
        self.fig = Figure(figsize=(width * inches_per_unit, height * inches_per_unit), dpi=DPI, layout="constrained")
        self.ax = self.fig.subplots()
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(0, height)
        self.ax.set_aspect("equal")
        self.ax.axis("off")
        self.kinds: list[str] = []
        if title:
            self.ax.set_title(title, fontsize=11)

    @property
    def figure(self) -> Figure:
        return self.fig

    def box(
        self,
        x: float,
        y: float,
        text: str,
        kind: str = "conv",
        w: float = 1.6,
        h: float = 0.8,
        note: str | None = None,
        fontsize: float = 8.5,
    ) -> Box:
        """A block centred at (x, y); ``note`` is written under it in small grey type (a shape or a count)."""
        from matplotlib.patches import FancyBboxPatch

        if kind not in SCHEMATIC_COLORS:
            raise ValueError(f"kind must be one of {sorted(SCHEMATIC_COLORS)}, got {kind!r}")
        if kind not in self.kinds:
            self.kinds.append(kind)
        patch = FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=SCHEMATIC_COLORS[kind],
            edgecolor="#444444",
            linewidth=1.0,
        )
        self.ax.add_patch(patch)
        self.ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color="#111111")
        if note:
            self.ax.text(x, y - h / 2 - 0.12, note, ha="center", va="top", fontsize=7, color="#555555")
        return Box(x, y, w, h)

    def op(self, x: float, y: float, symbol: str = "+", r: float = 0.22) -> Box:
        """A small circle for an element-wise operation: ``+`` (sum), ``×`` (product), ``c`` (concatenation)."""
        from matplotlib.patches import Circle

        self.ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor="#444444", linewidth=1.0))
        self.ax.text(x, y, symbol, ha="center", va="center", fontsize=9, color="#111111")
        return Box(x, y, 2 * r, 2 * r)

    def arrow(
        self,
        a: Box | tuple[float, float],
        b: Box | tuple[float, float],
        label: str | None = None,
        label_pos: str = "above",
    ) -> None:
        """An arrow from ``a`` to ``b`` (right side to left side when b is to the right, else bottom to top),
        labelled at its middle, typically with the tensor shape that flows along it."""
        start, end = self._ends(a, b)
        self.ax.annotate(
            "",
            xy=end,
            xytext=start,
            arrowprops=dict(arrowstyle="-|>", color="#333333", linewidth=1.0, shrinkA=0, shrinkB=0),
        )
        if label:
            mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            horizontal = abs(end[0] - start[0]) >= abs(end[1] - start[1])
            if horizontal:
                self.ax.text(
                    mx,
                    my + (0.1 if label_pos == "above" else -0.1),
                    label,
                    ha="center",
                    va="bottom" if label_pos == "above" else "top",
                    fontsize=7,
                    color="#1f4e79",
                )
            else:
                self.ax.text(mx + 0.1, my, label, ha="left", va="center", fontsize=7, color="#1f4e79")

    def skip(
        self, a: Box, b: Box, label: str | None = None, height: float = 0.7, below: bool = False, label_at: float = 0.5
    ) -> None:
        """A bracket-shaped arrow over (or under) the blocks between ``a`` and ``b``: a skip connection,
        labelled at the fraction ``label_at`` of its length."""
        sign = -1 if below else 1
        start = a.bottom if below else a.top
        end = b.bottom if below else b.top
        level = (min(start[1], end[1]) if below else max(start[1], end[1])) + sign * height
        self.ax.plot([start[0], start[0], end[0]], [start[1], level, level], color="#333333", linewidth=1.0)
        self.ax.annotate(
            "",
            xy=end,
            xytext=(end[0], level),
            arrowprops=dict(arrowstyle="-|>", color="#333333", linewidth=1.0, shrinkA=0, shrinkB=0),
        )
        if label:
            self.ax.text(
                start[0] + label_at * (end[0] - start[0]),
                level + sign * 0.08,
                label,
                ha="center",
                va="bottom" if not below else "top",
                fontsize=7,
                color="#1f4e79",
            )

    def flow(
        self,
        items: Sequence[tuple[str, str] | tuple[str, str, str | None]],
        x0: float,
        y: float,
        gap: float = 0.7,
        w: float = 1.6,
        h: float = 0.8,
        shapes: Sequence[str | None] | None = None,
    ) -> list[Box]:
        """Blocks ``(text, kind[, note])`` in a row from ``x0``, joined by arrows labelled with ``shapes``
        (one per arrow, i.e. one fewer than blocks)."""
        boxes = []
        for i, item in enumerate(items):
            text, kind, note = (tuple(item) + (None,))[:3]
            boxes.append(self.box(x0 + w / 2 + i * (w + gap), y, text, kind, w=w, h=h, note=note))
        for i, (a, b) in enumerate(zip(boxes, boxes[1:])):
            self.arrow(a, b, shapes[i] if shapes is not None and i < len(shapes) else None)
        return boxes

    def legend(self, loc: str = "lower center", ncol: int | None = None) -> None:
        """A legend of the block kinds used so far."""
        from matplotlib.patches import Patch

        handles = [
            Patch(facecolor=SCHEMATIC_COLORS[k], edgecolor="#444444", label=SCHEMATIC_LABELS[k])
            for k in self.kinds
            if k != "input"
        ]
        if handles:
            self.ax.legend(
                handles=handles,
                loc=loc,
                ncol=ncol or len(handles),
                fontsize=7,
                frameon=False,
                bbox_to_anchor=(0.5, -0.02) if loc == "lower center" else None,
            )

    @staticmethod
    def _ends(
        a: Box | tuple[float, float], b: Box | tuple[float, float]
    ) -> tuple[tuple[float, float], tuple[float, float]]:
        if not isinstance(a, Box) or not isinstance(b, Box):
            pa = a if not isinstance(a, Box) else (a.x, a.y)
            pb = b if not isinstance(b, Box) else (b.x, b.y)
            start = a.right if isinstance(a, Box) and pb[0] > pa[0] else (a if not isinstance(a, Box) else a.top)
            end = b.left if isinstance(b, Box) and pb[0] > pa[0] else (b if not isinstance(b, Box) else b.bottom)
            return start, end
        if abs(b.y - a.y) < 1e-9 or abs(b.x - a.x) > abs(b.y - a.y):
            return (a.right, b.left) if b.x > a.x else (a.left, b.right)
        return (a.top, b.bottom) if b.y > a.y else (a.bottom, b.top)
