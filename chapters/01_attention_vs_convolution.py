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
# # Chapter 01 · Self-attention versus convolution
#
# **Paper:** Jean-Baptiste Cordonnier, Andreas Loukas, Martin Jaggi. *On the Relationship between
# Self-Attention and Convolutional Layers.* ICLR 2020. [arXiv:1911.03584](https://arxiv.org/abs/1911.03584)
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vitlite/vitlite/blob/main/chapters/01_attention_vs_convolution.ipynb)
#
# **Runtime:** about 44 s on a 2-core CPU (AMD EPYC), measured by `python -m vitlite.bench`.
#
# By the end of this chapter you can:
#
# 1. compute a convolution three ways (by hand, with `F.conv2d`, as unfold + matrix product) and show,
#    with numbers, that it is local and translation equivariant;
# 2. write single-head and multi-head self-attention from scratch and show that, without position
#    information, it treats an image as a bag of pixels;
# 3. build Cordonnier et al.'s construction, nine attention heads with a quadratic relative position
#    encoding that compute any 3x3 convolution, and watch the error vanish as the heads sharpen;
# 4. train attention heads that know only relative position and see them settle, by themselves, on a
#    small grid around each pixel: a convolution kernel's footprint.

# %% [markdown]
# ## Study card · 스터디 카드
#
# | | English | 한국어 |
# |---|---|---|
# | **Purpose · 목적** | Can a self-attention layer do everything a convolutional layer does, and do trained attention layers actually behave like convolutions? | 셀프 어텐션 층이 합성곱 층이 하는 일을 모두 할 수 있는가? 그리고 실제로 학습된 어텐션 층은 합성곱처럼 동작하는가? |
# | **Method · 방법** | A constructive proof: give each of K² heads a relative position encoding that points it at one pixel offset, let the output projection hold the kernel's weights, and the layer is a K×K convolution. Then train attention-only networks on CIFAR-10 and look at where their heads attend. | 구성적 증명: K²개의 헤드마다 상대 위치 인코딩으로 한 픽셀 오프셋만 보게 하고, 출력 투영 행렬에 커널 가중치를 담으면 그 층은 K×K 합성곱이 된다. 이어서 어텐션만으로 된 네트워크를 CIFAR-10으로 학습하고 헤드가 어디를 보는지 분석한다. |
# | **Strengths · 장점** | Shows that attention is at least as expressive as convolution, with a picture anyone can hold on to (one head = one kernel tap), and finds the same picture in trained networks: early layers attend to grid-like patterns around each pixel. | 어텐션의 표현력이 합성곱 이상임을 보이고, "헤드 하나 = 커널의 한 칸"이라는 쉬운 그림을 준다. 학습된 네트워크의 초기 층도 각 픽셀 주변의 격자 모양 패턴을 본다는 것을 확인했다. |
# | **Limitations · 한계** | A K×K kernel needs K² heads; attention over every pair of pixels is expensive, so the paper shrinks CIFAR images 2×2 before the first layer, and its attention-only network still needs about six times the computation of a ResNet-18 (counted below). Small images only. | K×K 커널에는 K²개의 헤드가 필요하다. 모든 픽셀 쌍에 대한 어텐션은 비싸서 논문은 CIFAR 이미지를 2×2로 줄여 넣는데도, 어텐션 전용 네트워크는 ResNet-18보다 약 6배 많은 연산이 든다(아래에서 직접 계산). 작은 이미지에서만 실험했다. |
# | **Evaluation · 검증방법** | CIFAR-10 test accuracy against ResNet-18, and maps of where each head of each layer attends around a query pixel. | ResNet-18과 CIFAR-10 테스트 정확도 비교, 각 층의 헤드가 쿼리 픽셀 주변 어디를 보는지 시각화. |
#
# **For discussion · 토론 질문**
#
# 1. If attention can express any convolution, why would anyone still use convolutions? Name one cost and
#    one benefit of the built-in assumption. · 어텐션이 모든 합성곱을 표현할 수 있다면, 왜 여전히 합성곱을
#    쓰는가? 구조에 내장된 가정의 비용과 이점을 하나씩 말해 보자.
# 2. The trained heads here settle on neighbouring pixels. What kind of task would pull them far apart
#    instead? · 이 장에서 학습된 헤드는 이웃 픽셀에 자리 잡는다. 어떤 과제라면 헤드들이 멀리 떨어진 곳을
#    보게 될까?

# %% [markdown]
# ## Setup
#
# On Colab this installs the course's helper package `vitlite` first. Everywhere it seeds every random
# generator and picks the device (CUDA, Apple's MPS or the CPU) with one call.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:  # Colab: install the course's helper package from the repository
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "vitlite @ git+https://github.com/vitlite/vitlite"], check=True)

import torch
import torch.nn.functional as F
from einops import rearrange

import vitlite
from vitlite import checks, schematics, viz
from vitlite.data import ShapesWorld

device = vitlite.env.setup(seed=0)

# %% [markdown]
# ## Architecture at a glance
#
# The construction of section 3, drawn before we build it: nine attention heads, one for each tap of a 3×3
# kernel. Head h scores a key only by its offset from the query (key position minus query position, as
# (row, col)), so it looks at the one pixel at offset Δ_h; its value projection passes that pixel on, the
# nine results are concatenated, and the output projection W_out, whose block for head h holds the kernel's
# tap at Δ_h, adds them up: a 3×3 convolution. The widths are those of this chapter's course model
# `attnconv_edges` (RGB in, 32 channels out) on a 32×32 image, and every shape was read off the layer as it ran.

# %%
fig = schematics.attention_as_convolution(vitlite.create_model("attnconv_edges"))
fig

# %% [markdown]
# ## 1 · Convolution by hand
#
# An *inductive bias* is an assumption a model makes before it sees any data, so that it can predict
# well in situations it has not seen. A convolutional layer makes two, and they are built into its
# arithmetic:
#
# - **locality**: an output pixel depends only on a small window of input pixels;
# - **translation equivariance**: move the input and the output moves the same way, because the
#   same kernel is used everywhere.
#
# A worked example: a 5×5 image, zero-padded to 7×7, and the sharpening kernel
# `[[0, -1, 0], [-1, 5, -1], [0, -1, 0]]`. The output at the first interior pixel is the sum of the
# 3×3 window times the kernel, element by element.

# %%
# NBVAL_CHECK_OUTPUT
image = torch.tensor(
    [
        [60, 113, 56, 139, 85],
        [73, 121, 54, 84, 128],
        [131, 99, 70, 129, 127],
        [80, 57, 115, 69, 134],
        [104, 126, 123, 95, 130],
    ],
    dtype=torch.float64,
)
sharpen = torch.tensor([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=torch.float64)

padded = F.pad(image, [1, 1, 1, 1])  # zeros all round: (7, 7)
window = padded[0:3, 0:3]  # the 3x3 window centred on the first interior pixel
print(padded.int())
print("window * kernel summed:", (window * sharpen).sum().item())

# %% [markdown]
# 5·60 − 113 − 73 − 0 − 0 = **114**. Sliding the window over every pixel gives
# the whole output. Written as two loops, it is slow but says exactly what a convolution is.

# %%
# NBVAL_CHECK_OUTPUT
def conv2d_by_hand(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Zero-padded 'same' convolution (cross-correlation, as in deep learning) of one channel."""
    k = kernel.shape[0]
    padded = F.pad(image, [k // 2] * 4)
    out = torch.zeros_like(image)
    for i in range(image.shape[0]):
        for j in range(image.shape[1]):
            out[i, j] = (padded[i : i + k, j : j + k] * kernel).sum()
    return out


by_hand = conv2d_by_hand(image, sharpen)
by_torch = F.conv2d(image[None, None], sharpen[None, None], padding=1)[0, 0]  # (B, C, H, W) in and out
print(by_hand.int())
print("equal to F.conv2d:", torch.equal(by_hand, by_torch))

# %% [markdown]
# ### Convolution as one matrix product
#
# `F.unfold` cuts out every k×k window and lays it out as a column: for a (B, C, H, W) input it returns
# (B, C·k·k, H·W). A convolution with O output channels is then a single matrix product of the kernel,
# flattened to (O, C·k·k), with those columns. This is how many libraries compute convolutions, and it
# will matter in chapter 03 (T2T-ViT), where overlapping windows become tokens.

# %%
# NBVAL_CHECK_OUTPUT
x = image[None, None]  # (B=1, C=1, 5, 5)
columns = F.unfold(x, kernel_size=3, padding=1)  # (1, 1*3*3, 25): one column per output pixel
print("columns:", tuple(columns.shape))
print("column of the first pixel:", columns[0, :, 0].int().tolist())
out = sharpen.reshape(1, -1) @ columns  # (O=1, 9) @ (1, 9, 25) -> (1, 1, 25)
out = rearrange(out, "b o (h w) -> b o h w", h=5)
print("equal to F.conv2d:", torch.equal(out[0, 0], by_torch))

# %% [markdown]
# ### Locality, shown
#
# Which input pixels does one output pixel depend on? Ask autograd: the gradient of one output pixel
# with respect to the input is non-zero only where the input mattered.

# %%
world = ShapesWorld(image_size=32)
scene = world.classification(1, seed=3).images  # (1, 3, 32, 32)
gray = scene.mean(1, keepdim=True).double().requires_grad_(True)  # one channel
edge = sharpen[None, None]
y = F.conv2d(gray, edge, padding=1)
y[0, 0, 10, 20].backward()  # one output pixel
support = gray.grad[0, 0] != 0
rows, cols = torch.nonzero(support, as_tuple=True)
print(f"output pixel (10, 20) depends on {int(support.sum())} input pixels, rows {rows.min().item()}..{rows.max().item()}, cols {cols.min().item()}..{cols.max().item()}")
assert support.sum() == 5  # the sharpening kernel has 5 non-zero taps, all within the 3x3 window

# %% [markdown]
# ### Translation equivariance, shown
#
# Shift the image, convolve; convolve, then shift: the same thing. (With circular padding the
# identity is exact everywhere; with zero padding it holds away from the border.)

# %%
def conv_circular(img: torch.Tensor) -> torch.Tensor:
    return F.conv2d(F.pad(img, [1, 1, 1, 1], mode="circular"), edge)


img = scene.mean(1, keepdim=True).double()
shift = (5, -7)
a = conv_circular(torch.roll(img, shift, dims=(-2, -1)))
b = torch.roll(conv_circular(img), shift, dims=(-2, -1))
print("shift then convolve == convolve then shift:", torch.allclose(a, b), f"(max difference {(a - b).abs().max().item():.1e})")

fig, axes = viz.figure(1, 4, panel=(2.4, 2.6))
for ax, pic, title in zip(axes[0], [img, torch.roll(img, shift, dims=(-2, -1)), a, b], ["image", f"shifted by {shift}", "conv(shift(image))", "shift(conv(image))"]):
    viz.heatmap(ax, pic[0, 0], title=title, cmap="gray")
fig

# %% [markdown]
# ## 2 · Self-attention from scratch
#
# Self-attention treats an image as a set of N tokens (here: pixels, each a vector of D numbers).
# Every token asks a question (query), offers a description of itself (key) and a message (value):
#
# $$Q = XW_q,\quad K = XW_k,\quad V = XW_v,\qquad \mathrm{SA}(X) = \mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d}}\right)V.$$
#
# Row q of the softmax says how much token q listens to every token k; each row sums to 1.

# %%
# NBVAL_CHECK_OUTPUT
def self_attention(x: torch.Tensor, w_q: torch.Tensor, w_k: torch.Tensor, w_v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Single-head self-attention over tokens x (N, D); returns the output (N, d_v) and the weights (N, N)."""
    q, k, v = x @ w_q, x @ w_k, x @ w_v  # (N, d)
    weights = torch.softmax(q @ k.T / q.shape[-1] ** 0.5, dim=-1)  # (N, N): row q = where token q looks
    return weights @ v, weights


torch.manual_seed(0)
small = F.avg_pool2d(scene, 4)  # (1, 3, 8, 8): 64 pixels
tokens = rearrange(small[0], "c h w -> (h w) c")  # (N=64, D=3)
d = 4
w_q, w_k, w_v = (torch.randn(3, d) for _ in range(3))
out, weights = self_attention(tokens, w_q, w_k, w_v)
print("tokens", tuple(tokens.shape), "-> output", tuple(out.shape), "; weights", tuple(weights.shape))
print("every row sums to 1:", torch.allclose(weights.sum(-1), torch.ones(64)))

# %% [markdown]
# **Multi-head attention** runs h such heads side by side, each on its own d = D/h slice of the
# projections, concatenates their outputs and mixes them with an output projection W_o. Below it is
# written with einops, the shape of every tensor in its pattern, and compared with
# `vitlite.layers.Attention` given the same weights.

# %%
# NBVAL_CHECK_OUTPUT
def multi_head_attention(x: torch.Tensor, w_qkv: torch.Tensor, b_qkv: torch.Tensor, w_o: torch.Tensor, b_o: torch.Tensor, heads: int) -> torch.Tensor:
    """x (B, N, D) -> (B, N, D). w_qkv (3D, D) stacks W_q, W_k, W_v as nn.Linear stores them."""
    qkv = x @ w_qkv.T + b_qkv  # (B, N, 3D)
    q, k, v = rearrange(qkv, "b n (three h d) -> three b h n d", three=3, h=heads)
    weights = torch.softmax(q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5, dim=-1)  # (B, h, N, N)
    heads_out = weights @ v  # (B, h, N, d)
    return rearrange(heads_out, "b h n d -> b n (h d)") @ w_o.T + b_o  # concatenate, then W_o


attn = vitlite.layers.Attention(dim=16, num_heads=4)
x = torch.randn(2, 10, 16)
ours = multi_head_attention(x, attn.qkv.weight, attn.qkv.bias, attn.proj.weight, attn.proj.bias, heads=4)
print("equal to vitlite.layers.Attention:", torch.allclose(ours, attn(x), atol=1e-6))

# %% [markdown]
# ### Without position, an image is a bag of pixels
#
# Nothing in those formulas knows where a token sits. Shuffle the tokens and the outputs are the same
# vectors, shuffled the same way (*permutation equivariance*). Average them, as a classifier would, and
# the image and its shuffled version become indistinguishable. A convolution is not fooled: each output
# depends on which pixels are neighbours, and shuffling changes the neighbours.

# %%
perm = torch.randperm(64, generator=torch.Generator().manual_seed(1))
out_shuffled, _ = self_attention(tokens[perm], w_q, w_k, w_v)
print("SA(shuffled) == shuffled SA:", torch.allclose(out_shuffled, out[perm], atol=1e-6))
print("mean-pooled outputs equal:  ", torch.allclose(out_shuffled.mean(0), out.mean(0), atol=1e-6))

shuffled_image = rearrange(tokens[perm], "(h w) c -> c h w", h=8)
conv_of_shuffled = F.conv2d(shuffled_image.mean(0)[None, None], edge.float(), padding=1).flatten()
shuffled_conv = F.conv2d(small.mean(1, keepdim=True), edge.float(), padding=1).flatten()[perm]
print("conv(shuffled) == shuffled conv:", torch.allclose(conv_of_shuffled, shuffled_conv, atol=1e-6), f"(max difference {(conv_of_shuffled - shuffled_conv).abs().max().item():.2f})")
fig = viz.show_images([small[0], shuffled_image], titles=["8x8 image", "its pixels shuffled"], panel=2.2)
fig

# %% [markdown]
# ## 3 · Attention that computes a convolution
#
# To behave like a convolution, attention must know **where** a key is relative to its query. Cordonnier
# et al. give head h a score that depends only on the offset δ = (key position − query position):
#
# $$\text{score}_h(\delta) = -\alpha_h \,\lVert \delta - \Delta_h \rVert^2 .$$
#
# This is the *quadratic relative encoding*: it is a dot product between a small learned vector per head,
# $v_h = -\alpha_h(1, -2\Delta_h)$, and a fixed encoding of the offset, $r_\delta = (\lVert\delta\rVert^2, \delta)$
# (the constant $-\alpha_h\lVert\Delta_h\rVert^2$ drops out of the softmax). Where did the queries and keys
# go? Ordinary attention scores q·k, a *content* term that compares what two pixels contain; the
# construction sets it to zero (W_q = W_k = 0), so the score depends on where the key is and not on what
# it holds, which is what a convolution's weights do. The score is highest at
# δ = Δ_h, so head h looks around the pixel at offset Δ_h from its query, and as α_h grows it looks at
# that pixel alone.
#
# Take nine heads with the offsets of a 3×3 window. Head h then hands each query the input pixel at
# q + Δ_h; the output projection multiplies it by the kernel tap at Δ_h, and the sum over heads is the
# convolution. First the pieces, by hand.

# %%
# NBVAL_CHECK_OUTPUT
def relative_offsets(h: int, w: int, padding: int) -> torch.Tensor:
    """delta[q, k] = position(k) - position(q), queries on the h x w grid, keys on the padded grid. (Q, K, 2)"""
    qy, qx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    ky, kx = torch.meshgrid(torch.arange(h + 2 * padding) - padding, torch.arange(w + 2 * padding) - padding, indexing="ij")
    q = torch.stack([qy.flatten(), qx.flatten()], -1)
    k = torch.stack([ky.flatten(), kx.flatten()], -1)
    return (k[None] - q[:, None]).double()


def quadratic_scores(delta: torch.Tensor, shift: torch.Tensor, alpha: float) -> torch.Tensor:
    """-alpha * ||delta - shift||^2 for every offset: the score of one head."""
    return -alpha * ((delta - shift) ** 2).sum(-1)


delta = relative_offsets(5, 5, padding=1)  # queries: the 5x5 image; keys: the zero-padded 7x7 image
shifts = torch.tensor([[dy, dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1)], dtype=torch.float64)  # the 3x3 taps
print("offsets:", tuple(delta.shape), " shifts of the nine heads:", shifts.int().tolist())
probs = torch.softmax(quadratic_scores(delta, shifts[5], alpha=20.0), dim=-1)  # head 5 looks one pixel right
top = probs[0].argmax().item()  # query 0 is pixel (0, 0); keys index the padded 7x7 grid
print(f"head 5 from pixel (0, 0) looks at padded pixel {divmod(top, 7)} (= image pixel (0, 1)) with weight {probs[0, top].item():.6f}")

# %% [markdown]
# Now the whole layer: nine heads attend over the zero-padded image (the padding tokens are zeros, like a
# zero-padded convolution's border), each head's output is scaled by its kernel tap, and the heads are
# summed. That sum is the output projection $W_o$ at work, because each head has a single channel here.

# %%
# NBVAL_CHECK_OUTPUT
def conv_as_attention(image: torch.Tensor, kernel: torch.Tensor, alpha: float) -> torch.Tensor:
    """Cordonnier et al.'s construction for one channel: a (H, W) image and a (3, 3) kernel."""
    h, w = image.shape
    keys = F.pad(image, [1, 1, 1, 1]).flatten()  # (K,) the padded pixels are the keys and values
    delta = relative_offsets(h, w, padding=1)  # (Q, K, 2)
    taps = kernel.flatten()  # tap h belongs to head h (reading order)
    out = torch.zeros(h * w, dtype=image.dtype)
    for head in range(9):
        attention = torch.softmax(quadratic_scores(delta, shifts[head], alpha), dim=-1)  # (Q, K)
        out += taps[head] * (attention @ keys)  # head output, weighted by its tap
    return out.reshape(h, w)


approx = conv_as_attention(image, sharpen, alpha=20.0)
print(f"first pixel: attention {approx[0, 0].item():.6f}, convolution {by_torch[0, 0].item():.0f}")
print(f"largest difference over the image: {(approx - by_torch).abs().max().item():.2e}")

# %% [markdown]
# `vitlite.models.attnconv` holds the same construction for any number of channels:
# `QuadraticAttention` (the layer) and `attention_from_conv(weight, bias, alpha)` (it places the heads and
# writes the kernel into the projection). With the same weights it gives the same output as our version,
# so from here on the chapter, and the course, use it.

# %%
# NBVAL_CHECK_OUTPUT
from vitlite.models.attnconv import attention_from_conv

layer = attention_from_conv(sharpen[None, None], alpha=20.0)
theirs = layer(image[None, None])[0, 0]
print("vitlite == ours:", torch.allclose(theirs, approx, atol=1e-10))

# %% [markdown]
# ### How sharp must the heads be?
#
# With finite α each head still leaks a little weight to the neighbours of its target pixel, roughly
# e^(−α) per neighbour, so the error should fall exponentially with α. Below: the sharpening kernel, and a
# random convolution from 3 to 8 channels on a ShapesWorld image, both in float64.

# %%
alphas = [0.5, 1, 2, 3, 5, 7, 10, 13, 16, 20, 25, 30]
weight = torch.randn(8, 3, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
bias = torch.randn(8, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
photo_like = scene.double()
target_seed = F.conv2d(image[None, None], sharpen[None, None], padding=1)
target_rgb = F.conv2d(photo_like, weight, bias, padding=1)
errors = {"seed example (pixels 0..255)": [], "random 3->8 channel kernel (ShapesWorld image)": []}
for alpha in alphas:
    errors["seed example (pixels 0..255)"].append((attention_from_conv(sharpen[None, None], alpha=alpha)(image[None, None]) - target_seed).abs().max().item())
    errors["random 3->8 channel kernel (ShapesWorld image)"].append((attention_from_conv(weight, bias, alpha=alpha)(photo_like) - target_rgb).abs().max().item())

fig, axes = viz.figure(1, 1, panel=(6.0, 3.4))
ax = axes[0, 0]
for label, errs in errors.items():
    ax.semilogy(alphas, [max(e, 1e-16) for e in errs], marker="o", label=label)
ax.axhline(1e-4, color="0.5", linestyle="--", label="1e-4")
ax.set_xlabel("alpha (sharpness of every head)")
ax.set_ylabel("max |attention - convolution|")
ax.legend(fontsize=8)
ax.set_title("The attention layer converges to the convolution", fontsize=10)
fig

# %%
# NBVAL_CHECK_OUTPUT
for label, errs in errors.items():
    first = next(a for a, e in zip(alphas, errs) if e < 1e-4)
    print(f"{label}: error below 1e-4 from alpha = {first}")
    assert errs[alphas.index(20)] < 1e-4, "at alpha = 20 the construction must match the convolution to 1e-4"
    assert all(e2 < e1 for e1, e2 in zip(errs[3:], errs[4:]) if e1 > 1e-13), "the error must keep falling as alpha grows"

# %% [markdown]
# ## 4 · Fidelity: the paper's model, at full size
#
# The paper's CIFAR-10 models stack six layers of such attention (nine heads, width 400, feed-forward
# width 512) on pixels grouped 2×2. Its Table 1 lists **12.1M** parameters for the model with the
# quadratic encoding and **11.2M** for the ResNet-18 it compares with. We build both, as the official
# code lays them out, on the `meta` device (no memory is allocated) and count. Hugging Face `transformers`
# has no implementation of this architecture, so the parameter count is the check here.

# %%
# NBVAL_CHECK_OUTPUT
from torch.utils.flop_counter import FlopCounterMode

published = {"attnconv_quadratic_cifar10": 12.1, "resnet18_cifar": 11.2}
print(f"{'model':<28} {'parameters':>12} {'paper (M)':>10} {'GFLOPs / image':>15}")
for name, paper_m in published.items():
    model = vitlite.create_model(name, device="meta")
    n = vitlite.layers.count_parameters(model)
    with FlopCounterMode(display=False) as flops:
        model(torch.empty(1, 3, 32, 32, device="meta"))
    print(f"{name:<28} {n:>12,} {paper_m:>10} {flops.get_total_flops() / 1e9:>15.2f}")
    assert abs(n / 1e6 - paper_m) < 0.05, f"{name}: {n:,} parameters does not round to the paper's {paper_m}M"

# %% [markdown]
# Both counts round to the paper's figures. The FLOP counts (multiply and add counted separately) show
# the price of attention: per 32×32 image the attention-only network needs about six times the
# computation of ResNet-18, and it grows with the square of the number of pixels.

# %% [markdown]
# ## 5 · Experiment: do learned heads become a convolution?
#
# The construction shows attention *can* be a convolution. The paper's experimental claim is that it
# *becomes* one when trained: heads that may look anywhere settle on a grid of nearby pixels. In miniature:
# one layer of nine quadratic heads (`attnconv_edges`) reads the raw RGB pixels of ShapesWorld scenes
# and must mark each pixel that lies on an object's outline. Heads start at random offsets, Δ ~ N(0, 2²)
# pixels with α = 1 (the paper's initialisation), and gradient descent moves them.
#
# The task is decided by a pixel's neighbourhood, but nothing tells the heads which neighbours matter
# or how many. We train three seeds, 600 steps each, and measure, per head, the share of its attention
# that falls inside the query's 3×3 window (1.0 means it acts like one tap of a 3×3 kernel).
#
# Be clear about what this can show. The layer is *position-only*: a quadratic head's weights depend on
# the offset between two pixels, never on what they show. And the task is local: whether a pixel lies on
# an outline is decided inside its 3×3 neighbourhood. So the experiment asks a narrower question than the
# paper's ("do trained attention heads become convolution taps?"): do heads that may go anywhere **go
# where a local task's information is**? A yes is what the paper's Figure 5 shows at scale; it does not
# say that attention on a task with far-away information would do the same.

# %%
from vitlite.recipes.classic import OUTLINE_HEADS

experiment = OUTLINE_HEADS  # the settings below, in one place: the recipe `outline_heads` runs the same code
train_set, test_set = experiment.data()  # 2,048 training and 512 test scenes at 32x32
print(train_set, f"outline pixels: {train_set.targets.mean().item():.1%}")
fig = viz.show_images([train_set.images[i] for i in range(4)] + [train_set.targets[i] for i in range(4)], ncols=4, panel=1.8, cmap="gray", suptitle="ShapesWorld scenes and their outlines")
fig

# %% [markdown]
# The loss is binary cross-entropy per pixel with the rare outline pixels (about one in six) weighted up
# to balance the two classes; the score is the F1 of the predicted outlines on the test scenes.
# `experiment.run(seed)` trains one seed (600 steps, learning rate 10⁻², batch 32) and measures the heads
# before and after; its code is in `vitlite/recipes/classic.py`.

# %%
runs = [experiment.run(seed, (train_set, test_set), device=device) for seed in experiment.seeds]

# %%
sample = runs[0]
titles = [f"Δ=({s[0]:+.1f},{s[1]:+.1f}) α={a:.1f}" for s, a in zip(sample["shift"].tolist(), sample["alpha"].tolist())]
maps = list(sample["before"]["maps"]) + list(sample["after"]["maps"])
fig = viz.show_images(maps, titles=["start"] * 9 + titles, ncols=9, panel=1.35, cmap="magma", suptitle="Seed 0: where each head looks from the centre pixel of a 7x7 window; top at the start, bottom after training")
fig

# %% [markdown]
# Most trained heads now sit on a single pixel next to the query, with α grown large enough that each
# attends to essentially that pixel alone: a kernel tap. Some share a neighbour. A head or two that
# started far away went broad instead, averaging a wide neighbourhood, so the layer found a use for
# context too. Which neighbours the heads pick differs from seed to seed; that they pick neighbours
# does not. The summary over all three seeds (taps: the sharp heads' offsets, rounded):

# %%
print(f"{'seed':>4} {'F1 before':>10} {'F1 after':>9} {'3x3 mass before':>16} {'after':>6} {'sharp heads':>12} {'farthest':>9}  taps")
for run in runs:
    sharp = run["alpha"] > 3.0  # a head this sharp puts most of its weight on one pixel
    farthest = run["shift"][sharp].abs().max().item() if sharp.any() else float("nan")
    taps = sorted({tuple(int(v) for v in t) for t in run["shift"][sharp].round().tolist()})
    print(f"{run['seed']:>4} {run['before']['F1']:>10.2f} {run['after']['F1']:>9.2f} {run['before']['mass'].mean().item():>16.2f} {run['after']['mass'].mean().item():>6.2f} {int(sharp.sum()):>12} {farthest:>6.1f} px  {taps}")

# %% [markdown]
# The same code, run once by the recipe `python -m vitlite.recipes outline_heads`, left a record that
# chapter 10's ledger of claims reads. It should agree with the live run above up to the last digits
# (threads and hardware change floating-point sums, not the story):

# %%
from vitlite.recipes import manifest, provenance

record = manifest("outline_heads")
print(provenance(record))
for live, kept in zip(runs, record["runs"]):
    now = experiment.summary(live)
    print(f"seed {kept['seed']}: F1 {now['f1_after']:.3f} live, {kept['f1_after']:.3f} recorded; 3x3 share {now['mass_after']:.2f} / {kept['mass_after']:.2f}; sharp heads {now['sharp_heads']} / {kept['sharp_heads']}; thresholds held: {now['held']} / {kept['held']}")

# %% [markdown]
# **Your prediction.** Before the next cell: the recorded F1 of seed 0 is 0.71, of seeds 1 and 2 about
# 0.98, against a threshold of 0.6. Will the claim be graded *held* (every seed passes every threshold)
# or only *held, not robust* (the mean passes, a seed does not)? Write down your answer and which of the
# five thresholds you think comes closest to failing, and why.
#
# The verdict, graded by the course's one rule of evidence (chapter 02 states it; in short: every seed must
# pass for *held*, and a run still improving at its end could make a verdict inconclusive). The thresholds
# were fixed before the recipe ran; the cell prints them as "expected", the record as "observed" (each
# seed's margin over its threshold), and checks the verdict against the one the recipe's manifest records:

# %%
from vitlite.recipes import claims

rows = claims.report(1)
assert all(row.verdict == claims.recorded_verdict(row.claim.key) for row in rows), "records and manifests disagree: run python -m vitlite.recipes.claims --write"

# %% [markdown]
# All five parts held in every seed. The closest call is seed 0's F1 (0.71, eleven points above the bar),
# the seed whose heads also found the fewest taps; the sharp heads sit within 1.2 px of their query in
# every seed, well inside the 1.5 px allowed.

# %%
fig, axes = viz.figure(1, 3, panel=(3.2, 2.8))
for run in runs:
    h = run["history"]
    axes[0, 0].plot(h.step, h.smoothed_loss(), label=f"seed {run['seed']}")
    axes[0, 1].plot(h.eval_step, h.metrics["F1"], marker="o", label=f"seed {run['seed']}")
axes[0, 0].set_title("training loss (smoothed)", fontsize=10)
axes[0, 1].set_title("test F1 of the outlines", fontsize=10)
for ax in axes[0, :2]:
    ax.set_xlabel("step")
    ax.legend(fontsize=8)
with torch.no_grad():
    pred = torch.sigmoid(runs[0]["model"](test_set.images[:1]))[0, 0]
viz.heatmap(axes[0, 2], pred, title="seed 0: predicted outline of a test scene", cmap="gray")
fig

# %% [markdown]
# ## 6 · Explore
#
# The explorer below runs the construction of section 3 on section 1's 5×5 image and the
# sharpening kernel. Pick a query pixel, a head and α. Left: where that head looks from the query.
# Middle: the kernel, with the head's tap outlined. Right: how the whole layer weighs the input around
# the query. At small α it is a blur; as α grows it becomes the kernel's footprint, and the layer's
# output meets the convolution's. Try a corner pixel: the heads that point outside the image land on
# the zero padding.

# %%
from vitlite.explore import conv_attention_explorer

explorer = conv_attention_explorer(image, sharpen)
explorer

# %% [markdown]
# The explorer's right panel at fixed settings, for the rendered notebook: how the *whole layer* (all nine
# heads together) weighs the zero-padded image around the first pixel (0, 0), outlined in cyan, at
# α = 1, 3 and 20. The top row and left column are the padding.

# %%
from matplotlib.patches import Rectangle

from vitlite.models.attnconv import effective_weights

fig, axes = viz.figure(1, 3, panel=(3.0, 3.2))
for ax, alpha in zip(axes[0], (1.0, 3.0, 20.0)):
    layer = attention_from_conv(sharpen[None, None], alpha=alpha)
    out = layer(image[None, None])[0, 0, 0, 0].item()
    viz.heatmap(ax, effective_weights(layer, (5, 5), 0, 0)[0, 0, :4, :4], annotate=True, fmt="{:.2f}", cmap="coolwarm", vmin=-5, vmax=5, title=f"alpha = {alpha:g}: output {out:.1f} (conv: 114)")
    ax.add_patch(Rectangle((0.5, 0.5), 1, 1, fill=False, edgecolor="cyan", linewidth=2))  # the query pixel (0, 0)
fig.suptitle("How the layer weighs the padded image around pixel (0, 0)", fontsize=10)
fig

# %% [markdown]
# ## 7 · Exercises
#
# Each exercise has a checker that says *not attempted yet*, *correct*, or what is wrong. Replace the
# `raise NotImplementedError` lines with your code and re-run the cell.
#
# **Exercise 1 · Convolution with unfold.** Write `conv2d_unfold(x, weight)` for a batch x (B, C, H, W) and
# a weight (O, C, k, k) with odd k, giving the same result as `F.conv2d(x, weight, padding=k // 2)`, using
# `F.unfold` and one matrix product.

# %%
def conv2d_unfold(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError  # your code here


checks.conv2d_unfold(conv2d_unfold)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def conv2d_unfold(x, weight):
#     b, c, h, w = x.shape
#     o, _, k, _ = weight.shape
#     columns = F.unfold(x, kernel_size=k, padding=k // 2)          # (B, C*k*k, H*W)
#     out = weight.reshape(o, -1) @ columns                          # (B, O, H*W)
#     return out.reshape(b, o, h, w)
# ```
# </details>
#
# **Exercise 2 · A 5×5 kernel by the construction.** Section 3 built a 3×3 convolution from nine heads.
# How many heads does a 5×5 kernel need? And how large must α be for every head to put at least 99% of
# its attention on its own pixel? Work it out with a pencil first: the target pixel scores 0; which keys
# come next, how many are there, and what do they score? Give `(heads, alpha)`; the checker measures the
# smallest such α (a query in the middle of a 15×15 image, every pixel a key) and accepts yours within 10%.

# %%
heads_and_alpha = None  # your answer, e.g. (16, 3.0)

checks.kernel_5x5_heads_alpha(heads_and_alpha)

# %% [markdown]
# <details><summary>Solution</summary>
#
# **25 heads**, one per tap: offsets Δ from (−2, −2) to (2, 2). Head h's weight on its target is
# 1 / (1 + Σ e^(−α‖δ − Δ_h‖²)) over the other pixels δ. The four pixels at distance 1 dominate the sum
# (the four at distance √2 add 4e^(−2α), the next ones less still), so 99% needs 4e^(−α) ≤ 1/99, that is
# **α ≥ ln 396 ≈ 6.0**. The α does not depend on the kernel's size, only on the distance from a target to
# its nearest neighbours; the number of heads does, as K². That is why Cordonnier's construction is a
# proof that attention *can* express a convolution, not a cheap way to compute one: a 7×7 kernel would
# need 49 heads. The chapter's α = 20 leaves about 4e^(−20) ≈ 10⁻⁸ per head on the neighbours.
# </details>
#
# **Exercise 3 · Fewer heads.** The sharpening kernel has only five non-zero taps, so five heads are
# enough to compute it. List the shifts (row, col) those five heads need, as a list of tuples.

# %%
sharpening_shifts = None  # e.g. [(0, 0), ...]

checks.sharpening_shifts(sharpening_shifts)

# %% [markdown]
# <details><summary>Solution</summary>
#
# The centre and its four neighbours: `[(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]`. Heads on the
# four corners would be multiplied by a zero tap, so they can go. Two of the three trained runs of
# section 5 found exactly these four neighbours for themselves (seeds 1 and 2, their eight sharp
# heads on those four taps); the third (seed 0) put its six sharp heads on three taps only, one of them the diagonal
# (1, −1), and reached a lower F1.
# </details>

# %% [markdown]
# **Exercise 4 · Grade a record by the rule.** Suppose the recipe had trained a fourth seed and its
# outlines reached F1 0.55, while the other three seeds stayed as recorded (0.71, 0.99, 0.98). What is
# the verdict of the F1 test ("test F1 above 0.6 in every seed") by the course's rule: `"held"`,
# `"held, not robust"`, `"inconclusive"` or `"did not hold"`? Think about what the mean says and what
# each seed says before you answer.

# %%
fourth_seed_verdict = None  # your answer, e.g. "held"

checks.outline_fourth_seed(fourth_seed_verdict)

# %% [markdown]
# <details><summary>Solution</summary>
#
# `"held, not robust"`. The mean of the four F1 values is about 0.81, past 0.6, so the claim is not
# *did not hold*; but *held* asks every seed to pass, and the fourth does not. Nothing is unfinished or
# untrained, so it is not *inconclusive* either. The rule asks this much of three or four seeds because
# no significance test can speak with so few (chapter 02's methods box says why).
# </details>

# %% [markdown]
# ## 8 · Summary
#
# - A convolution is a fixed, local, weight-shared window sum. Its inductive biases, locality and
#   translation equivariance, are part of its arithmetic, and you can watch them in the gradient and
#   under a shift.
# - Self-attention is a weighted average whose weights are computed from the data. Without position
#   information it is permutation equivariant: to it, an image is a bag of pixels.
# - Give each head a relative position score, −α‖δ − Δ_h‖², and a head becomes a movable, sharpenable
#   pointer. Nine of them, with the output projection holding the kernel, compute any 3×3 convolution,
#   to 1e-4 at α = 20 in our float64 checks.
# - Trained from random offsets on ShapesWorld outlines, the heads gather on nearby pixels and sharpen,
#   in every seed we ran (held, by the course's rule): position-only heads go where a local task's
#   information is, and take a convolution's footprint when the task calls for it.
#
# **Take-home message.** Attention is at least as expressive as convolution: convolution is the special
# case where every head looks at a fixed offset. What attention gives up is the built-in assumption;
# it must learn locality from data, and it pays for looking everywhere with computation that grows
# with the square of the number of pixels. The next chapter (ViT) takes that trade at scale.
#
# ## Glossary · 용어
#
# The terms this chapter introduced, in English and Korean (one list for the whole course,
# `vitlite.glossary`):

# %%
from IPython.display import Markdown

from vitlite import glossary

Markdown(glossary.table(1))

# %% [markdown]
# ## References
#
# 1. J.-B. Cordonnier, A. Loukas, M. Jaggi. On the Relationship between Self-Attention and Convolutional
#    Layers. ICLR 2020. Code: [github.com/epfml/attention-cnn](https://github.com/epfml/attention-cnn).
# 2. A. Vaswani et al. Attention Is All You Need. NeurIPS 2017.
# 3. K. He, X. Zhang, S. Ren, J. Sun. Deep Residual Learning for Image Recognition. CVPR 2016.
# 4. P. Ramachandran et al. Stand-Alone Self-Attention in Vision Models. NeurIPS 2019.
