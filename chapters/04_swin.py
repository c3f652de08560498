# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,colab
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 04 · Swin Transformer: windows, shifted windows and the cost of attention
#
# **Paper:** Ze Liu, Yutong Lin, Yue Cao, Han Hu, Yixuan Wei, Zheng Zhang, Stephen Lin, Baining Guo.
# *Swin Transformer: Hierarchical Vision Transformer using Shifted Windows.* ICCV 2021.
# [arXiv:2103.14030](https://arxiv.org/abs/2103.14030)
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vitlite/vitlite/blob/main/chapters/04_swin.ipynb)
#
# **Runtime:** about 162 s on a 2-core CPU (AMD EPYC), measured by `python -m vitlite.bench`.
#
# By the end of this chapter you can:
#
# 1. partition a feature map into windows and back, and build window attention with its relative
#    position bias table and index;
# 2. shift the windows with a cyclic roll and the mask that keeps wrapped-around regions apart, and
#    prove it equal to the obvious implementation with padded windows;
# 3. merge patches into a four-stage hierarchy, and prove the whole model equal to Hugging Face's Swin;
# 4. derive, count and measure the cost of global versus window attention: quadratic versus linear;
# 5. test the paper's shift ablation with five seeds, and a Swin against a ViT of its size, after finding
#    out why the course Swin would not learn shapes.

# %% [markdown]
# ## Study card · 스터디 카드
#
# | | English | 한국어 |
# |---|---|---|
# | **Purpose · 목적** | ViT's attention cost grows with the square of the number of tokens, so high resolutions and dense tasks are out of reach; build a general-purpose backbone whose cost grows linearly. | ViT의 어텐션 비용은 토큰 수의 제곱으로 늘어나 고해상도 입력과 밀집 예측이 어렵다. 비용이 선형으로 늘어나는 범용 백본을 만든다. |
# | **Method · 방법** | Self-attention only inside non-overlapping M×M windows; every other block shifts the window grid by M/2 so neighbouring windows exchange information, implemented as a cyclic shift with a mask so the number and size of windows stay the same; patch merging builds a hierarchy of feature maps (4×, 8×, 16×, 32× downsampled), like a CNN's. | 겹치지 않는 M×M 윈도우 안에서만 셀프 어텐션을 한다. 블록마다 번갈아 윈도우 격자를 M/2만큼 옮겨 이웃 윈도우끼리 정보를 주고받게 하는데, 순환 이동(cyclic shift)과 마스크로 구현해 윈도우의 개수와 크기를 그대로 유지한다. 패치 병합으로 CNN처럼 계층적 특징 맵(4×, 8×, 16×, 32× 축소)을 만든다. |
# | **Strengths · 장점** | Cost linear in image size, a hierarchy of feature maps that plugs into detection and segmentation heads, and better accuracy than CNN backbones of similar size on ImageNet, COCO and ADE20K. | 이미지 크기에 선형인 비용, 검출·분할 헤드에 바로 연결되는 계층적 특징 맵, 비슷한 크기의 CNN 백본보다 ImageNet, COCO, ADE20K에서 높은 성능. |
# | **Limitations · 한계** | A fixed window size ties the relative position table to it (other window sizes need the table resized); the shift-and-mask machinery is intricate; attention within a block is local, so global context builds up only through depth. | 윈도우 크기가 고정되어 상대 위치 테이블이 그 크기에 묶인다(다른 윈도우 크기에는 테이블 보간이 필요). 이동과 마스크 구현이 복잡하다. 한 블록의 어텐션은 국소적이라 전역 문맥은 층을 쌓아야 얻어진다. |
# | **Evaluation · 검증방법** | ImageNet-1k top-1 accuracy, COCO object detection AP (box and mask), ADE20K semantic segmentation mIoU, with throughput. | ImageNet-1k top-1 정확도, COCO 객체 검출 AP(박스, 마스크), ADE20K 의미론적 분할 mIoU, 처리량. |
#
# **For discussion · 토론 질문**
#
# 1. Window attention is linear in the number of tokens. What does a token give up by attending only inside
#    its window, and how do shifted windows and patch merging win it back? · 윈도우 어텐션은 토큰 수에
#    선형이다. 토큰이 윈도우 안에서만 어텐션하면 무엇을 잃으며, 이동 윈도우와 패치 병합은 그것을 어떻게 되찾는가?
# 2. With max pooling the shift added under two points here. Why might the pooling make the shift matter
#    less, and what task would make it matter more? · 여기서는 최대 풀링과 함께 이동이 2점 미만을 더했다.
#    풀링이 왜 이동의 효과를 줄일 수 있으며, 어떤 과제에서 더 중요해지겠는가?
# 3. The paper's Swin averages its last tokens and learns on ImageNet; ours had to max-pool them on small
#    shapes. What does that say about carrying a design to a new data set? · 논문의 Swin은 마지막 토큰을
#    평균하고 ImageNet에서 학습되지만, 우리 Swin은 작은 도형에서 최대 풀링을 해야 했다. 설계를 새 데이터셋에
#    옮길 때 이것이 말해 주는 것은?

# %% [markdown]
# ## Setup

# %%
import subprocess
import sys

if "google.colab" in sys.modules:  # Colab: install the course's helper package from the repository
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "vitlite @ git+https://github.com/vitlite/vitlite"], check=True)

import torch
import torch.nn.functional as F
from IPython.display import display
from einops import rearrange

import vitlite
from vitlite import checks, schematics, viz
from vitlite.layers import Attention, count_parameters
from vitlite.models import swin

device = vitlite.env.setup(seed=0)

# %% [markdown]
# ## Architecture at a glance
#
# Swin builds a hierarchy of feature maps, as a CNN does: a patch embedding turns the image into a grid of
# tokens, and between stages patch merging halves the grid and doubles the width (the paper's models have
# four stages; `swin_tiny_shapes`, the course model of this chapter's experiment, has two). The bottom row
# shows the pair of blocks each stage repeats: the first attends inside regular M×M windows (W-MSA), the
# second inside windows shifted by M/2 (SW-MSA), so that neighbouring windows exchange information. The
# shapes, the window size and the shift were read off the model as it ran, built with the experiment's six
# texture classes.

# %%
fig = schematics.swin(vitlite.create_model("swin_tiny_shapes", num_classes=len(vitlite.data.TEXTURES)))
fig

# %% [markdown]
# ## 1 · Windows
#
# Swin starts like ViT, with a patch embedding (4×4 patches here, a stride-4 convolution as in chapter 02,
# followed by a LayerNorm): a 224×224 image becomes a 56×56 map of C-dimensional tokens. Then, instead of
# letting all 3,136 tokens attend to each other, it cuts the map into non-overlapping M×M windows
# (M = 7: an 8×8 grid of 49-token windows) and runs attention inside each window independently.
#
# Window partition is one einops pattern, and its inverse is the same pattern read backwards.

# %%
# NBVAL_CHECK_OUTPUT
def window_partition(x: torch.Tensor, m: int) -> torch.Tensor:
    """(B, H, W, C) -> (B * num_windows, M*M, C), windows in reading order."""
    return rearrange(x, "b (nh m1) (nw m2) c -> (b nh nw) (m1 m2) c", m1=m, m2=m)


def window_reverse(windows: torch.Tensor, m: int, h: int, w: int) -> torch.Tensor:
    return rearrange(windows, "(b nh nw) (m1 m2) c -> b (nh m1) (nw m2) c", nh=h // m, nw=w // m, m1=m)


x = torch.randn(2, 56, 56, 96)  # Swin-T after the patch embedding, channels last
windows = window_partition(x, 7)
print("feature map", tuple(x.shape), "->", tuple(windows.shape), "= (2 images x 64 windows, 49 tokens, 96)")
print("round trip exact:", torch.equal(window_reverse(windows, 7, 56, 56), x))
print("equal to vitlite's:", torch.equal(windows, swin.window_partition(x, 7)))

# %% [markdown]
# ### The relative position bias
#
# Inside a window, Swin adds to each head's attention score a learned bias that depends only on the
# offset between the two tokens: B = table[index], with one table row per possible offset. Swin's offset
# is *query minus key* (dy = query row − key row, as in the code below), the opposite sign of chapter 01's
# δ = key − query; either works, as long as the table is indexed the same way. Offsets
# along each axis range over −(M−1)…M−1, so the table has **(2M−1)² rows** per head (169 for M = 7),
# and the index of a pair is (dy + M − 1)·(2M − 1) + (dx + M − 1). Below, for a 3×3 window.

# %%
# NBVAL_CHECK_OUTPUT
def relative_position_index(m: int) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(m), torch.arange(m), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()  # positions of the M*M tokens in reading order
    dy, dx = ys[:, None] - ys[None, :], xs[:, None] - xs[None, :]  # (M*M, M*M) offsets
    return (dy + m - 1) * (2 * m - 1) + (dx + m - 1)


index = relative_position_index(3)
print(index)
print("table rows for M = 3:", index.max().item() + 1, "; for M = 7:", (2 * 7 - 1) ** 2)
print("equal to vitlite's:", torch.equal(index, swin.relative_position_index(3)))

# %% [markdown]
# Window attention is then chapter 01's multi-head attention applied to each window as if it were a
# small image, with the bias added to the scores: softmax(QKᵀ/√d + B)V. We write it out and compare it
# with `vitlite.models.swin.WindowAttention` sharing its weights.

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
attn = swin.WindowAttention(dim=96, window_size=7, num_heads=3)


def window_attention(windows: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    q, k, v = rearrange(attn.qkv(windows), "bw n (three h d) -> three bw h n d", three=3, h=3)
    bias = attn.relative_position_bias_table[relative_position_index(7)]  # (49, 49, heads)
    scores = (q @ k.transpose(-2, -1)) / q.shape[-1] ** 0.5 + rearrange(bias, "i j h -> h i j")
    if mask is not None:  # (num_windows, 49, 49), the same for every image
        scores = scores + mask.repeat(len(windows) // len(mask), 1, 1)[:, None]
    out = rearrange(scores.softmax(-1) @ v, "bw h n d -> bw n (h d)")
    return attn.proj(out)


print("bias table:", tuple(attn.relative_position_bias_table.shape), "(169 rows, 3 heads)")
print("equal to vitlite's WindowAttention:", torch.allclose(window_attention(windows), attn(windows), atol=1e-5))

# %% [markdown]
# ## 2 · Shifted windows
#
# Windows never exchange information, so every other block shifts the window grid by ⌊M/2⌋ tokens down
# and to the right. Done literally, that cuts the border windows short and makes more windows: for a
# 56×56 map, 9×9 windows of uneven sizes instead of 8×8. Swin's trick: **roll** the whole map up and left
# by ⌊M/2⌋ with `torch.roll`, so the displaced grid lines up with the regular one again, run ordinary
# window attention, and roll back. The roll brings together, in the bottom and right windows, tokens
# that are not neighbours in the image; a **mask** of −100 on their scores (e^−100 ≈ 0) keeps them from
# attending to each other.
#
# The mask comes from labelling the rolled map with the 3×3 regions the roll created.

# %%
from matplotlib.patches import Patch

h = w = 8
m, s = 4, 2  # a small example: 8x8 tokens, windows of 4x4, shift 2
ys = torch.arange(h)
regions = (ys >= h - m).long() + (ys >= h - s).long()  # along one axis: [0, H-M), [H-M, H-s), [H-s, H)
label = regions[:, None] * 3 + regions[None, :]  # (8, 8): one of 9 regions
label_windows = window_partition(label[None, :, :, None].float(), m)[..., 0]  # (4 windows, 16)
mask = torch.where(label_windows[:, :, None] == label_windows[:, None, :], 0.0, -100.0)  # (4, 16, 16)
print("equal to vitlite's mask:", torch.equal(mask, swin.shifted_window_mask(h, w, m, s)))

fig, axes = viz.figure(1, 5, panel=(2.3, 2.5))
viz.heatmap(axes[0, 0], label, title="regions after the roll", annotate=True, fmt="{:.0f}", cmap="tab10")
for i in range(4):
    viz.heatmap(axes[0, i + 1], mask[i], title=f"mask of window {i} (16 x 16)", cmap="gray", vmin=-100, vmax=0)
fig.legend(handles=[Patch(facecolor="white", edgecolor="0.5", label="0: may attend"), Patch(facecolor="black", label="-100: blocked")], loc="lower center", ncol=2, fontsize=8, bbox_to_anchor=(0.6, -0.08))
fig

# %% [markdown]
# Is rolling and masking really the same as shifting the windows? `vitlite.models.swin.shifted_windows_by_padding`
# does it the obvious way: pad the map with M − s zero rows and columns at the top and left, cut whole
# windows, and let each real token attend only to the real tokens of its own window. Both must agree, for
# even windows and for odd ones, where the grid moves by ⌊M/2⌋ ≠ M/2.

# %%
# NBVAL_CHECK_OUTPUT
for size, m, s in [(8, 4, 2), (14, 7, 3), (56, 7, 3)]:
    torch.manual_seed(size)
    block_attn = swin.WindowAttention(32, m, num_heads=2)
    x = torch.randn(2, size, size, 32)
    rolled = torch.roll(x, shifts=(-s, -s), dims=(1, 2))
    out = window_reverse(block_attn(window_partition(rolled, m), swin.shifted_window_mask(size, size, m, s)), m, size, size)
    cyclic = torch.roll(out, shifts=(s, s), dims=(1, 2))
    padded = swin.shifted_windows_by_padding(x, block_attn, s)
    n_padded = ((size + (m - s) % m + m - 1) // m) ** 2
    print(f"{size}x{size} tokens, M={m}, shift {s}: cyclic ({(size // m) ** 2} windows) == padded ({n_padded} windows): {torch.allclose(cyclic, padded, atol=1e-5)}")

# %% [markdown]
# ## 3 · Patch merging and the hierarchy
#
# Between stages, each 2×2 group of neighbouring tokens is concatenated (4C channels), normalised, and
# mapped to 2C by a linear layer without bias: half the resolution, twice the width, like a CNN's strided
# stage. The concatenation order matters for loading official weights; the official code takes
# (row, col) = (0, 0), (1, 0), (0, 1), (1, 1), which in einops is the pattern `(p2 p1 c)`.

# %%
# NBVAL_CHECK_OUTPUT
merge = swin.PatchMerging(dim=96, resolution=(56, 56))
tokens = torch.randn(2, 56 * 56, 96)
grid = rearrange(tokens, "b (h w) c -> b h w c", h=56)
concat = torch.cat([grid[:, 0::2, 0::2], grid[:, 1::2, 0::2], grid[:, 0::2, 1::2], grid[:, 1::2, 1::2]], dim=-1)  # (B, 28, 28, 4C)
ours = merge.reduction(merge.norm(rearrange(concat, "b h w c -> b (h w) c")))
print("merged:", tuple(tokens.shape), "->", tuple(ours.shape), "; equal to vitlite's PatchMerging:", torch.allclose(ours, merge(tokens), atol=1e-5))

# %% [markdown]
# Stacking the pieces: Swin-T has four stages of 2, 2, 6 and 2 blocks (alternating regular and shifted
# windows), with patch merging between them. One rule handles small stages: when a stage's resolution is
# not larger than the window, the window shrinks to the resolution and the shift is dropped, since a
# single window already sees everything. At 224 pixels the last stage is exactly 7×7, so its blocks do not
# shift.

# %%
# NBVAL_CHECK_OUTPUT
model = vitlite.create_model("swin_tiny_patch4_window7_224", device="meta")
for i, stage in enumerate(model.stages):
    blocks = [(b.window_size, b.shift_size) for b in stage.blocks]
    print(f"stage {i + 1}: {model.resolutions[i][0]:>2}x{model.resolutions[i][1]:<2} tokens, C = {model.dims[i]:>3}, (window, shift) per block: {blocks}")

# %% [markdown]
# ## 4 · Fidelity
#
# The three paper sizes on the `meta` device, against the published counts of the official models
# (ImageNet-1k head, 224×224, window 7):

# %%
# NBVAL_CHECK_OUTPUT
published = {"swin_tiny_patch4_window7_224": 28_288_354, "swin_small_patch4_window7_224": 49_606_258, "swin_base_patch4_window7_224": 87_768_224}
for name, count in published.items():
    ours = count_parameters(vitlite.create_model(name, device="meta"))
    print(f"{name:<32} {ours:>12,}   published {count:>12,}")
    assert ours == count

# %% [markdown]
# `vitlite.hub.from_transformers` converts Hugging Face's `SwinModel` and `SwinForImageClassification`;
# the tests compare outputs, hidden states and attention maps at several configurations to 1e-5. (Hugging
# Face's Swin fails when a stage is *smaller* than the window; there our model follows the official rule,
# checked against two independent formulations of shifted windows.) A random Swin-T classifier:

# %%
torch.manual_seed(0)
difference = vitlite.hub.compare_with_transformers(lambda t: t.SwinForImageClassification(t.SwinConfig(num_labels=1000, attn_implementation="eager")), torch.randn(1, 3, 224, 224), "Swin-T at 224, random weights")

# %% [markdown]
# **Optional: official weights on real photos.** Set `LOAD_PRETRAINED = True` to download Swin-T
# (ImageNet-1k, about 110 MB) into our model and see its top guesses for the course's photos; offline, one
# line says so.

# %%
LOAD_PRETRAINED = False  # set to True to download microsoft/swin-tiny-patch4-window7-224

pretrained = vitlite.hub.load_pretrained("microsoft/swin-tiny-patch4-window7-224") if LOAD_PRETRAINED else None
vitlite.hub.show_top_classes(pretrained, k=3)  # each photo's three best guesses (offline: one line)

# %% [markdown]
# ## 5 · The cost of attention
#
# For an h×w map of C-dimensional tokens the paper counts the multiply-adds of the projections and of
# the two attention products (the softmax is left out):
#
# $$\Omega(\text{MSA}) = 4hwC^2 + 2(hw)^2C, \qquad \Omega(\text{W-MSA}) = 4hwC^2 + 2M^2hwC.$$
#
# The first term (Q, K, V and the output projection) is the same; the second is quadratic in the number
# of tokens hw for global attention and linear for windows of M×M. PyTorch's FLOP counter, run on our
# modules, agrees exactly (it counts a multiply-add as two operations):

# %%
# NBVAL_CHECK_OUTPUT
from torch.utils.flop_counter import FlopCounterMode

from vitlite.layers import attention_maps


def counted(module, x) -> int:
    with attention_maps(module), FlopCounterMode(display=False) as counter:  # the explicit path, so every product is counted
        module(x)
    return counter.get_total_flops() // 2


for h, c, m in [(56, 96, 7), (28, 192, 7), (64, 32, 16)]:
    msa = counted(Attention(c, num_heads=max(1, c // 32)), torch.randn(1, h * h, c))
    wmsa = counted(swin.WindowAttention(c, m, num_heads=max(1, c // 32)), swin.window_partition(torch.randn(1, h, h, c), m))
    print(f"{h}x{h} tokens, C={c:>3}: MSA {msa / 1e9:6.2f} G (formula {swin.msa_flops(h, h, c) / 1e9:6.2f} G)   W-MSA (M={m}) {wmsa / 1e9:5.2f} G (formula {swin.wmsa_flops(h, h, c, m) / 1e9:5.2f} G)")
    assert msa == swin.msa_flops(h, h, c) and wmsa == swin.wmsa_flops(h, h, c, m)

# %% [markdown]
# Now measured. The picture to keep in mind: global attention over a 64×64 map is 4,096 tokens all
# attending to each other; with windows of 16×16 tokens, each of 16 windows is a 256-token attention.
# Below, the work (FLOPs), time and memory kept for the backward pass of one attention layer (C = 32,
# two heads, the explicit implementation, which stores the attention matrix) as the map grows from 16×16
# to 64×64 tokens. Work and memory are exact on every machine, so they are what the cell checks; time
# follows the work, as closely as the machine allows. Fused kernels such as FlashAttention avoid storing
# the matrix, but not the quadratic work.

# %%
from vitlite.profile import measure

sides, c, m = [16, 32, 48, 64], 32, 16
global_attn, window_attn = Attention(c, num_heads=2), swin.WindowAttention(c, m, num_heads=2)
costs = {"global attention": [], f"windows of {m}x{m}": []}
work = {name: [] for name in costs}
for side in sides:  # the work: counted, exact
    x = torch.randn(1, side, side, c)
    work["global attention"].append(counted(global_attn, x.reshape(1, side * side, c)))
    work[f"windows of {m}x{m}"].append(counted(window_attn, swin.window_partition(x, m)))

# %%
for side in sides:  # memory kept for backward (exact) and time (printed, never checked)
    x = torch.randn(1, side, side, c, requires_grad=True)
    with attention_maps(global_attn), attention_maps(window_attn):
        costs["global attention"].append(measure(lambda: global_attn(x.reshape(1, side * side, c))))
        costs[f"windows of {m}x{m}"].append(measure(lambda: window_attn(swin.window_partition(x, m))))
print(f"{'tokens':>7} " + " ".join(f"{name:>40}" for name in costs))
for i, side in enumerate(sides):
    print(f"{side * side:>7} " + " ".join(f"{work[n][i] / 1e6:>9.0f} M {costs[n][i].megabytes:>9.1f} MB {costs[n][i].seconds * 1e3:>9.1f} ms" for n in costs))

# %%
from matplotlib.ticker import NullFormatter

tokens = [s * s for s in sides]
fig, axes = viz.figure(1, 3, panel=(3.4, 3.0))
for name, marker in zip(costs, "os"):
    axes[0, 0].loglog(tokens, [f / 1e6 for f in work[name]], marker=marker, label=name)
    axes[0, 1].loglog(tokens, [r.megabytes for r in costs[name]], marker=marker, label=name)
    axes[0, 2].loglog(tokens, [r.seconds * 1e3 for r in costs[name]], marker=marker, label=name)
axes[0, 0].set_ylabel("million multiply-adds (counted)")
axes[0, 1].set_ylabel("MB kept for backward")
axes[0, 2].set_ylabel("milliseconds per forward pass (measured)")
for ax in axes[0]:
    ax.set_xlabel("tokens (h x w)")
    ax.set_xticks(tokens, [f"{t:,}" for t in tokens], fontsize=7)
    ax.xaxis.set_minor_formatter(NullFormatter())  # log axes label their minor ticks too, on top of each other
    ax.yaxis.set_minor_formatter(NullFormatter())
axes[0, 0].legend(fontsize=8)
fig

# %%
import math

def slope(values: list[float]) -> float:
    """Growth exponent from the smallest to the largest map: values ~ tokens ** slope."""
    return math.log(values[-1] / values[0]) / math.log(tokens[-1] / tokens[0])


window_name = f"windows of {m}x{m}"
work_global, work_window = slope(work["global attention"]), slope(work[window_name])
mem_global = slope([r.memory_bytes for r in costs["global attention"]])
mem_window = slope([r.memory_bytes for r in costs[window_name]])
time_global = slope([r.seconds for r in costs["global attention"]])
time_window = slope([r.seconds for r in costs[window_name]])
print(f"work grows as tokens^{work_global:.2f} (global) and tokens^{work_window:.2f} (windows)")
print(f"memory grows as tokens^{mem_global:.2f} (global) and tokens^{mem_window:.2f} (windows)")
print(f"time, measured on this machine now: tokens^{time_global:.2f} and tokens^{time_window:.2f} (not checked: it depends on the machine and its load)")
assert work_global > 1.7 and work_window < 1.05, "work: quadratic for global attention, linear for windows"
assert mem_global > 1.7 and mem_window < 1.15, "memory: quadratic for global attention, linear for windows"

# %% [markdown]
# ## 6 · Experiment: what the shift buys, and Swin against a ViT of its size
#
# ShapesWorld at 64×64 pixels. The models:
#
# - **Swin** (`swin_tiny_shapes`): 2×2 patches, so 1,024 tokens, in 4×4 windows; patch merging to 16×16
#   for the second stage; every second block shifted; the last stage's tokens max-pooled (below);
# - **Swin without the shift**, the paper's Table 4 ablation: the same parameters, so a seed's two arms
#   start from the same weights and see the same batches;
# - **ViT/2**: the same 2×2 patches and 1,024 tokens, all attending to each other;
# - **ViT/4**: the affordable ViT, 4×4 patches and 256 tokens.
#
# First the cost per training step (batch 32), per image at inference, and the memory kept for backward,
# measured now.

# %%
from vitlite.metrics import accuracy
from vitlite.profile import measure
from vitlite.recipes import WINDOWS, describe, load_checkpoint, manifest, provenance, summarize

cfg = WINDOWS
batch = torch.rand(cfg.batch_size, 3, 64, 64)
test_set = cfg.test_set("texture")
labels = torch.randint(0, len(test_set.classes), (cfg.batch_size,))
cost = {}
for entry in cfg.entries:
    model = vitlite.create_model(entry.model_name, num_classes=len(test_set.classes), **entry.kwargs)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def train_step():
        loss = F.cross_entropy(model(batch), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    step = measure(train_step, repeats=2)
    forward = measure(lambda: model(batch), repeats=1)  # with gradients on: memory kept for backward
    with attention_maps(model):  # the explicit path, which stores every attention matrix
        explicit = measure(lambda: model(batch), repeats=1, warmup=0)
    with torch.no_grad():
        inference = measure(lambda: model(batch), repeats=2)
    cost[entry.label] = dict(params=count_parameters(model), step=step.seconds, memory=forward.megabytes, images_per_s=cfg.batch_size / inference.seconds)
    print(f"{entry.label:>7}: {cost[entry.label]['params']:>7,} parameters, {step.seconds * 1e3:5.0f} ms per training step, {cost[entry.label]['images_per_s']:5.0f} images/s at inference, "
          f"{forward.megabytes:5.0f} MB kept for backward ({explicit.megabytes:5.0f} MB with explicit attention)")

# %% [markdown]
# ViT/2 pays for its 1,024 tokens several times the Swin's time per step (its memory stays moderate only
# because PyTorch's fused kernel does not store the attention matrices: last column), so the accuracy
# comparison uses the ViT/4, widened to the Swin's size.
#
# **Getting the Swin to learn.** On shapes the course Swin first stayed at chance (lab notebook) until its
# last 256 tokens were max-pooled: the paper averages them, but a shape here covers a fiftieth to a fifth
# of the image, so the average is mostly background. That switch is ours, and every Swin below has it. Is
# the small object the reason? A test fixed before its runs, three seeds: the average-pooled Swin should
# learn (test accuracy at least 0.5, chance 0.2) on objects covering 41% of the image on average, as in
# many ImageNet photos, and stay within 0.05 of chance on the usual sizes, its control.
#
# **The study.** Five seeds per arm, paired, up to 6,000 steps on 10,000 images, the best validation
# checkpoint kept. The threshold, 3 points (the paper's Table 4 gains are 1.1 to 2.8), was fixed before
# the first study and kept. The expectation, fixed before the runs:

# %%
from vitlite.recipes.swin import SWIN_POOL_PILOT, SWIN_SHIFT_FIVE, SWIN_VIT_MATCHED

study = SWIN_SHIFT_FIVE
shift_names = {"swin": "Swin", "swin_noshift": "Swin, no shift", "vit_p4_matched": "ViT/4, Swin's size"}
print(describe(manifest(study.name)))

# %% [markdown]
# A live run first, with the recipes' own code: the study's Swin needs about 200 steps just to leave
# chance, so the live run is a pilot's fastest learner (a convolutional stem *and* max pooling), 200 steps.

# %%
model, history = SWIN_POOL_PILOT.train("swin_stem_max", seed=0, steps=200, eval_every=200, device=device)
fig = viz.plot_losses({f"Swin, stem and max pooling: {history.seconds:.0f} s, validation accuracy {history.final('accuracy'):.2f}": history}, title="live: 200 steps on shapes (chance: ln 5 = 1.61)")
fig

# %% [markdown]
# The recorded runs, with the ViT/4 of the Swin's size beside them (its own study, `swin_vit_matched`:
# the same data, settings and budget, seeds 1 to 3, each paired with the shifted Swin of the same seed):

# %%
records = study.results() + SWIN_VIT_MATCHED.results()
print(describe(manifest(SWIN_VIT_MATCHED.name)))
fig = viz.plot_study_curves(records, "accuracy", labels=shift_names, title="shapes at 64x64: up to 6,000 steps")
fig

# %%
from vitlite.recipes import claims
from vitlite.recipes.evidence import late_gain

test_summary, train_summary = summarize(records, "accuracy", "test"), summarize(records, "accuracy", "train")
budget = claims.book().budget(study.name)
print(f"{'':<19} {'params':>8} {'train acc':>14} {'test acc':>14}   late gains after step 4,500")
for label in shift_names:
    tr, te = train_summary[label], test_summary[label]
    runs = [r for r in records if r["label"] == label]
    print(f"{shift_names[label]:<19} {runs[0]['parameters']:>8,} {tr['mean']:>7.3f} ±{tr['std']:.3f} {te['mean']:>7.3f} ±{te['std']:.3f}   "
          f"{', '.join(f'{late_gain(r, budget):+.3f}' for r in runs)}")
by_seed = {(r["label"], r["seed"]): r["scores"]["test"]["accuracy"] for r in records}
print("shift minus no shift, seeds 1-5:", ", ".join(f"{by_seed['swin', s] - by_seed['swin_noshift', s]:+.3f}" for s in study.seeds))
print("Swin minus ViT/4, seeds 1-3:    ", ", ".join(f"{by_seed['swin', s] - by_seed['vit_p4_matched', s]:+.3f}" for s in SWIN_VIT_MATCHED.seeds))
fig, axes = viz.figure(1, 1, panel=(4.4, 3.0))
viz.plot_seeds(axes[0, 0], test_summary, labels=shift_names, ylabel="test accuracy")
axes[0, 0].axhline(0.2, color="grey", linestyle=":", linewidth=1)
fig

# %% [markdown]
# **Your prediction.** The shift is ahead in every seed, by less than the 3-point threshold on the mean:
# *held, not robust*, *did not hold* or *inconclusive*? Which verdict does the ViT/4's curve allow? Did the
# average-pooled Swin learn large objects? Write down your answers and reasons, then run the cell.

# %%
main_rows = [row for row in claims.verdicts() if row.claim.key != "04.shift_global"]  # that one: lab notebook
rows = claims.report(4, main_rows, expected=False)  # the expectations were printed with the studies
assert all(row.verdict == claims.recorded_verdict(row.claim.key) for row in rows), "records and manifests disagree: run python -m vitlite.recipes.claims --write"

# %% [markdown]
# **The shift did not hold by its threshold; the two other rows are inconclusive.**
#
# 1. **Shifted windows: did not hold.** The shift is ahead in all five seeds, by 0.2 to 3.3 points, 1.7 on
#    the mean, no run still improving: under the 3 points fixed in advance, which asked for more than the
#    paper reports. The effect is the paper's size and consistent in direction, not the larger gain we
#    expected where the shift is the only path between windows.
# 2. **Swin against a ViT of its size: inconclusive.** The ViT/4 (90,917 parameters) underfits (train
#    accuracy 0.38 to 0.63) and trails by 38 to 61 points in every seed, but its seed 1 was still improving,
#    and the arm that should lose must have finished: whether it would catch up, these runs cannot say.
# 3. **The pooling test: inconclusive by the rule; its large-object half held.** The average-pooled Swin
#    learned large objects in every seed (0.98, 0.80, 0.87) and stayed near chance on the usual sizes
#    (0.21, 0.23, 0.21), but seed 1's validation score rose 0.02 late: it may be starting to learn, and the
#    rule holds the verdict back. "A small object is lost in the mean" is supported, not proven.
#
# **Why so small a shift effect?** Max pooling hands the classifier the best piece of outline from any
# window, and a corner or an arc often tells the shape, shift or not.

# %% [markdown]
# ## 7 · Explore
#
# The shifted-window explorer works on a photo cut into 8×8 tokens with windows of 4×4. Choose the shift:
# the first panel shows where the window grid falls on the image; the second shows the map after the
# cyclic roll, with the regular grid and the regions the roll brought together tinted; the third is the
# mask of the chosen window (black: −100); the last shows which tokens a chosen query of that window may
# attend to.

# %%
from vitlite.explore import shifted_window_explorer

explorer = shifted_window_explorer(vitlite.data.photo("coffee", size=64), grid=8, window_size=4)
explorer

# %% [markdown]
# At fixed settings: no shift, then a shift of 2 with the bottom-right window, where four regions meet.

# %%
for shift, window, query in [(0, 3, 5), (2, 3, 5)]:
    display(explorer.figure(shift=shift, window=window, query=query))

# %% [markdown]
# ## 8 · Exercises
#
# **Exercise 1 · Window partition and reverse.** Write `partition(x, m)`: (B, H, W, C) → (B·num_windows,
# M·M, C), windows in reading order, each read row by row; and `reverse(windows, m, h, w)` that undoes it.
# Try it with `reshape` and `permute` instead of einops.

# %%
def partition(x: torch.Tensor, m: int) -> torch.Tensor:
    raise NotImplementedError  # your code here


def reverse(windows: torch.Tensor, m: int, h: int, w: int) -> torch.Tensor:
    raise NotImplementedError  # your code here


checks.window_partition(partition, reverse)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def partition(x, m):
#     b, h, w, c = x.shape
#     x = x.reshape(b, h // m, m, w // m, m, c).permute(0, 1, 3, 2, 4, 5)   # b nh nw m1 m2 c
#     return x.reshape(-1, m * m, c)
#
# def reverse(windows, m, h, w):
#     c = windows.shape[-1]
#     x = windows.reshape(-1, h // m, w // m, m, m, c).permute(0, 1, 3, 2, 4, 5)  # b nh m1 nw m2 c
#     return x.reshape(-1, h, w, c)
# ```
# </details>
#
# **Exercise 2 · The shifted-window mask.** Write `mask(h, w, m, s)`: (num_windows, M·M, M·M) with 0 where
# two tokens of a window came from the same region before the cyclic roll and −100 otherwise.

# %%
def mask(h: int, w: int, m: int, s: int) -> torch.Tensor:
    raise NotImplementedError  # your code here


checks.shifted_window_mask(mask)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def mask(h, w, m, s):
#     def regions(n):
#         i = torch.arange(n)
#         return (i >= n - m).long() + (i >= n - s).long()
#     label = (regions(h)[:, None] * 3 + regions(w)[None, :]).float()
#     windows = rearrange(label, "(nh m1) (nw m2) -> (nh nw) (m1 m2)", m1=m, m2=m)
#     return torch.where(windows[:, :, None] == windows[:, None, :], 0.0, -100.0)
# ```
# </details>
#
# **Exercise 3 · What the shift buys.** A 16×16 grid of patches, 4×4 windows, two Swin blocks. Predict how
# many of the 256 input patches can change output patch (row 5, column 5) when (a) both blocks use the
# regular windows and (b) the second block's windows are shifted by 2 (section 2's cyclic shift, with its
# mask). Draw the windows on paper first. Give `(without, with)`. Then predict (a) for ten regular blocks.

# %%
shift_reach = None  # your answer, e.g. (4, 8)

checks.swin_shift_reach(shift_reach)

# %% [markdown]
# <details><summary>Solution</summary>
#
# (a) **16**: patch (5, 5) lies in the regular window of rows and columns 4-7, and so does every patch it
# reads: without the shift nothing crosses a window's border, however deep the stack (ten blocks: 16). (b) **64**: the shifted windows start at rows and columns 2, 6, 10, ...,
# so in block 2 patch (5, 5) reads rows and columns 2-5; in block 1 those patches read the regular windows
# 0-3 and 4-7, so 8 × 8 = 64 patches reach it. A further regular-plus-shifted pair grows the reach again
# (to 144 after four blocks, and to all 256 after six): a receptive field beyond one window at the cost of
# a roll and a mask.
# </details>
#
# Drawn: which of the 256 input patches can reach patch (5, 5) (the cross) after 2, 4 and 6 blocks, with
# regular windows only and with every second block shifted. `swin.token_reach` computes it from the window
# geometry (the tests check it against gradients through real blocks).

# %%
# NBVAL_CHECK_OUTPUT
fig, axes = viz.figure(2, 3, panel=(2.2, 2.3))
for r, (name, shift) in enumerate((("regular windows only", 0), ("every second block shifted by 2", 2))):
    for c, depth in enumerate((2, 4, 6)):
        reach = swin.token_reach(tuple(shift if i % 2 else 0 for i in range(depth)))
        ax = axes[r, c]
        ax.imshow(reach.numpy(), cmap="Blues", vmin=0, vmax=1.4, interpolation="nearest")
        for k in range(4, 16, 4):  # the regular window grid
            ax.axhline(k - 0.5, color="0.6", linewidth=0.5)
            ax.axvline(k - 0.5, color="0.6", linewidth=0.5)
        ax.plot(5, 5, "x", color="red")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{depth} blocks: {int(reach.sum())} patches", fontsize=8)
        print(f"{name:<32} {depth} blocks: {int(reach.sum()):>3} of 256 patches reach (5, 5)")
    axes[r, 0].set_ylabel(name, fontsize=8)
fig

# %% [markdown]
# ## 9 · Summary
#
# - Swin attends inside M×M windows (a relative position bias per head, (2M−1)² table rows), alternating
#   regular and shifted windows; the shift is a cyclic roll plus a −100 mask, provably the same as shifted,
#   padded windows.
# - Patch merging (2×2 concatenation, LayerNorm, 4C → 2C) builds a four-stage hierarchy. Our Swin-T, -S and
#   -B have the published sizes and equal Hugging Face's outputs.
# - Global attention costs 4hwC² + 2(hw)²C, window attention 4hwC² + 2M²hwC: memory grows with the square
#   of the tokens for one, linearly for the other; at 1,024 tokens Swin trained several times faster per step.
# - On shapes the course Swin learned only with its last tokens max-pooled (our switch); on objects that
#   fill much of the frame, averaging learned too (inconclusive: one control seed may be starting to learn).
# - The shift at end points, five seeds: ahead in every seed by 1.7 points on the mean, the paper's size,
#   under our 3-point threshold: did not hold. A ViT/4 of the Swin's size stayed far behind at equal steps,
#   one seed still improving: inconclusive.
#
# **Take-home message.** Windows make attention's cost grow linearly with the image, and shifting them
# lets information cross window borders; that buys fine tokens at a price global attention cannot pay.
# In miniature the shift helped in every seed, by about what the paper reports and less than we expected;
# and getting a Swin to learn small objects at all depended on a detail the paper never needed: how the last
# tokens are pooled.

# %% [markdown]
# ## Glossary · 용어
#
# The terms this chapter introduced (one list for the whole course, `vitlite.glossary`):

# %%
from IPython.display import Markdown

from vitlite import glossary

Markdown(glossary.table(4))

# %% [markdown]
# ## Lab notebook: how we got here (optional)
#
# The runs that led to section 6's studies, for the curious; nothing above depends on them.
#
# **The first recipe: equal training time, on textures.** It was planned on the shape task, Swin expected
# ahead of both ViTs. Swin's training loss stayed at chance for 1,700 steps, and the run was stopped. Our
# Swin and Hugging Face's, from the same weights, give the same losses step for step, so it was not a bug;
# on the texture task (which of six fill patterns?) Swin does learn. So the three models trained on 10,000
# texture images for about 8 minutes of CPU each (3,000 steps for Swin and ViT/4, 480 for the
# six-times-slower ViT/2), one seed:

# %%
record = manifest("windows")
print(provenance(record))
for run in record["runs"]:
    model, _ = load_checkpoint("windows", cfg.checkpoint(run["label"], run["variant"]))
    cost[run["label"]].update(accuracy=accuracy(model, test_set), steps=run["steps"], train_s=run["wall_seconds"])
print(f"{'':>7} {'steps':>6} {'train (s)':>10} {'accuracy':>9} {'images/s':>9} {'MB':>7}")
for label, c in cost.items():
    print(f"{label:>7} {c['steps']:>6} {c['train_s']:>10.0f} {c['accuracy']:>9.3f} {c['images_per_s']:>9.0f} {c['memory']:>7.1f}")

# %%
names = {"swin": "Swin, 2x2 patches", "vit_p4": "ViT/4", "vit_p2": "ViT/2"}
fig, axes = viz.figure(1, 3, panel=(3.0, 2.8))
for ax, key, label in zip(axes[0], ["accuracy", "images_per_s", "memory"], ["test accuracy (textures, one seed)", "images/s at inference", "MB kept for backward"]):
    bars = ax.bar([names[k] for k in cost], [c[key] for c in cost.values()], color=["C2", "C0", "C1"])
    ax.bar_label(bars, fmt="%.3f" if key == "accuracy" else "%.0f", fontsize=8)
    ax.set_title(label, fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
axes[0, 0].set_ylim(0, 1.1)
fig

# %% [markdown]
# On textures the ViT/4 wins: cheapest per step and per image, and the most accurate. Swin, with the
# ViT/2's 1,024 fine tokens, trains about six times faster per step than the ViT/2 and, in the same
# time, reaches 0.99 where the ViT/2 is still at 0.84. But a texture is a pattern of 2–4 pixels that
# any 4×4 patch shows whole: neither fine tokens nor windows can matter for it, so this run says
# nothing about the shift. The shift has to be tested where the object is larger than a window.
#
# **Three pilots on shapes** (one seed each, 1,500 steps of 32 images with warm-up, a cosine schedule
# and the best validation checkpoint):

# %%
from vitlite.recipes.swin import SWIN_SHIFT, SWIN_SHIFT_PILOT, SWIN_TRIES_PILOT

for pilot in (SWIN_SHIFT_PILOT, SWIN_TRIES_PILOT, SWIN_POOL_PILOT):
    print(f"{pilot.name}:")
    for r in pilot.results():
        print(f"  {r['label']:<22} test accuracy {r['scores']['test']['accuracy']:.3f}   {pilot.arm(r['label']).about}")

# %% [markdown]
# The first pilot ruled out the training schedule: with warm-up and a cosine schedule, both Swins, with
# and without the shift, stayed at chance all the way, while the ViT/4 learned, slowly. The second ruled
# out the learning rate (2e-3) and the token size (4×4 patches). Between the second and the third came a
# few quick looks of a few hundred steps each (not recorded; the recipe's code describes them). The Swin
# can memorise 32 images, so its gradients flow. Inputs normalised to zero mean and unit spread, a
# convolutional stem alone, no final LayerNorm, three stages whose last is a single window (as Swin-T's
# last stage is one 7×7 window): all stayed at chance. The one change that moved it was how the last
# stage's 256 tokens become one vector. The course Swin, like the paper's, averages them. A shape here
# covers between a fiftieth and a fifth of the image (8% on average), and after the final LayerNorm every token,
# background or not, has the same size, so the average is mostly background. Max pooling keeps each
# channel's strongest response, wherever it is.
#
# The third pilot measured that: max pooling alone took the Swin from chance to 0.74; a two-layer
# convolutional stem alone barely moved it (0.34); both together nearly solved the task (0.99), and
# without the shift that pair reached 0.93. Neither switch is the paper's, and this chapter does not claim
# they are: Swin-T averages its last stage, on ImageNet photographs where the object usually fills the
# frame, after 300 epochs with heavy augmentation. Our objects are small and our budget is about five
# epochs; that is the likely reason the paper's design needs help here.
#
# **The first study**, `swin_shift`: the Swin with max pooling, with and without the shift, and the ViT/4
# of 65k parameters, three seeds each, 1,500 steps. Every run was still improving at its end, so its rows
# were inconclusive; the five-seed study of section 6 replaced it.

# %%
study = SWIN_SHIFT
shift_names = {"swin": "Swin", "swin_noshift": "Swin, no shift", "vit_p4": "ViT/4 (65k)"}
print(describe(manifest(study.name)))
records = study.results()
fig = viz.plot_study_curves(records, "accuracy", labels=shift_names, title="the first study: 1,500 steps, three seeds each")
fig

# %%
test_summary, train_summary = summarize(records, "accuracy", "test"), summarize(records, "accuracy", "train")
print(f"{'':<16} {'params':>8} {'train acc':>14} {'test acc':>14}   seeds 0, 1, 2 (test)")
for label in shift_names:
    tr, te = train_summary[label], test_summary[label]
    params = next(r["parameters"] for r in records if r["label"] == label)
    print(f"{shift_names[label]:<16} {params:>8,} {tr['mean']:>7.3f} ±{tr['std']:.3f} {te['mean']:>7.3f} ±{te['std']:.3f}   {', '.join(f'{v:.3f}' for v in te['values'])}")
fig, axes = viz.figure(1, 1, panel=(4.4, 3.0))
viz.plot_seeds(axes[0, 0], test_summary, labels=shift_names, ylabel="test accuracy (three seeds)")
axes[0, 0].axhline(0.2, color="grey", linestyle=":", linewidth=1)
fig

# %%
mean = {label: test_summary[label]["mean"] for label in shift_names}
print(f"Swin - Swin without shift = {mean['swin'] - mean['swin_noshift']:+.3f}   Swin - ViT/4 = {mean['swin'] - mean['vit_p4']:+.3f}")
# Seed by seed: each pair shares its initial weights (where the models have the same parameters) and its batches.
paired = [a - b for a, b in zip(test_summary["swin"]["values"], test_summary["swin_noshift"]["values"])]
print("shift minus no shift, seeds 0, 1, 2:", ", ".join(f"{d:+.3f}" for d in paired))
budget = claims.book().budget(study.name)
for label in shift_names:  # the end-point check of chapter 02's methods box: the last evaluation against the best up to step 1,125
    print(f"late gain, {shift_names[label]:<15}", ", ".join(f"{late_gain(r, budget):+.3f}" for r in records if r["label"] == label))

# %% [markdown]
# The shift added 0.7 and 1.0 points on seeds 0 and 1 and 20 on seed 2, where the Swin without it stalled
# for a while: the mean gain of 7 points rested on one seed, and every run was still climbing. At 6,000 steps
# (section 6) no run stalled, and the gain shrank to under 2 points. The checkpoints (seed 0 of each arm)
# score what their records say on images generated just now:

# %%
fresh = study.shapes_world().classification(1000, seed=7, variant="shape")
for label in shift_names:
    model, meta = study.load(label)
    print(f"{shift_names[label]:<15} seed 0: recorded test accuracy {meta['scores']['test']['accuracy']:.3f}, on fresh images {accuracy(model, fresh):.3f}")

# %% [markdown]
# **A Swin-T layout in miniature.** Swin-T's last stage is one 7×7 window (section 3); the course Swin's two
# stages end at 16×16 tokens in four windows, so no attention in it is ever global. A miniature of Swin-T's
# layout: four stages of two blocks from 2×2 patches, 32, 16, 8 and 4 tokens a side, windows of 4×4, so
# the last stage is a single window and, by section 3's rule, does not shift; width 16, doubling per
# stage. A one-seed pilot, its test written before its run, asked whether it trains on shapes with max
# pooling; then the shift ablation on it, swin_shift's settings, seeds and threshold, with a prediction
# written beside the claim: since the last stage mixes every token with every other anyway, the shift
# should matter less here than in the course Swin.

# %%
from vitlite.recipes.swin import SWIN_GLOBAL_PILOT, SWIN_GLOBAL_SHIFT

four_stage = SWIN_GLOBAL_SHIFT.build(SWIN_GLOBAL_SHIFT.arm("swin"), seed=0)
for i, stage in enumerate(four_stage.stages):
    print(f"stage {i + 1}: {four_stage.resolutions[i][0]:>2}x{four_stage.resolutions[i][1]:<2} tokens, C = {four_stage.dims[i]:>3}, (window, shift) per block: {[(b.window_size, b.shift_size) for b in stage.blocks]}")
print(f"{count_parameters(four_stage):,} parameters (the course Swin: {count_parameters(vitlite.create_model('swin_tiny_shapes')):,})")
pilot_run = SWIN_GLOBAL_PILOT.results()[0]
print(f"pilot (one seed): test {pilot_run['scores']['test']['accuracy']:.3f}, train {pilot_run['scores']['train']['accuracy']:.3f} after {pilot_run['steps']:,} steps")
global_record = manifest(SWIN_GLOBAL_SHIFT.name)
print(describe(global_record))

# %%
global_records = SWIN_GLOBAL_SHIFT.results()
global_names = {"swin": "four-stage Swin", "swin_noshift": "four-stage, no shift"}
global_test, global_train = summarize(global_records, "accuracy", "test"), summarize(global_records, "accuracy", "train")
for label, name in global_names.items():
    print(f"{name:<21} test {global_test[label]['mean']:.3f} ± {global_test[label]['std']:.3f}, train {global_train[label]['mean']:.3f}; best steps {[r['best_step'] for r in global_records if r['label'] == label]}")
paired = [a - b for a, b in zip(global_test["swin"]["values"], global_test["swin_noshift"]["values"])]
print("shift minus no shift, seed by seed (same initial weights, same batches):", ", ".join(f"{d:+.3f}" for d in paired))
fig = viz.plot_study_curves(global_records, "accuracy", labels=global_names, title="the shift ablation on the four-stage Swin, three seeds each")
fig

# %% [markdown]
# **A budget comparison, not a verdict** (the claims row reads the longer study below). The four-stage Swin
# trains as well as the course Swin (0.762 and 0.753 against 0.767 and 0.693 in 1,500 steps) at about 40%
# of its CPU time per run (230 against 590 CPU-seconds, each on one thread beside a second run), but with the
# shift it is 0.9 points ahead on the means, and seed by seed +1.8, −3.4 and +4.3 points: noise of the same
# size as the effect. (It also has 4.3 times the parameters: 400k against 94k.) The prediction (less than swin_shift's +7.4) held, but that +7.4 itself came from one
# stuck seed. Read together, the two ablations say: in five of six paired runs the shift moved test
# accuracy by less than 4.5 points either way; once, in the two-stage Swin, the run without it got stuck.
# On these tasks and budgets the shift's value shows as reliability at most, not as accuracy. And every
# run here still had its best validation score at its last step: like chapter 02's ViT, these models had not
# finished learning, so neither study compares end points.
#
# **The same ablation, run to its end points.** So the study ran again, with everything the same but the
# budget: 4,000 steps instead of 1,500 (the cosine schedule stretched over all of them), about 60 CPU-minutes
# for the six runs. Before it ran, two things were written down: an end-point check (a run is *still
# climbing* if its last validation accuracy is more than one point above its best up to step 3,000, the
# late-gain rule the whole course adopted later), and that this study, not the shorter one, would answer
# the claim in the course's table.

# %%
from vitlite.recipes.swin import SWIN_GLOBAL_LONG

long_record = manifest(SWIN_GLOBAL_LONG.name)
print(describe(long_record))

# %%
long_records = SWIN_GLOBAL_LONG.results()
long_test, long_train = summarize(long_records, "accuracy", "test"), summarize(long_records, "accuracy", "train")
long_budget = claims.book().budget(SWIN_GLOBAL_LONG.name)
for label, name in global_names.items():
    gains = [late_gain(r, long_budget) for r in long_records if r["label"] == label]
    print(f"{name:<21} test {long_test[label]['mean']:.3f} ± {long_test[label]['std']:.3f} (1,500 steps: {global_test[label]['mean']:.3f}), "
          f"train {long_train[label]['mean']:.3f}; late gains after step 3,000: {', '.join(f'{g:+.3f}' for g in gains)}")
long_paired = [a - b for a, b in zip(long_test["swin"]["values"], long_test["swin_noshift"]["values"])]
print("shift minus no shift, seed by seed:", ", ".join(f"{d:+.3f}" for d in long_paired))
fig = viz.plot_study_curves(long_records, "accuracy", labels=global_names, title="the same ablation with 4,000 steps, three seeds each")
fig

# %% [markdown]
# At 4,000 steps both four-stage arms gained about 18 points (0.942 and 0.931 against 0.762 and 0.753), and
# with the shift the Swin is 1.1 points ahead on the means, under the 3-point threshold; but seed 2 of the
# shifted Swin was still improving (+0.024 after step 3,000), which could lift the mean past it, so the row
# is inconclusive by the course's rule (any run that could reverse it; the study's own expectation, written
# before the rule, asked for most seeds of an arm):

# %%
rows += claims.report(4, [row for row in claims.verdicts() if row.claim.key == "04.shift_global"], expected=False)
assert all(row.verdict == claims.recorded_verdict(row.claim.key) for row in rows)

# %% [markdown]
# ## References
#
# 1. Z. Liu et al. Swin Transformer: Hierarchical Vision Transformer using Shifted Windows. ICCV 2021.
#    Code: [github.com/microsoft/Swin-Transformer](https://github.com/microsoft/Swin-Transformer).
# 2. T. Dao et al. FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness. NeurIPS 2022.
# 3. A. Dosovitskiy et al. An Image is Worth 16x16 Words. ICLR 2021 (chapter 02).
