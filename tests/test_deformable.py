"""Multi-scale deformable attention's core: against a plain loop with hand-written bilinear sampling,
and against Hugging Face's pure-PyTorch ``MultiScaleDeformableAttention`` (Deformable DETR)."""

from __future__ import annotations

import math

import pytest
import torch

from vitlite.layers import multi_scale_deformable_attention

SHAPES = [  # batch, heads, head width, levels' (H, W), queries, points
    (1, 1, 4, [(3, 5)], 2, 1),
    (2, 2, 3, [(4, 4), (2, 2)], 3, 2),
    (2, 4, 8, [(8, 6), (4, 3), (2, 2), (1, 1)], 5, 4),
    (1, 8, 2, [(5, 7), (3, 4), (2, 2)], 7, 3),
]


def bilinear_zero_padded(image: torch.Tensor, x: float, y: float) -> torch.Tensor:
    """image (d, H, W) at (x, y) in [0, 1] of its width and height, align_corners=False: pixel centres
    sit at (i + 0.5) / W; neighbours outside the map count as zeros."""
    d, h, w = image.shape
    px, py = x * w - 0.5, y * h - 0.5
    x0, y0 = math.floor(px), math.floor(py)
    out = torch.zeros(d, dtype=image.dtype)
    for yy, wy in ((y0, 1 - (py - y0)), (y0 + 1, py - y0)):
        for xx, wx in ((x0, 1 - (px - x0)), (x0 + 1, px - x0)):
            if 0 <= yy < h and 0 <= xx < w:
                out += wy * wx * image[:, yy, xx]
    return out


def deformable_loop(value, shapes, locations, weights):
    b, _, heads, d = value.shape
    q, points = locations.shape[1], locations.shape[4]
    starts = [0]
    for h, w in shapes:
        starts.append(starts[-1] + h * w)
    out = torch.zeros(b, q, heads * d, dtype=value.dtype)
    for n in range(b):
        for i in range(q):
            for m in range(heads):
                acc = torch.zeros(d, dtype=value.dtype)
                for level, (h, w) in enumerate(shapes):
                    image = value[n, starts[level] : starts[level + 1], m].T.reshape(d, h, w)
                    for p in range(points):
                        x, y = locations[n, i, m, level, p].tolist()
                        acc += weights[n, i, m, level, p] * bilinear_zero_padded(image, x, y)
                out[n, i, m * d : (m + 1) * d] = acc
    return out


def random_inputs(b, heads, d, shapes, q, points, seed=0, spread=0.3):
    gen = torch.Generator().manual_seed(seed)
    s = sum(h * w for h, w in shapes)
    value = torch.randn(b, s, heads, d, generator=gen, dtype=torch.float64)
    # locations from -spread to 1 + spread: some points fall outside the map on purpose
    locations = (
        torch.rand(b, q, heads, len(shapes), points, 2, generator=gen, dtype=torch.float64) * (1 + 2 * spread) - spread
    )
    if spread:
        locations[0, 0, 0, 0, 0] = torch.tensor([-0.2, 0.5], dtype=torch.float64)  # left of the map
        locations[-1, -1, -1, -1, -1] = torch.tensor([0.5, 1.2], dtype=torch.float64)  # below it
    weights = torch.rand(b, q, heads, len(shapes), points, generator=gen, dtype=torch.float64)
    weights = weights / weights.sum((-2, -1), keepdim=True)
    return value, torch.tensor(shapes), locations, weights


@pytest.mark.parametrize("config", SHAPES, ids=lambda c: f"L{len(c[3])}h{c[1]}p{c[5]}")
def test_equal_to_a_plain_loop(config):
    value, shapes, locations, weights = random_inputs(*config)
    assert (locations < 0).any() and (locations > 1).any()  # the case of points outside is covered
    ours = multi_scale_deformable_attention(value, shapes, locations, weights)
    assert ours.shape == (config[0], config[4], config[1] * config[2])
    torch.testing.assert_close(ours, deformable_loop(value, config[3], locations, weights), rtol=1e-10, atol=1e-10)


def test_a_point_far_outside_reads_zero_and_a_pixel_centre_reads_the_pixel():
    value = torch.arange(12.0).reshape(1, 12, 1, 1)  # one 3x4 level, one head of width 1
    shapes = torch.tensor([[3, 4]])
    centre = torch.tensor([(2 + 0.5) / 4, (1 + 0.5) / 3])  # pixel (row 1, column 2) = 6
    far = torch.tensor([2.0, -1.0])
    locations = torch.stack([centre, far]).reshape(1, 2, 1, 1, 1, 2)
    out = multi_scale_deformable_attention(value, shapes, locations, torch.ones(1, 2, 1, 1, 1))
    assert out.flatten().tolist() == pytest.approx([6.0, 0.0])


@pytest.mark.parametrize("config", SHAPES, ids=lambda c: f"L{len(c[3])}h{c[1]}p{c[5]}")
def test_equal_to_hugging_face(config):
    modeling = pytest.importorskip("transformers.models.deformable_detr.modeling_deformable_detr")
    value, shapes, locations, weights = (
        t.float() if t.is_floating_point() else t for t in random_inputs(*config, seed=1)
    )
    starts = torch.cat([torch.zeros(1, dtype=torch.long), (shapes[:, 0] * shapes[:, 1]).cumsum(0)[:-1]])
    theirs = modeling.MultiScaleDeformableAttention()(
        value, shapes, [tuple(s) for s in shapes.tolist()], starts, locations, weights, 64
    )
    ours = multi_scale_deformable_attention(value, shapes, locations, weights)
    assert (ours - theirs).abs().max() < 1e-5


def test_gradients_reach_values_locations_and_weights():
    value, shapes, locations, weights = random_inputs(2, 2, 3, [(4, 4), (2, 2)], 3, 2, spread=0.0)
    for t in (value, locations, weights):
        t.requires_grad_(True)
    multi_scale_deformable_attention(value, shapes, locations, weights).sum().backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in (value, locations, weights))


def test_mismatched_shapes_are_named():
    value, shapes, locations, weights = random_inputs(1, 2, 3, [(4, 4), (2, 2)], 3, 2)
    with pytest.raises(ValueError, match="positions but the spatial shapes"):
        multi_scale_deformable_attention(value, torch.tensor([[4, 4]]), locations, weights)
    with pytest.raises(ValueError, match="sampling_locations must be"):
        multi_scale_deformable_attention(value, shapes, locations[..., :1], weights)
    with pytest.raises(ValueError, match="attention_weights must be"):
        multi_scale_deformable_attention(value, shapes, locations, weights[..., :1])
    with pytest.raises(ValueError, match="value must be"):
        multi_scale_deformable_attention(value[0], shapes, locations, weights)
