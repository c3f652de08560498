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
# # Chapter 03 · Tokens-to-Token ViT: soft split and re-structurization
#
# **Paper:** Li Yuan, Yunpeng Chen, Tao Wang, Weihao Yu, Yujun Shi, Zihang Jiang, Francis E. H. Tay, Jiashi
# Feng, Shuicheng Yan. *Tokens-to-Token ViT: Training Vision Transformers from Scratch on ImageNet.*
# ICCV 2021. [arXiv:2101.11986](https://arxiv.org/abs/2101.11986)
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vitlite/vitlite/blob/main/chapters/03_t2t_vit.ipynb)
#
# **Runtime:** about 94 s on a 2-core CPU (AMD EPYC), measured by `python -m vitlite.bench`.
#
# By the end of this chapter you can:
#
# 1. tokenise an image with overlapping windows (soft split, `nn.Unfold`) and lay tokens back out as an
#    image (re-structurization), and compute how many tokens each split makes;
# 2. build the Tokens-to-Token module, whose token layers change width and use the value as their skip
#    connection, and the deep-narrow T2T-ViT backbone with its fixed sinusoidal position table;
# 3. check T2T-ViT-14 and -24 against the paper's sizes, and explain why the T2T paper's ViT-S/16 is
#    twice the size of DeiT-small;
# 4. test the paper's claim that ViT's hard split loses local structure, with a T2T-ViT and a ViT of the
#    same size on a ShapesWorld task decided by fine local structure (three seeds, every run to its end
#    point), and judge what a control that does not train can and cannot tell you.

# %% [markdown]
# ## Study card · 스터디 카드
#
# | | English | 한국어 |
# |---|---|---|
# | **Purpose · 목적** | Train vision transformers from scratch on ImageNet alone. ViT needs huge datasets because (1) its hard split of the image into patches cannot model local structure such as edges and lines, and (2) its backbone uses its parameters poorly, producing many redundant features. | ImageNet만으로 비전 트랜스포머를 처음부터 학습한다. ViT가 거대한 데이터를 필요로 하는 이유는 (1) 이미지를 패치로 딱 잘라 엣지나 선 같은 국소 구조를 잘 잡지 못하고, (2) 백본이 파라미터를 비효율적으로 써서 불필요한 특징을 너무 많이 만들기 때문이다. |
# | **Method · 방법** | A Tokens-to-Token module: *soft split* cuts the image into overlapping windows so each pixel belongs to several tokens; a small transformer layer lets tokens interact; *re-structurization* lays the tokens back out as an image; repeat, shrinking the grid (56, 28, 14 tokens per side at 224 pixels). Then a *deep-narrow* backbone (e.g. width 384, depth 14), chosen after studying CNN designs (dense connections, ghost modules, SE, wide versus deep). | Tokens-to-Token 모듈: *소프트 스플릿*은 이미지를 겹치는 윈도우로 잘라 한 픽셀이 여러 토큰에 속하게 하고, 작은 트랜스포머 층이 토큰끼리 정보를 섞고, *재구조화*가 토큰을 다시 이미지로 펼친다. 이것을 격자를 줄이며 반복한다(224 픽셀에서 한 변 56, 28, 14 토큰). 이어서 CNN 설계(dense 연결, ghost 모듈, SE, 넓이 대 깊이)를 검토해 고른 *깊고 좁은* 백본(예: 폭 384, 깊이 14). |
# | **Strengths · 장점** | Better ImageNet accuracy than ViT and DeiT with fewer parameters and MACs when trained from scratch (T2T-ViT-14: 81.5% with 21.5M parameters, against 79.9% for DeiT-small with 22.1M). | 처음부터 학습할 때 ViT, DeiT보다 적은 파라미터와 연산으로 더 높은 ImageNet 정확도 (T2T-ViT-14: 21.5M 파라미터로 81.5%, DeiT-small은 22.1M으로 79.9%). |
# | **Limitations · 한계** | The first token layers attend over thousands of tokens (3,136 at 224 pixels), which is why the default uses Performer attention; the soft splits are fixed, hand-designed windows; the claims rest on ImageNet classification. | 첫 토큰 층은 수천 개의 토큰(224 픽셀에서 3,136개)에 어텐션을 하므로 기본 모델은 Performer 어텐션을 쓴다. 소프트 스플릿은 사람이 정한 고정 윈도우이고, 주장의 근거는 ImageNet 분류에 한정된다. |
# | **Evaluation · 검증방법** | ImageNet top-1 accuracy against parameters and MACs, trained from scratch; transfer to CIFAR-10/100; visualised feature maps of ViT and T2T-ViT. | 처음부터 학습한 ImageNet top-1 정확도를 파라미터, MACs와 함께 비교. CIFAR-10/100 전이, ViT와 T2T-ViT의 특징 맵 시각화. |
#
# **For discussion · 토론 질문**
#
# 1. A soft split lets neighbouring tokens share pixels. What does a hard split lose at a patch border, and
#    why would that matter more for outlines than for textures? · 소프트 분할은 이웃 토큰이 픽셀을 공유하게
#    한다. 하드 분할은 패치 경계에서 무엇을 잃으며, 그것이 텍스처보다 윤곽에서 더 중요한 이유는 무엇인가?
# 2. Without attention in its token layers, T2T-ViT lost nothing here. What would you expect on ImageNet, and
#    what experiment would tell? · 토큰 층의 어텐션 없이도 여기서는 T2T-ViT가 잃은 것이 없었다. ImageNet에서는
#    어떨 것이라 예상하며, 어떤 실험으로 알 수 있는가?
# 3. A control that never trains decides nothing. How would you design a no-overlap control that trains,
#    and how would you check it did before reading its result? · 학습되지 않는 대조군은 아무것도 결정하지
#    못한다. 학습되는 무중첩 대조군을 어떻게 설계하고, 결과를 읽기 전에 학습되었는지 어떻게 확인하겠는가?

# %% [markdown]
# ## Setup

# %%
import subprocess
import sys
import textwrap

if "google.colab" in sys.modules:  # Colab: install the course's helper package from the repository
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "vitlite @ git+https://github.com/vitlite/vitlite"], check=True)

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

import vitlite
from vitlite import checks, schematics, viz
from vitlite.layers import count_parameters
from vitlite.models import t2t

device = vitlite.env.setup(seed=0)

# %% [markdown]
# ## Architecture at a glance
#
# T2T-ViT replaces ViT's single hard split with a gradual one. A soft split cuts the image into
# overlapping windows, one token each; a T2T transformer layer lets the tokens exchange information;
# re-structurization lays them back out as an image, and the next soft split makes fewer, wider tokens, each
# covering a larger neighbourhood. This T2T process runs twice, then the tokens are projected to the width of
# a deep-narrow ViT backbone (bottom row). The shapes are those of `t2t_vit_tiny_shapes`, the course model
# of this chapter's experiment, read off as it ran.

# %%
fig = schematics.t2t(vitlite.create_model("t2t_vit_tiny_shapes"))
fig

# %% [markdown]
# ## 1 · Soft split
#
# ViT's *hard split* cuts a 224×224 image into 14×14 non-overlapping patches: an edge that crosses a patch
# border is cut in two, and the halves live in different tokens. A *soft split* cuts **overlapping**
# windows instead, exactly like the windows of a convolution (`nn.Unfold`, chapter 01), so every pixel
# lands in several neighbouring tokens. With kernel k, stride s and padding p, an n×n input makes a grid of
#
# $$\left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1$$
#
# tokens per side, each holding C·k² numbers.

# %%
# NBVAL_CHECK_OUTPUT
photo = vitlite.data.photo("coffee", size=224)[None]  # (1, 3, 224, 224)
split0 = nn.Unfold(kernel_size=7, stride=4, padding=2)
tokens = rearrange(split0(photo), "b ckk n -> b n ckk")  # (B, N, C*k*k)
side = (224 + 2 * 2 - 7) // 4 + 1
print(f"soft split 7/4/2 of a 224 image: {tuple(tokens.shape)} = {side}x{side} tokens of 3*7*7 numbers")
print("formula agrees with vitlite:", t2t.soft_split_size(224, 7, 4, 2) == side)

# %% [markdown]
# How much do neighbouring tokens overlap? With kernel 7 and stride 4, each window shares 3 columns with
# the next one. A pixel in the overlap is seen by both tokens:

# %%
# NBVAL_CHECK_OUTPUT
marker = torch.zeros(1, 1, 224, 224)
marker[0, 0, 100, 101] = 1.0  # one pixel
holders = F.unfold(marker, 7, stride=4, padding=2).sum(1)[0].nonzero().flatten()
print("pixel (100, 101) is part of tokens", [divmod(i, side) for i in holders.tolist()])

# %% [markdown]
# ## 2 · Re-structurization and the Tokens-to-Token module
#
# After a transformer layer has let the tokens exchange information, **re-structurization** lays the
# token sequence back out as an image: (B, h·w, C) → (B, C, h, w). That image is soft-split again, with a
# smaller kernel and stride, which shrinks the grid and gathers neighbouring tokens into one. Three soft
# splits (kernels 7/3/3, strides 4/2/2, paddings 2/1/1) take a 224×224 image to 56×56, 28×28 and finally
# 14×14 tokens: the same final count as ViT-S/16, but built from overlapping, progressively merged windows.
#
# The transformer layers inside the module are small: a single head, width 64 (`token_dim`), MLP ratio 1.
# Their input width (3·7² = 147, then 64·3² = 576) differs from their output width (64), so the usual
# residual x + Attn(x) is impossible; the layer uses the **value** v (already 64 wide) as its skip:
# y = v + proj(softmax(qkᵀ·scale) v), then y + MLP(LN(y)). We write it and compare with vitlite's.

# %%
# NBVAL_CHECK_OUTPUT
class MyTokenTransformer(nn.Module):
    def __init__(self, dim: int, out_dim: int):
        super().__init__()
        self.scale = dim**-0.5  # as the official code: from the input width
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * out_dim, bias=False)
        self.proj = nn.Linear(out_dim, out_dim)
        self.norm2 = nn.LayerNorm(out_dim)
        self.mlp = vitlite.layers.Mlp(out_dim, out_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, N, dim) -> (B, N, out_dim)
        q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)
        attn = torch.softmax(q @ k.transpose(-2, -1) * self.scale, dim=-1)
        y = v + self.proj(attn @ v)  # the value is the skip connection
        return y + self.mlp(self.norm2(y))


mine = MyTokenTransformer(147, 64)
theirs = t2t.TokenTransformer(147, 64)
theirs.load_state_dict(mine.state_dict())
x = torch.randn(2, 100, 147)
print("(2, 100, 147) ->", tuple(mine(x).shape), "; equal to vitlite's TokenTransformer:", torch.allclose(mine(x), theirs(x), atol=1e-5))

# %% [markdown]
# The whole module: soft split, then twice (token layer, re-structurization, soft split), then a linear
# projection to the backbone's width. We check the grid after every stage.

# %%
# NBVAL_CHECK_OUTPUT
module = t2t.T2TModule(img_size=224, tokens_type="transformer", embed_dim=384, token_dim=64)
with torch.no_grad():
    final, stages = module(photo, return_stages=True)
for i, stage in enumerate(stages):
    print(f"after token layer {i + 1} and re-structurization: {tuple(stage.shape)}")
print(f"final tokens: {tuple(final.shape)}  (grids {module.grids})")
assert module.grids == [56, 28, 14]

# %% [markdown]
# ## 3 · The T2T-ViT backbone and the paper's sizes
#
# After the T2T module come a class token, a **fixed** sinusoidal position table (the original
# Transformer's, not learned), and a deep-narrow stack of ViT blocks: T2T-ViT-14 is 14 blocks of width 384
# (6 heads, MLP ratio 3); T2T-ViT-24 is 24 blocks of width 512. The default models use Performer attention
# in the token layers (linear in the number of tokens); the `_t` variants use the transformer layer above.
# No Hugging Face implementation exists, so the published sizes are the check:

# %%
# NBVAL_CHECK_OUTPUT
published = {"t2t_vit_7": 4.3, "t2t_vit_14": 21.5, "t2t_vit_24": 64.1, "t2t_vit_t_14": 21.5, "t2t_vit_t_24": 64.1}
print(f"{'model':<14} {'all':>12} {'trainable':>12} {'frozen':>8} {'paper':>7}")
for name, paper_m in published.items():
    model = vitlite.create_model(name, device="meta")
    total, trainable = count_parameters(model), count_parameters(model, trainable_only=True)
    print(f"{name:<14} {total:>12,} {trainable:>12,} {total - trainable:>8,} {paper_m:>6}M")
    assert abs(total / 1e6 - paper_m) < 0.05

# %% [markdown]
# The *frozen* column is the sinusoidal table (197 positions × the width) plus, in the Performer models,
# the Performer's fixed random projections: `requires_grad=False` parameters in the official code, which
# counts them; without them the totals still round to the published figures.
#
# ### How close is the Performer to softmax attention?
#
# The Performer (Choromanski et al., 2021) replaces exp(q·k), the numerator of softmax attention, by
# φ(q)·φ(k) with m positive random features φ(x) = exp(wᵢ·x − ‖x‖²/2) / √m. For directions wᵢ drawn from a
# standard normal distribution the average of φ(q)·φ(k) is exactly exp(q·k), and the cost becomes linear in
# the number of tokens. But its variance grows like exp(‖q‖² + ‖k‖²)-ish: **we expect** the approximation to
# improve with more features when queries and keys are short, and to be poor at any m when they are long.
# How long are they in a T2T layer? The first token layer of a freshly initialised model, on the photo:

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
performer = t2t.TokenPerformer(3 * 7 * 7, 64)
with torch.no_grad():
    k_photo, q_photo, _ = performer.kqv(performer.norm1(tokens)).chunk(3, dim=-1)  # tokens: section 1's soft split of the photo
print(f"first token layer on the photo: |q| = {q_photo.norm(dim=-1).mean():.1f}, |k| = {k_photo.norm(dim=-1).mean():.1f} on average")

# %% [markdown]
# Now the error of the whole attention output, ‖approx − exact‖ / ‖exact‖, for 256 random queries and keys
# of a given length and width 64, as the number of features grows: with the official code's directions
# (orthogonal rows scaled by √m, which vitlite's `TokenPerformer` copies) and with plain Gaussian ones.
# Three draws each.

# %%
def performer_error(length: float, m: int, seed: int, official: bool, n: int = 256, d: int = 64) -> float:
    g = torch.Generator().manual_seed(seed)
    q, k = (F.normalize(torch.randn(n, d, generator=g), dim=-1) * length for _ in range(2))
    v = torch.randn(n, d, generator=g)
    exact = torch.softmax(q @ k.T, dim=-1) @ v
    torch.manual_seed(1000 + seed)  # the directions come from a stream unrelated to q and k
    w = t2t.TokenPerformer(d, d, kernel_ratio=m / d).w if official else torch.randn(m, d)
    phi = lambda x: torch.exp(x @ w.T - 0.5 * (x * x).sum(-1, keepdim=True)) / m**0.5  # noqa: E731
    qp, kp = phi(q), phi(k)
    approx = (qp @ (kp.T @ v)) / (qp @ kp.sum(0)[:, None])  # never forms the n x n matrix
    return ((approx - exact).norm() / exact.norm()).item()


features = [8, 16, 32, 64, 128, 256, 512]
lengths = [0.5, 1.0, 2.0, round(q_photo.norm(dim=-1).mean().item(), 1)]
fig, axes = viz.figure(1, 2, panel=(3.6, 3.0), sharey=True)
for ax, official in zip(axes[0], (True, False)):
    for length in lengths:
        errors = [sum(performer_error(length, m, s, official) for s in range(3)) / 3 for m in features]
        ax.semilogx(features, errors, marker="o", label=f"|q| = |k| = {length:g}")
    ax.set_xlabel("random features m")
    ax.set_title("official directions (orthogonal, x sqrt(m))" if official else "Gaussian directions", fontsize=9)
axes[0, 0].set_ylabel("relative error of the attention output")
axes[0, 0].set_ylim(0, 2.5)
axes[0, 1].legend(fontsize=7)
fig

# %% [markdown]
# With Gaussian directions the error falls with m, slowly for long vectors (about 1 at length 2 with 512
# features). At the length the photo's queries and keys have, about 4.8, no number of features we tried
# approximates at all: the error stays near 1, as large as the output. The official directions have
# length √m instead of about √d, which biases the estimate: small errors for short vectors, large ones from
# length 2 on. So T2T-ViT's Performer layers are not softmax layers made cheap: they compute something
# else, and training learns to use it (the paper: T2T-ViT-14 81.5%, T2T-ViT_t-14 81.7%).
#
# ### Why is the T2T paper's ViT-S/16 twice DeiT-small?
#
# The paper's table (ImageNet, trained from scratch):
#
# | Model | Top-1 (%) | Params (M) | MACs (G) |
# |---|---|---|---|
# | ViT-S/16 | 78.1 | 48.6 | 10.1 |
# | DeiT-small | 79.9 | 22.1 | 4.6 |
# | DeiT-small-Distilled | 81.2 | 22.1 | 4.7 |
# | **T2T-ViT-14** | **81.5** | 21.5 | 4.8 |
# | T2T-ViT-14↑384 | 83.3 | 21.5* | 17.1 |
# | ViT-B/16 | 79.8 | 86.4 | 17.6 |
# | ViT-L/16 | 81.1 | 304.3 | 63.6 |
# | **T2T-ViT-24** | **82.3** | 64.1 | 13.8 |
#
# \* The ↑384 row repeats the 224 model's 21.5M; the official figure for T2T-ViT-14 at 384 is 21.7M, and
# vitlite counts 21,691,470. The difference is the fixed sinusoidal position table, one row per token:
# 577 tokens at 384 instead of 197 at 224, 380 × 384 = 145,920 more numbers (21,545,550 + 145,920). They are
# frozen, so the model trains the same weights at both sizes.
#
# "ViT-S/16" there is not the ViT-S of chapter 02 (DeiT-small's width 384, 6 heads, MLP ratio 4). It is the
# small ViT defined in timm's early code, before DeiT existed: width 768, depth 8, 8 heads, MLP ratio 3, no
# bias in q, k, v. Twice the width costs about four times the parameters per block, which more than
# makes up for having 8 blocks instead of 12:

# %%
# NBVAL_CHECK_OUTPUT
early_vit_s = vitlite.create_model("vit_base_patch16_224", depth=8, num_heads=8, mlp_ratio=3.0, qkv_bias=False, device="meta")
deit_small = vitlite.create_model("vit_small_patch16_224", device="meta")
print(f"early timm ViT-S/16 (768 wide, 8 deep, MLP x3): {count_parameters(early_vit_s) / 1e6:.2f}M   (table: 48.6M)")
without_pos = count_parameters(early_vit_s) - early_vit_s.pos_embed.numel()
print(f"  the same without its {early_vit_s.pos_embed.numel():,} position-embedding numbers: {without_pos / 1e6:.2f}M")
print(f"DeiT-small = ViT-S/16 of chapter 02 (384 wide, 12 deep): {count_parameters(deit_small) / 1e6:.2f}M   (table: 22.1M)")
assert abs(count_parameters(early_vit_s) / 1e6 - 48.6) < 0.5 and abs(count_parameters(deit_small) / 1e6 - 22.1) < 0.05

# %% [markdown]
# DeiT-small matches the table. The early ViT-S/16 comes out at 48.75M, 0.15M (0.3%) above the table's
# 48.6M, and without its position embeddings it is 48.60M, the table's figure. So the paper probably
# counted without them, though it does not say; the assertion above allows either. The factor of two is
# the width: 768 against 384.

# %% [markdown]
# ## 4 · Experiment: does the soft split recover local structure?
#
# The paper's argument: a hard split cuts edges and lines at patch borders, and a ViT trained from scratch
# never recovers that local structure; the soft split keeps it, because neighbouring tokens overlap and are
# merged step by step. In miniature, on 32×32 ShapesWorld images, three models of 128k to 144k parameters
# that all end on the same 8×8 token grid:
#
# - **ViT** (`vit_tiny_shapes`): a hard split into 4×4 patches, then four transformer layers;
# - **T2T-ViT** (`t2t_vit_tiny_shapes`): soft splits with kernels 5, 3, 3 and strides 2, 2, 1 (16×16, 8×8,
#   8×8 tokens), a token layer after each of the first two, then a backbone of three layers;
# - **T2T-ViT without token attention**: the same overlapping splits, but each token layer transforms every
#   token on its own (LayerNorms, value projection and MLP kept, attention taken out). If it keeps T2T's
#   gain, the gain comes from the splits, not from early tokens attending to each other.
#
# The task is **shapes**: circle, square, triangle, cross or ring, told apart by outlines and corners, which
# cross patch borders wherever the shape sits.
#
# Every run trains on the same 10,000 images for up to 12,000 steps (batches of 64, AdamW at 1e-3, cosine
# schedule), stops early after 4,000 steps without a better validation score, and keeps its best
# checkpoint; three seeds per model, paired by seed; chapter 02's methods box says how verdicts follow.
# The expectation, fixed before the runs:

# %%
from vitlite.metrics import accuracy
from vitlite.recipes import describe, manifest, summarize
from vitlite.recipes.t2t import T2T_LONG

study = T2T_LONG
names = {"vit": "ViT", "t2t": "T2T-ViT", "t2t_no_token_attention": "no token attention"}
print(describe(manifest(study.name)))
for arm in study.arms:
    print(f"  {names[arm.label]:<19} {count_parameters(study.build(arm, seed=0)):>8,} parameters")

# %% [markdown]
# A live run first, with the study's own code: the ViT and T2T-ViT, 300 steps each (the schedule squeezed
# into 300 steps), seed 0.

# %%
live = {}
for label in ("vit", "t2t"):
    model, history = study.train(label, seed=0, steps=300, eval_every=300, device=device)
    live[f"{names[label]}: {history.seconds:.0f} s, validation accuracy {history.final('accuracy'):.2f}"] = history
fig = viz.plot_losses(live, title="live: 300 steps on shapes (chance: ln 5 = 1.61)")
fig

# %% [markdown]
# The ViT's loss leaves chance within a few hundred steps; T2T-ViT's has barely moved. Every full T2T run
# waits at chance for 500 to 1,000 steps, then overtakes the ViT. The recorded runs:

# %%
records = study.results()
fig = viz.plot_study_curves(records, "accuracy", labels=names, title="shapes, three seeds each, up to 12,000 steps")
fig

# %% [markdown]
# The scores of the kept checkpoints, on the models' own training images and on new ones:

# %%
test_summary, train_summary = summarize(records, "accuracy", "test"), summarize(records, "accuracy", "train")
gaps = {label: [tr - te for tr, te in zip(train_summary[label]["values"], test_summary[label]["values"])] for label in names}
print(f"{'':<19} {'train acc':>14} {'test acc':>14} {'train - test':>14}   test, seeds 0, 1, 2   best steps")
for label in names:
    tr, te, gap = train_summary[label], test_summary[label], torch.tensor(gaps[label])
    best = ", ".join(f"{r['best_step']:,}" for r in records if r["label"] == label)
    print(f"{names[label]:<19} {tr['mean']:>7.3f} ±{tr['std']:.3f} {te['mean']:>7.3f} ±{te['std']:.3f} {gap.mean():>7.3f} ±{gap.std():.3f}   "
          f"{', '.join(f'{v:.3f}' for v in te['values'])}   {best}")
fig, axes = viz.figure(1, 2, panel=(4.0, 3.0))
viz.plot_seeds(axes[0, 0], test_summary, labels=names, ylabel="test accuracy (three seeds)")
axes[0, 0].axhline(0.2, color="grey", linestyle=":", linewidth=1)
axes[0, 0].text(-0.45, 0.21, "chance", fontsize=7, color="grey", ha="left")
gap_summary = {label: {"values": gaps[label], "mean": float(torch.tensor(gaps[label]).mean()), "std": float(torch.tensor(gaps[label]).std())} for label in names}
viz.plot_seeds(axes[0, 1], gap_summary, labels=names, ylabel="train minus test accuracy")
fig

# %% [markdown]
# **Your prediction.** Three rows read these runs: T2T-ViT at least 5 points above the ViT, its train -
# test gap smaller, and the model without token attention at least halfway between them. Which will the
# rule call *held*? Write down, for each, one way a run could still spoil it.
#
# The table also has three rows about the overlap, read on other studies: each compares T2T-ViT with the same
# model *without* overlap (every kernel equal to its stride), the control that would isolate the overlap,
# and counts only if that control fits its training images above chance + 0.05.

# %%
from vitlite.recipes import claims

rows = claims.report(3, expected=False)  # the tests: the expectation above, and the prompt's list
assert all(row.verdict == claims.recorded_verdict(row.claim.key) for row in rows), "records and manifests disagree: run python -m vitlite.recipes.claims --write"

# %% [markdown]
# **The three rows these runs read held; the three about the overlap are inconclusive.**
#
# 1. **T2T-ViT beats a ViT of its size: held.** 0.929 ± 0.014 test accuracy against 0.672 ± 0.015, ahead by
#    23 to 27 points in every seed. No ViT run was still improving: its best checkpoints came at steps 8,500
#    to 9,000.
# 2. **It generalises better: held.** The ViT gets 0.93 of its training images right and 0.67 of new ones (a
#    gap of 0.26), T2T-ViT all of them and 0.93 of new ones (0.07): the ViT learned its images, T2T-ViT the
#    shapes.
# 3. **The token layers' attention is not needed: held.** Without it, T2T-ViT reached 0.934 ± 0.012, level
#    with T2T-ViT itself (+0.002, +0.018 and −0.004 by seed). The gain comes from the overlapping,
#    progressively merged windows, not from attention among the early tokens, which the paper credits with
#    modelling local structure.
# 4. **The overlap itself: inconclusive, three times.** Every T2T model without overlap stayed at chance, so
#    it isolates nothing (the next cell asks why).
#
# **The lesson of the first budget.** The chapter's first study stopped every run at 3,000 steps. T2T-ViT
# led by 12 points, but two of its runs were still improving, so the gap and attention rows could not be
# graded (exercise 4 grades one). At four times the budget the lead doubled and every run reached its end
# point: a comparison is fair only where both arms have stopped improving.
#
# **Why do the models without overlap stall?** A control that never trains may be broken (no gradient
# reaches its early layers) or merely hard to train on this task. Chapter 04's check tells the two apart:
# can the model learn 32 training images by heart? Seed 0, 300 steps on those 32 images alone:

# %%
from vitlite.recipes.t2t import T2T_STUDY

memorise = {}
for label, name in (("t2t_no_overlap", "T2T-ViT without overlap"), ("t2t", "T2T-ViT")):
    model, history = T2T_STUDY.train(label, seed=0, steps=300, n_train=32, evaluate=False, device=device, progress=False)
    fitted = T2T_STUDY.scores(model, "train", 32)["accuracy"]
    memorise[f"{name}: {fitted:.0%} of the 32 images right after {history.seconds:.0f} s"] = history
    print(f"{name:<24} loss {history.loss[0]:.2f} -> {history.loss[-1]:.3f}; accuracy on its 32 images {fitted:.3f}")
fig = viz.plot_losses(memorise, title="32 training images, 300 steps: can it learn them by heart?")
fig

# %% [markdown]
# **It can.** The model without overlap learns its 32 images as fast as T2T-ViT, so its gradients flow and
# nothing in it is broken. On 10,000 images it finds no direction that helps on average, and its loss stays
# at ln 5 for thousands of steps: an optimisation plateau, not a fault. Six variants without overlap stalled
# the same way (the lab notebook's table). A control that does not train answers nothing, so no further one
# is run: *is it the overlap?* stays open here.
#
# The paper's second idea, the deep-narrow backbone (many layers of width 384 rather than fewer, wider
# ones), is not tested here: our backbones are all three or four layers of width 64.


# %% [markdown]
# ## 5 · Explore
#
# What is a token *made of*? Pick a point of the image. For each T2T stage, the explorer marks the pixels
# that the chain of soft splits gathers into the token at that point (green) and into its right-hand
# neighbour (magenta); pixels both tokens contain are white. The last panel is ViT's hard split: two
# neighbouring patches share nothing. (Only the splits are followed here, not the attention between them,
# which mixes everything with everything.) At 224 pixels a stage-0 token is only 7×7 pixels, so each
# panel repeats its yellow frame, enlarged, in the corner away from it.

# %%
from vitlite.explore import soft_split_explorer

explorer = soft_split_explorer(photo[0])
explorer

# %% [markdown]
# At fixed settings, a point on the rim of the cup:

# %%
fig = explorer.figure(y=60, x=150)
fig

# %% [markdown]
# ## 6 · Exercises
#
# **Exercise 1 · Tokens after a soft split.** Write `soft_split_tokens(size, kernel, stride, padding)`, the
# number of tokens a soft split of a size×size image makes. Then, with a pencil: how many tokens does each
# of the course model's three splits make on a 32×32 image (kernels 5, 3, 3; strides 2, 2, 1; paddings 2, 1, 1)?

# %%
def soft_split_tokens(size: int, kernel: int, stride: int, padding: int) -> int:
    raise NotImplementedError  # your code here


checks.soft_split_tokens(soft_split_tokens)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def soft_split_tokens(size, kernel, stride, padding):
#     side = (size + 2 * padding - kernel) // stride + 1
#     return side * side
# ```
# On 32×32: (32 + 4 − 5) // 2 + 1 = 16 per side, 256 tokens; then (16 + 2 − 3) // 2 + 1 = 8, 64 tokens; then
# (8 + 2 − 3) // 1 + 1 = 8 again, 64 tokens: the ViT's 8×8 grid, reached in three overlapping steps.
# </details>
#
# **Exercise 2 · Soft split by hand.** Write `soft_split(images, kernel, stride, padding)`: (B, C, H, W) →
# tokens (B, N, C·k·k), one token per window, with `F.unfold`.

# %%
def soft_split(images: torch.Tensor, kernel: int, stride: int, padding: int) -> torch.Tensor:
    raise NotImplementedError  # your code here


checks.soft_split(soft_split)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def soft_split(images, kernel, stride, padding):
#     return F.unfold(images, kernel, stride=stride, padding=padding).transpose(1, 2)
# ```
# `F.unfold` returns (B, C·k·k, N), one column per window; the transpose makes the windows the sequence.
# </details>
#
# **Exercise 3 · T2T-ViT-14 at 384×384.** Predict, before you run anything: the sides of the token grid after
# each of the three soft splits (kernels 7, 3, 3; strides 4, 2, 2; paddings 2, 1, 1) for a 384×384 image,
# and how many entries the attention matrix of the first token layer has for one image. Then say why the
# paper's T2T-ViT uses a small token width (64) there, and a Performer in its default models. Give
# `([side0, side1, side2], entries)`.

# %%
t2t_at_384 = None  # your answer, e.g. ([56, 28, 14], 1000)

checks.t2t_grids_at_384(t2t_at_384)

# %% [markdown]
# <details><summary>Solution</summary>
#
# Each soft split gives floor((size + 2·padding − kernel) / stride) + 1: 384 → **96** → **48** → **24**, so
# the backbone gets 576 tokens, as ViT/16 would. The first token layer attends among 96² = 9,216 tokens:
# **9,216² = 84,934,656** entries per head and image, 8.6 times the 3,136² (9.8 million) at 224×224: the
# count grows as the fourth power of the image side. That is why the early, fine-grained layers are
# kept narrow (64 channels), and why the default T2T-ViT models use a Performer there, whose cost grows
# linearly with the number of tokens (the `_t` variants keep softmax attention; section 3 measured what
# the Performer's approximation is worth).
# </details>

# %% [markdown]
# **Exercise 4 · Grade the gap at 3,000 steps.** The first study (`T2T_STUDY`, 3,000 steps) also measured
# the generalisation gap. Read its ViT and T2T-ViT records (`T2T_STUDY.results()`): for each seed, the ViT's
# train - test gap minus T2T-ViT's, and each run's late gain with
# `vitlite.recipes.evidence.late_gain(record, Budget(3000, "accuracy"))`. Which verdict would the rule have
# given the row (`"held"`, `"held, not robust"`, `"inconclusive"` or `"did not hold"`)? Remember which arm
# could reverse a gap.

# %%
from vitlite.recipes.evidence import Budget, late_gain

gap_verdict_at_3000 = None  # your verdict, a string

checks.t2t_gap_at_3000(gap_verdict_at_3000)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# runs = {(r["label"], r["seed"]): r for r in T2T_STUDY.results()}
# gap = lambda r: r["scores"]["train"]["accuracy"] - r["scores"]["test"]["accuracy"]
# print([round(gap(runs["vit", s]) - gap(runs["t2t", s]), 3) for s in range(3)])       # +0.026, -0.009, +0.025
# print([round(late_gain(runs["t2t", s], Budget(3000, "accuracy")), 3) for s in range(3)])  # +0.017, +0.005, +0.025
# ```
# **Inconclusive.** The mean difference (+0.014) is on the claim's side, but seed 1 disagrees, and two
# T2T-ViT runs were still improving at the end (late gains above 0.01). A gap moves either way while a run
# trains, so either arm still improving could reverse it; the rule does not grade until both have stopped.
# At 12,000 steps (section 4) every run had, and the row held.
# </details>

# %% [markdown]
# ## 7 · Summary
#
# - A soft split is an unfold: overlapping windows become tokens, so every pixel reaches several
#   neighbouring tokens. Re-structurization lays tokens back out as an image so the next split can merge
#   neighbours. Three rounds take 224 pixels to 56, 28 and 14 tokens per side.
# - The token layers change width, so their skip connection is the value; the backbone is a deep-narrow
#   ViT with a fixed sinusoidal position table. Our T2T-ViT-7, -14 and -24 have the published sizes, with the
#   frozen tables counted as the official code counts them.
# - The T2T paper's "ViT-S/16" is an early, 768-wide timm model, not DeiT-small (22.1M): 48.75M by our
#   count, 48.60M without position embeddings, 48.6M in the table.
# - In miniature, three seeds, every run to its end point: T2T-ViT beat a ViT of its size by 26 points on
#   shapes (0.929 against 0.672) and generalised far better (gap 0.07 against 0.26); without token attention
#   it lost nothing (0.934). At 3,000 steps the same rows could not be graded.
# - Every model without overlap stayed at chance on 10,000 images, though it can learn 32 by heart, so
#   whether the overlap itself is what wins stays open.
#
# **Take-home message.** ViT's weakness from scratch is partly how it cuts the image: a tokeniser of
# overlapping, progressively merged windows did far better than hard patches on a task whose structure
# crosses patch borders, and the attention between early tokens was not what made it better. Which part of
# the tokeniser does the work is the question a control has to answer, and a control answers only if it
# trains.

# %% [markdown]
# ## Glossary · 용어
#
# The terms this chapter introduced (one list for the whole course, `vitlite.glossary`):

# %%
from IPython.display import Markdown

from vitlite import glossary

Markdown(glossary.table(3))

# %% [markdown]
# ## Lab notebook: how we got here (optional)
#
# The runs that led to section 4's study, for the curious; nothing above depends on them.
#
# **The pilot**, `soft_split`: the ViT and T2T-ViT once each, for equal training *time* (a T2T step costs
# about 1.6 ViT steps, so 4,800 steps against 3,000), on shapes and on textures, one seed. Its checkpoints,
# scored on the same 2,000 test images:

# %%
from vitlite.recipes import SOFT_SPLIT, load_checkpoint

pilot = {}
for run in manifest("soft_split")["runs"]:
    model, _ = load_checkpoint("soft_split", SOFT_SPLIT.checkpoint(run["label"], run["variant"]))
    pilot[run["label"], run["variant"]] = accuracy(model, SOFT_SPLIT.test_set(run["variant"]))
for variant in ("shape", "texture"):
    print(f"pilot, {variant + 's':<8}: ViT {pilot['vit', variant]:.3f}   T2T-ViT {pilot['t2t', variant]:.3f}   (one seed each)")
fig = viz.show_scenes(SOFT_SPLIT.test_set("texture"), n=8)
fig

# %% [markdown]
# On textures both are nearly perfect; on shapes the soft split won by about ten points, at equal time.
#
# **The first study**, `t2t`, at equal steps: 3,000 for every run, three seeds, and the control without
# overlap beside the two models; the model without token attention came later (`t2t_no_token_attention`, the
# same settings). Their scores:

# %%
from vitlite.recipes.t2t import T2T_NO_TOKEN_ATTENTION

short = T2T_STUDY.results() + T2T_NO_TOKEN_ATTENTION.results()
short_names = {"vit": "ViT", "t2t": "T2T-ViT", "t2t_no_token_attention": "no token attention", "t2t_no_overlap": "no overlap"}
short_test, short_train = summarize(short, "accuracy", "test"), summarize(short, "accuracy", "train")
print(describe(manifest(T2T_STUDY.name)))
for label, name in short_names.items():
    at_end = sum(r["best_step"] == r["steps"] for r in short if r["label"] == label)
    print(f"{name:<19} test {short_test[label]['mean']:.3f} ± {short_test[label]['std']:.3f} (seeds {', '.join(f'{v:.3f}' for v in short_test[label]['values'])}), "
          f"train {short_train[label]['mean']:.3f}; best at the last evaluation: {at_end} of 3")
fig = viz.plot_study_curves(short, "accuracy", labels=short_names, title="the first study: 3,000 steps, three seeds each")
fig

# %% [markdown]
# T2T-ViT led by twelve points, with seeds from 0.65 to 0.84: each run waits on the plateau at chance for a
# different number of steps, and the late starter has the least time left. Its gap between training and test
# images was smaller on the means only (0.065 against 0.079, less than the seeds' spread), and neither model
# had yet fitted its training images. The control without overlap never left chance. Those are the reasons
# section 4's study has four times the budget.
#
# **Six models without overlap.** Each was defined, with its test, before its runs; each had to fit its
# training images above chance + 0.05 before its comparison could count:

# %%
from vitlite.recipes.t2t import T2T_CONTROL_INIT_PILOT, T2T_CONTROL_PILOT, T2T_LEARNED_POS, T2T_LEARNED_POS_PILOT, T2T_MLP_NO_OVERLAP

variants = [
    (T2T_STUDY, "t2t_no_overlap", "kernels = strides 2/2/1, tokens 44 wide"),
    (T2T_CONTROL_PILOT, "t2t_hard_split", "a hard 4x4 first split, then 1x1 re-reads (4/1/1)"),
    (T2T_CONTROL_INIT_PILOT, "t2t_no_overlap_init", "the first, last projection drawn 0.044 (tokens as spread as T2T-ViT's)"),
    (T2T_MLP_NO_OVERLAP, "t2t_mlp_no_overlap", "no token attention either (the model that trains, overlap taken out)"),
    (T2T_LEARNED_POS_PILOT, "t2t_no_overlap_learned_pos", "the first with a learned position table"),
    (T2T_LEARNED_POS, "t2t_no_overlap_learned_pos", "the same, up to 12,000 steps with patience"),
]
print(f"{'variant':<72} {'steps':>6} {'train (per seed)':>22} {'test (per seed)':>22}")
for owner, label, about in variants:
    runs = [r for r in owner.results() if r["label"] == label]
    train, test = (", ".join(f"{r['scores'][split]['accuracy']:.2f}" for r in runs) for split in ("train", "test"))
    print(f"{about:<72} {owner.steps:>6,} {train:>22} {test:>22}")
print("chance: 0.20; the check: train above 0.25")

# %% [markdown]
# Only the learned-table pilot's one seed crossed the check, late (0.295 at its last evaluation); the
# three-seed pair it opened stalled again (seeds 0 and 1 never left chance; seed 2 crept to 0.28 after step
# 9,000). Two hypotheses were tested on the way and did not explain the stall. Tiny first tokens: the hard
# 4×4 split did not train either. A weak first signal: at initialisation the control's tokens vary about half
# as much from image to image as T2T-ViT's, because every linear layer starts with weights of spread 0.02
# whatever its number of inputs, and the control's last projection reads 44 numbers against T2T-ViT's 216;
# drawn with spread 0.02 × √(216 / 44) ≈ 0.044, it starts as spread, and still stalled:

# %%
from vitlite.recipes.t2t import CONTROL_PROJECT_STD

probe = torch.stack([T2T_STUDY.dataset("train", 128)[i][0] for i in range(128)])
starts = {"T2T-ViT": (T2T_STUDY, "t2t"), "no overlap": (T2T_STUDY, "t2t_no_overlap"), "hard 4x4 split": (T2T_CONTROL_PILOT, "t2t_hard_split"),
          "no overlap, projection std 0.044": (T2T_CONTROL_INIT_PILOT, "t2t_no_overlap_init")}
for name, (owner, label) in starts.items():
    per_seed = []
    for seed in range(3):
        model = owner.build(label, seed=seed).eval()
        with torch.no_grad():
            per_seed.append(model.tokens_to_token(probe).std(0).mean().item())  # spread across images, averaged over tokens and channels
    print(f"{name:<33} last projection reads {model.tokens_to_token.project.in_features:>3} numbers; token spread across images at init: {', '.join(f'{v:.3f}' for v in per_seed)}")
print(f"position table spread: {model.pos_embed.std().item():.2f};  0.02 * sqrt(216 / 44) = {CONTROL_PROJECT_STD:.4f}")

# %% [markdown]
# **The learned position table.** The pair also showed T2T-ViT itself, with a learned table, at 0.951 ± 0.008
# after up to 12,000 steps, against 0.741 for the first study's fixed table at 3,000: not a controlled
# comparison (four times the steps). A study at equal steps (`t2t_learned_table`, 3,000 steps, the first
# study's seeds) tested the table alone, with the threshold +0.05 fixed before its runs: it did not hold.

# %%
from vitlite.recipes.t2t import T2T_LEARNED_TABLE

for owner, label, name in ((T2T_STUDY, "t2t", "fixed table, 3,000 steps"), (T2T_LEARNED_TABLE, "t2t_learned_pos", "learned table, 3,000 steps"),
                           (T2T_LEARNED_POS, "t2t_learned_pos", "learned table, up to 12,000"), (T2T_LONG, "t2t", "fixed table, up to 12,000")):
    runs = [r for r in owner.results() if r["label"] == label]
    test, train = (", ".join(f"{r['scores'][split]['accuracy']:.3f}" for r in runs) for split in ("test", "train"))
    print(f"T2T-ViT, {name:<28} test {test}; train {train}")

# %% [markdown]
# At equal steps one learned-table seed never left chance (train 0.210) while two reached 0.84 and 0.80:
# no better on the mean, and less reliable. Section 4's study then settles the reading: with the fixed table
# and the long budget T2T-ViT reaches 0.93, so the 0.951 was mostly the budget. Had the stuck seed been
# dropped as a "failed run", the learned table would have looked better: that is why seeds are fixed before
# the runs and every one counts.
#
# The first study's checkpoints (seed 0 of each model) score what their records say on images generated
# just now (a seed no run has seen):

# %%
fresh = T2T_STUDY.shapes_world().classification(1000, seed=7, variant="shape")
for label in ("vit", "t2t", "t2t_no_overlap"):
    model, meta = T2T_STUDY.load(label)
    print(f"{short_names[label]:<11} seed 0: recorded test accuracy {meta['scores']['test']['accuracy']:.3f}, on fresh images {accuracy(model, fresh):.3f}")


# %% [markdown]
# ## References
#
# 1. L. Yuan et al. Tokens-to-Token ViT: Training Vision Transformers from Scratch on ImageNet. ICCV 2021.
#    Code: [github.com/yitu-opensource/T2T-ViT](https://github.com/yitu-opensource/T2T-ViT).
# 2. K. Choromanski et al. Rethinking Attention with Performers. ICLR 2021.
# 3. H. Touvron et al. Training data-efficient image transformers & distillation through attention. ICML 2021.
# 4. A. Dosovitskiy et al. An Image is Worth 16x16 Words. ICLR 2021 (chapter 02).
