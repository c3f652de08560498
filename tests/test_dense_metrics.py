"""Segmentation metrics and loss: hand-made cases, and mIoU against torchmetrics."""

from __future__ import annotations

import math

import pytest
import torch

from vitlite import metrics
from vitlite.train import segmentation_loss


def test_confusion_matrix_hand_made():
    target = torch.tensor([[0, 0, 1], [1, 2, 2]])
    pred = torch.tensor([[0, 1, 1], [1, 2, 0]])
    cm = metrics.confusion_matrix(pred, target, 3)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    iou = metrics.iou_per_class(cm)
    assert torch.allclose(iou, torch.tensor([1 / 3, 2 / 3, 1 / 2], dtype=torch.float64))
    assert math.isclose(metrics.mean_iou(cm), (1 / 3 + 2 / 3 + 1 / 2) / 3)


def test_ignore_index_and_absent_classes():
    target = torch.tensor([0, 0, 255, 1])
    pred = torch.tensor([0, 0, 3, 1])
    cm = metrics.confusion_matrix(pred, target, 4, ignore_index=255)
    iou = metrics.iou_per_class(cm)
    assert iou[0] == 1 and iou[1] == 1 and torch.isnan(iou[2]) and torch.isnan(iou[3])
    assert metrics.mean_iou(cm) == 1.0  # classes that never occur do not count


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match="same shape"):
        metrics.confusion_matrix(torch.zeros(2, 2, dtype=torch.long), torch.zeros(4, dtype=torch.long), 2)
    with pytest.raises(ValueError, match=r"argmax\(1\)"):
        metrics.confusion_matrix(torch.zeros(3), torch.zeros(3, dtype=torch.long), 2)
    with pytest.raises(ValueError, match=r"lie in \[0, 2\)"):
        metrics.confusion_matrix(torch.tensor([0, 2]), torch.tensor([0, 1]), 2)
    with pytest.raises(ValueError, match="empty"):
        metrics.mean_iou(torch.zeros(3, 3, dtype=torch.long))


@pytest.mark.parametrize("seed", range(5))
def test_mean_iou_equals_torchmetrics(seed):
    torchmetrics = pytest.importorskip("torchmetrics")
    gen = torch.Generator().manual_seed(seed)
    k = 2 + seed
    target = torch.randint(0, k, (4, 16, 16), generator=gen)
    pred = torch.where(
        torch.rand(4, 16, 16, generator=gen) < 0.6, target, torch.randint(0, k, (4, 16, 16), generator=gen)
    )
    ours = metrics.mean_iou(metrics.confusion_matrix(pred, target, k))
    ref = torchmetrics.classification.MulticlassJaccardIndex(num_classes=k, average="macro")(pred, target).item()
    assert abs(ours - ref) < 1e-6
    per_class = torchmetrics.classification.MulticlassJaccardIndex(num_classes=k, average="none")(pred, target)
    assert torch.allclose(
        metrics.iou_per_class(metrics.confusion_matrix(pred, target, k)).float(), per_class, atol=1e-6
    )


def test_segmentation_scores_and_loss():
    class Oracle(torch.nn.Module):
        """Scores that put the right class first wherever the image's red channel says so."""

        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(()))

        def forward(self, x):
            return torch.nn.functional.one_hot((x[:, 0] * 2).long(), 3).permute(0, 3, 1, 2).float() * self.w

    masks = torch.randint(0, 3, (6, 8, 8))
    images = torch.zeros(6, 3, 8, 8)
    images[:, 0] = masks / 2
    data = list(zip(images.split(3), masks.split(3)))
    scores = metrics.segmentation_scores(Oracle(), data, num_classes=3, device="cpu")
    assert scores["miou"] == 1.0 and scores["pixel_accuracy"] == 1.0
    loss = segmentation_loss(Oracle(), (images, masks))
    assert loss.ndim == 0 and loss.requires_grad
    with pytest.raises(ValueError, match=r"build it with num_classes=5"):
        segmentation_loss(Oracle(), (images, masks + 2))
    with pytest.raises(ValueError, match=r"class scores \(B, K, H, W\)"):
        segmentation_loss(lambda x: x.mean((2, 3)), (images, masks))
