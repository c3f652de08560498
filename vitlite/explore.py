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
from typing import Any, Callable, Mapping, Sequence

from vitlite import env
from vitlite.viz import DPI, Figure

__all__ = ["IntSlider", "FloatSlider", "Dropdown", "Checkbox", "Explorer", "conv_attention_explorer"]


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

        return W.IntSlider(min=self.min, max=self.max, step=self.step, value=self.default, description=self.description or name, continuous_update=False)


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
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not self.min - slack <= value <= self.max + slack:
            raise ValueError(f"{name} must be a number in [{self.min}, {self.max}], got {value!r}")
        return min(max(float(value), self.min), self.max)

    def widget(self, name: str):
        import ipywidgets as W

        label = self.description or name
        if self.log:
            return W.FloatLogSlider(base=10, min=math.log10(self.min), max=math.log10(self.max), step=self.step, value=self.default, description=label, continuous_update=False)
        return W.FloatSlider(min=self.min, max=self.max, step=self.step, value=self.default, description=label, continuous_update=False)


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

    def __init__(self, draw: Callable[..., None], controls: Mapping[str, Control], title: str = "", figsize: tuple[float, float] = (9.0, 3.6)):
        self.draw = draw
        self.controls = dict(controls)
        self.title = title
        self.figsize = figsize

    def values(self, **overrides: Any) -> dict[str, Any]:
        """Every control's value: its default unless overridden; bad names and values raise ValueError."""
        unknown = set(overrides) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; this explorer has {sorted(self.controls)}")
        return {name: control.check(name, overrides[name]) if name in overrides else control.default for name, control in self.controls.items()}

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
            print(f"[explorer] {self.title or 'explorer'}: controls {names}. Run the notebook live to use them; default view below.")
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
        raise ValueError(f"expected a (H, W) image and a (3, 3) kernel, got {tuple(image.shape)} and {tuple(kernel.shape)}")
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
        overlay(ax_head, norm, maps[head], alpha=0.65, cmap="magma", title=f"head {head} (shift {tuple(shifts[head])}): attention from the query")
        ax_head.add_patch(_square(col + 1, row + 1, "cyan"))
        heatmap(ax_kernel, kernel, title="kernel (this head's tap outlined)", annotate=True, fmt="{:.0f}", cmap="coolwarm")
        dy, dx = shifts[head]
        ax_kernel.add_patch(_square(dx + 1, dy + 1, "black", lw=3))
        lim = kernel.abs().max().item()
        heatmap(ax_layer, weights, title=f"layer's weights on the input\noutput {out:.3f}, convolution {conv[row, col].item():.3f}", cmap="coolwarm", vmin=-lim, vmax=lim)
        ax_layer.add_patch(_square(col + 1, row + 1, "black", size=3))

    controls = {
        "row": IntSlider(0, h - 1, value=0),
        "col": IntSlider(0, w - 1, value=0),
        "head": Dropdown({f"{i}: shift {tuple(s)}": i for i, s in enumerate(shifts)}, value=4),
        "alpha": FloatSlider(0.1, 100.0, step=0.05, value=2.0, log=True),
    }
    return Explorer(draw, controls, title="A 3x3 convolution as 9-head attention", figsize=(11.0, 4.0))


def _square(x: float, y: float, color: str, size: int = 1, lw: float = 2.0):
    from matplotlib.patches import Rectangle

    half = size / 2
    return Rectangle((x - half, y - half), size, size, fill=False, edgecolor=color, linewidth=lw)
