"""The course's bilingual glossary (English / 한국어): one shared list, so a term reads the same in
every chapter, and the terms each chapter introduces.

    >>> from vitlite import glossary
    >>> print(glossary.table(1))        # doctest: +SKIP   (the end of chapter 01)
"""

from __future__ import annotations

__all__ = ["TERMS", "CHAPTER_TERMS", "table", "terms"]

# term -> (Korean, a one-line meaning in English)
TERMS: dict[str, tuple[str, str]] = {
    # chapter 01
    "convolution": ("합성곱", "a fixed, local, weight-shared window sum slid over the image"),
    "kernel": ("커널", "the weights of a convolution's window"),
    "self-attention": (
        "셀프 어텐션 (자기 주의)",
        "every token a weighted average of all tokens, the weights computed from the data",
    ),
    "attention head": ("어텐션 헤드", "one of several attentions computed side by side, each with its own projections"),
    "query / key / value": (
        "쿼리 / 키 / 밸류",
        "what a token looks for, what it offers to be found by, what it hands over",
    ),
    "inductive bias": ("귀납적 편향", "an assumption built into a model's structure rather than learned from data"),
    "locality": ("지역성", "the assumption that nearby pixels matter most"),
    "translation equivariance": ("이동 등변성", "shift the input and the output shifts the same way"),
    "receptive field": ("수용 영역", "the input pixels that can influence one output"),
    "effective receptive field": (
        "유효 수용 영역",
        "how strongly each input pixel moves one output: the size of its gradient, averaged over images",
    ),
    "relative position encoding": ("상대 위치 인코딩", "a score that depends on the offset between two positions"),
    # chapter 02 (and the course's methods)
    "patch": ("패치", "a small square of the image that becomes one token"),
    "token": ("토큰", "one vector of the sequence a transformer reads"),
    "class token": ("클래스 토큰", "an extra learned token whose final state is read out for the class"),
    "position embedding": ("위치 임베딩", "a vector added to each token to say where it came from"),
    "pre-training": ("사전 학습", "training on a large dataset before the task at hand"),
    "data augmentation": ("데이터 증강", "random changes to training images (shifts, mirrors) that keep the label"),
    "overfitting": ("과적합", "fitting the training images far better than new ones"),
    "underfitting": ("과소적합", "not even fitting the training images"),
    "early stopping": (
        "조기 종료",
        "keeping the checkpoint with the best validation score, stopping when it stops improving",
    ),
    "validation set": ("검증 세트", "held-out images used to choose a checkpoint, never to report a result"),
    "seed": ("시드 (난수 시드)", "the number that fixes a run's random start and batch order"),
    "arm": ("실험군 (비교 대상)", "one contestant of a study: a model with its settings, trained with every seed"),
    "control": ("대조군", "an arm that removes one mechanism, to see whether the gain goes with it"),
    "pilot": ("예비 실험", "a short one-seed run that sets a study's task, budget or threshold"),
    "end point": ("종료 시점", "where a run stops improving; comparisons are fair only there"),
    "verdict": ("판정", "held, held but not robust, inconclusive, or did not hold, by the course's rule"),
    # chapter 03
    "soft split": ("소프트 분할", "an unfold whose windows overlap, so neighbouring pixels share tokens"),
    "unfold": ("언폴드 (펼치기)", "cutting a map into (possibly overlapping) windows, each flattened to a vector"),
    "re-structurization": ("재구조화", "reshaping a token sequence back into a 2D map"),
    "generalisation gap": ("일반화 격차", "accuracy on the training images minus accuracy on new ones"),
    # chapter 04
    "window attention": ("윈도우 어텐션", "self-attention inside fixed non-overlapping windows only"),
    "shifted window": ("이동 윈도우", "the next layer's windows moved by half a window, to connect neighbours"),
    "patch merging": ("패치 병합", "joining 2x2 neighbouring tokens into one, halving the resolution"),
    "relative position bias": ("상대 위치 편향", "a learned score per offset added inside each window's attention"),
    "hierarchical features": ("계층적 특징", "maps at several resolutions, like a CNN's stages"),
    # chapter 05
    "inverted residual": ("역잔차 블록", "MobileNetV2's block: expand, depthwise convolution, project back"),
    "depthwise convolution": ("깊이별 합성곱", "a convolution applied to each channel on its own"),
    "global representation": ("전역 표현", "features mixed across the whole map by attention"),
    "unfold-fold": ("언폴드-폴드", "MobileViT's regrouping of pixels into patches and back"),
    # chapter 06
    "separable self-attention": (
        "분리형 셀프 어텐션",
        "MobileViTv2's attention: one context vector shared by every token, linear in their number",
    ),
    "context vector": ("컨텍스트 벡터", "a score-weighted pooling of all tokens"),
    "linear complexity": ("선형 복잡도", "cost that grows in proportion to the number of tokens"),
    "feature fusion": ("특징 융합", "combining local and global features (v3: a 1x1 convolution)"),
    # chapter 07
    "object detection": ("객체 탐지", "finding each object's box and class"),
    "set prediction": ("집합 예측", "predicting all objects at once as a set, without duplicates"),
    "bipartite matching": ("이분 매칭", "pairing predictions with true objects one to one, at least total cost"),
    "Hungarian algorithm": ("헝가리안 알고리즘", "the algorithm that finds the best one-to-one pairing"),
    "object query": ("객체 쿼리", "a learned input of DETR's decoder that becomes one prediction"),
    "non-maximum suppression (NMS)": ("비최대 억제", "deleting boxes that overlap a better one"),
    "average precision (AP)": ("평균 정밀도", "area under the precision-recall curve, averaged over IoU thresholds"),
    # chapter 08
    "anchor box": ("앵커 박스", "a reference box that a query refines"),
    "denoising": ("디노이징 (잡음 제거 학습)", "training queries to recover true boxes from noised copies"),
    "contrastive denoising": ("대조적 디노이징", "denoising with extra far-off copies that must predict 'no object'"),
    "deformable attention": (
        "디포머블 어텐션",
        "attention that reads a few learned sampling points instead of every key",
    ),
    "query selection": ("쿼리 선택", "initialising the decoder's anchors from the encoder's best proposals"),
    # chapter 09
    "semantic segmentation": ("의미론적 분할", "a class for every pixel"),
    "encoder / decoder": (
        "인코더 / 디코더",
        "the part that reads the image / the part that turns features into the output",
    ),
    "upsampling": ("업샘플링", "raising a map's resolution"),
    "auxiliary head": ("보조 헤드", "an extra head on an earlier layer, trained beside the main one"),
    "boundary band": ("경계 띠", "the pixels within a few pixels of an edge"),
    "mIoU": ("평균 IoU (mIoU)", "intersection over union, averaged over classes"),
    # chapter 10
    "dense prediction": ("밀집 예측", "an output for every pixel: segmentation, depth"),
    "monocular depth estimation": ("단안 깊이 추정", "depth from a single image"),
    "reassemble": ("재조립", "DPT's step that turns tokens back into maps at several resolutions"),
    "readout": ("리드아웃", "how the class token is handled when tokens become a map"),
    "AbsRel": ("절대 상대 오차", "mean of |predicted - true| / true depth"),
}

CHAPTER_TERMS: dict[int, tuple[str, ...]] = {
    1: (
        "convolution",
        "kernel",
        "self-attention",
        "attention head",
        "query / key / value",
        "inductive bias",
        "locality",
        "translation equivariance",
        "receptive field",
        "relative position encoding",
    ),
    2: (
        "patch",
        "token",
        "class token",
        "position embedding",
        "pre-training",
        "inductive bias",
        "data augmentation",
        "overfitting",
        "underfitting",
        "early stopping",
        "validation set",
        "seed",
        "arm",
        "control",
        "pilot",
        "end point",
        "verdict",
    ),
    3: ("soft split", "unfold", "re-structurization", "generalisation gap", "control", "end point"),
    4: (
        "window attention",
        "shifted window",
        "patch merging",
        "relative position bias",
        "hierarchical features",
        "receptive field",
    ),
    5: (
        "inverted residual",
        "depthwise convolution",
        "global representation",
        "unfold-fold",
        "receptive field",
        "effective receptive field",
        "control",
    ),
    6: ("separable self-attention", "context vector", "linear complexity", "feature fusion"),
    7: (
        "object detection",
        "set prediction",
        "bipartite matching",
        "Hungarian algorithm",
        "object query",
        "non-maximum suppression (NMS)",
        "average precision (AP)",
    ),
    8: ("anchor box", "denoising", "contrastive denoising", "deformable attention", "query selection"),
    9: ("semantic segmentation", "encoder / decoder", "upsampling", "auxiliary head", "boundary band", "mIoU"),
    10: ("dense prediction", "monocular depth estimation", "reassemble", "readout", "AbsRel", "encoder / decoder"),
}


def terms(chapter: int) -> list[tuple[str, str, str]]:
    """(English, Korean, meaning) for each term chapter ``chapter`` introduces."""
    if chapter not in CHAPTER_TERMS:
        raise ValueError(f"chapter must be one of {sorted(CHAPTER_TERMS)}, got {chapter!r}")
    return [(t, *TERMS[t]) for t in CHAPTER_TERMS[chapter]]


def table(chapter: int) -> str:
    """The chapter's glossary as a Markdown table (English, 한국어, meaning)."""
    rows = ["| English | 한국어 | meaning |", "|---|---|---|"]
    rows += [f"| {en} | {ko} | {meaning} |" for en, ko, meaning in terms(chapter)]
    return "\n".join(rows)
