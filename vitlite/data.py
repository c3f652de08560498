"""ShapesWorld: procedural scenes of coloured shapes, with targets for every chapter.

Every image is drawn from a seed, vectorised in torch, so the course needs no
download and every machine sees the same data. One scene carries all targets at
once; the task methods of :class:`ShapesWorld` pick what a chapter needs:

- ``classification``: one label per image, in several variants
  (``shape``, ``texture``, ``count``, ``relation``);
- ``detection``: boxes in normalised ``cxcywh`` form and a class per box;
- ``segmentation``: a class per pixel (0 is background, ``1 + shape`` otherwise);
- ``depth``: a depth map from a ground plane seen in perspective, with objects
  standing on it at known depths and drawn far to near.

Scenes are drawn in chunks of :data:`CHUNK` images (fewer above 64x64 pixels, see
:attr:`ShapesWorld.chunk`), each chunk from its own generator derived from ``(seed, chunk
index)``. So ``n=500`` images are exactly the first 500 of ``n=2000`` with the same seed,
which makes data-size experiments clean.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = [
    "SHAPES",
    "TEXTURES",
    "PALETTE",
    "TASKS",
    "VARIANTS",
    "CHUNK",
    "ShapesWorld",
    "Scenes",
    "ShapesDataset",
    "Batches",
    "Augment",
    "outlines",
    "photo",
    "list_photos",
]

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "cross", "ring")
TEXTURES: tuple[str, ...] = ("solid", "stripes_h", "stripes_v", "stripes_d", "checker", "dots")
PALETTE: dict[str, tuple[float, float, float]] = {
    "red": (0.90, 0.18, 0.15),
    "green": (0.15, 0.75, 0.25),
    "blue": (0.15, 0.35, 0.95),
    "yellow": (0.95, 0.85, 0.15),
    "magenta": (0.85, 0.25, 0.85),
    "cyan": (0.15, 0.85, 0.90),
}
TASKS: tuple[str, ...] = ("classification", "detection", "segmentation", "depth")
VARIANTS: tuple[str, ...] = ("shape", "texture", "count", "relation")
CHUNK = 256
PIXEL_BUDGET = 256 * 64 * 64 * 3  # object-pixels drawn at once: a whole chunk up to 64x64 images with 3 objects

# Camera of the ground layout, in units of the image height: the horizon row, the
# camera height above the ground, and the depth given to the sky.
HORIZON = 0.35
CAMERA_HEIGHT = 0.5
FAR = 10.0
NEAR_OBJECT, FAR_OBJECT = 1.0, 4.0


@dataclass
class Scenes:
    """A batch of rendered scenes with every target. K is the most objects a scene holds.

    Objects are stored far to near; ``present`` marks the slots that hold a visible object. The
    per-pixel class ``mask`` and the ``depth`` map are derived from ``instance`` when first asked for
    (a detection task never needs them).
    """

    images: torch.Tensor  # (N, 3, H, W) float in [0, 1]
    instance: torch.Tensor  # (N, H, W) long: 0 background, 1 + object slot
    present: torch.Tensor  # (N, K) bool
    shape: torch.Tensor  # (N, K) long index into SHAPES (all shapes; datasets renumber to a world's own list)
    color: torch.Tensor  # (N, K) long index into PALETTE
    texture: torch.Tensor  # (N, K) long index into TEXTURES
    boxes: torch.Tensor  # (N, K, 4) float: cx, cy, w, h of the visible pixels, in [0, 1]
    z: torch.Tensor  # (N, K) float: object depth
    layout: str = "flat"  # "flat" or "ground": what lies behind the objects in the depth map

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: slice) -> "Scenes":
        return Scenes(**{name: getattr(self, name)[index] for name in _SCENE_TENSORS}, layout=self.layout)

    @staticmethod
    def cat(parts: list["Scenes"]) -> "Scenes":
        return Scenes(
            **{name: torch.cat([getattr(p, name) for p in parts]) for name in _SCENE_TENSORS}, layout=parts[0].layout
        )

    @property
    def mask(self) -> torch.Tensor:
        """(N, H, W) long: 0 background, 1 + index into SHAPES."""
        n = len(self)
        shape_of_slot = torch.cat([torch.full((n, 1), -1, dtype=torch.long), self.shape], 1)
        return torch.gather(shape_of_slot, 1, self.instance.flatten(1)).view_as(self.instance) + 1

    @property
    def depth(self) -> torch.Tensor:
        """(N, 1, H, W) float, larger is farther: each object's depth, the ground plane or sky behind them."""
        n, size = len(self), self.instance.shape[-1]
        z_of_slot = torch.cat([torch.zeros(n, 1), self.z], 1)
        z_pix = torch.gather(z_of_slot, 1, self.instance.flatten(1)).view_as(self.instance)
        return torch.where(self.instance > 0, z_pix, _background_depth(n, size, self.layout))[:, None].float()


_SCENE_TENSORS = ("images", "instance", "present", "shape", "color", "texture", "boxes", "z")


@dataclass(frozen=True)
class ShapesWorld:
    """The generator's settings. Every field has a default that suits 32x32 images.

    Args:
        image_size: height and width in pixels.
        num_objects: (fewest, most) objects in a scene.
        size_range: (smallest, largest) object radius as a fraction of ``image_size``.
        shapes: which of :data:`SHAPES` may appear.
        textures: which of :data:`TEXTURES` may fill an object.
        background: ``"noise"`` (smooth random colour fields) or ``"plain"`` (flat grey).
        rotate: whether shapes are drawn at random angles.
        min_visible: objects whose visible fraction falls below this after occlusion are
            removed, so every target describes something a model can see.
        noise: standard deviation of the pixel noise added last.
    """

    image_size: int = 32
    num_objects: tuple[int, int] = (1, 3)
    size_range: tuple[float, float] = (0.12, 0.25)
    shapes: tuple[str, ...] = SHAPES
    textures: tuple[str, ...] = ("solid",)
    background: str = "noise"
    rotate: bool = True
    min_visible: float = 0.35
    noise: float = 0.02

    def __post_init__(self) -> None:
        # Lists are as good as tuples here (the dataclass is frozen, hence object.__setattr__).
        for name in ("num_objects", "size_range", "shapes", "textures"):
            value = getattr(self, name)
            if isinstance(value, str) and name in ("shapes", "textures"):
                raise ValueError(f"{name} must be a tuple of names, e.g. {name}=({value!r},); got the string {value!r}")
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        if not isinstance(self.rotate, bool):
            raise ValueError(f"rotate must be True or False, got {self.rotate!r}")
        for name in ("min_visible", "noise"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number, got {value!r}")
        if isinstance(self.image_size, bool) or not isinstance(self.image_size, int) or self.image_size < 8:
            raise ValueError(f"image_size must be an int >= 8, got {self.image_size!r}")
        if not (isinstance(self.num_objects, tuple) and len(self.num_objects) == 2):
            raise ValueError(f"num_objects must be a pair (fewest, most), e.g. (1, 3); got {self.num_objects!r}")
        lo, hi = self.num_objects
        if not (isinstance(lo, int) and isinstance(hi, int)) or lo < 1 or hi < lo:
            raise ValueError(f"num_objects must be (fewest, most) with 1 <= fewest <= most, got {self.num_objects!r}")
        if not (isinstance(self.size_range, tuple) and len(self.size_range) == 2):
            raise ValueError(
                f"size_range must be a pair (smallest, largest), e.g. (0.12, 0.25); got {self.size_range!r}"
            )
        smin, smax = self.size_range
        if not 0 < smin <= smax <= 0.5:
            raise ValueError(f"size_range must satisfy 0 < smallest <= largest <= 0.5, got {self.size_range!r}")
        radius_px = smin * self.image_size
        if radius_px < 2.0:
            fixes = [f"image_size >= {math.ceil(2.0 / smin)}"]
            lowest = math.ceil(200.0 / self.image_size) / 100  # 2 px, rounded up to a hundredth
            if lowest <= 0.5:
                fixes.append(f"size_range=({lowest}, {max(smax, lowest)})")
            raise ValueError(
                f"image_size={self.image_size} is too small for size_range={self.size_range}: the smallest shapes "
                f"would have a radius of {radius_px:.1f} px; use {' or '.join(fixes)}"
            )
        for name, allowed, given in (("shapes", SHAPES, self.shapes), ("textures", TEXTURES, self.textures)):
            unknown = [g for g in given if g not in allowed]
            if unknown or not given:
                raise ValueError(f"{name} must be a non-empty subset of {allowed}, got {given!r}")
        if self.background not in ("noise", "plain"):
            raise ValueError(f"background must be 'noise' or 'plain', got {self.background!r}")
        if not 0 <= self.min_visible < 1:
            raise ValueError(f"min_visible must be in [0, 1), got {self.min_visible!r}")
        if self.noise < 0:
            raise ValueError(f"noise must be >= 0, got {self.noise!r}")

    # ------------------------------------------------------------------ tasks
    def classification(self, n: int, seed: int = 0, variant: str = "shape") -> "ShapesDataset":
        """Images with one label each.

        Variants: ``shape`` (one object, which shape?), ``texture`` (one object, which
        fill pattern? a question about fine local structure), ``count`` (how many
        objects?), ``relation`` (two objects far apart: the same shape or not? a question
        about a global relation).
        """
        if variant not in VARIANTS:
            raise ValueError(f"unknown classification variant {variant!r}; choose one of {VARIANTS}")
        scenes = self.scenes(n, seed, variant=variant)
        if variant == "shape":
            labels, classes = _local(scenes.shape[:, -1], self.shapes, SHAPES), self.shapes
        elif variant == "texture":
            classes = self._texture_choices(variant)
            labels = _local(scenes.texture[:, -1], classes, TEXTURES)
        elif variant == "count":
            labels = scenes.present.sum(1) - 1
            classes = tuple(str(c) for c in range(1, self.num_objects[1] + 1))
        else:
            labels = (scenes.shape[:, 0] == scenes.shape[:, 1]).long()
            classes = ("different", "same")
        return ShapesDataset(scenes.images, labels, classes, task="classification", scenes=scenes)

    def detection(self, n: int, seed: int = 0) -> "ShapesDataset":
        """Images with a set of boxes each: targets are ``{"boxes": (M, 4) cxcywh, "labels": (M,)}``."""
        scenes = self.scenes(n, seed)
        labels = torch.where(
            scenes.present, _local(scenes.shape, self.shapes, SHAPES), torch.full_like(scenes.shape, -1)
        )
        return ShapesDataset(
            scenes.images, {"boxes": scenes.boxes, "labels": labels}, self.shapes, task="detection", scenes=scenes
        )

    def segmentation(self, n: int, seed: int = 0) -> "ShapesDataset":
        """Images with a class per pixel: 0 is background, ``1 + i`` for the world's i-th shape."""
        scenes = self.scenes(n, seed)
        background = scenes.mask == 0
        mask = torch.where(background, scenes.mask, _local(scenes.mask.clamp_min(1) - 1, self.shapes, SHAPES) + 1)
        return ShapesDataset(scenes.images, mask, ("background",) + self.shapes, task="segmentation", scenes=scenes)

    def depth(self, n: int, seed: int = 0) -> "ShapesDataset":
        """Ground-plane scenes in perspective with a depth map (1, H, W) each, sky at depth 10."""
        scenes = self.scenes(n, seed, layout="ground")
        return ShapesDataset(scenes.images, scenes.depth, (), task="depth", scenes=scenes)

    def edges(self, n: int, seed: int = 0) -> "ShapesDataset":
        """Images with their object outlines, (1, H, W) in {0, 1}: a per-pixel target that only a
        pixel's neighbourhood decides (chapter 01). Not one of the four main tasks."""
        scenes = self.scenes(n, seed)
        return ShapesDataset(scenes.images, outlines(scenes.instance), ("edge",), task="edges", scenes=scenes)

    def dataset(self, task: str, n: int, seed: int = 0, **kwargs: Any) -> "ShapesDataset":
        """Any task by name: ``world.dataset("segmentation", 100)``."""
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}; choose one of {TASKS}")
        return getattr(self, task)(n, seed, **kwargs)

    # ------------------------------------------------------------------ scenes
    def scenes(self, n: int, seed: int = 0, layout: str = "flat", variant: str | None = None) -> Scenes:
        """Render ``n`` scenes. ``layout`` is ``"flat"`` or ``"ground"`` (perspective, for depth)."""
        if not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative int (the number of images), got {n!r}")
        if not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        if layout not in ("flat", "ground"):
            raise ValueError(f"layout must be 'flat' or 'ground', got {layout!r}")
        if variant == "relation" and len(self.shapes) < 2:
            raise ValueError("the relation variant needs at least two shapes; pass shapes with two or more names")
        if variant == "relation" and self.size_range[1] > 0.25:
            raise ValueError(
                "the relation variant places one object in each half of the image; use size_range[1] <= 0.25"
            )
        parts, chunk = [], self.chunk
        for index in range(max(1, math.ceil(n / chunk))):
            gen = torch.Generator().manual_seed(_chunk_seed(seed, index))
            # Always a whole chunk, so the first n images never depend on n.
            parts.append(self._render(chunk, gen, layout, variant))
        return (parts[0] if len(parts) == 1 else Scenes.cat(parts))[:n]

    @property
    def chunk(self) -> int:
        """Images drawn from one generator: :data:`CHUNK` up to 64x64 pixels, fewer for larger
        images (a quarter as many at twice the side), so a chunk never holds more pixels."""
        return max(1, min(CHUNK, CHUNK * 64 * 64 // (self.image_size * self.image_size)))

    def _texture_choices(self, variant: str | None) -> tuple[str, ...]:
        # The texture task needs several patterns; other tasks use what the world allows.
        if variant == "texture" and len(self.textures) < 2:
            return TEXTURES
        return self.textures

    def _render(self, n: int, gen: torch.Generator, layout: str, variant: str | None) -> Scenes:
        """One chunk of ``n`` scenes from ``gen``: every random choice of the chunk first, then the
        pixels in slices of at most :data:`PIXEL_BUDGET` object-pixels, so a large image size never
        asks for gigabytes. Each slice draws its noise after the previous one's, in a number of
        values divisible by 16, which keeps torch's normal sampler on the same sequence as one
        draw for the whole chunk: the images do not depend on the slicing."""
        k_max = 2 if variant == "relation" else (1 if variant in ("shape", "texture") else self.num_objects[1])
        lay = self._layout(n, k_max, gen, layout, variant)
        background = self._background_params(n, gen, layout)
        pixels = self.image_size * self.image_size
        align = 16 // math.gcd(16, 3 * pixels)  # images per slice must make 3 * H * W * images divisible by 16
        per_slice = max(align, PIXEL_BUDGET // (pixels * k_max) // align * align)
        parts = []
        for start in range(0, n, per_slice):
            part = slice(start, min(n, start + per_slice))
            parts.append(
                self._draw(
                    {k: v[part] for k, v in lay.items()}, {k: v[part] for k, v in background.items()}, gen, layout
                )
            )
        return parts[0] if len(parts) == 1 else Scenes.cat(parts)

    def _draw(
        self,
        lay: dict[str, torch.Tensor],
        background_params: dict[str, torch.Tensor],
        gen: torch.Generator,
        layout: str,
    ) -> Scenes:
        size = self.image_size
        n, k_max = lay["shape"].shape
        background = self._background(background_params, layout)

        coords = (torch.arange(size, dtype=torch.float32) + 0.5) / size
        ys, xs = coords.view(1, 1, size, 1), coords.view(1, 1, 1, size)
        # Local coordinates of every pixel in every object's frame: (n, K, H, W).
        dx = (xs - lay["cx"][..., None, None]) / lay["r"][..., None, None]
        dy = (ys - lay["cy"][..., None, None]) / lay["r"][..., None, None]
        cos, sin = torch.cos(lay["theta"])[..., None, None], torch.sin(lay["theta"])[..., None, None]
        u, v = cos * dx + sin * dy, -sin * dx + cos * dy
        inside = torch.zeros(n, k_max, size, size, dtype=torch.bool)
        for name in self.shapes:  # each object's own shape test, on its own pixels
            chosen = lay["shape"] == SHAPES.index(name)
            if chosen.any():
                inside[chosen] = _SHAPE_TESTS[name](u[chosen], v[chosen])
        present = lay["present"].clone()
        area = inside.flatten(2).count_nonzero(-1).clamp_min(1)  # (n, K) pixels of each object
        offsets = (torch.arange(n) * (k_max + 1))[:, None]
        for _ in range(2):  # lay out the objects far to near, drop those hidden too much, lay out again
            instance = torch.zeros(n, size, size, dtype=torch.long)
            for k in range(k_max):
                instance.masked_fill_(inside[:, k] & present[:, k, None, None], k + 1)
            counts = torch.bincount((instance.flatten(1) + offsets).flatten(), minlength=n * (k_max + 1))
            visible = counts.view(n, k_max + 1)[:, 1:]  # (n, K) pixels of each object still in view
            keep = present & (visible > 0) & (visible.float() / area >= self.min_visible)
            if torch.equal(keep, present):
                break
            present = keep

        # Every pixel shows the nearest object on it, or the background. The object's colour and fill
        # pattern (repeating every 4 px, one table per texture and phase) are looked up per pixel.
        slot = (instance - 1).clamp_min(0)  # (n, H, W): the object each pixel shows (0 where none)
        rows = torch.arange(n)[:, None, None]
        ys, xs = torch.arange(size).view(1, size, 1), torch.arange(size).view(1, 1, size)
        pattern = _texture_table(size)[lay["texture"][rows, slot], lay["phase"][rows, slot], ys, xs]  # (n, H, W)
        palette = torch.tensor(list(PALETTE.values()))
        base = palette[lay["color"]] * lay["brightness"][..., None]  # (n, K, 3)
        color = base[rows, slot].permute(0, 3, 1, 2)  # (n, 3, H, W)
        fill = color * (0.35 + 0.65 * pattern[:, None])
        images = torch.where((instance > 0)[:, None], fill, background)

        if self.noise > 0:
            images.add_(torch.randn(images.shape, generator=gen).mul_(self.noise))
        images = images.clamp_(0, 1)

        slots = torch.arange(1, k_max + 1).view(1, -1, 1, 1)
        boxes = _tight_boxes(instance[:, None] == slots)  # around each object's visible pixels
        return Scenes(
            images=images.float(),
            instance=instance,
            present=present,
            shape=lay["shape"],
            color=lay["color"],
            texture=lay["texture"],
            boxes=boxes,
            z=lay["z"],
            layout=layout,
        )

    def _layout(
        self, n: int, k_max: int, gen: torch.Generator, layout: str, variant: str | None
    ) -> dict[str, torch.Tensor]:
        """Sample what every object is and where it stands; slots are sorted far to near."""

        def uniform(
            lo: float | torch.Tensor, hi: float | torch.Tensor, shape: tuple[int, ...] = (n, k_max)
        ) -> torch.Tensor:
            return lo + (hi - lo) * torch.rand(shape, generator=gen)

        def choice(options: tuple[str, ...], universe: tuple[str, ...]) -> torch.Tensor:
            allowed = torch.tensor([universe.index(o) for o in options])
            return allowed[torch.randint(len(options), (n, k_max), generator=gen)]

        shape = choice(self.shapes, SHAPES)
        color = torch.randint(len(PALETTE), (n, k_max), generator=gen)
        texture = choice(self._texture_choices(variant), TEXTURES)
        theta = uniform(0.0, 2 * math.pi) if self.rotate else torch.zeros(n, k_max)
        phase = torch.randint(4, (n, k_max), generator=gen)
        brightness = uniform(0.8, 1.0)
        smin, smax = self.size_range

        if variant == "relation":
            same = torch.rand(n, generator=gen) < 0.5
            offset = torch.randint(1, len(self.shapes), (n,), generator=gen)
            allowed = torch.tensor([SHAPES.index(s) for s in self.shapes])
            pos0 = (allowed == shape[:, 0, None]).float().argmax(1)
            other = allowed[(pos0 + offset) % len(self.shapes)]
            shape[:, 1] = torch.where(same, shape[:, 0], other)

        if layout == "ground":
            z = uniform(NEAR_OBJECT, FAR_OBJECT)
            r = uniform(1.5 * smin, 1.5 * smax) / z  # apparent size falls off as 1 / depth
            r = r.clamp_min(2.0 / self.image_size)
            foot = HORIZON + CAMERA_HEIGHT / z  # the ground row at depth z, in [0, 1] from the top
            cy = (foot - r).clamp_min(r)
            cx = uniform(r, 1 - r)
        else:
            r = uniform(smin, smax)
            if variant == "relation":
                # One object in each half, split left/right or top/bottom: no overlap.
                along = torch.stack(
                    [uniform(r[:, 0], 0.5 - r[:, 0], (n,)), uniform(0.5 + r[:, 1], 1 - r[:, 1], (n,))], 1
                )
                across = uniform(r, 1 - r)
                split_x = (torch.rand(n, generator=gen) < 0.5)[:, None]
                cx, cy = torch.where(split_x, along, across), torch.where(split_x, across, along)
            else:
                cx, cy = uniform(r, 1 - r), uniform(r, 1 - r)
            z = uniform(0.0, 1.0)

        lo, hi = self.num_objects
        if variant in ("shape", "texture", "relation"):
            count = torch.full((n,), k_max)
        else:
            count = torch.randint(lo, hi + 1, (n,), generator=gen)
        present = torch.arange(k_max).view(1, -1) < count.view(-1, 1)
        # Far to near, absent slots first (they are never drawn): sort by depth, descending.
        key = torch.where(present, z, torch.full_like(z, float("inf")))
        order = torch.argsort(key, dim=1, descending=True)
        fields = dict(
            shape=shape,
            color=color,
            texture=texture,
            theta=theta,
            phase=phase,
            brightness=brightness,
            r=r,
            cx=cx,
            cy=cy,
            z=z,
            present=present,
        )
        return {name: torch.gather(value, 1, order) for name, value in fields.items()}

    def _background_params(self, n: int, gen: torch.Generator, layout: str) -> dict[str, torch.Tensor]:
        """The random part of each background, per image (a few numbers each)."""
        if layout == "ground":
            shift = torch.rand(n, 2, 1, 1, generator=gen)
            tint = 0.1 * torch.rand(n, 3, 1, 1, generator=gen)
            return {"shift": shift, "tint": tint}
        base = 0.3 + 0.25 * torch.rand(n, 1, 1, 1, generator=gen)
        tint = 0.06 * torch.randn(n, 3, 1, 1, generator=gen)
        if self.background == "plain":
            return {"base": base}
        coarse = torch.rand(n, 3, 4, 4, generator=gen) - 0.5
        return {"base": base, "tint": tint, "coarse": coarse}

    def _background(self, params: dict[str, torch.Tensor], layout: str) -> torch.Tensor:
        """(n, 3, H, W) backgrounds: a sky and a checkered ground plane, or a smooth colour field."""
        size = self.image_size
        n = next(iter(params.values())).shape[0]
        if layout == "ground":
            rows = (torch.arange(size, dtype=torch.float32) + 0.5) / size
            sky_top = torch.tensor([0.55, 0.70, 0.90]).view(1, 3, 1, 1)
            sky = sky_top + 0.25 * rows.view(1, 1, -1, 1)
            cols = (torch.arange(size, dtype=torch.float32) + 0.5) / size
            below = (rows - HORIZON).clamp_min(1e-3).view(1, 1, -1, 1)
            zg = CAMERA_HEIGHT / below  # depth of each ground row
            xw = (cols.view(1, 1, 1, -1) - 0.5) * zg  # world x of each ground pixel
            shift = params["shift"]
            checker = ((torch.floor(xw / 0.5 + shift[:, :1]) + torch.floor(zg / 0.5 + shift[:, 1:])) % 2)[:, None]
            ground_tint = torch.tensor([0.45, 0.40, 0.32]).view(1, 3, 1, 1) + params["tint"]
            ground = ground_tint * (0.75 + 0.25 * checker[:, 0])
            is_sky = (rows <= HORIZON).view(1, 1, -1, 1)
            return torch.where(is_sky, sky.expand(n, 3, size, size), ground.expand(n, 3, size, size))
        if self.background == "plain":
            return params["base"].expand(n, 3, size, size).clone()
        field_ = torch.nn.functional.interpolate(
            params["coarse"], size=(size, size), mode="bilinear", align_corners=False
        )
        return field_.mul_(0.25).add_(params["base"] + params["tint"]).clamp_(0, 1)


def _local(ids: torch.Tensor, names: tuple[str, ...], universe: tuple[str, ...]) -> torch.Tensor:
    """Indices into ``universe`` (SHAPES, TEXTURES) -> indices into a world's own ``names``."""
    lookup = torch.full((len(universe),), -1, dtype=torch.long)
    lookup[[universe.index(n) for n in names]] = torch.arange(len(names))
    return lookup[ids]


def outlines(instance: torch.Tensor) -> torch.Tensor:
    """(N, H, W) instance map -> (N, 1, H, W) float: 1 where a pixel and a 4-neighbour belong to different objects."""
    edge = torch.zeros_like(instance, dtype=torch.bool)
    vertical = instance[:, 1:, :] != instance[:, :-1, :]
    horizontal = instance[:, :, 1:] != instance[:, :, :-1]
    edge[:, 1:, :] |= vertical
    edge[:, :-1, :] |= vertical
    edge[:, :, 1:] |= horizontal
    edge[:, :, :-1] |= horizontal
    return edge[:, None].float()


def _chunk_seed(seed: int, chunk: int, *stream: int) -> int:
    """A generator seed from ``(seed, chunk)``; an extra ``stream`` number gives an independent sequence."""
    return int(np.random.SeedSequence([seed, chunk, *stream]).generate_state(1, dtype=np.uint64)[0] % (2**63))


def _background_depth(n: int, size: int, layout: str) -> torch.Tensor:
    if layout == "flat":
        return torch.ones(n, size, size)
    rows = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    below = rows - HORIZON
    zg = torch.where(below > 0, (CAMERA_HEIGHT / below.clamp_min(1e-6)).clamp_max(FAR), torch.full_like(rows, FAR))
    return zg.view(1, size, 1).expand(n, size, size)


def _tight_boxes(visible: torch.Tensor) -> torch.Tensor:
    """Normalised cxcywh boxes around the True pixels of (N, K, H, W); zeros where there are none."""
    n, k, h, w = visible.shape
    cols, rows = visible.any(-2), visible.any(-1)  # (N, K, W), (N, K, H)
    x0 = cols.int().argmax(-1)
    x1 = w - 1 - cols.flip(-1).int().argmax(-1)
    y0 = rows.int().argmax(-1)
    y1 = h - 1 - rows.flip(-1).int().argmax(-1)
    boxes = torch.stack([(x0 + x1 + 1) / (2 * w), (y0 + y1 + 1) / (2 * h), (x1 - x0 + 1) / w, (y1 - y0 + 1) / h], -1)
    return torch.where(cols.any(-1, keepdim=True), boxes, torch.zeros_like(boxes)).float()


# Inside tests in an object's own frame, where its radius is 1.
_SHAPE_TESTS = {
    "circle": lambda u, v: u * u + v * v <= 1.0,
    "square": lambda u, v: torch.maximum(u.abs(), v.abs()) <= 0.8,
    "triangle": lambda u, v: (v <= 0.5) & (math.sqrt(3) * u.abs() - v <= 1.0),
    "cross": lambda u, v: ((u.abs() <= 0.3) & (v.abs() <= 0.9)) | ((v.abs() <= 0.3) & (u.abs() <= 0.9)),
    "ring": lambda u, v: ((u * u + v * v) <= 1.0) & ((u * u + v * v) >= 0.3),
}

# Fill patterns on the pixel grid (period 4 px), 1 where the object is bright.
_TEXTURE_FILLS = {
    "solid": lambda ix, iy: torch.ones(ix.shape),
    "stripes_h": lambda ix, iy: ((iy // 2) % 2).float(),
    "stripes_v": lambda ix, iy: ((ix // 2) % 2).float(),
    "stripes_d": lambda ix, iy: (((ix + iy) // 2) % 2).float(),
    "checker": lambda ix, iy: ((ix // 2 + iy // 2) % 2).float(),
    "dots": lambda ix, iy: (((ix % 4) < 2) & ((iy % 4) < 2)).float(),
}


@functools.lru_cache(maxsize=8)
def _texture_table(size: int) -> torch.Tensor:
    """(len(TEXTURES), 4 phases, size, size): every pattern at every phase."""
    phase = torch.arange(4).view(4, 1, 1)
    iy, ix = torch.arange(size).view(1, size, 1) + phase, torch.arange(size).view(1, 1, size) + phase
    ix, iy = torch.broadcast_tensors(ix, iy)
    return torch.stack([_TEXTURE_FILLS[name](ix, iy) for name in TEXTURES])


class ShapesDataset(Dataset):
    """Images and targets for one task; a torch ``Dataset`` with a fast batch iterator.

    ``targets`` is a tensor (labels, masks, depth maps) or, for detection, a dict of
    padded tensors; indexing returns what a model's loss expects for one image.
    """

    def __init__(
        self, images: torch.Tensor, targets: Any, classes: tuple[str, ...], task: str, scenes: Scenes | None = None
    ):
        self.images = images
        self.targets = targets
        self.classes = tuple(classes)
        self.task = task
        self.scenes = scenes

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, Any]:
        if isinstance(self.targets, dict):
            keep = self.targets["labels"][index] >= 0
            return self.images[index], {key: value[index][keep] for key, value in self.targets.items()}
        return self.images[index], self.targets[index]

    def subset(self, n: int) -> "ShapesDataset":
        """The first ``n`` items (with the chunked seeding, the same as asking for ``n`` in the first place)."""
        if not 0 <= n <= len(self):
            raise ValueError(f"subset size must be in [0, {len(self)}], got {n}")
        targets = {k: v[:n] for k, v in self.targets.items()} if isinstance(self.targets, dict) else self.targets[:n]
        return ShapesDataset(
            self.images[:n], targets, self.classes, self.task, self.scenes[:n] if self.scenes is not None else None
        )

    def loader(
        self,
        batch_size: int = 64,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
        augment: "Augment | None" = None,
    ) -> "Batches":
        """An iterable of ``(images, targets)`` batches, reshuffled each pass from ``seed``; with
        ``augment`` (classification only) each batch's images are randomly shifted and flipped."""
        return Batches(self, batch_size, shuffle, seed, drop_last, augment)

    def __repr__(self) -> str:
        size = tuple(self.images.shape[1:])
        return f"ShapesDataset(task={self.task!r}, n={len(self)}, image={size}, classes={self.classes})"


@dataclass(frozen=True)
class Augment:
    """Label-preserving random changes to a batch of images, drawn from a generator: a shift of up to
    ``shift`` pixels in each direction (the image is padded by repeating its edge pixels, then cropped
    back to its size) and, with ``flip``, a left-right mirror for half of the images. ShapesWorld's
    shapes are drawn at random angles, so a mirrored shape is still a shape of the same class."""

    shift: int = 0
    flip: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.shift, bool) or not isinstance(self.shift, int) or self.shift < 0:
            raise ValueError(f"shift must be a non-negative int (pixels), got {self.shift!r}")
        if not isinstance(self.flip, bool):
            raise ValueError(f"flip must be True or False, got {self.flip!r}")

    def __call__(self, images: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """``images`` (B, C, H, W), each shifted and flipped at random; the same ``gen`` state gives the same result."""
        if images.ndim != 4:
            raise ValueError(f"Augment expects a batch (B, C, H, W), got shape {tuple(images.shape)}")
        b, _, h, w = images.shape
        if self.shift > 0:
            k = self.shift
            padded = torch.nn.functional.pad(images, (k, k, k, k), mode="replicate")
            dy, dx = torch.randint(0, 2 * k + 1, (2, b), generator=gen)
            rows = (dy[:, None] + torch.arange(h))[:, None, :, None]  # (B, 1, H, 1)
            cols = (dx[:, None] + torch.arange(w))[:, None, None, :]  # (B, 1, 1, W)
            images = padded[
                torch.arange(b)[:, None, None, None], torch.arange(images.shape[1])[None, :, None, None], rows, cols
            ]
        if self.flip:
            mirror = torch.rand(b, generator=gen) < 0.5
            images = torch.where(mirror[:, None, None, None], images.flip(-1), images)
        return images


@dataclass
class Batches:
    """Batches by tensor slicing: much faster than a per-item DataLoader for in-memory data."""

    dataset: ShapesDataset
    batch_size: int
    shuffle: bool = True
    seed: int = 0
    drop_last: bool = False
    augment: Augment | None = None
    _epoch: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1 (images per batch), got {self.batch_size!r}")
        if self.augment is not None and not isinstance(self.augment, Augment):
            raise ValueError(
                f"augment must be a vitlite.data.Augment, e.g. Augment(shift=2, flip=True); got {type(self.augment).__name__}"
            )
        if self.augment is not None and self.dataset.task != "classification":
            raise ValueError(
                f"augment moves pixels but not targets, so it only suits classification; this dataset's task is {self.dataset.task!r}"
            )

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass the ``epoch``-th (from 0): each pass's order depends only on the seed and its number."""
        if not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"epoch must be a non-negative int, got {epoch!r}")
        self._epoch = epoch

    def __iter__(self) -> Iterator[tuple[torch.Tensor, Any]]:
        n = len(self.dataset)
        if self.shuffle:
            gen = torch.Generator().manual_seed(_chunk_seed(self.seed, self._epoch))
            order = torch.randperm(n, generator=gen)
        else:
            order = torch.arange(n)
        # The augmentation's own generator, from the seed and the pass: the same pass is changed the same way.
        changes = (
            torch.Generator().manual_seed(_chunk_seed(self.seed, self._epoch, 1)) if self.augment is not None else None
        )
        self._epoch += 1
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            if self.drop_last and len(idx) < self.batch_size:
                break
            images = self.dataset.images[idx]
            yield (self.augment(images, changes) if changes is not None else images), _take(self.dataset.targets, idx)


def _take(targets: Any, idx: torch.Tensor) -> Any:
    if isinstance(targets, dict):
        labels = targets["labels"][idx]
        return [{key: value[idx][i][labels[i] >= 0] for key, value in targets.items()} for i in range(len(idx))]
    return targets[idx]


# ---------------------------------------------------------------------- photos
def list_photos() -> list[str]:
    """Names of the public-domain and CC0 photos in ``assets/photos`` (see ``assets/README.md``)."""
    from vitlite.assets import asset_path

    return sorted(p.stem for p in asset_path("photos").glob("*.jpg"))


def photo(name: str, size: int | None = 224) -> torch.Tensor:
    """A photo from ``assets/photos`` as a (3, H, W) float tensor in [0, 1], centre-cropped and resized to ``size``."""
    from PIL import Image

    from vitlite.assets import asset_path

    names = list_photos()
    if name not in names:
        raise ValueError(f"unknown photo {name!r}; choose one of {names}")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
        raise ValueError(
            f"size must be a positive int (the side, in pixels, of the square crop) or None for the photo as it is; got {size!r}"
        )
    img = Image.open(asset_path("photos", f"{name}.jpg")).convert("RGB")
    if size is not None:
        w, h = img.size
        side = min(w, h)
        img = img.crop(((w - side) // 2, (h - side) // 2, (w + side) // 2, (h + side) // 2)).resize(
            (size, size), Image.BICUBIC
        )
    return torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1).float() / 255.0
