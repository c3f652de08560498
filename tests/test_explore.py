"""Explorers: values, static figures, live widgets (ipywidgets) and the headless fallback."""

from __future__ import annotations

import math

import pytest
import torch

from vitlite.explore import Checkbox, Dropdown, Explorer, FloatSlider, IntSlider, conv_attention_explorer
from vitlite.viz import Figure

PNG = b"\x89PNG"
SHARPEN = torch.tensor([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])


@pytest.fixture
def recorder():
    calls: list[dict] = []

    def draw(fig, **values):
        calls.append(values)
        ax = fig.subplots()
        ax.plot([0, 1], [0, values["n"]])

    explorer = Explorer(
        draw,
        {
            "n": IntSlider(1, 9, value=3),
            "a": FloatSlider(0.0, 2.0, step=0.25),
            "lr": FloatSlider(1e-4, 1.0, value=1e-2, log=True),
            "kind": Dropdown({"first": "x", "second": "y"}),
            "mode": Dropdown(["p", "q"], value="q"),
            "flag": Checkbox(),
        },
        title="A test explorer",
    )
    return explorer, calls


# ---------------------------------------------------------------- values
def test_values_defaults_and_overrides(recorder):
    ex, _ = recorder
    assert ex.values() == {"n": 3, "a": 0.0, "lr": 1e-2, "kind": "x", "mode": "q", "flag": False}
    got = ex.values(n=9, a=1, kind="y", flag=True)
    assert got == {"n": 9, "a": 1.0, "lr": 1e-2, "kind": "y", "mode": "q", "flag": True}
    assert isinstance(got["a"], float)
    assert IntSlider(2, 5).default == 2 and FloatSlider(0.5, 1.0).default == 0.5 and Dropdown([7, 8]).default == 7


@pytest.mark.parametrize(
    "overrides, pattern",
    [
        (dict(m=1), r"unknown control\(s\) \['m'\]; this explorer has \['a', 'flag', 'kind', 'lr', 'mode', 'n'\]"),
        (dict(n=10), r"n must be an int in \[1, 9\], got 10"),
        (dict(n=0), r"n must be an int in \[1, 9\], got 0"),
        (dict(n=2.0), r"n must be an int.*got 2\.0"),
        (dict(n=True), r"n must be an int.*got True"),
        (dict(a="1"), r"a must be a number in \[0\.0, 2\.0\], got '1'"),
        (dict(a=2.5), r"a must be a number in \[0\.0, 2\.0\], got 2\.5"),
        (dict(a=False), r"a must be a number"),
        (dict(kind="first"), r"kind must be one of \['x', 'y'\], got 'first'"),
        (dict(mode="r"), r"mode must be one of \['p', 'q'\], got 'r'"),
        (dict(flag=1), r"flag must be True or False, got 1"),
        (dict(flag="yes"), r"flag must be True or False, got 'yes'"),
    ],
)
def test_values_validation(recorder, overrides, pattern):
    ex, calls = recorder
    with pytest.raises(ValueError, match=pattern):
        ex.values(**overrides)
    with pytest.raises(ValueError):
        ex.figure(**overrides)
    assert calls == []  # nothing drawn with a bad value


# ---------------------------------------------------------------- static figures
def test_figure_calls_draw_and_renders_png(recorder):
    ex, calls = recorder
    fig = ex.figure(n=5, kind="y")
    assert isinstance(fig, Figure)
    assert calls == [{"n": 5, "a": 0.0, "lr": 1e-2, "kind": "y", "mode": "q", "flag": False}]
    assert fig._suptitle is not None and fig._suptitle.get_text() == "A test explorer"
    assert tuple(fig.get_size_inches()) == (9.0, 3.6)
    png = fig._repr_png_()
    assert png.startswith(PNG) and len(png) > 1000


# ---------------------------------------------------------------- live widgets (ipywidgets)
def controls_of(box):
    W = pytest.importorskip("ipywidgets")
    assert isinstance(box, W.VBox)
    row, out = box.children
    assert isinstance(row, W.HBox) and isinstance(out, W.Output)
    return list(row.children)


def test_widget_builds_controls_and_redraws_on_change(recorder):
    W = pytest.importorskip("ipywidgets")
    ex, calls = recorder
    box = ex.widget()
    n, a, lr, kind, mode, flag = controls_of(box)
    assert type(n) is W.IntSlider and (n.min, n.max, n.value, n.description) == (1, 9, 3, "n")
    assert type(a) is W.FloatSlider and (a.min, a.max, a.step, a.value) == (0.0, 2.0, 0.25, 0.0)
    assert type(lr) is W.FloatLogSlider
    assert (lr.base, lr.min, lr.max) == (10, -4, 0) and lr.value == pytest.approx(1e-2)
    assert type(kind) is W.Dropdown and kind.value == "x" and kind.label == "first"
    assert [tuple(o) for o in kind.options] == [("first", "x"), ("second", "y")]
    assert type(mode) is W.Dropdown and mode.value == "q"
    assert type(flag) is W.Checkbox and flag.value is False
    assert not n.continuous_update and not a.continuous_update
    assert len(calls) == 1 and calls[0] == ex.values()  # drawn once at the start
    n.value = 7
    assert len(calls) == 2 and calls[-1]["n"] == 7
    kind.value = "y"
    flag.value = True
    a.value = 1.5
    lr.value = 0.1
    assert len(calls) == 6
    assert calls[-1] == {"n": 7, "a": 1.5, "lr": pytest.approx(0.1), "kind": "y", "mode": "q", "flag": True}


def test_widget_descriptions(recorder):
    pytest.importorskip("ipywidgets")
    ex = Explorer(lambda fig, k: None, {"k": IntSlider(0, 3, description="query row")})
    (k,) = controls_of(ex.widget())
    assert k.description == "query row"


def test_log_slider_ends_are_accepted():
    pytest.importorskip("ipywidgets")
    calls = []
    ex = Explorer(lambda fig, a: calls.append(a), {"a": FloatSlider(0.3, 7.0, value=1.0, log=True)})
    (a,) = controls_of(ex.widget())
    a.value = a.base**a.min  # where the front end puts a slider dragged to its left end
    a.value = a.base**a.max
    assert len(calls) == 3


# ---------------------------------------------------------------- headless
def test_show_headless_prints_one_line_and_builds_no_widgets(recorder, monkeypatch, capsys):
    ex, calls = recorder
    monkeypatch.setenv("VITLITE_HEADLESS", "1")

    def no_widgets(self):
        raise AssertionError("widget() must not run headless")

    monkeypatch.setattr(Explorer, "widget", no_widgets)
    ex.show()
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("[explorer]")]
    assert lines == [
        "[explorer] A test explorer: controls n, a, lr, kind, mode, flag. Run the notebook live to use them; default view below."
    ]
    assert calls == [ex.values()]  # the default view was drawn
    ex._ipython_display_()
    assert len(calls) == 2


def test_show_with_a_front_end_displays_the_widget(recorder, monkeypatch):
    ex, _ = recorder
    monkeypatch.setattr("vitlite.env.headless", lambda: False)
    shown = []
    monkeypatch.setattr(Explorer, "widget", lambda self: "the widget")
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    ex.show()
    assert shown == ["the widget"]


# ---------------------------------------------------------------- the chapter-01 explorer
def test_conv_attention_explorer_controls_and_figures():
    image = torch.arange(25, dtype=torch.float32).view(5, 5) / 24
    ex = conv_attention_explorer(image, SHARPEN)
    assert set(ex.controls) == {"row", "col", "head", "alpha"}
    values = ex.values()
    assert values == {"row": 0, "col": 0, "head": 4, "alpha": 2.0}
    assert ex.controls["row"].max == 4 and ex.controls["col"].max == 4
    assert sorted(ex.controls["head"]._pairs(), key=lambda p: p[1])[4][0] == "4: shift (0, 0)"
    for settings in ({}, dict(row=2, col=3, head=0, alpha=100.0), dict(row=4, col=4, head=8, alpha=0.1)):
        fig = ex.figure(**settings)
        assert len(fig.axes) >= 3
        assert fig._repr_png_().startswith(PNG)
    with pytest.raises(ValueError, match="row must be an int in"):
        ex.figure(row=5)


def test_conv_attention_explorer_titles_show_output_near_convolution():
    image = torch.rand(6, 5, generator=torch.Generator().manual_seed(0))
    ex = conv_attention_explorer(image, SHARPEN)
    fig = ex.figure(row=2, col=1, alpha=100.0)
    title = fig.axes[2].get_title()
    out = float(title.split("output ")[1].split(",")[0])
    conv = float(title.split("convolution ")[1])
    want = torch.nn.functional.conv2d(image[None, None].double(), SHARPEN[None, None].double(), padding=1)[
        0, 0, 2, 1
    ].item()
    assert conv == pytest.approx(want, abs=1e-3)
    assert out == pytest.approx(want, abs=2e-3)


def test_conv_attention_explorer_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"\(H, W\) image and a \(3, 3\) kernel, got \(1, 5, 5\) and \(3, 3\)"):
        conv_attention_explorer(torch.rand(1, 5, 5), SHARPEN)
    with pytest.raises(ValueError, match=r"got \(5, 5\) and \(5, 5\)"):
        conv_attention_explorer(torch.rand(5, 5), torch.rand(5, 5))
    with pytest.raises(ValueError):
        conv_attention_explorer(torch.rand(5, 5), torch.rand(1, 3, 3))


def test_conv_attention_explorer_widget():
    W = pytest.importorskip("ipywidgets")
    ex = conv_attention_explorer(torch.rand(4, 4), SHARPEN)
    row, col, head, alpha = controls_of(ex.widget())
    assert type(alpha) is W.FloatLogSlider
    assert alpha.min == pytest.approx(math.log10(0.1)) and alpha.max == pytest.approx(2.0)
    assert head.value == 4 and len(head.options) == 9
    row.value = 3
    head.value = 0
    alpha.value = 50.0
    alpha.value = alpha.base**alpha.min  # both ends of the log slider are valid values here
    alpha.value = alpha.base**alpha.max


def test_images_with_the_same_title_stay_selectable():
    """Two test images of the same class must not collapse into one dropdown entry."""
    from vitlite.explore import _image_options

    assert _image_options(["a", "b"]) == {"a": 0, "b": 1}
    assert list(_image_options(["2 objects", "1 object", "2 objects"]).values()) == [0, 1, 2]


def test_dino_explorers_render_and_check_their_controls():
    import vitlite
    from vitlite.explore import deformable_sampling_explorer, denoising_explorer

    ds = vitlite.data.ShapesWorld(image_size=64).detection(3, seed=3)
    dn = denoising_explorer(ds)
    fig = dn.figure(image=2, lam=0.4, groups=3)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="lam"):
        dn.figure(lam=5.0)
    model = vitlite.create_model("dino_tiny_shapes", dim=32, ffn_dim=32, num_heads=2)
    sampling = deformable_sampling_explorer(model, ds)
    assert len(sampling.figure(query=3, layer=0).axes) == 1 + model.num_levels
    with pytest.raises(ValueError, match="query"):
        sampling.figure(query=model.num_queries)


def test_dense_explorers_render_and_check_their_controls():
    import vitlite
    from vitlite.explore import depth_error_explorer, dpt_stage_explorer, setr_explorer

    seg = vitlite.data.ShapesWorld(image_size=64).segmentation(2, seed=1)
    small = dict(embed_dim=32, depth=2, num_heads=2)
    models = {
        "Naive": vitlite.create_model("setr_naive_tiny_shapes", **small),
        "PUP": vitlite.create_model("setr_pup_tiny_shapes", **small),
    }
    ex = setr_explorer(models, seg)
    assert len(ex.figure(row=1, col=2).axes) == 5 + 1  # image, truth, two predictions, attention; its colour bar
    with pytest.raises(ValueError, match="row"):
        ex.figure(row=9)
    dpt = vitlite.create_model("dpt_depth_tiny_shapes", embed_dim=32, depth=4, num_heads=2, hooks=(0, 1, 2, 3))
    assert len(dpt_stage_explorer(dpt, seg.images).figure(stage=3).axes) == 4 + 1  # and the depth colour bar
    dep = vitlite.data.ShapesWorld(image_size=64).depth(2, seed=1)
    assert (
        len(depth_error_explorer({"DPT": dpt}, dep).figure(image=1).axes) == 4 + 2
    )  # and the colour bars of depth and error
    with pytest.raises(ValueError, match="at least one model"):
        depth_error_explorer({}, dep)
