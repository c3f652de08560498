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
# # Chapter 07 · DETR: detection as set prediction
#
# **Paper:** Nicolas Carion, Francisco Massa, Gabriel Synnaeve, Nicolas Usunier, Alexander Kirillov, Sergey
# Zagoruyko. *End-to-End Object Detection with Transformers.* ECCV 2020.
# [arXiv:2005.12872](https://arxiv.org/abs/2005.12872)
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vitlite/vitlite/blob/main/chapters/07_detr.ipynb)
#
# **Runtime:** about 41 s on a 2-core CPU (AMD EPYC), measured by `python -m vitlite.bench`.
#
# By the end of this chapter you can:
#
# 1. convert box formats, compute IoU and generalised IoU, and score detections with COCO-style average
#    precision;
# 2. find the best one-to-one matching between predictions and objects with the Hungarian algorithm;
# 3. build DETR (sine position encodings, a transformer encoder and decoder with object queries, class
#    and box heads) and its set loss, and check DETR-R50 and -R101 against the paper and Hugging Face;
# 4. compare DETR with a dense one-stage detector that needs non-maximum suppression, on small and large
#    objects, over the course of training, with and without NMS;
# 5. look at the matching, at what one object query attends to, and at where each query predicts.

# %% [markdown]
# ## Study card · 스터디 카드
#
# | | English | 한국어 |
# |---|---|---|
# | **Purpose · 목적** | Use a transformer for object detection, and remove the hand-designed parts of detection pipelines (anchor boxes, the assignment of anchors to objects, non-maximum suppression) that encode prior knowledge. | 트랜스포머를 객체 검출에 사용하고, 사전 지식을 담은 손으로 설계한 부분(앵커 박스, 앵커와 객체의 할당 규칙, 비최대 억제(NMS))을 검출 파이프라인에서 없앤다. |
# | **Method · 방법** | Detection as *direct set prediction*: a CNN backbone, a transformer encoder over the feature map, and a decoder that turns N learned *object queries* into N (class, box) pairs in parallel; training matches predictions to objects one-to-one by *bipartite matching* (the Hungarian algorithm, on a cost of class probability, L1 and generalised IoU), and unmatched predictions learn "no object". | 검출을 *직접 집합 예측* 문제로 푼다. CNN 백본, 특징 맵 위의 트랜스포머 인코더, 학습된 N개의 *객체 쿼리*를 병렬로 N개의 (클래스, 박스) 쌍으로 바꾸는 디코더. 학습 시 *이분 매칭*(헝가리안 알고리즘, 클래스 확률·L1·일반화 IoU 비용)으로 예측과 객체를 일대일로 짝짓고, 짝이 없는 예측은 "객체 없음"을 배운다. |
# | **Strengths · 장점** | A simple, end-to-end pipeline with no NMS and no anchors; matches a tuned Faster R-CNN on COCO (42.0 AP for both at about 41M parameters) and is much better on large objects (AP_L 61.1 against 52.5), thanks to the encoder's global attention; extends to panoptic segmentation. | NMS와 앵커가 없는 단순한 종단간 파이프라인. COCO에서 잘 튜닝된 Faster R-CNN과 대등하고(약 41M 파라미터에서 둘 다 42.0 AP), 인코더의 전역 어텐션 덕분에 큰 객체에서 훨씬 좋다(AP_L 61.1 대 52.5). 파노픽 분할로 확장된다. |
# | **Limitations · 한계** | Worse on small objects (AP_S 20.5 against 24.2: one low-resolution feature map); very slow to train (500 epochs against Faster R-CNN's 36); the matching is unstable early in training, which later work (DN-DETR, DINO: chapter 08) fixes. | 작은 객체에서 약하다(AP_S 20.5 대 24.2, 해상도가 낮은 특징 맵 하나만 씀). 학습이 매우 느리다(Faster R-CNN의 36 에폭에 비해 500 에폭). 학습 초기에 매칭이 불안정하며, 이는 후속 연구(DN-DETR, DINO: 8장)가 해결한다. |
# | **Evaluation · 검증방법** | COCO 2017 detection: AP over IoU 0.5:0.95, AP50, AP75 and AP by object size (S, M, L), against Faster R-CNN at similar parameters and FLOPs; ablations of the encoder depth, the decoder's auxiliary losses and the loss terms; panoptic quality. | COCO 2017 검출: IoU 0.5:0.95 평균 AP, AP50, AP75, 크기별 AP(S, M, L)를 비슷한 파라미터와 FLOPs의 Faster R-CNN과 비교. 인코더 깊이, 디코더 보조 손실, 손실 항의 절제 실험. 파노픽 품질. |
#
# **For discussion · 토론 질문**
#
# 1. DETR matches Faster R-CNN's AP but needs ten times the epochs. Which part of the set-prediction
#    pipeline makes early training hard, and what would you change first? · DETR는 Faster R-CNN과 AP가
#    같지만 에폭이 열 배 필요하다. 집합 예측 파이프라인의 어느 부분이 초기 학습을 어렵게 하며, 무엇을
#    먼저 바꾸겠는가?
# 2. Two detectors with different APs are compared by their shares on small and large objects. Why can
#    that mislead, and how does comparing them at equal AP fix it? · AP가 다른 두 검출기를 작은·큰 객체의
#    비율로 비교하면 왜 오해를 낳을 수 있으며, 같은 AP에서 비교하면 무엇이 해결되는가?

# %% [markdown]
# ## Setup

# %%
import subprocess
import sys

if "google.colab" in sys.modules:  # Colab: install the course's helper package from the repository
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "vitlite @ git+https://github.com/vitlite/vitlite"], check=True)

import itertools
import math

import torch
import torch.nn.functional as F
from IPython.display import display

import vitlite
from vitlite import boxes as B
from vitlite import checks, schematics, viz
from vitlite.layers import count_parameters
from vitlite.models import detr

device = vitlite.env.setup(seed=0)

# %% [markdown]
# ## Architecture at a glance
#
# A CNN turns the image into a small feature map; its H·W positions become a sequence for a transformer
# encoder; a decoder turns N learned object queries into N predictions at once. Training pairs the N
# predictions with the M objects of the image one to one, so every object has exactly one prediction to
# answer for it and the other N − M learn to say "no object". Shapes below are those of the course-size
# model trained in this chapter, read off as it ran.

# %%
fig = schematics.detr(vitlite.create_model("detr_tiny_shapes"))
fig

# %% [markdown]
# ## 1 · Boxes, IoU and generalised IoU
#
# DETR predicts boxes as (cx, cy, w, h), normalised to the image; overlaps are computed on corners
# (x0, y0, x1, y1). *IoU* is the area of the intersection over the area of the union. It is 0 for every
# pair of disjoint boxes, however far apart, so as a loss it gives no gradient to a box that misses.
# *Generalised IoU* (Rezatofighi et al., CVPR 2019) subtracts the part of the smallest enclosing box C
# that the two boxes do not cover: GIoU = IoU − |C \ (A ∪ B)| / |C|. It keeps falling as the boxes move
# apart, down to −1.

# %%
# NBVAL_CHECK_OUTPUT
a = torch.tensor([[0.3, 0.5, 0.2, 0.2]])  # cx, cy, w, h
b = torch.tensor([[0.4, 0.5, 0.2, 0.2]])
xa, xb = B.cxcywh_to_xyxy(a), B.cxcywh_to_xyxy(b)
inter = (torch.minimum(xa[:, 2:], xb[:, 2:]) - torch.maximum(xa[:, :2], xb[:, :2])).clamp(min=0).prod(-1)
union = (xa[:, 2:] - xa[:, :2]).prod(-1) + (xb[:, 2:] - xb[:, :2]).prod(-1) - inter
hull = (torch.maximum(xa[:, 2:], xb[:, 2:]) - torch.minimum(xa[:, :2], xb[:, :2])).prod(-1)
iou, giou = inter / union, inter / union - (hull - union) / hull
print(f"IoU {iou.item():.4f} = vitlite {B.box_iou(xa, xb).item():.4f};  GIoU {giou.item():.4f} = vitlite {B.generalized_box_iou(xa, xb).item():.4f}")

# %% [markdown]
# Slide the second box away from the first: IoU drops to 0 and stays there; GIoU keeps falling, so a
# missed box still learns which way to move.

# %%
shifts = torch.linspace(0, 0.6, 61)
moved = torch.cat([a[:, :1] + shifts[:, None], a[:, 1:].expand(len(shifts), 3)], dim=1)
ious = B.box_iou(xa, B.cxcywh_to_xyxy(moved))[0]
gious = B.generalized_box_iou(xa, B.cxcywh_to_xyxy(moved))[0]
fig, axes = viz.figure(1, 1, panel=(4.6, 2.8))
axes[0, 0].plot(shifts, ious, label="IoU")
axes[0, 0].plot(shifts, gious, label="generalised IoU")
axes[0, 0].axhline(0, color="0.7", linewidth=0.8)
axes[0, 0].set_xlabel("shift of the second box (box width 0.2)")
axes[0, 0].legend(fontsize=8)
fig

# %% [markdown]
# ## 2 · The Hungarian algorithm
#
# DETR makes N predictions for an image with M objects (N ≥ M). To train it, every object needs one
# prediction that answers for it: the *matching* of lowest total cost, where the cost of pairing
# prediction i with object j is
#
# $$C_{ij} = -\lambda_{\text{cls}}\, \hat p_i(c_j) + \lambda_{L1} \lVert b_j - \hat b_i \rVert_1 - \lambda_{\text{giou}}\, \mathrm{GIoU}(b_j, \hat b_i), \qquad \lambda = (1, 5, 2).$$
#
# Trying every assignment costs N!/(N−M)!; the Hungarian algorithm (Kuhn 1955) finds the best in
# O(N M²). vitlite's version grows the matching one object at a time, each time along the cheapest
# path of re-assignments; the test suite checks it against SciPy's on thousands of random matrices,
# ties and forbidden (infinite) pairs included. Here, against brute force:

# %%
# NBVAL_CHECK_OUTPUT
from vitlite.matching import linear_sum_assignment

gen = torch.Generator().manual_seed(0)
cost = torch.randint(0, 10, (6, 3), generator=gen).float()  # 6 predictions, 3 objects
best = min(itertools.permutations(range(6), 3), key=lambda rows: sum(cost[r, j] for j, r in enumerate(rows)))
rows, cols = linear_sum_assignment(cost)
print(cost)
print("brute force: objects 0, 1, 2 <- predictions", best, "total", sum(cost[r, j].item() for j, r in enumerate(best)))
print("Hungarian:   ", dict(sorted(zip(cols.tolist(), rows.tolist()))), "total", cost[rows, cols].sum().item())

# %% [markdown]
# ## 3 · DETR, piece by piece
#
# **Position encodings.** The encoder sees a set of feature vectors; where they came from is added as a
# fixed 2-D sine encoding: half the channels encode the row and half the column, each as sines and cosines
# of the (normalised) coordinate at geometric frequencies. DETR adds them to the queries and keys of every
# attention layer, never to the values.

# %%
# NBVAL_CHECK_OUTPUT
pos = detr.sine_position_encoding(1, 8, 8, num_pos_feats=64)
print("encoding of an 8x8 map for width 128:", tuple(pos.shape))
y = torch.arange(1, 9) / (8 + 1e-6) * 2 * math.pi  # rows 1..8, normalised, times 2 pi
print("channel 0 (sin of the row), column 0:", torch.allclose(pos[0, 0, :, 0], y.sin()), "; channel 64 (sin of the column), row 0:", torch.allclose(pos[0, 64, 0, :], y.sin()))

# %% [markdown]
# **The encoder layer** is the transformer's, *post-norm* (LayerNorm after each residual sum), with the
# positions added to queries and keys. One layer by hand, against vitlite's:

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
layer = detr.EncoderLayer(dim=32, num_heads=4, ffn_dim=64, dropout=0.0).eval()
x, p = torch.randn(2, 16, 32), torch.randn(2, 16, 32)
attn = layer.self_attn
q, k, v = attn.q_proj(x + p), attn.k_proj(x + p), attn.v_proj(x)  # positions on queries and keys only
split = lambda t: t.view(2, 16, 4, 8).transpose(1, 2)  # noqa: E731  (B, heads, N, head_dim)
weights = (split(q) @ split(k).transpose(-2, -1) / 8**0.5).softmax(-1)
mixed = attn.out_proj((weights @ split(v)).transpose(1, 2).reshape(2, 16, 32))
h = layer.norm1(x + mixed)
out = layer.norm2(h + layer.ffn(h))
print("encoder layer", tuple(out.shape), "equal to vitlite's:", torch.allclose(out, layer(x, p), atol=1e-5))

# %% [markdown]
# **The decoder** starts from zeros: the N object queries are *position encodings* of the output, learned
# embeddings added to the queries (and keys) of its self-attention and to the queries of its
# cross-attention, where the keys are the encoder's memory plus its positions. Self-attention lets the
# predictions see each other, which is what allows a set to come out without duplicates. After every
# layer the same final LayerNorm gives an output on which the heads can predict, so every layer can be
# trained (the *auxiliary losses*). The heads: a linear layer to K + 1 class scores (the last is "no
# object") and a 3-layer MLP to a box, through a sigmoid.

# %%
# NBVAL_CHECK_OUTPUT
model = vitlite.create_model("detr_tiny_shapes").eval()
images = torch.rand(2, 3, 64, 64)
with torch.no_grad():
    memory, positions, grid = model.encode(images)
    hidden = model.decode(memory, positions)
    out = model(images)
print("memory", tuple(memory.shape), "on a", grid, "map; decoder outputs:", [tuple(h.shape) for h in hidden])
print("pred_logits", tuple(out["pred_logits"].shape), "pred_boxes", tuple(out["pred_boxes"].shape))
print("heads on the last layer:", torch.allclose(out["pred_logits"], model.class_embed(hidden[-1]), atol=1e-6))

# %% [markdown]
# **The set loss.** Match, then: cross-entropy on the class of *every* query (matched queries against
# their object's class, the others against "no object", whose weight is lowered to 0.1 because most
# queries are empty), plus L1 and GIoU losses on the matched boxes, averaged over the objects. The same
# loss is applied to every decoder layer's output. Step by step on one image:

# %%
from vitlite.data import ShapesWorld

scene = ShapesWorld(image_size=64, size_range=(0.08, 0.3)).detection(1, seed=3)
image, target = scene[0]
with torch.no_grad():
    out = model(image[None])
costs = detr.matching_costs(out["pred_logits"][0], out["pred_boxes"][0], target)
print("objects:", [scene.classes[int(c)] for c in target["labels"]], "; matched queries:", costs["rows"].tolist(), "-> objects", costs["cols"].tolist())
for term in ("class", "l1", "giou"):
    print(f"  {term:>5} cost of the matching: {costs[term][costs['rows'], costs['cols']].sum():+.3f}")
loss, logs = model.train().loss(model(image[None]), [target])
print("loss", {k: round(v, 3) for k, v in logs.items()}, "total with the auxiliary layer:", round(loss.item(), 3))

# %% [markdown]
# ## 4 · Fidelity
#
# The paper's DETR-R50 and -R101 on the meta device, against the official code's counts (every
# parameter; the ResNet's frozen batch norm holds buffers only), and the number the official script
# trains: it freezes the backbone's stem and first stage.

# %%
# NBVAL_CHECK_OUTPUT
for name, total, trainable in (("detr_resnet50", 41_524_768, 41_302_368), ("detr_resnet101", 60_464_672, 60_242_272)):
    model = vitlite.create_model(name, device="meta")
    ours = count_parameters(model)
    model.backbone.freeze_like_detr()
    print(f"{name:<15} {ours:>11,} parameters (official {total:,}), {count_parameters(model, trainable_only=True):,} trained (official {trainable:,})")
    assert ours == total and count_parameters(model, trainable_only=True) == trainable

# %% [markdown]
# `vitlite.hub.from_transformers` converts Hugging Face's `DetrForObjectDetection` built with its own
# ResNet (`use_timm_backbone=False`). The test suite proves logits and boxes equal at four configurations
# (bottleneck and basic blocks, widths and depths, 1 to 3 encoder and decoder layers, 2 to 8 heads, 3 to
# 11 queries, square and non-square images). One difference does not change outputs but changes training:
# Hugging Face freezes the whole ResNet, the official code trains its last three stages (at a tenth of the
# learning rate). Here, a small random DETR:

# %%
torch.manual_seed(0)
small = dict(use_timm_backbone=False, use_pretrained_backbone=False, d_model=64, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=128, decoder_ffn_dim=128, num_queries=12, num_labels=5)
build = lambda t: t.DetrForObjectDetection(t.DetrConfig(backbone_config=t.ResNetConfig(depths=[1, 1, 1, 1], hidden_sizes=[32, 64, 96, 128], embedding_size=16, out_features=["stage4"]), **small))  # noqa: E731
difference = vitlite.hub.compare_with_transformers(build, torch.randn(1, 3, 96, 128), "a small DETR at 96x128, random weights", weights_std=0.1)

# %% [markdown]
# ## 5 · Experiment: set prediction against a dense detector with NMS
#
# The paper's headline (COCO val, AP in %; the Faster R-CNN with FPN and DETR both have about 41M
# parameters):
#
# | model | AP | AP50 | AP75 | AP_S | AP_M | AP_L |
# |---|---|---|---|---|---|---|
# | Faster R-CNN-FPN+ (R50) | 42.0 | 62.1 | 45.5 | 26.6 | 45.4 | 53.4 |
# | DETR (R50) | 42.0 | 62.4 | 44.2 | 20.5 | 45.8 | 61.1 |
# | DETR-DC5-R101 | 44.9 | 64.7 | 47.7 | 23.7 | 49.5 | 62.3 |
#
# The same AP overall, better on large objects, worse on small ones, with no anchors and no NMS; and a
# training schedule about ten times as long (500 epochs). In miniature, on 64×64 ShapesWorld detection
# (one to three objects of five shapes, radius 5 to 19 pixels, occluding each other), two detectors on
# the same small backbone (a 3×3 stem and three stages of basic blocks, an 8×8 feature map):
#
# - **DETR** (`detr_tiny_shapes`, 1.02M parameters, learning rate 2e-4): two encoder and two decoder layers
#   of width 128, ten object queries, the paper's costs and losses, no NMS;
# - **a dense detector** (`dense_tiny_shapes`, 0.70M parameters, learning rate 1e-3): every cell of the 8×8
#   map predicts class scores, a box and a centerness, FCOS-style; duplicates are removed by class-wise NMS
#   at IoU 0.6.
#
# Each arm keeps the learning rate of the pilot (DETR's is twice the paper's 1e-4, the dense detector's a
# usual AdamW rate for a small CNN); a control below gives DETR the dense detector's rate.
#
# AP is COCO's (IoU 0.50 to 0.95), computed as pycocotools does; the size bands are relative to the
# image: *small* boxes are under a quarter of the image side squared (16² px), *large* over half of it
# (32² px). A one-seed pilot at 3,000 steps gave the dense detector 0.75 AP (0.53 after only 500 steps)
# and DETR 0.41, still rising. The main runs double the budget for both, three seeds each. The
# expectation, fixed after the pilot and before the runs (graded below by the course's rule, chapter 02's
# methods box):
#
# 1. DETR converges more slowly: it still trails the dense detector at 6,000 steps, and gains more AP than
#    it over the last third of training;
# 2. relative to its own AP, DETR is weaker on small objects and stronger on large ones than the dense
#    detector (lower AP_S / AP, higher AP_L / AP);
# 3. DETR needs no NMS: adding NMS changes its AP by less than 1 point, while removing NMS costs the
#    dense detector more than 10 points. This is the control for the paper's mechanism: if the set loss
#    really teaches DETR's queries not to duplicate each other, NMS has nothing left to remove.

# %%
from vitlite.metrics import detection_scores
from vitlite.recipes import describe, manifest, provenance, summarize
from vitlite.recipes.detr import DETR_VS_DENSE

study = DETR_VS_DENSE
names = {"detr": "DETR", "dense": "dense + NMS"}
test_set = study.dataset("test")
fig = viz.show_scenes(test_set, n=8)
fig

# %% [markdown]
# First a live run with the recipe's own model, loss, optimiser settings and data (2,000 of its training
# images), 80 steps each and no evaluation: scoring AP on the validation set takes longer than the training.

# %%
live = {}
for label in ("dense", "detr"):
    arm = study.arm(label)
    model, history = study.train(arm, seed=0, steps=80, n_train=2000, evaluate=False, device=device)  # the recipe's own settings
    live[f"{names[label]}: {history.seconds:.0f} s for 80 steps"] = history
fig = viz.plot_losses(live, title="live: 80 steps (each model's own loss, so compare shapes, not heights)")
fig

# %% [markdown]
# The full runs took about three CPU hours, so `vitlite.recipes` made them once. Every seed's validation
# AP over training, and the same for small and large objects:

# %%
record = manifest(study.name)
print(provenance(record))
records = study.results()
fig = viz.plot_study_curves(records, "AP", labels=names, title="the recipe's runs: validation AP every 500 steps, three seeds each", also=("AP_small", "AP_large"))
fig

# %%
metrics = ["AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large", "AP_nms", "AP_raw"]
table = {m: summarize(records, m, "test") for m in metrics}
train_ap = summarize(records, "AP", "train")
print(f"{'':<13}" + "".join(f"{m:>14}" for m in ["train AP"] + metrics))
for label in names:
    cells = [f"{train_ap[label]['mean']:.3f}±{train_ap[label]['std']:.3f}"] + [f"{table[m][label]['mean']:.3f}±{table[m][label]['std']:.3f}" for m in metrics]
    print(f"{names[label]:<13}" + "".join(f"{c:>14}" for c in cells))
print("(AP_nms: with class-wise NMS at IoU 0.6; AP_raw: with no NMS; the dense detector's own AP uses NMS, DETR's does not)")

# %%
def mean(metric: str, label: str) -> float:
    return table[metric][label]["mean"]


def late_gain(label: str) -> float:
    """Validation AP gained over the last third of training (steps 4,000 to 6,000), mean over the seeds."""
    gains = []
    for r in records:
        if r["label"] == label:
            steps, ap = r["history"]["eval_step"], r["history"]["metrics"]["AP"]
            gains.append(ap[steps.index(6000)] - ap[steps.index(4000)])
    return sum(gains) / len(gains)


fig, axes = viz.figure(1, 3, panel=(3.4, 3.0))
viz.plot_seeds(axes[0, 0], table["AP"], labels=names, ylabel="test AP (three seeds)")
for i, label in enumerate(names):
    axes[0, 1].bar([i - 0.2, i + 0.2], [mean("AP_small", label) / mean("AP", label), mean("AP_large", label) / mean("AP", label)], width=0.38, color=["C2", "C3"], label=["small / all", "large / all"] if i == 0 else None)
axes[0, 1].set_xticks(range(len(names)), list(names.values()), fontsize=8)
axes[0, 1].set_title("AP by size, relative to the model's AP", fontsize=9)
axes[0, 1].legend(fontsize=7)
for i, label in enumerate(names):
    axes[0, 2].bar([i - 0.2, i + 0.2], [mean("AP_raw", label), mean("AP_nms", label)], width=0.38, color=["0.6", "C0"], label=["no NMS", "NMS at 0.6"] if i == 0 else None)
axes[0, 2].set_xticks(range(len(names)), list(names.values()), fontsize=8)
axes[0, 2].set_title("test AP without and with NMS", fontsize=9)
axes[0, 2].legend(fontsize=7)
print(f"late gain (steps 4,000 to 6,000): DETR {late_gain('detr'):+.3f}, dense {late_gain('dense'):+.3f}")
print(f"AP_S / AP: DETR {mean('AP_small', 'detr') / mean('AP', 'detr'):.2f}, dense {mean('AP_small', 'dense') / mean('AP', 'dense'):.2f};  AP_L / AP: DETR {mean('AP_large', 'detr') / mean('AP', 'detr'):.2f}, dense {mean('AP_large', 'dense') / mean('AP', 'dense'):.2f}")
print(f"NMS: DETR {mean('AP_nms', 'detr') - mean('AP', 'detr'):+.3f} when added;  dense {mean('AP_raw', 'dense') - mean('AP', 'dense'):+.3f} when removed")
fig

# %% [markdown]
# The paper compares the size profiles **at equal AP** (42.0 for both). Ours end at 0.55 against 0.77, and a
# detector's shares move as it trains, so compare like with like: DETR at its last evaluation against the
# dense detector at the evaluation whose validation AP is closest to DETR's, seed by seed
# (`vitlite.recipes.detr.at_equal_ap`).

# %%
from vitlite.recipes.detr import at_equal_ap

by_seed = {(r["label"], r["seed"]): r for r in records}
print("seed   DETR: step   AP  S/AP  L/AP  |  dense: step   AP  S/AP  L/AP")
for seed in study.seeds:
    pair = at_equal_ap(by_seed["detr", seed], by_seed["dense", seed])
    slow, fast = pair["slow"], pair["fast"]
    print(f"{seed:>4}  {slow['step']:>10,} {slow['AP']:.3f} {slow['small']:.2f}  {slow['large']:.2f}  |  {fast['step']:>11,} {fast['AP']:.3f} {fast['small']:.2f}  {fast['large']:.2f}")

# %% [markdown]
# **The learning rate, a control.** Does the dense detector's five times higher rate explain the gap? A
# one-seed pilot of DETR at 1e-3 closed most of it; then three seeds, paired with the dense detector's
# runs. The expectation, fixed after the pilot:

# %%
from vitlite.recipes.detr import DETR_LR

print(describe(manifest(DETR_LR.name)))
lr_records = DETR_LR.results()
lr_names = {**names, "detr_lr1e-3": "DETR at 1e-3"}
for seed in study.seeds:
    ap = {label: by_seed[label, seed]["scores"]["test"]["AP"] for label in names}
    ap_lr = next(r for r in lr_records if r["seed"] == seed)["scores"]["test"]["AP"]
    print(f"seed {seed}: test AP  DETR {ap['detr']:.3f}   DETR at 1e-3 {ap_lr:.3f}   dense {ap['dense']:.3f}")
fig = viz.plot_study_curves(records + lr_records, "AP", labels=lr_names, title="DETR at 2e-4 and at 1e-3, and the dense detector, three seeds each")
fig

# %% [markdown]
# **Your prediction.** Which of the four rows will the course's rule call *held*? DETR trails in every
# seed, and its curves still rise. Write down one reason per row, then run the cell.

# %%
from vitlite.recipes import claims

rows = claims.report(7, expected=False)  # the expectations: above, and with the control's record
assert all(row.verdict == claims.recorded_verdict(row.claim.key) for row in rows), "records and manifests disagree: run python -m vitlite.recipes.claims --write"

# %% [markdown]
# **None of the four held.**
#
# 1. **DETR converges more slowly: inconclusive.** After 6,000 steps it reaches 0.548 ± 0.021 test AP
#    against the dense detector's 0.772 ± 0.004, and over the last third of training it gained more in
#    every seed (+0.038 validation AP against +0.014): the dense detector had 0.53 after 500 steps, DETR
#    needed about 2,500 to pass 0.4. But DETR, the arm that should lose, was still improving in every
#    seed. 6,000 steps of 32 images are about 19 passes over the training images (the paper: 500 epochs).
# 2. **The size profile at equal accuracy: did not hold.** At their final APs DETR looked weaker on small
#    objects (AP_S / AP 0.61 against 0.82), the paper's pattern; at equal AP the dense detector's share on
#    small objects is *lower* than DETR's in two seeds and equal in the third, so that half reverses: it
#    was a difference in accuracy, not in architecture. The large-object half survives in two seeds of
#    three (*held, not robust*). (Seed 2's dense detector jumps from 0.40 to 0.67 AP between two
#    evaluations, so its "equal AP" is 0.10 away from DETR's.)
# 3. **NMS: did not hold.** Without NMS the dense detector loses 15.6 points: it predicts each object from
#    many cells, and only NMS turns them into one detection. DETR's AP is reasonable without NMS, but NMS
#    still adds 1.5 to 2.5 points to it, beyond the 1 point we allowed in every seed: at 6,000 steps some
#    objects are still predicted by two queries. The set loss penalises the second one (matched to "no
#    object"), but learning not to produce it takes training; the paper reports that NMS stops helping only
#    at the last decoder layers of the trained model. Ours has two layers and a short schedule.
# 4. **The learning rate: inconclusive, and it explains most of the gap.** At 1e-3 DETR reaches
#    0.729 ± 0.002 test AP (0.548 at 2e-4): of the 22 points to the dense detector, 4.1 to 4.7 remain, and
#    DETR still gains more over the last third; but it was still improving in every seed (+0.022 to
#    +0.024 late). In miniature, most of "DETR converges slowly" was our learning rate.
#
# Both detectors fit their training images better than the test images (DETR 0.67 against 0.55, the
# dense detector 0.87 against 0.77).
#
# The checkpoints (each arm's first seed) on fresh images, without and with NMS, and their predictions:
# DETR's raw output, the dense detector's before and after NMS.

# %%
fresh = vitlite.data.ShapesWorld(**dict(study.world)).detection(500, seed=7)
trained = {label: study.load(label)[0] for label in names}
for label, model in trained.items():
    raw, with_nms = detection_scores(model, fresh, nms_iou=1.0)["AP"], detection_scores(model, fresh, nms_iou=0.6)["AP"]
    print(f"{names[label]:<13} fresh images: AP {raw:.3f} without NMS, {with_nms:.3f} with NMS")

# %%
shown = fresh.subset(5)
with torch.no_grad():
    views = {"DETR (no NMS)": trained["detr"].detect(trained["detr"](shown.images)),
             "dense, before NMS": trained["dense"].detect(trained["dense"](shown.images), nms_iou=1.0),
             "dense, after NMS": trained["dense"].detect(trained["dense"](shown.images))}
fig, axes = viz.figure(3, 5, panel=(1.9, 2.0))
for row, (title, found) in enumerate(views.items()):
    for i in range(5):
        ax = axes[row, i]
        ax.imshow(viz.to_image(shown.images[i]), interpolation="nearest")
        keep = found[i]["scores"] > 0.3
        viz.draw_boxes(ax, found[i]["boxes"][keep], found[i]["labels"][keep], fresh.classes, size=64, color="yellow", scores=found[i]["scores"][keep])
        ax.axis("off")
    axes[row, 0].set_title(title, fontsize=8, loc="left")
fig

# %% [markdown]
# ## 6 · Explore
#
# **The matching.** Pick a test image and switch the three cost terms on and off: the cost matrix (queries
# by objects) changes, and so does the matching the Hungarian algorithm picks (red frames). With the class
# term alone, any query that is sure of the class wins, wherever its box is; with the box terms alone,
# class does not matter.

# %%
from vitlite.explore import detr_attention_explorer, matching_explorer

explorer = matching_explorer(trained["detr"], fresh, indices=list(range(6)))
explorer

# %% [markdown]
# At fixed settings: the full cost, then the class term alone, for the same image.

# %%
display(explorer.figure(image=2))
display(explorer.figure(image=2, use_l1=False, use_giou=False))

# %% [markdown]
# With the class term alone, two of the three objects keep their queries; the circle, which no query is
# sure about, goes to query 9, whose box is elsewhere. The box terms are what tie a query to a place.

# %% [markdown]
# **What a query looks at.** The cross-attention of one object query in a decoder layer, over the 8×8
# feature map: the paper's observation (its Figure 6) is that the last decoder layer looks at the object's
# extremities, the parts that fix the box.

# %%
attention = detr_attention_explorer(trained["detr"], fresh.images[:6], fresh.classes)
attention

# %% [markdown]
# At fixed settings: the most confident query of the first image, in the last decoder layer.

# %%
with torch.no_grad():
    first = trained["detr"](fresh.images[:1])
best_query = int((1 - first["pred_logits"].softmax(-1)[0, :, -1]).argmax())
display(attention.figure(image=0, query=best_query, layer=1))

# %% [markdown]
# Here the weight sits on a few cells at the edge of the object, with a little on the background next to
# it. On an 8×8 map an object covers only a handful of cells, so "extremities" cannot be as sharp as in the
# paper's figures (on maps of 25×34 cells and more), but the query does not look at the object's middle.

# %% [markdown]
# **Where each query predicts** (the paper's Figure 7): the centres of the boxes every query slot
# predicts over 500 fresh images, when it predicts an object (probability of "no object" below 0.5),
# coloured by the box's area. Each slot specialises in a region of the image and a range of sizes.

# %%
slots = detr.query_predictions(trained["detr"], fresh.images)
fig = viz.plot_query_slots(slots["boxes"], slots["object"], threshold=0.5)
fig

# %% [markdown]
# The slots divide the work among themselves: queries 2, 4 and 5 predict rarely, each in its own part of
# the image and mostly small boxes; queries 7 and 8 predict most often, near the centre, and take nearly all
# the large boxes (the light dots). Nobody told them to: a slot that happens to be matched to objects of one
# kind, in one place, is trained on those and gets better at them, so it is matched to them again. The
# paper's Figure 7 shows the same on COCO with 100 slots, where most slots also have a mode that predicts a
# box as large as the image.
#
# ## 7 · Exercises
#
# **Exercise 1 · Generalised IoU of paired boxes.** Write `giou(a, b)` for two (N, 4) tensors of xyxy boxes:
# the generalised IoU of each pair (a[i], b[i]), shape (N,), without vitlite.

# %%
def giou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError  # your code here


checks.paired_giou(giou)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def giou(a, b):
#     inter = (torch.minimum(a[:, 2:], b[:, 2:]) - torch.maximum(a[:, :2], b[:, :2])).clamp(min=0).prod(-1)
#     area = lambda x: (x[:, 2:] - x[:, :2]).prod(-1)
#     union = area(a) + area(b) - inter
#     hull = (torch.maximum(a[:, 2:], b[:, 2:]) - torch.minimum(a[:, :2], b[:, :2])).prod(-1)
#     return inter / union - (hull - union) / hull
# ```
# </details>
#
# **Exercise 2 · The matching, by hand, with more objects than queries.** A (too small) DETR with two
# queries sees an image with three objects. The cost matrix (rows: queries 0 and 1; columns: objects 0, 1
# and 2) is
#
# | | object 0 | object 1 | object 2 |
# |---|---|---|---|
# | query 0 | 1 | 4 | 2 |
# | query 1 | 3 | 9 | 5 |
#
# Which matching does the Hungarian algorithm pick, and which object is left unmatched (so that no
# prediction learns to find it in this image)? Work it out on paper, then write the pairs. Would a greedy
# rule (each query in turn takes its cheapest free object) agree?

# %%
pairs = None  # your answer: a list of (query, object) pairs, e.g. [(0, 1), (1, 2)]

checks.matching_by_hand(pairs)

# %% [markdown]
# <details><summary>Solution</summary>
#
# `[(0, 2), (1, 0)]`, total 2 + 3 = 5; object 1 is left out (nobody covers it for less than 4). The greedy
# rule gives query 0 its cheapest object, 0, and query 1 then gets object 2: 1 + 5 = 6, worse. With more
# objects than queries DETR cannot detect them all, which is why the number of queries is set well above
# the largest number of objects in an image (100 on COCO, whose images hold at most about 60).
# </details>

# %% [markdown]
# **Exercise 3 · What patience would have changed.** The first row (DETR trails) is *inconclusive* because
# DETR was still improving at its last evaluation. Suppose instead that every DETR run had been stopped by
# patience at the same scores (the rule then counts its late gain as 0: it had stopped improving), and
# nothing else changed. What verdict would the first row get? Decide from the two printed parts before you
# answer.

# %%
patience_verdict = None  # your answer, e.g. "held"

checks.detr_trails_if_stopped(patience_verdict)

# %% [markdown]
# <details><summary>Solution</summary>
#
# `"held"`. Part (1), dense minus DETR, is +0.21 to +0.24 in every seed, far past 0; its only problem was
# that the loser could still catch up. A run stopped by patience cannot, so part (1) holds, and part (2)
# (DETR gains more over the last third) held already. Note what patience would *not* have told you: a run
# stopped by patience at 6,000 steps on a cosine schedule may simply have run out of learning rate; the
# rule trusts the end point, not the reason for it.
# </details>

# %% [markdown]
# ## 8 · Summary
#
# - DETR detects by predicting a *set*: N queries, N (class, box) pairs, trained through a one-to-one
#   Hungarian matching with the paper's costs, so every object has one prediction that answers for it and
#   the rest learn "no object". No anchors, no hand-made assignment rule.
# - vitlite's boxes, GIoU, Hungarian algorithm and COCO AP are checked against SciPy and pycocotools;
#   DETR-R50 and -R101 have the official parameter counts, and converted Hugging Face models compute the
#   same logits and boxes.
# - In miniature (ShapesWorld, 6,000 steps, three seeds) DETR trails a dense one-stage detector on the same
#   backbone (0.55 against 0.77 AP) and is still improving at the end, so "slower" is *inconclusive* by the
#   course's rule; at the dense detector's learning rate it reaches 0.73, most of the gap closed (also
#   inconclusive: still improving). Compared at equal AP, as the paper compares, DETR is *not* weaker on small objects; its
#   stronger share on large objects holds in two seeds of three.
# - The dense detector needs NMS (15 points without it); DETR needs it far less, but at this budget NMS
#   still adds about 2 points to it, because a few objects are predicted twice: *did not hold*.
# - Each query slot specialises in a region of the image and a range of box sizes (the paper's Figure 7).
#
# **Take-home message.** Set prediction removes the hand-made parts of a detector (anchors, assignment
# rules, NMS) and puts their work into training: the matching must teach the queries to divide the objects
# among themselves, and that takes a long schedule. Chapter 08's DINO attacks exactly that cost.
#
# ## Glossary · 용어
#
# The terms this chapter introduced (one list for the whole course, `vitlite.glossary`):

# %%
from IPython.display import Markdown

from vitlite import glossary

Markdown(glossary.table(7))

# %% [markdown]
# ## References
#
# 1. N. Carion, F. Massa, G. Synnaeve, N. Usunier, A. Kirillov, S. Zagoruyko. End-to-End Object Detection
#    with Transformers. ECCV 2020. Code: [github.com/facebookresearch/detr](https://github.com/facebookresearch/detr).
# 2. H. W. Kuhn. The Hungarian Method for the Assignment Problem. Naval Research Logistics Quarterly, 1955;
#    R. Jonker, A. Volgenant. A Shortest Augmenting Path Algorithm for Dense and Sparse Linear Assignment
#    Problems. Computing, 1987.
# 3. H. Rezatofighi et al. Generalized Intersection over Union. CVPR 2019.
# 4. Z. Tian, C. Shen, H. Chen, T. He. FCOS: Fully Convolutional One-Stage Object Detection. ICCV 2019.
# 5. T.-Y. Lin et al. Microsoft COCO: Common Objects in Context. ECCV 2014 (the AP protocol).
