"""The dense-prediction toolkit on hand-made cases: boundary band, band-restricted scores, depth
losses (scale-and-shift invariance) and depth metrics."""

from __future__ import annotations

import math

import pytest
import torch

import vitlite
from vitlite.dense import align_scale_shift, boundary_band, depth_l1_loss, depth_metrics, ssi_loss
from vitlite.metrics import confusion_matrix, depth_scores, segmentation_scores


def band_by_loop(mask: torch.Tensor, k: int) -> torch.Tensor:
    h, w = mask.shape
    out = torch.zeros(h, w, dtype=torch.bool)
    for i in range(h):
        for j in range(w):
            window = mask[max(0, i - k) : i + k + 1, max(0, j - k) : j + k + 1]
            out[i, j] = bool((window != mask[i, j]).any())
    return out


def test_band_of_a_square_hand_made():
    mask = torch.zeros(7, 7, dtype=torch.long)
    mask[2:5, 2:5] = 1
    band = boundary_band(mask, 1)
    expected = torch.zeros(7, 7, dtype=torch.bool)
    expected[1:6, 1:6] = True
    expected[3, 3] = False  # the square's centre is 1 pixel from its own edge pixels, all of class 1
    assert torch.equal(band, expected)
    assert not boundary_band(torch.zeros(5, 5, dtype=torch.long), 2).any()  # the image border is no edge


@pytest.mark.parametrize("k", [1, 2, 3])
def test_band_equals_a_loop(k):
    gen = torch.Generator().manual_seed(k)
    masks = torch.randint(0, 3, (2, 9, 11), generator=gen)
    masks[1, :, :6] = 0  # large flat regions too
    band = boundary_band(masks, k)
    for m, b in zip(masks, band):
        assert torch.equal(b, band_by_loop(m, k))


def test_band_errors():
    with pytest.raises(ValueError, match="integer"):
        boundary_band(torch.zeros(4, 4), 1)
    with pytest.raises(ValueError, match="positive"):
        boundary_band(torch.zeros(4, 4, dtype=torch.long), 0)


def test_confusion_matrix_restricted_to_a_region():
    target = torch.tensor([[0, 0, 1, 1]])
    pred = torch.tensor([[0, 1, 1, 0]])
    where = torch.tensor([[True, True, False, False]])
    assert confusion_matrix(pred, target, 2, where=where).tolist() == [[1, 1], [0, 0]]
    assert confusion_matrix(pred, target, 2, where=~where).tolist() == [[0, 0], [1, 1]]


class Constant(torch.nn.Module):
    """Predicts a fixed map for every image (to score against known targets)."""

    def __init__(self, out: torch.Tensor):
        super().__init__()
        self.out, self.w = out, torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.out[: len(x)]


def test_segmentation_scores_in_and_out_of_the_band():
    data = vitlite.data.ShapesWorld(image_size=32).segmentation(4, seed=0)
    truth = data.targets
    perfect = torch.nn.functional.one_hot(truth, 6).permute(0, 3, 1, 2).float()
    scores = segmentation_scores(Constant(perfect), data, 6, band=2)
    assert scores["miou"] == scores["miou_band"] == scores["miou_interior"] == 1.0
    # erase the band: every band pixel predicted as background, the rest right
    band = boundary_band(truth, 2)
    worse = torch.where(band, torch.zeros_like(truth), truth)
    scores = segmentation_scores(
        Constant(torch.nn.functional.one_hot(worse, 6).permute(0, 3, 1, 2).float()), data, 6, band=2
    )
    assert (
        scores["pixel_accuracy_interior"] == 1.0
        and scores["pixel_accuracy_band"] < 0.8
        and scores["miou_band"] < scores["miou"]
    )


def test_alignment_recovers_scale_and_shift_exactly():
    gen = torch.Generator().manual_seed(0)
    target = torch.rand(3, 1, 5, 6, generator=gen) + 1
    pred = torch.stack([2 * target[0] + 3, -0.5 * target[1] + 1, 10 * target[2]])
    torch.testing.assert_close(align_scale_shift(pred, target), target)
    assert ssi_loss(pred, target).item() < 1e-10
    assert depth_l1_loss(pred, target).item() > 0.5  # the plain loss sees the scale and shift
    flat = align_scale_shift(torch.ones_like(target), target)  # a constant prediction: the target's mean
    assert torch.allclose(flat[0], target[0].mean().expand_as(flat[0]))


def test_alignment_ignores_invalid_pixels_and_passes_gradients():
    target = torch.tensor([[[[1.0, 2.0, 3.0, 100.0]]]])
    pred = torch.tensor([[[[2.0, 4.0, 6.0, 0.0]]]], requires_grad=True)
    valid = torch.tensor([[[[True, True, True, False]]]])
    assert ssi_loss(pred, target, valid).item() < 1e-10
    noisy = torch.tensor([[[[2.0, 4.5, 6.0, 0.0]]]], requires_grad=True)
    loss = ssi_loss(noisy, target, valid)
    loss.backward()
    assert loss.item() > 0 and noisy.grad[..., 3].item() == 0 and noisy.grad[..., :3].abs().sum() > 0


def test_depth_metrics_hand_made():
    target = torch.tensor([[[[1.0, 2.0, 4.0, 5.0]]]])
    pred = torch.tensor([[[[1.1, 2.0, 6.0, 5.0]]]])
    m = depth_metrics(pred, target)
    assert m["abs_rel"] == pytest.approx((0.1 / 1 + 0 + 2 / 4 + 0) / 4)
    assert m["rmse"] == pytest.approx(math.sqrt((0.01 + 4) / 4))
    assert m["delta1"] == pytest.approx(3 / 4)  # 6/4 = 1.5 is the only one off
    with pytest.raises(ValueError, match="positive"):
        depth_metrics(pred, target - 1)
    with pytest.raises(ValueError, match="same shape"):
        depth_metrics(pred[..., :2], target)


def test_depth_scores_with_alignment_and_band():
    data = vitlite.data.ShapesWorld(image_size=32).depth(4, seed=0)
    exact = depth_scores(Constant(data.targets.clone()), data, band=2)
    assert exact["abs_rel"] == 0 and exact["delta1"] == 1 and exact["rmse_band"] == 0
    scaled = Constant(3 * data.targets + 1)
    assert depth_scores(scaled, data)["abs_rel"] > 1
    assert depth_scores(scaled, data, align=True)["abs_rel"] < 1e-6


def test_depth_loss_for_fit():
    from vitlite.train import depth_loss

    data = vitlite.data.ShapesWorld(image_size=32).depth(2, seed=0)
    batch = (data.images, data.targets)
    assert depth_loss(Constant(2 * data.targets - 0.5), batch).item() < 1e-8
    assert depth_loss(Constant(2 * data.targets - 0.5), batch, kind="l1").item() > 0.1
    with pytest.raises(ValueError, match="kind"):
        depth_loss(Constant(data.targets), batch, kind="l2")
    with pytest.raises(ValueError, match="depth maps"):
        depth_loss(Constant(data.targets[..., :16]), batch)


def test_depth_heads_without_a_channel_axis_are_accepted():
    from vitlite.train import depth_loss

    data = vitlite.data.ShapesWorld(image_size=32).depth(2, seed=0)
    squeezed = Constant(data.targets[:, 0] * 2 + 1)
    assert depth_loss(squeezed, (data.images, data.targets)).item() < 1e-8
    assert depth_scores(squeezed, data, align=True)["abs_rel"] < 1e-6


def test_resolution_ceiling_hand_made():
    from vitlite.dense import resolution_ceiling
    from vitlite.metrics import label_map_scores

    masks = torch.zeros(2, 16, 16, dtype=torch.long)
    masks[0, :, 8:] = 2  # an edge on the cells' border: nothing is lost at stride 8
    masks[1, 5, 6] = 1  # one pixel: it vanishes in its cell's average at stride 8
    assert torch.equal(resolution_ceiling(masks, 3, 1).argmax(1), masks)
    pred = resolution_ceiling(masks, 3, 8).argmax(1)
    assert torch.equal(pred[0], masks[0])
    assert not (pred[1] == 1).any()
    shares = resolution_ceiling(masks, 3, 8)
    assert torch.allclose(shares.sum(1), torch.ones(2, 16, 16))  # still a distribution over the classes
    scores = label_map_scores(pred, masks, 3, band=1)
    assert scores["pixel_accuracy"] == pytest.approx(1 - 1 / 512)
    assert scores["miou_interior"] == pytest.approx(1.0)  # the lost pixel is in the band


def test_label_map_scores_equal_the_models():
    from vitlite.metrics import label_map_scores

    gen = torch.Generator().manual_seed(0)
    masks = torch.randint(0, 3, (4, 8, 8), generator=gen)
    logits = torch.randn(4, 3, 8, 8, generator=gen)

    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(()))

        def forward(self, x):
            return logits[: len(x)] + 0 * self.w

    data = [(torch.zeros(4, 3, 8, 8), masks)]
    assert label_map_scores(logits.argmax(1), masks, 3, band=1) == segmentation_scores(Fixed(), data, 3, band=1)


def test_resolution_ceiling_rejects_bad_input():
    from vitlite.dense import resolution_ceiling

    with pytest.raises(ValueError, match="multiple of the stride"):
        resolution_ceiling(torch.zeros(1, 10, 10, dtype=torch.long), 2, 8)
    with pytest.raises(ValueError, match="integer class maps"):
        resolution_ceiling(torch.zeros(1, 8, 8), 2, 8)
    with pytest.raises(ValueError, match="class indices"):
        resolution_ceiling(torch.full((1, 8, 8), 5), 2, 4)


def test_coarse_depth_hand_made():
    from vitlite.dense import coarse_depth

    depth = torch.ones(1, 1, 8, 8)
    depth[..., :4] = 3.0  # left half at depth 3, right half at 1
    assert torch.equal(coarse_depth(depth, 1), depth)
    half = coarse_depth(depth, 4)  # two cells across: exact near the sides, a ramp between the cells' centres
    assert torch.allclose(half[..., :2], depth[..., :2]) and torch.allclose(half[..., 6:], depth[..., 6:])
    assert torch.allclose(half[..., 3], torch.tensor(2.25)) and torch.allclose(half[..., 4], torch.tensor(1.75))
    coarse = coarse_depth(depth, 8)
    assert torch.allclose(coarse, torch.full_like(depth, 2.0))  # one cell: the mean everywhere
    smooth = coarse_depth(torch.arange(64.0).reshape(1, 1, 8, 8), 2)
    assert smooth.shape == (1, 1, 8, 8) and abs(float(smooth.mean()) - 31.5) < 1e-4  # a ramp keeps its mean


def test_depth_map_scores_equal_the_models():
    from vitlite.metrics import depth_map_scores

    data = vitlite.data.ShapesWorld(image_size=32).depth(4, seed=0)
    pred = 2 * data.targets + 0.5 + 0.1 * torch.rand(data.targets.shape, generator=torch.Generator().manual_seed(0))
    for align in (False, True):
        assert depth_map_scores(pred, data, align=align, band=2) == depth_scores(
            Constant(pred), data, align=align, band=2
        )
    assert depth_map_scores(pred[:, 0], data) == depth_scores(Constant(pred), data)  # (N, H, W) maps too


def test_coarse_depth_and_map_scores_reject_bad_input():
    from vitlite.dense import coarse_depth
    from vitlite.metrics import depth_map_scores

    with pytest.raises(ValueError, match="multiple of the stride"):
        coarse_depth(torch.ones(1, 1, 10, 10), 4)
    with pytest.raises(ValueError, match=r"\(B, 1, H, W\)"):
        coarse_depth(torch.ones(1, 10, 10), 2)
    with pytest.raises(ValueError, match="positive whole number"):
        coarse_depth(torch.ones(1, 1, 8, 8), 0)
    data = vitlite.data.ShapesWorld(image_size=32).depth(2, seed=0)
    with pytest.raises(ValueError, match="one depth map per image"):
        depth_map_scores(torch.ones(3, 1, 32, 32), data)
