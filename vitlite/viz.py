"""Static figures. Every function returns a matplotlib ``Figure`` (or draws on an ``ax``).

Figures are made without pyplot's global state, so a notebook cell that ends with a
figure shows it exactly once, and nothing piles up in memory across a long chapter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

import io

import matplotlib.figure
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

if TYPE_CHECKING:
    from vitlite.data import ShapesDataset
    from vitlite.train import History

__all__ = ["DPI", "Figure", "figure", "to_image", "show_images", "heatmap", "overlay", "draw_boxes", "plot_history", "plot_losses", "show_scenes"]

DPI = 72


class Figure(matplotlib.figure.Figure):
    """A matplotlib Figure that notebooks display as a PNG without needing pyplot."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()

SEG_COLORS = np.array([[0.12, 0.12, 0.12], [0.90, 0.30, 0.25], [0.25, 0.65, 0.95], [0.95, 0.80, 0.20], [0.45, 0.85, 0.35], [0.80, 0.45, 0.90], [0.95, 0.60, 0.20], [0.55, 0.55, 0.55]])


def figure(nrows: int = 1, ncols: int = 1, panel: tuple[float, float] = (3.0, 3.0), figsize: tuple[float, float] | None = None, **kwargs: Any) -> tuple[Figure, np.ndarray]:
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


def show_images(images: Sequence[torch.Tensor] | torch.Tensor, titles: Sequence[str] | None = None, ncols: int = 8, panel: float = 1.6, cmap: str | None = None, suptitle: str | None = None) -> Figure:
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


def heatmap(ax: Axes, matrix: torch.Tensor | np.ndarray, title: str | None = None, annotate: bool = False, fmt: str = "{:.2f}", cmap: str = "viridis", vmin: float | None = None, vmax: float | None = None, colorbar: bool = False) -> Axes:
    """Draw a 2-D array on ``ax``, optionally writing each value in its cell."""
    m = matrix.detach().float().cpu().numpy() if isinstance(matrix, torch.Tensor) else np.asarray(matrix)
    im = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    if annotate:
        mid = (np.nanmax(m) + np.nanmin(m)) / 2
        for (i, j), value in np.ndenumerate(m):
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=8, color="black" if value > mid else "white")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046)
    return ax


def overlay(ax: Axes, image: torch.Tensor, heat: torch.Tensor, alpha: float = 0.6, cmap: str = "inferno", title: str | None = None) -> Axes:
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


def draw_boxes(ax: Axes, boxes: torch.Tensor, labels: Iterable[int] | None = None, classes: Sequence[str] | None = None, size: int | None = None, color: str = "white", scores: Iterable[float] | None = None) -> Axes:
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
