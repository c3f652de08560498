"""MobileViT v2 against Hugging Face transformers, and v3's pieces against their definitions.

Hugging Face's MobileViTV2 and ml-cvnets differ on feature maps of odd size: Hugging Face's unfold
drops the last row and column and its fold leaves them at zero; ml-cvnets (and vitlite) resize the
block's input up to even sides before its local convolution and keep that size. Outputs are compared where every map is even, and the difference is
shown where one is odd.
"""

from __future__ import annotations

import pytest
import torch

transformers = pytest.importorskip("transformers")

from helpers import max_diff, random_weights  # noqa: E402
from vitlite.hub import from_transformers  # noqa: E402

TOL = 1e-5
CONFIGS = [
    dict(image_size=64, width_multiplier=0.5),
    dict(image_size=128, width_multiplier=0.25, n_attn_blocks=[1, 2, 1]),
    dict(image_size=64, width_multiplier=0.75, ffn_multiplier=3, expand_ratio=3.0),
    dict(image_size=128, width_multiplier=0.5, num_channels=1),
]
IDS = ["w0.5-64", "w0.25-128-shallow", "w0.75-ffn3", "w0.5-128-1ch"]


def _hf(config: dict, cls_name: str):
    cfg = transformers.MobileViTV2Config(num_labels=5, **config)
    return random_weights(getattr(transformers, cls_name)(cfg), std=0.1)


def _x(config: dict, size: int | None = None) -> torch.Tensor:
    side = size or config["image_size"]
    return torch.randn(2, config.get("num_channels", 3), side, side, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_classifier_equal_on_even_maps(config):
    hf = _hf(config, "MobileViTV2ForImageClassification")
    ours = from_transformers(hf)
    x = _x(config)
    with torch.no_grad():
        assert max_diff(ours(x), hf(x).logits) < TOL


def test_model_equal_stage_by_stage():
    config = CONFIGS[0]
    hf = _hf(config, "MobileViTV2Model")
    ours = from_transformers(hf)
    x = _x(config)
    with torch.no_grad():
        ref = hf(x, output_hidden_states=True)
        for a, b in zip(ours.forward_stages(x), ref.hidden_states):
            assert max_diff(a, b) < TOL
        assert max_diff(ours.forward_features(x).mean((-2, -1)), ref.pooler_output) < TOL


def test_odd_maps_differ_as_documented():
    """At 224 px the last stage's input is 7x7: Hugging Face zeroes its last row and column after the
    attention layers, ml-cvnets resizes the block's input to 8x8 and keeps it. The earlier stages (even
    maps) still agree."""
    config = dict(image_size=224, width_multiplier=0.25, n_attn_blocks=[1, 1, 1])
    hf = _hf(config, "MobileViTV2Model")
    ours = from_transformers(hf)
    x = _x(config)
    with torch.no_grad():
        ref = hf(x, output_hidden_states=True).hidden_states
        stages = ours.forward_stages(x)
    assert stages[-1].shape[-1] == 8 and ref[-1].shape[-1] == 7  # the official code keeps the resized 8x8
    assert max_diff(stages[-2], ref[-2]) < TOL  # 14x14: even, equal
    assert max_diff(stages[-1][..., :7, :7], ref[-1]) > 1e-3  # the two codes part ways


def test_separable_attention_is_linear_in_tokens():
    """Doubling the tokens doubles the FLOPs of separable attention (and quadruples softmax attention's scores)."""
    from torch.utils.flop_counter import FlopCounterMode

    from vitlite.models.mobilevitv2 import SeparableSelfAttention

    attn = SeparableSelfAttention(32)

    def flops(n: int) -> int:
        with FlopCounterMode(display=False) as counter:
            attn(torch.zeros(1, 32, 4, n))
        return counter.get_total_flops()

    assert flops(512) == 2 * flops(256)


def test_separable_attention_by_hand():
    from vitlite.models.mobilevitv2 import SeparableSelfAttention

    torch.manual_seed(0)
    attn = SeparableSelfAttention(8).eval()
    x = torch.randn(2, 8, 4, 10)
    w, b = attn.qkv_proj.weight[:, :, 0, 0], attn.qkv_proj.bias
    qkv = torch.einsum("oc,bcpn->bopn", w, x) + b[None, :, None, None]
    scores = qkv[:, :1].softmax(-1)
    context = (qkv[:, 1:9] * scores).sum(-1, keepdim=True)
    out = (
        torch.einsum("oc,bcpn->bopn", attn.out_proj.weight[:, :, 0, 0], torch.relu(qkv[:, 9:]) * context)
        + attn.out_proj.bias[None, :, None, None]
    )
    assert max_diff(attn(x), out) < 1e-5


@pytest.mark.parametrize("name", ["mobilevitv3_xxs", "mobilevitv3_050"])
def test_v3_adds_the_input_and_the_control_does_not(name):
    import vitlite

    torch.manual_seed(0)
    model = vitlite.create_model(name, img_size=64, num_classes=3).eval()
    block = model.stages[2][1]
    x = torch.randn(1, model.channels[3], 8, 8)
    with torch.no_grad():
        with_input = block(x)
        block.input_residual = False
        without = block(x)
    assert max_diff(with_input - without, x) < 1e-5
