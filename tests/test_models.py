"""The model registry, attention as convolution (Cordonnier et al.), the ResNet baseline, course URLs."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import tomllib
import torch
import torch.nn.functional as F
from torch import nn

import vitlite
from vitlite import course, models
from vitlite.layers import attention_maps, count_parameters
from vitlite.models.attnconv import (
    AttnConvNet,
    PixelAttentionNet,
    QuadraticAttention,
    attention_from_conv,
    centered_maps,
    conv_shifts,
    effective_weights,
    head_attention_map,
    relative_offsets,
    window_mass,
)
from vitlite.models.resnet import ResNet

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


# ---------------------------------------------------------------- registry
def test_list_models_sorted_and_filtered():
    names = vitlite.list_models()
    assert names == sorted(names) and len(set(names)) == len(names)
    assert {"attnconv_quadratic_cifar10", "attnconv_edges", "resnet18_cifar"} <= set(names)
    attn = models.list_models("attnconv_*")
    assert {"attnconv_edges", "attnconv_quadratic_cifar10"} <= set(attn)
    assert attn == sorted(attn) and all(n.startswith("attnconv_") for n in attn)
    assert attn == [n for n in names if n.startswith("attnconv_")]
    cifar = models.list_models("*cifar*")
    assert {"attnconv_quadratic_cifar10", "resnet18_cifar"} <= set(cifar)
    assert cifar == [n for n in names if "cifar" in n]
    assert models.list_models("resnet18_cifar") == ["resnet18_cifar"]
    assert models.list_models("nothing*") == []


def test_create_model_unknown_name_suggests_close_matches():
    with pytest.raises(
        ValueError, match=r"unknown model 'resnet18_cifra'; did you mean resnet18_cifar\b.*\?.*list_models"
    ):
        vitlite.create_model("resnet18_cifra")
    with pytest.raises(ValueError) as info:
        vitlite.create_model("zzzz")
    assert "did you mean" not in str(info.value) and "'zzzz'" in str(info.value)


def test_register_twice_is_an_error():
    def resnet18_cifar():  # same name as a registered model
        return nn.Identity()

    with pytest.raises(ValueError, match="'resnet18_cifar' is registered twice"):
        models.register_model(resnet18_cifar)
    assert models.create_model("resnet18_cifar", device="meta").__class__ is ResNet  # the original is kept


def test_create_model_overrides_and_meta_device():
    model = vitlite.create_model("attnconv_quadratic_cifar10", device="meta", depth=2, dim=36)
    assert isinstance(model, AttnConvNet) and len(model.layers) == 2
    assert all(p.device.type == "meta" for p in model.parameters())
    small = vitlite.create_model("resnet18_cifar", num_classes=3, widths=(4, 8, 8, 8))
    assert small.head.out_features == 3
    assert all(p.device.type == "cpu" for p in small.parameters())
    assert small(torch.randn(2, 3, 16, 16)).shape == (2, 3)


def test_parameter_counts_match_the_papers():
    # Cordonnier et al. (Table 1): the quadratic-encoding SA model has 12.1M parameters, ResNet-18 11.2M
    attn = count_parameters(vitlite.create_model("attnconv_quadratic_cifar10", device="meta"))
    resnet = count_parameters(vitlite.create_model("resnet18_cifar", device="meta"))
    assert abs(attn / 1e6 - 12.1) < 0.05
    assert abs(resnet / 1e6 - 11.2) < 0.05


# ---------------------------------------------------------------- geometry helpers
def test_relative_offsets_and_conv_shifts():
    d = relative_offsets((2, 3), (4, 5), padding=1)
    assert d.shape == (6, 20, 2)
    # query (1, 2) is index 5; key (row -1, col -1) of the padded grid is index 0; key (2, 3) is the last
    assert d[5, 0].tolist() == [-2.0, -3.0]
    assert d[5, 19].tolist() == [1.0, 1.0]
    assert d[0, 6].tolist() == [0.0, 0.0]  # query (0, 0) sits at padded key (1, 1) = index 6
    assert conv_shifts(3).tolist() == [[-1, -1], [-1, 0], [-1, 1], [0, -1], [0, 0], [0, 1], [1, -1], [1, 0], [1, 1]]
    assert (
        conv_shifts(5).shape == (25, 2)
        and conv_shifts(5)[0].tolist() == [-2, -2]
        and conv_shifts(1).tolist() == [[0, 0]]
    )


# ---------------------------------------------------------------- attention as convolution
@pytest.mark.parametrize("in_ch, out_ch, k", [(1, 1, 3), (3, 4, 3), (2, 5, 5), (4, 2, 5)])
def test_attention_from_conv_reproduces_conv2d(in_ch, out_ch, k):
    gen = torch.Generator().manual_seed(in_ch * 10 + out_ch + k)
    weight = torch.randn(out_ch, in_ch, k, k, generator=gen, dtype=torch.float64)
    bias = torch.randn(out_ch, generator=gen, dtype=torch.float64)
    x = torch.randn(2, in_ch, 7, 6, generator=gen, dtype=torch.float64)
    want = F.conv2d(x, weight, bias, padding=k // 2)
    layer = attention_from_conv(weight, bias, alpha=25.0)
    assert layer.num_heads == k * k and layer.padding == k // 2 and layer.shift.dtype == torch.float64
    got = layer(x)
    assert got.shape == want.shape
    assert (got - want).abs().max().item() < 1e-4
    errors = [(attention_from_conv(weight, bias, alpha=a)(x) - want).abs().max().item() for a in (0.5, 2.0, 5.0, 25.0)]
    assert all(e1 > e2 for e1, e2 in zip(errors, errors[1:])), errors


def test_attention_from_conv_without_bias_and_errors():
    weight = torch.randn(2, 1, 3, 3, dtype=torch.float64)
    layer = attention_from_conv(weight, alpha=30.0)
    assert layer.proj.bias is None
    x = torch.randn(1, 1, 5, 5, dtype=torch.float64)
    torch.testing.assert_close(layer(x), F.conv2d(x, weight, padding=1), atol=1e-8, rtol=0)
    with pytest.raises(ValueError, match="odd square kernel, got 2x2"):
        attention_from_conv(torch.randn(1, 1, 2, 2))
    with pytest.raises(ValueError, match="odd square kernel, got 3x5"):
        attention_from_conv(torch.randn(1, 1, 3, 5))


@pytest.mark.parametrize("padding, hw", [(0, (4, 5)), (2, (3, 3)), (1, (5, 2))])
def test_separable_forward_equals_full_attention(padding, hw):
    layer = QuadraticAttention(3, num_heads=4, out_dim=5, padding=padding, alpha=0.7, shift_std=1.5).double()
    h, w = hw
    x = torch.randn(2, 3, h, w, dtype=torch.float64)
    attn = layer.attention((h, w))  # (heads, Q, K) over the padded key grid
    assert attn.shape == (4, h * w, (h + 2 * padding) * (w + 2 * padding))
    torch.testing.assert_close(attn.sum(-1), torch.ones(4, h * w, dtype=torch.float64))
    keys = F.pad(x, [padding] * 4).flatten(2)  # (B, C, K)
    heads = torch.einsum("hqk,bck->bqhc", attn, keys)  # each head averages the input channels
    want = heads.flatten(2) @ layer.proj.weight.T + layer.proj.bias  # (B, Q, out)
    want = want.transpose(1, 2).reshape(2, 5, h, w)
    torch.testing.assert_close(layer(x), want)


def test_scores_are_the_quadratic_encoding():
    layer = QuadraticAttention(1, num_heads=2, alpha=3.0)
    scores = layer.scores((2, 2))
    shift = layer.shift.detach()
    for hd in range(2):
        for q, (qy, qx) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
            for k, (ky, kx) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
                want = -3.0 * ((ky - qy - shift[hd, 0]) ** 2 + (kx - qx - shift[hd, 1]) ** 2)
                assert scores[hd, q, k].item() == pytest.approx(want.item(), rel=1e-5, abs=1e-5)
    torch.testing.assert_close(layer.alpha, torch.full((2,), 3.0))


def test_attention_maps_on_quadratic_attention():
    model = PixelAttentionNet(in_chans=3, num_heads=4, hidden=6, padding=1)
    x = torch.randn(2, 3, 4, 5)
    plain = model(x)
    with attention_maps(model) as maps:
        out = model(x)
    assert list(maps) == ["attn"]
    m = maps["attn"]
    assert m.shape == (1, 4, 20, 6 * 7)
    torch.testing.assert_close(m.sum(-1), torch.ones(1, 4, 20))
    torch.testing.assert_close(m[0], model.attn.attention((4, 5)).detach())
    torch.testing.assert_close(out, plain)
    assert model.attn._record is None


def test_head_attention_map_with_sharp_integer_heads():
    layer = QuadraticAttention(1, num_heads=3, padding=2, alpha=1.0, shift_std=0.0).double()
    with torch.no_grad():
        layer.shift.copy_(torch.tensor([[1.0, -2.0], [0.0, 0.0], [-1.0, 1.0]]))
        layer.log_alpha.fill_(math.log(1e4))
    maps = head_attention_map(layer, (5, 6), row=2, col=3)
    assert maps.shape == (3, 9, 10)
    for hd, (dy, dx) in enumerate([(1, -2), (0, 0), (-1, 1)]):
        want = torch.zeros(9, 10, dtype=torch.float64)
        want[2 + dy + 2, 3 + dx + 2] = 1.0  # the pixel (row + dy, col + dx) of the padded grid
        torch.testing.assert_close(maps[hd], want)
    # the same from the full attention matrix
    full = layer.attention((5, 6))[:, 2 * 6 + 3].view(3, 9, 10)
    torch.testing.assert_close(maps, full.detach())
    with pytest.raises(ValueError, match=r"query \(5, 0\) is outside the 5x6 grid"):
        head_attention_map(layer, (5, 6), 5, 0)


def test_centered_maps_and_window_mass():
    layer = QuadraticAttention(2, num_heads=3, padding=1, shift_std=0.0).double()
    with torch.no_grad():
        layer.shift.copy_(torch.tensor([[1.0, 1.0], [0.0, 3.0], [0.4, -0.3]]))
        layer.log_alpha.copy_(torch.log(torch.tensor([1e3, 1e3, 0.05])))
    state = torch.random.get_rng_state()
    maps = centered_maps(layer, grid=7)
    torch.random.set_rng_state(state)
    assert maps.shape == (3, 7, 7)
    torch.testing.assert_close(maps.sum((-1, -2)), torch.ones(3, dtype=torch.float64))
    assert maps[0, 4, 4].item() == pytest.approx(1.0) and maps[1, 3, 6].item() == pytest.approx(1.0)
    # a broad head (alpha 0.05) spreads its mass; its peak sits at the nearest pixel to its shift
    assert maps[2].max() < 0.2 and divmod(int(maps[2].argmax()), 7) == (3, 3)
    mass = window_mass(layer, radius=1, grid=21)
    assert mass[0].item() == pytest.approx(1.0) and mass[1].item() == pytest.approx(0.0, abs=1e-9)
    assert 0 < mass[2].item() < 0.5
    with pytest.raises(ValueError, match="grid must be odd.*got 6"):
        centered_maps(layer, grid=6)


def test_window_mass_leaves_the_global_rng_alone():
    layer = QuadraticAttention(2, num_heads=3)
    torch.manual_seed(5)
    window_mass(layer)
    after = torch.rand(3)
    torch.manual_seed(5)
    assert torch.equal(after, torch.rand(3))


def test_effective_weights_tend_to_the_kernel():
    weight = torch.randn(2, 3, 3, 3, dtype=torch.float64)
    layer = attention_from_conv(weight, alpha=30.0)
    h, w, row, col = 5, 6, 1, 4
    eff = effective_weights(layer, (h, w), row, col)
    assert eff.shape == (2, 3, h + 2, w + 2)
    want = torch.zeros_like(eff)
    want[:, :, row : row + 3, col : col + 3] = weight  # padded coordinates: the window around (row+1, col+1)
    torch.testing.assert_close(eff, want, atol=1e-9, rtol=0)
    loose = effective_weights(attention_from_conv(weight, alpha=1.0), (h, w), row, col)
    assert (loose - want).abs().max() > 1e-2
    # effective weights times the padded input give the layer's output at the query
    x = torch.randn(1, 3, h, w, dtype=torch.float64)
    out = torch.einsum("ocyx,cyx->o", eff, F.pad(x, [1, 1, 1, 1])[0])
    assert layer.proj.bias is None
    torch.testing.assert_close(out, layer(x)[0, :, row, col].detach())


def test_quadratic_attention_validates_input():
    layer = QuadraticAttention(3, num_heads=2)
    with pytest.raises(ValueError, match=r"QuadraticAttention expects \(B, 3, H, W\); got 1 channels"):
        layer(torch.zeros(1, 1, 4, 4))


# ---------------------------------------------------------------- the classifiers
def test_attnconv_net_forward_and_validation():
    model = AttnConvNet(img_size=8, num_classes=4, dim=18, depth=2, num_heads=3, mlp_hidden=12, pool=2).eval()
    assert model(torch.randn(2, 3, 8, 8)).shape == (2, 4)
    assert model.forward_features(torch.randn(1, 3, 8, 8)).shape == (1, 18, 4, 4)
    with pytest.raises(ValueError, match=r"AttnConvNet expects \(B, 3, H, W\) with H divisible by 2.*got 1 channels"):
        model(torch.randn(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"divisible by 2.*\(1, 3, 7, 8\)"):
        model(torch.randn(1, 3, 7, 8))
    with pytest.raises(ValueError, match="img_size 9 must be divisible by pool 2"):
        AttnConvNet(img_size=9)
    # the 2x2 pooling embeds each block of pixels: a model of depth 0 is the mean of the embedded blocks
    flat = AttnConvNet(img_size=4, num_classes=2, dim=5, depth=0, pool=2)
    x = torch.randn(1, 3, 4, 4)
    blocks = torch.stack([x[0, :, i : i + 2, j : j + 2].permute(1, 2, 0).reshape(-1) for i in (0, 2) for j in (0, 2)])
    want = flat.head((blocks @ flat.embed.weight.T + flat.embed.bias).mean(0))
    torch.testing.assert_close(flat(x)[0], want)


def test_resnet_forward_and_validation():
    model = ResNet(layers=(1, 1, 1, 1), widths=(4, 8, 8, 16), num_classes=5).eval()
    assert model(torch.randn(2, 3, 16, 16)).shape == (2, 5)
    with pytest.raises(ValueError, match=r"ResNet expects \(B, 3, H, W\); got 1 channels"):
        model(torch.randn(2, 1, 16, 16))
    with pytest.raises(ValueError, match="rank 3"):
        model(torch.randn(3, 16, 16))
    imagenet = ResNet(layers=(1, 1, 1, 1), widths=(4, 4, 4, 4), cifar_stem=False).eval()
    assert imagenet(torch.randn(1, 3, 32, 32)).shape == (1, 10)


def test_pixel_attention_net():
    model = vitlite.create_model("attnconv_edges")
    assert model(torch.randn(2, 3, 8, 8)).shape == (2, 1, 8, 8)
    assert model.attn.num_heads == 9 and model.attn.padding == 3


# ---------------------------------------------------------------- course URLs
def test_course_urls_follow_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    repo = meta["project"]["urls"]["Repository"]
    assert course.repository_url() == repo
    m = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+)", repo)
    assert m, repo
    url = course.colab_url("01_attention_vs_convolution")
    assert (
        url
        == f"https://colab.research.google.com/github/{m[1]}/{m[2]}/blob/main/chapters/01_attention_vs_convolution.ipynb"
    )
    assert course.install_command() == f'pip install -q "vitlite @ git+{repo}"'
    assert list(course.CHAPTER_TITLES)[0] == "01_attention_vs_convolution" and len(course.CHAPTER_TITLES) == 10
    for stem in course.CHAPTER_TITLES:
        if (ROOT / "chapters" / f"{stem}.ipynb").exists():
            assert course.colab_url(stem).endswith(f"/chapters/{stem}.ipynb")


def test_every_asset_folder_ships_with_the_package():
    """A Colab install gets assets/ as the package vitlite._assets: each folder and its files must be declared."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assets = ROOT / "assets"
    for folder in [assets, *sorted(p for p in assets.rglob("*") if p.is_dir())]:
        name = ".".join(["vitlite._assets", *folder.relative_to(assets).parts])
        assert name in tool["packages"], f"{folder} is not listed as {name!r} in pyproject's packages"
        patterns = tool["package-data"].get(name, [])
        for file in folder.iterdir():
            if file.is_file():
                assert any(file.match(pattern) for pattern in patterns), (
                    f"{file} matches no package-data pattern of {name!r}"
                )


def test_every_declared_asset_folder_is_committed():
    """A folder declared in pyproject but absent from a clean clone breaks `pip install` (setuptools: 'package directory does not exist')."""
    import subprocess

    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    tracked = subprocess.run(["git", "ls-files", "assets"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout: cannot tell committed folders from local ones")
    committed = {str(Path(line).parent) for line in tracked.stdout.splitlines()}
    for name in tool["packages"]:
        if name.startswith("vitlite._assets"):
            folder = "/".join(["assets", *name.split(".")[2:]])
            assert folder in committed or any(c.startswith(folder + "/") for c in committed), (
                f"pyproject declares {name!r} but {folder}/ has no committed file: commit it or drop the entry"
            )
