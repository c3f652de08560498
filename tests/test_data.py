"""ShapesWorld: targets checked against independent recomputations from the instance map."""

from __future__ import annotations

import math
import re

import pytest
import torch

from vitlite import data
from vitlite.data import CHUNK, SHAPES, TEXTURES, Batches, ShapesDataset, ShapesWorld, outlines

WORLD = ShapesWorld()  # the defaults: 32x32, 1 to 3 objects, every shape
SMALL = ShapesWorld(image_size=16, size_range=(0.13, 0.25))  # cheap scenes for the size-heavy tests
N = 64


@pytest.fixture(scope="module")
def sets() -> dict[str, ShapesDataset]:
    """Every task and variant once (each renders one chunk), shared by the tests below."""
    out = {task: WORLD.dataset(task, N, seed=3) for task in data.TASKS}
    out["edges"] = WORLD.edges(N, seed=3)
    for variant in data.VARIANTS:
        out[variant] = WORLD.classification(N, seed=3, variant=variant)
    return out


def visible_masks(instance: torch.Tensor, k: int) -> torch.Tensor:
    """(N, K, H, W): the pixels that show slot k (instance value k + 1)."""
    return torch.stack([instance == slot + 1 for slot in range(k)], 1)


def reference_outlines(instance: torch.Tensor) -> torch.Tensor:
    """Pixel-by-pixel: an edge wherever a 4-neighbour inside the image has another instance id."""
    n, h, w = instance.shape
    out = torch.zeros(n, 1, h, w)
    for b in range(n):
        for y in range(h):
            for x in range(w):
                for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                    yy, xx = y + dy, x + dx
                    if 0 <= yy < h and 0 <= xx < w and instance[b, yy, xx] != instance[b, y, x]:
                        out[b, 0, y, x] = 1.0
    return out


# ---------------------------------------------------------------- shapes, dtypes, ranges
@pytest.mark.parametrize("task", ["classification", "detection", "segmentation", "depth", "edges"])
def test_images_shape_dtype_range(sets, task):
    ds = sets[task]
    assert len(ds) == N and ds.task == task
    assert ds.images.shape == (N, 3, 32, 32) and ds.images.dtype == torch.float32
    assert ds.images.min() >= 0 and ds.images.max() <= 1
    assert ds.images.std() > 0.05  # not blank
    scenes = ds.scenes
    assert scenes is not None and len(scenes) == N
    assert scenes.instance.shape == scenes.mask.shape == (N, 32, 32)
    assert scenes.depth.shape == (N, 1, 32, 32)


@pytest.mark.parametrize("variant", ["shape", "texture", "count", "relation"])
def test_classification_labels_in_class_list(sets, variant):
    ds = sets[variant]
    assert ds.targets.shape == (N,) and ds.targets.dtype == torch.long
    assert ds.targets.min() >= 0 and ds.targets.max() < len(ds.classes)
    image, label = ds[5]
    assert image.shape == (3, 32, 32) and label.ndim == 0 and int(label) == int(ds.targets[5])
    assert len(set(ds.targets.tolist())) > 1  # not a constant label
    assert repr(ds).startswith("ShapesDataset(task='classification'")


def test_class_lists(sets):
    assert sets["shape"].classes == SHAPES
    assert sets["texture"].classes == TEXTURES  # one texture in the world: the task uses them all
    assert sets["count"].classes == ("1", "2", "3")
    assert sets["relation"].classes == ("different", "same")
    assert sets["segmentation"].classes == ("background",) + SHAPES
    assert sets["detection"].classes == SHAPES


def test_single_object_variants(sets):
    for variant in ("shape", "texture"):
        scenes = sets[variant].scenes
        assert scenes.present.shape == (N, 1) and scenes.present.all()
        assert torch.equal(sets[variant].targets, getattr(scenes, variant)[:, 0])
        ids = scenes.instance.flatten(1)
        assert ((ids == 1).sum(1) > 0).all() and ids.max() == 1


def test_count_labels_equal_objects_minus_one(sets):
    ds = sets["count"]
    instances = ds.scenes.instance
    distinct = torch.tensor([len(set(instances[i].unique().tolist()) - {0}) for i in range(N)])
    assert torch.equal(ds.targets, distinct - 1)
    assert torch.equal(ds.targets, ds.scenes.present.sum(1) - 1)
    assert set(ds.targets.tolist()) == {0, 1, 2}


def test_relation_label_is_same_shape_and_both_visible(sets):
    ds = sets["relation"]
    sc = ds.scenes
    assert sc.present.shape == (N, 2) and sc.present.all()
    assert torch.equal(ds.targets, (sc.shape[:, 0] == sc.shape[:, 1]).long())
    vis = visible_masks(sc.instance, 2)
    assert (vis.sum((-1, -2)) > 0).all()
    # the two objects sit in different halves: their boxes do not overlap
    b = sc.boxes
    lo, hi = b[..., :2] - b[..., 2:] / 2, b[..., :2] + b[..., 2:] / 2
    overlap = (torch.minimum(hi[:, 0], hi[:, 1]) > torch.maximum(lo[:, 0], lo[:, 1])).all(-1)
    assert not overlap.any()
    assert 0 < ds.targets.sum() < N


# ---------------------------------------------------------------- detection
def test_detection_boxes_are_tight_boxes_of_visible_pixels(sets):
    ds = sets["detection"]
    sc = ds.scenes
    boxes, labels = ds.targets["boxes"], ds.targets["labels"]
    k = sc.present.shape[1]
    assert boxes.shape == (N, k, 4) and labels.shape == (N, k)
    assert boxes.min() >= 0 and boxes.max() <= 1
    assert torch.equal(labels == -1, ~sc.present)
    size = 32
    for i in range(N):
        for slot in range(k):
            ys, xs = torch.nonzero(sc.instance[i] == slot + 1, as_tuple=True)
            if not sc.present[i, slot]:
                assert len(ys) == 0
                continue
            assert labels[i, slot] == sc.shape[i, slot]
            x0, x1, y0, y1 = xs.min().item(), xs.max().item() + 1, ys.min().item(), ys.max().item() + 1
            want = torch.tensor([(x0 + x1) / 2 / size, (y0 + y1) / 2 / size, (x1 - x0) / size, (y1 - y0) / size])
            torch.testing.assert_close(boxes[i, slot], want, atol=1e-6, rtol=0)


def test_detection_item_holds_only_present_objects(sets):
    ds = sets["detection"]
    for i in range(N):
        image, target = ds[i]
        m = int(ds.scenes.present[i].sum())
        assert image.shape == (3, 32, 32)
        assert target["boxes"].shape == (m, 4) and target["labels"].shape == (m,)
        assert (target["labels"] >= 0).all()
        assert (target["boxes"][:, 2:] > 0).all()


# ---------------------------------------------------------------- segmentation, edges, depth
def test_segmentation_mask_from_instance_and_shapes(sets):
    ds = sets["segmentation"]
    sc = ds.scenes
    assert ds.targets.dtype == torch.long and ds.targets.shape == (N, 32, 32)
    want = torch.zeros_like(sc.instance)
    for i in range(N):
        for slot in range(sc.shape.shape[1]):
            want[i][sc.instance[i] == slot + 1] = int(sc.shape[i, slot]) + 1
    assert torch.equal(ds.targets, want)
    assert ds.targets.max() < len(ds.classes)


def test_edges_are_outlines_of_instance_map(sets):
    ds = sets["edges"]
    assert ds.targets.shape == (N, 1, 32, 32) and ds.targets.dtype == torch.float32
    assert set(ds.targets.unique().tolist()) <= {0.0, 1.0}
    few = ds.scenes.instance[:4]
    assert torch.equal(ds.targets[:4], reference_outlines(few))


def test_outlines_on_hand_made_map():
    inst = torch.tensor([[[0, 0, 1], [0, 0, 1], [2, 2, 2]]])
    want = torch.tensor([[[0, 1, 1], [1, 1, 1], [1, 1, 1]]]).float()[:, None]
    assert torch.equal(outlines(inst), want)
    assert torch.equal(outlines(torch.zeros(2, 4, 5, dtype=torch.long)), torch.zeros(2, 1, 4, 5))
    one = torch.zeros(1, 5, 5, dtype=torch.long)
    one[0, 2, 2] = 7
    want = torch.zeros(1, 1, 5, 5)
    for y, x in ((2, 2), (1, 2), (3, 2), (2, 1), (2, 3)):
        want[0, 0, y, x] = 1
    assert torch.equal(outlines(one), want)


def test_depth_sky_ground_and_objects(sets):
    ds = sets["depth"]
    sc = ds.scenes
    depth = ds.targets
    assert depth.shape == (N, 1, 32, 32) and depth.dtype == torch.float32
    rows = (torch.arange(32) + 0.5) / 32
    # documented camera: horizon at 0.35 of the height, camera 0.5 above the ground, sky at 10
    ground = torch.where(rows <= 0.35, torch.tensor(10.0), (0.5 / (rows - 0.35)).clamp(max=10.0))
    background = sc.instance == 0
    want_bg = ground.view(1, 32, 1).expand(N, 32, 32)
    torch.testing.assert_close(depth[:, 0][background], want_bg[background])
    sky_rows = rows <= 0.35
    sky = depth[:, 0, sky_rows][background[:, sky_rows]]
    assert sky.numel() > 0 and (sky == 10.0).all()
    for i in range(N):
        for slot in range(sc.z.shape[1]):
            pix = sc.instance[i] == slot + 1
            if pix.any():
                assert (depth[i, 0][pix] == sc.z[i, slot]).all()
    zs = sc.z[sc.present]
    assert zs.min() >= 1.0 and zs.max() <= 4.0
    assert (depth > 0).all() and depth.max() <= 10.0


def test_objects_are_stored_far_to_near(sets):
    for key in ("depth", "detection"):
        sc = sets[key].scenes
        for i in range(N):
            z = sc.z[i][sc.present[i]]
            assert torch.all(z[:-1] >= z[1:])


# ---------------------------------------------------------------- visibility
def test_present_objects_are_visible_with_min_visible():
    world = ShapesWorld(num_objects=(3, 5), size_range=(0.2, 0.3), min_visible=0.35)
    sc = world.scenes(100, seed=1)
    vis = visible_masks(sc.instance, 5).sum((-1, -2))
    assert (vis[sc.present] > 0).all()
    assert (vis[~sc.present] == 0).all()
    # The same layouts with nothing removed (min_visible only filters, it draws no extra randomness):
    loose = ShapesWorld(num_objects=(3, 5), size_range=(0.2, 0.3), min_visible=0.0).scenes(100, seed=1)
    assert torch.equal(sc.shape, loose.shape) and torch.equal(sc.z, loose.z)
    assert torch.equal(sc.present & loose.present, sc.present)  # only removes objects, never adds
    assert sc.present.sum() < loose.present.sum()  # and with these crowded scenes it does remove some
    removed = loose.present & ~sc.present
    nearest = loose.present.long().cumsum(1) == loose.present.sum(1, keepdim=True)  # last present slot
    assert not (removed & nearest & loose.present).any()  # the nearest object is whole, never removed


def test_present_objects_are_visible_even_with_min_visible_zero():
    sc = ShapesWorld(num_objects=(3, 3), min_visible=0.0).scenes(256, seed=0)
    vis = visible_masks(sc.instance, 3).sum((-1, -2))
    assert (vis[sc.present] > 0).all()


@pytest.mark.parametrize("task", ["shape", "texture", "detection", "segmentation"])
def test_labels_index_class_list_for_a_subset_world(task):
    world = ShapesWorld(shapes=("square", "ring"), textures=("solid", "dots", "checker"))
    if task in ("shape", "texture"):
        ds = world.classification(40, variant=task)
        labels = ds.targets
    elif task == "detection":
        ds = world.detection(40)
        labels = ds.targets["labels"][ds.targets["labels"] >= 0]
    else:
        ds = world.segmentation(40)
        labels = ds.targets
    assert labels.max() < len(ds.classes)


# ---------------------------------------------------------------- seeding
def test_same_seed_same_data_different_seed_different():
    a, b, c = SMALL.scenes(20, seed=5), SMALL.scenes(20, seed=5), SMALL.scenes(20, seed=6)
    for name in ("images", "mask", "instance", "depth", "present", "shape", "boxes", "z"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    assert not torch.equal(a.images, c.images)
    assert not torch.equal(a.shape, c.shape)


@pytest.mark.parametrize("small, large", [(300, 600), (5, CHUNK), (CHUNK + 1, 2 * CHUNK)])
def test_prefix_property(small, large):
    a, b = SMALL.classification(small, seed=11, variant="count"), SMALL.classification(large, seed=11, variant="count")
    assert len(a) == small and len(b) == large
    assert torch.equal(a.images, b.images[:small])
    assert torch.equal(a.targets, b.targets[:small])


def test_chunks_differ():
    sc = SMALL.scenes(2 * CHUNK, seed=0)
    assert not torch.equal(sc.images[:CHUNK], sc.images[CHUNK:])


def test_prefix_property_for_detection_and_depth():
    a, b = SMALL.detection(7, seed=2), SMALL.detection(300, seed=2)
    assert torch.equal(a.targets["boxes"], b.targets["boxes"][:7])
    assert torch.equal(a.targets["labels"], b.targets["labels"][:7])
    a, b = SMALL.depth(7, seed=2), SMALL.depth(20, seed=2)
    assert torch.equal(a.targets, b.targets[:7])


def test_zero_images():
    ds = SMALL.classification(0)
    assert len(ds) == 0 and ds.images.shape == (0, 3, 16, 16)


def test_plain_background_and_no_noise():
    sc = ShapesWorld(background="plain", noise=0.0, rotate=False).scenes(10, seed=0)
    for i in range(10):
        bg = sc.images[i][:, sc.instance[i] == 0]
        assert (bg == bg[:, :1]).all()  # flat grey: one colour, all channels equal
        assert torch.allclose(bg[0], bg[1]) and torch.allclose(bg[1], bg[2])


# ---------------------------------------------------------------- subset and loader
def make_dataset(n: int = 10, detection: bool = False) -> ShapesDataset:
    images = torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 3, 2, 2).clone()
    if detection:
        labels = torch.tensor([[i % 3, -1 if i % 2 else 1] for i in range(n)])
        boxes = torch.arange(n * 2 * 4, dtype=torch.float32).view(n, 2, 4)
        targets = {"boxes": boxes, "labels": labels}
    else:
        targets = torch.arange(n) * 10
    return ShapesDataset(images, targets, ("a", "b", "c"), task="detection" if detection else "classification")


def test_subset_is_prefix(sets):
    ds = sets["count"]
    sub = ds.subset(10)
    assert len(sub) == 10 and sub.classes == ds.classes and sub.task == ds.task
    assert torch.equal(sub.images, ds.images[:10]) and torch.equal(sub.targets, ds.targets[:10])
    det = sets["detection"].subset(3)
    assert torch.equal(det.targets["boxes"], sets["detection"].targets["boxes"][:3])
    assert len(ds.subset(0)) == 0 and len(ds.subset(N)) == N
    with pytest.raises(ValueError, match=rf"\[0, {N}\].*{N + 1}"):
        ds.subset(N + 1)
    with pytest.raises(ValueError):
        ds.subset(-1)


def test_loader_covers_each_index_once_per_epoch_and_reshuffles():
    ds = make_dataset(10)
    loader = ds.loader(batch_size=3, shuffle=True, seed=4)
    assert len(loader) == 4
    epochs = []
    for _ in range(3):
        batches = list(loader)
        assert [len(b[0]) for b in batches] == [3, 3, 3, 1]
        order = torch.cat([b[1] for b in batches]) // 10
        # images and targets stay paired
        assert all(torch.equal(b[0][:, 0, 0, 0].long(), b[1] // 10) for b in batches)
        assert sorted(order.tolist()) == list(range(10))
        epochs.append(order.tolist())
    assert len({tuple(e) for e in epochs}) > 1  # reshuffled between epochs
    again = ds.loader(batch_size=3, shuffle=True, seed=4)
    assert [torch.cat([b[1] for b in again]).div(10).long().tolist() for _ in range(3)] == epochs
    other = ds.loader(batch_size=3, shuffle=True, seed=5)
    assert torch.cat([b[1] for b in other]).div(10).long().tolist() != epochs[0]


def test_loader_no_shuffle_and_drop_last():
    ds = make_dataset(10)
    plain = list(ds.loader(batch_size=4, shuffle=False))
    assert torch.equal(torch.cat([b[1] for b in plain]), torch.arange(10) * 10)
    dropped = ds.loader(batch_size=4, shuffle=True, drop_last=True)
    assert len(dropped) == 2
    for _ in range(2):
        got = list(dropped)
        assert [len(b[1]) for b in got] == [4, 4]
        assert len(set(torch.cat([b[1] for b in got]).tolist())) == 8
    assert len(ds.loader(batch_size=5, drop_last=True)) == 2
    assert len(ds.loader(batch_size=20, drop_last=True)) == 0 and list(ds.loader(batch_size=20, drop_last=True)) == []
    with pytest.raises(ValueError, match="batch_size"):
        ds.loader(batch_size=0)


def test_detection_collate_is_list_of_dicts():
    ds = make_dataset(6, detection=True)
    images, targets = next(iter(ds.loader(batch_size=4, shuffle=False)))
    assert images.shape == (4, 3, 2, 2)
    assert isinstance(targets, list) and len(targets) == 4
    for i, t in enumerate(targets):
        keep = ds.targets["labels"][i] >= 0
        assert set(t) == {"boxes", "labels"}
        assert torch.equal(t["labels"], ds.targets["labels"][i][keep])
        assert torch.equal(t["boxes"], ds.targets["boxes"][i][keep])
        assert len(t["labels"]) == (1 if i % 2 else 2)
    # the same as indexing one item
    img, item = ds[1]
    assert torch.equal(item["labels"], targets[1]["labels"]) and torch.equal(img, images[1])


def test_batches_is_a_plain_iterable():
    ds = make_dataset(5)
    b = Batches(ds, batch_size=2, shuffle=False)
    assert [t.tolist() for _, t in b] == [[0, 10], [20, 30], [40]]


# ---------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: SMALL.classification(-1), r"n must be a non-negative int.*-1"),
        (lambda: SMALL.classification(2.5), r"n must be a non-negative int.*2\.5"),
        (lambda: SMALL.detection("3"), r"n must be.*'3'"),
        (lambda: SMALL.segmentation(3, seed=-2), r"seed must be a non-negative int.*-2"),
        (lambda: SMALL.depth(3, seed=1.5), r"seed.*1\.5"),
        (lambda: SMALL.dataset("nope", 3), r"unknown task 'nope'.*classification.*detection.*segmentation.*depth"),
        (
            lambda: SMALL.classification(3, variant="colour"),
            r"unknown classification variant 'colour'.*shape.*texture.*count.*relation",
        ),
        (lambda: SMALL.scenes(3, layout="sky"), r"layout.*'sky'"),
        (lambda: ShapesWorld(shapes=("circle",)).classification(3, variant="relation"), r"at least two shapes"),
        (lambda: ShapesWorld(size_range=(0.2, 0.3)).classification(3, variant="relation"), r"size_range\[1\] <= 0.25"),
    ],
)
def test_bad_task_arguments(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(image_size=4), r"image_size must be an int >= 8.*4"),
        (dict(image_size=32.0), r"image_size.*32\.0"),
        (dict(num_objects=(0, 3)), r"num_objects.*1 <= fewest <= most.*\(0, 3\)"),
        (dict(num_objects=(3, 1)), r"num_objects.*\(3, 1\)"),
        (dict(num_objects=(1.0, 2)), r"num_objects"),
        (dict(size_range=(0.3, 0.2)), r"size_range.*\(0\.3, 0\.2\)"),
        (dict(size_range=(0.1, 0.6)), r"size_range.*0\.5"),
        (dict(shapes=("circle", "hexagon")), r"shapes must be a non-empty subset.*hexagon"),
        (dict(shapes=()), r"shapes must be a non-empty subset"),
        (dict(textures=("plaid",)), r"textures must be a non-empty subset.*plaid"),
        (dict(background="stars"), r"background must be 'noise' or 'plain'.*stars"),
        (dict(min_visible=1.0), r"min_visible.*\[0, 1\)"),
        (dict(noise=-0.1), r"noise must be >= 0"),
    ],
)
def test_bad_world_settings(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        ShapesWorld(**kwargs)


def test_image_too_small_for_size_range_suggests_a_fix():
    with pytest.raises(ValueError) as info:
        ShapesWorld(image_size=8, size_range=(0.1, 0.2))
    msg = str(info.value)
    assert "image_size=8" in msg and "(0.1, 0.2)" in msg
    need = math.ceil(2.0 / 0.1)  # the smallest radius must reach 2 px
    assert f"image_size >= {need}" in msg
    ShapesWorld(image_size=need, size_range=(0.1, 0.2))  # the suggested fix works
    ShapesWorld(image_size=16, size_range=(0.13, 0.25))


def test_num_objects_not_a_pair():
    with pytest.raises(ValueError, match="num_objects"):
        ShapesWorld(num_objects=3)


def test_second_suggested_fix_is_valid():
    with pytest.raises(ValueError) as info:
        ShapesWorld(image_size=8, size_range=(0.1, 0.2))
    suggestions = re.findall(r"use .*size_range=\(([0-9.]+), ([0-9.]+)\)", str(info.value))
    assert suggestions, str(info.value)
    ShapesWorld(image_size=8, size_range=tuple(float(v) for v in suggestions[-1]))


def test_worlds_are_immutable_settings():
    with pytest.raises(Exception):
        WORLD.image_size = 64  # type: ignore[misc]
    assert ShapesWorld() == ShapesWorld()


# ---------------------------------------------------------------- photos
def _photos() -> list[str]:
    try:
        names = data.list_photos()
    except FileNotFoundError:
        names = []
    if not names:
        pytest.skip("assets/photos holds no photos yet")
    return names


def test_photos():
    names = _photos()
    assert names == sorted(names)
    img = data.photo(names[0])
    assert img.shape == (3, 224, 224) and img.dtype == torch.float32
    assert img.min() >= 0 and img.max() <= 1 and img.std() > 0.01
    assert data.photo(names[0], size=32).shape == (3, 32, 32)
    full = data.photo(names[0], size=None)
    assert full.ndim == 3 and full.shape[0] == 3
    with pytest.raises(ValueError, match=r"unknown photo 'no-such-photo'.*" + names[0]):
        data.photo("no-such-photo")


# ------------------------------------------------------------------ augmentation
def test_augment_shifts_and_flips_reproducibly():
    from vitlite.data import Augment

    images = torch.rand(16, 3, 12, 12)
    assert torch.equal(Augment()(images, torch.Generator().manual_seed(0)), images)  # nothing asked, nothing changed
    augment = Augment(shift=2, flip=True)
    first = augment(images, torch.Generator().manual_seed(1))
    again = augment(images, torch.Generator().manual_seed(1))
    other = augment(images, torch.Generator().manual_seed(2))
    assert first.shape == images.shape and torch.equal(first, again) and not torch.equal(first, other)
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2), mode="replicate")
    flips = 0
    for i in range(len(images)):  # every output is one crop of the edge-padded image, mirrored or not
        crops = [padded[i, :, dy : dy + 12, dx : dx + 12] for dy in range(5) for dx in range(5)]
        plain = any(torch.equal(first[i], c) for c in crops)
        mirrored = any(torch.equal(first[i], c.flip(-1)) for c in crops)
        assert plain or mirrored, f"image {i} is not a shifted (or mirrored) copy"
        flips += mirrored and not plain
    assert 2 <= flips <= 14  # about half are mirrored


def test_augmented_batches_repeat_per_pass_and_keep_labels():
    from vitlite.data import Augment

    data = ShapesWorld().classification(40, seed=0)
    loader = data.loader(8, seed=3, augment=Augment(shift=3, flip=True))
    first = list(loader)
    loader.set_epoch(0)
    again = list(loader)
    plain = list(data.loader(8, seed=3))
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(first, again))
    assert all(torch.equal(a[1], p[1]) for a, p in zip(first, plain))  # same order, same labels: only pixels change
    assert not all(torch.equal(a[0], p[0]) for a, p in zip(first, plain))
    second_pass = list(loader)
    assert not torch.equal(torch.cat([b[0] for b in second_pass]), torch.cat([b[0] for b in again]))


def test_augment_errors():
    from vitlite.data import Augment

    with pytest.raises(ValueError, match="shift must be a non-negative int"):
        Augment(shift=-1)
    with pytest.raises(ValueError, match="flip must be True or False"):
        Augment(flip=1)
    with pytest.raises(ValueError, match="expects a batch"):
        Augment(shift=1)(torch.rand(3, 8, 8), torch.Generator())
    with pytest.raises(ValueError, match="only suits classification"):
        ShapesWorld().segmentation(4).loader(2, augment=Augment(shift=1))
    with pytest.raises(ValueError, match="augment must be a vitlite.data.Augment"):
        ShapesWorld().classification(4).loader(2, augment={"shift": 1})
