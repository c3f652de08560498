"""A learner's mistakes, each answered with a message that names the problem and the fix.

One case per mistake an audit of the public API found answered by a deep internal error or, worse,
by a wrong result with no error at all.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest
import torch

import vitlite
from vitlite import checks, recipes
from vitlite.checks import CORRECT, WRONG
from vitlite.data import ShapesWorld
from vitlite.layers import Attention, Block
from vitlite.models import swin
from vitlite.models.vit import patchify
from vitlite.train import fit

COURSE_MODELS = {
    "vit_tiny_shapes": (3, 32),
    "swin_tiny_shapes": (3, 64),
    "t2t_vit_tiny_shapes": (3, 32),
    "resnet_tiny_shapes": (3, 32),
    "attnconv_quadratic_cifar10": (3, 32),
}


# ---------------------------------------------------------------- models and their inputs
@pytest.mark.parametrize("name", list(COURSE_MODELS))
def test_uint8_images_say_how_to_convert(name):
    channels, size = COURSE_MODELS[name]
    model = vitlite.create_model(name)
    with pytest.raises(
        ValueError, match=r"floating-point images; got dtype torch\.uint8 \(pixels 0-255: use x\.float\(\) / 255\)"
    ):
        model(torch.randint(0, 256, (2, channels, size, size), dtype=torch.uint8))


@pytest.mark.parametrize("name", list(COURSE_MODELS))
def test_float64_images_say_how_to_convert(name):
    channels, size = COURSE_MODELS[name]
    model = vitlite.create_model(name)
    with pytest.raises(
        ValueError, match=r"torch\.float32 weights but got torch\.float64 images; convert with x\.to\(torch\.float32\)"
    ):
        model(torch.rand(2, channels, size, size, dtype=torch.float64))
    model.double()(torch.rand(1, channels, size, size, dtype=torch.float64))  # the other fix works


def test_meta_model_on_real_data_says_so():
    model = vitlite.create_model("vit_tiny_shapes", device="meta")
    with pytest.raises(ValueError, match=r"built on the meta device.*without device='meta'"):
        model(torch.rand(1, 3, 32, 32))
    assert model(torch.rand(1, 3, 32, 32, device="meta")).shape == (1, 5)  # shapes on the meta device still work


@pytest.mark.parametrize(
    "x, pattern",
    [
        (torch.rand(3, 32, 32), r"rank 3.*add the batch axis with x\[None\]"),
        (torch.rand(2, 32, 32, 3), r"got 32 channels.*channels last\? use x\.permute\(0, 3, 1, 2\)"),
        ([[0.0]], r"expects a torch\.Tensor of images.*got list"),
    ],
)
def test_misshapen_images(x, pattern):
    with pytest.raises(ValueError, match=pattern):
        vitlite.create_model("vit_tiny_shapes")(x)


# ---------------------------------------------------------------- building blocks and overrides
@pytest.mark.parametrize(
    "build, pattern",
    [
        (
            lambda: Attention(10, num_heads=3),
            r"dim 10 must be divisible by num_heads 3; choose num_heads among \[1, 2, 5, 10\]",
        ),
        (lambda: Attention(10, num_heads=0), r"num_heads must be an int >= 1, got 0"),
        (lambda: Block(48, num_heads=5), r"dim 48 must be divisible by num_heads 5"),
        (
            lambda: patchify(torch.rand(1, 3, 30, 32), 8),
            r"H and W divisible by patch_size 8; got shape \(1, 3, 30, 32\)",
        ),
        (lambda: patchify(torch.rand(3, 32, 32), 8), r"patchify expects images \(B, C, H, W\)"),
        (
            lambda: swin.window_partition(torch.rand(1, 10, 10, 3), 4),
            r"divisible by window_size 4; got shape \(1, 10, 10, 3\)",
        ),
        (lambda: swin.shifted_window_mask(8, 8, 4, 4), r"0 < shift_size < window_size \(4\), got 4"),
        (lambda: swin.shifted_window_mask(8, 8, 4, 6), r"0 < shift_size < window_size \(4\), got 6"),
        (lambda: swin.shifted_window_mask(8, 8, 4, -1), r"got -1"),
        (lambda: swin.shifted_window_mask(10, 8, 4, 2), r"\(10x8\) must be divisible by window_size 4"),
    ],
)
def test_building_blocks_fail_at_once(build, pattern):
    with pytest.raises(ValueError, match=pattern):
        build()


@pytest.mark.parametrize("name", ["vit_tiny_shapes", "t2t_vit_tiny_shapes"])
def test_heads_that_do_not_divide_the_width(name):
    with pytest.raises(ValueError, match=r"dim 64 must be divisible by num_heads 5; choose num_heads among"):
        vitlite.create_model(name, num_heads=5)


def test_swin_heads_per_stage():
    with pytest.raises(
        ValueError, match=r"num_heads must give one positive int per stage, e.g. num_heads=\(2, 4\); got 5"
    ):
        vitlite.create_model("swin_tiny_shapes", num_heads=5)


@pytest.mark.parametrize("name", list(COURSE_MODELS))
@pytest.mark.parametrize("bad", [-1, 2.0, True])
def test_num_classes_must_be_a_count(name, bad):
    with pytest.raises(ValueError, match=r"num_classes must be an int >= 0"):
        vitlite.create_model(name, num_classes=bad)


@pytest.mark.parametrize("name", ["swin_tiny_shapes", "t2t_vit_tiny_shapes", "attnconv_quadratic_cifar10"])
def test_img_size_as_a_tuple(name):
    size = COURSE_MODELS[name][1]
    model = vitlite.create_model(name, img_size=(size, size))  # a square pair is understood
    assert model(torch.rand(1, 3, size, size)).shape[0] == 1
    with pytest.raises(ValueError, match=r"takes square images: give img_size as one int, got \(32, 48\)"):
        vitlite.create_model(name, img_size=(32, 48))


def test_vit_takes_rectangular_images():
    model = vitlite.create_model("vit_tiny_shapes", img_size=(32, 48))
    assert model(torch.rand(1, 3, 32, 48)).shape == (1, 5)


def test_unknown_setting_is_named_with_the_choices():
    with pytest.raises(
        ValueError,
        match=r"vit_tiny_shapes has no setting 'num_head'; did you mean num_heads\? \(its settings: .*embed_dim",
    ):
        vitlite.create_model("vit_tiny_shapes", num_head=2)


# ---------------------------------------------------------------- fit
def _shapes(n=64, classes=("circle", "square", "triangle", "cross", "ring")):
    return ShapesWorld(image_size=32, shapes=classes).classification(n, seed=0, variant="shape")


def test_fit_labels_outside_the_head_name_num_classes():
    data = ShapesWorld(image_size=32).classification(64, seed=0, variant="texture")  # six textures
    model = vitlite.create_model("resnet_tiny_shapes", num_classes=5)
    with pytest.raises(
        ValueError,
        match=r"labels range over 0\.\.5 but the model predicts 5 classes \(0\.\.4\); build it with num_classes=6",
    ):
        fit(model, data.loader(32), steps=2, progress=False, device="cpu")


def test_fit_float_labels_say_long():
    model = vitlite.create_model("resnet_tiny_shapes")
    with pytest.raises(ValueError, match=r"integer class labels, got dtype torch\.float32; use labels\.long\(\)"):
        fit(model, [(torch.rand(4, 3, 32, 32), torch.zeros(4))], steps=1, progress=False, device="cpu")


@pytest.mark.parametrize(
    "loss_fn, pattern",
    [
        (
            lambda m, b: torch.nn.functional.cross_entropy(m(b[0]), b[1], reduction="none"),
            r"one number for the batch, got a tensor of shape \(32,\); average it with loss\.mean\(\)",
        ),
        (
            lambda m, b: torch.nn.functional.cross_entropy(m(b[0]), b[1]).item(),
            r"scalar torch\.Tensor.*got float \(return the tensor itself, not loss\.item\(\)\)",
        ),
        (
            lambda m, b: torch.nn.functional.cross_entropy(m(b[0]), b[1]).detach(),
            r"does not depend on the model's weights",
        ),
        (
            lambda m, b: (torch.nn.functional.cross_entropy(m(b[0]), b[1]), 3.0),
            r"logs loss_fn returns beside the loss must be a dict",
        ),
    ],
)
def test_fit_loss_fn_returning_the_wrong_thing(loss_fn, pattern):
    model = vitlite.create_model("resnet_tiny_shapes")
    with pytest.raises(ValueError, match=pattern):
        fit(model, _shapes().loader(32), steps=2, loss_fn=loss_fn, progress=False, device="cpu")


def test_fit_eval_fn_returning_a_float():
    model = vitlite.create_model("resnet_tiny_shapes")
    with pytest.raises(
        ValueError,
        match=r"eval_fn must return a dict of metric name -> number, e\.g\. \{'accuracy': 0\.93\}; got float",
    ):
        fit(model, _shapes().loader(32), steps=2, eval_fn=lambda m: 0.5, progress=False, device="cpu")


def test_fit_empty_data_and_exhausted_iterator_are_told_apart():
    model = vitlite.create_model("resnet_tiny_shapes")
    with pytest.raises(ValueError, match=r"is the dataset empty\?"):
        fit(model, [], steps=1, progress=False, device="cpu")
    batches = iter(_shapes().loader(32))  # two batches, then exhausted for good
    with pytest.raises(ValueError, match=r"ran out after 2 batches and cannot be iterated again.*steps <= 2") as info:
        fit(model, batches, steps=5, progress=False, device="cpu")
    assert "empty" not in str(info.value)


def _trained_weights(data, seed=0):
    vitlite.env.seed_everything(7)
    model = vitlite.create_model("resnet_tiny_shapes")
    fit(model, data, steps=6, seed=seed, progress=False, device="cpu")
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_reusing_a_loader_does_not_change_the_second_run():
    loader = _shapes(96).loader(32)
    first = _trained_weights(loader)
    second = _trained_weights(loader)  # the loader has done two passes already
    assert torch.equal(first, second)
    assert torch.equal(first, _trained_weights(_shapes(96).loader(32)))


def test_fit_seed_leaves_the_initial_weights_to_the_caller():
    """The docstring's promise, exactly: same initial weights + same seed = same model; fit does not re-draw the weights."""
    data = _shapes(96).loader(32)
    vitlite.env.seed_everything(1)
    a = vitlite.create_model("resnet_tiny_shapes")
    vitlite.env.seed_everything(2)
    b = vitlite.create_model("resnet_tiny_shapes")
    before_a = torch.cat([p.detach().flatten() for p in a.parameters()]).clone()
    fit(a, data, steps=3, seed=0, progress=False, device="cpu")
    fit(b, data, steps=3, seed=0, progress=False, device="cpu")
    after_a = torch.cat([p.detach().flatten() for p in a.parameters()])
    after_b = torch.cat([p.detach().flatten() for p in b.parameters()])
    assert not torch.equal(after_a, after_b) and not torch.equal(before_a, after_a)
    assert "does not touch the model's initial weights" in fit.__doc__


# ---------------------------------------------------------------- checkers
def test_checker_given_the_result_instead_of_the_function():
    result = checks.patchify(torch.rand(2, 16, 48))
    assert (
        result.status == WRONG
        and "pass the function itself" in result.message
        and "Tensor of shape (2, 16, 48)" in result.message
    )


def test_checker_given_a_correct_answer_that_works_in_place():
    def conv2d_unfold(x, weight):  # right, but scribbles over its input
        out = torch.nn.functional.conv2d(x, weight, padding=weight.shape[-1] // 2)
        x.zero_()
        return out

    assert checks.conv2d_unfold(conv2d_unfold).status == CORRECT


def test_checker_answer_of_the_wrong_type():
    def tokens(size, kernel, stride, padding):
        return str(((size + 2 * padding - kernel) // stride + 1) ** 2)

    result = checks.soft_split_tokens(tokens)
    assert result.status == WRONG and "should be an int, got str '3136'" in result.message
    float_result = checks.soft_split_tokens(lambda size, k, s, p: float(((size + 2 * p - k) // s + 1) ** 2))
    assert "should be an int, got the float 3136.0; use // for integer division" in float_result.message


def test_checker_function_with_the_wrong_signature():
    result = checks.conv2d_unfold(lambda x: x)
    assert (
        result.status == WRONG
        and "calls your function as fn(x, weight), but it is defined as <lambda>(x)" in result.message
    )


# ---------------------------------------------------------------- ShapesWorld
def test_shapesworld_takes_lists_for_tuples():
    world = ShapesWorld(num_objects=[1, 2], size_range=[0.15, 0.2], shapes=["circle", "ring"])
    assert world.num_objects == (1, 2) and world.shapes == ("circle", "ring")
    assert torch.equal(
        world.detection(4).images,
        ShapesWorld(num_objects=(1, 2), size_range=(0.15, 0.2), shapes=("circle", "ring")).detection(4).images,
    )


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(rotate="yes"), r"rotate must be True or False, got 'yes'"),
        (dict(rotate=1), r"rotate must be True or False, got 1"),
        (dict(noise="0.1"), r"noise must be a number, got '0.1'"),
        (dict(min_visible=None), r"min_visible must be a number, got None"),
        (
            dict(shapes="circle"),
            r"shapes must be a tuple of names, e\.g\. shapes=\('circle',\); got the string 'circle'",
        ),
        (dict(image_size=True), r"image_size must be an int >= 8"),
    ],
)
def test_shapesworld_flags_and_names(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        ShapesWorld(**kwargs)


def test_large_images_are_rendered_without_gigabytes():
    """512 px images used to render 256 at a time (805 MB for one float tensor of one chunk); peak memory stays small."""
    code = (
        "import resource, torch\n"
        "from vitlite.data import ShapesWorld\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "ds = ShapesWorld(image_size=512, num_objects=(1, 4)).detection(3, seed=0)\n"
        "assert ds.images.shape == (3, 3, 512, 512)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024)\n"
    )
    grown_mb = float(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    )
    assert grown_mb < 600, f"rendering three 512 px scenes grew the process by {grown_mb:.0f} MB"


# ---------------------------------------------------------------- the hub and the checkpoints
@pytest.fixture
def silent_server():
    """A server on loopback that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_load_pretrained_gives_up_on_a_hub_that_never_answers(silent_server, monkeypatch, tmp_path, capsys):
    pytest.importorskip("transformers")
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", silent_server)
    monkeypatch.setenv("HF_ENDPOINT", silent_server)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    start = time.perf_counter()
    assert vitlite.hub.load_pretrained("someone/some-vit", timeout=2.0) is None
    assert time.perf_counter() - start < 15
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "skipped" in lines[0] and "did not answer within 2 s" in lines[0]


@pytest.fixture
def checkpoint_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(recipes.runner, "asset_path", lambda *parts: tmp_path.joinpath(*parts))
    folder = tmp_path / "checkpoints" / "windows"
    folder.mkdir(parents=True)
    return folder


@pytest.mark.parametrize(
    "content, pattern",
    [
        (b"", r"is empty \(0 bytes\)"),
        (
            b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 208319\n",
            r"is a Git LFS pointer.*git lfs pull",
        ),
        (None, r"could not be read.*truncated or corrupt"),
        (b"not a checkpoint at all", r"could not be read.*truncated or corrupt"),
    ],
)
def test_broken_checkpoint_names_the_file_and_the_recipe(checkpoint_dir, content, pattern):
    path = checkpoint_dir / "swin_texture.pt"
    if content is None:  # a real checkpoint, cut short
        recipes.save_checkpoint(
            vitlite.create_model("resnet_tiny_shapes"), path, model_name="resnet_tiny_shapes", model_kwargs={}, meta={}
        )
        content = path.read_bytes()[: path.stat().st_size // 2]
    path.write_bytes(content)
    with pytest.raises(OSError, match=pattern) as info:
        recipes.load_checkpoint("windows", "swin_texture.pt")
    assert str(path) in str(info.value) and "python -m vitlite.recipes windows" in str(info.value)


def test_checkpoint_with_damaged_tensor_bytes_is_refused(checkpoint_dir):
    """A flipped byte inside the tensor data leaves a readable zip: only the manifest's checksum catches it."""
    import json

    from vitlite.recipes.runner import checkpoint_checksums

    path = checkpoint_dir / "resnet.pt"
    recipes.save_checkpoint(
        vitlite.create_model("resnet_tiny_shapes"), path, model_name="resnet_tiny_shapes", model_kwargs={}, meta={}
    )
    (checkpoint_dir / "manifest.json").write_text(
        json.dumps({"runs": [], "checksums": checkpoint_checksums(checkpoint_dir)})
    )
    recipes.load_checkpoint("windows", "resnet.pt")  # intact: loads
    data = bytearray(path.read_bytes())
    weights = data.find(b"data/0") + 200  # well inside the first tensor's bytes
    data[weights] ^= 0xFF
    path.write_bytes(bytes(data))
    torch.load(path, weights_only=True)  # the damage is silent to torch itself
    with pytest.raises(OSError, match=r"is damaged: its bytes differ from the SHA-256 its manifest records") as info:
        recipes.load_checkpoint("windows", "resnet.pt")
    assert str(path) in str(info.value) and "python -m vitlite.recipes windows" in str(info.value)


def test_every_shipped_checkpoint_matches_its_manifest_checksum():
    import json

    from vitlite.assets import asset_path
    from vitlite.recipes.runner import checkpoint_checksums

    root = asset_path("checkpoints")
    folders = [m.parent for m in root.glob("*/manifest.json") if any(m.parent.glob("*.pt"))]
    assert folders
    for folder in folders:
        recorded = json.loads((folder / "manifest.json").read_text()).get("checksums")
        assert recorded == checkpoint_checksums(folder), (
            f"{folder.name}: run python -m vitlite.recipes --checksums after changing a checkpoint"
        )


# ---------------------------------------------------------------- mistakes found by the house audit
def test_tokens_of_the_wrong_width_name_both_widths():
    with pytest.raises(
        ValueError, match=r"Attention was built for tokens of width 32 and got shape \(2, 5, 16\).*dim=16"
    ):
        Attention(32, 4)(torch.randn(2, 5, 16))
    with pytest.raises(ValueError, match=r"Block was built for tokens of width 32 and got shape \(2, 5, 16\)"):
        Block(32, 4)(torch.randn(2, 5, 16))
    with pytest.raises(ValueError, match=r"\(batch, tokens, width\)"):
        Block(32, 4)(torch.randn(5, 32))


def test_width_that_the_heads_do_not_divide_lists_the_choices():
    with pytest.raises(
        ValueError,
        match=r"dim 30 must be divisible by num_heads 4; choose num_heads among \[1, 2, 3, 5, 6, 10, 15, 30\]",
    ):
        vitlite.create_model("vit_tiny_shapes", embed_dim=30)


@pytest.mark.parametrize("rate", [1.0, 1.5, -0.1])
def test_drop_path_rate_outside_its_range(rate):
    with pytest.raises(ValueError, match=r"drop-path \(stochastic depth\) probability must be in \[0, 1\)"):
        vitlite.create_model("vit_tiny_shapes", drop_path_rate=rate)


def test_create_model_without_a_name():
    with pytest.raises(
        TypeError, match=r"create_model needs a model name, a string such as 'vit_tiny_shapes'; got None"
    ):
        vitlite.create_model(None)


@pytest.mark.parametrize("repo_id", ["not a repo//x", "owner/name/extra", "", 42])
def test_load_pretrained_with_a_malformed_repository_id_prints_one_line(repo_id, capsys):
    assert vitlite.hub.load_pretrained(repo_id) is None
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "skipped" in out[0] and "'owner/name'" in out[0]


def test_nan_batch_stops_fit_before_it_poisons_batchnorm():
    data = ShapesWorld(image_size=32).classification(64, seed=0)
    images, labels = data.images.clone(), data.targets
    images[3, 0, 5, 5] = float("nan")
    model = vitlite.create_model("resnet_tiny_shapes", num_classes=len(data.classes))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(
        FloatingPointError,
        match=r"batch 1 \(step 1\) has 1 image\(s\) with NaN or infinite pixels; the model was not run on it",
    ):
        fit(model, [(images[:16], labels[:16])], steps=1, progress=False, device="cpu")
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()), "the running statistics changed"
    model.eval()
    assert torch.isfinite(model(data.images[:4])).all()


def test_fit_on_detection_targets_with_the_default_loss_names_the_detection_loss():
    data = ShapesWorld(image_size=64).detection(8, seed=0)
    model = vitlite.create_model("detr_tiny_shapes")
    with pytest.raises(ValueError, match=r"these targets are detection targets.*loss_fn=vitlite.train.detection_loss"):
        fit(model, data.loader(4), steps=1, progress=False, device="cpu")
    history = fit(model, data.loader(4), steps=1, progress=False, device="cpu", loss_fn=vitlite.train.detection_loss)
    assert len(history.loss) == 1


def test_loader_with_a_fractional_batch_size():
    data = ShapesWorld(image_size=32).classification(8, seed=0)
    with pytest.raises(ValueError, match=r"batch_size must be an int >= 1 \(images per batch\), got 2.5"):
        data.loader(2.5)


@pytest.mark.parametrize("size", [0, -3, 2.5])
def test_photo_of_no_size(size):
    with pytest.raises(ValueError, match=r"size must be a positive int .* or None"):
        vitlite.data.photo(vitlite.data.list_photos()[0], size=size)


@pytest.mark.parametrize("name, size", [("dino_tiny_shapes", 64), ("dino_4scale_resnet50", 256)])
def test_dino_runs_on_the_meta_device(name, size):
    model = vitlite.create_model(name, device="meta")
    out = model(torch.empty(1, 3, size, size, device="meta"))
    assert out["pred_boxes"].shape == (1, model.num_queries, 4) and out["pred_boxes"].device.type == "meta"
