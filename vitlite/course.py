"""The course's table of contents and its one repository URL."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

__all__ = ["CHAPTER_TITLES", "repository_url", "colab_url", "install_command"]

# file stem -> (topic, paper), in the study plan's week order
CHAPTER_TITLES: dict[str, tuple[str, str]] = {
    "01_attention_vs_convolution": ("Self-attention versus convolution", "Cordonnier, Loukas, Jaggi, ICLR 2020"),
    "02_vit": ("ViT", "Dosovitskiy et al., ICLR 2021"),
    "03_t2t_vit": ("Tokens-to-Token ViT", "Yuan et al., ICCV 2021"),
    "04_swin": ("Swin Transformer", "Liu et al., ICCV 2021"),
    "05_mobilevit": ("MobileViT (v1)", "Mehta and Rastegari, ICLR 2022"),
    "06_mobilevit_v2_v3": ("MobileViT v2 and v3", "Mehta and Rastegari 2022; Wadekar and Chaurasia 2022"),
    "07_detr": ("DETR", "Carion et al., ECCV 2020"),
    "08_dino": ("DINO (improved denoising anchor boxes)", "Zhang et al., ICLR 2023"),
    "09_setr": ("SETR", "Zheng et al., CVPR 2021"),
    "10_dpt": ("DPT", "Ranftl, Bochkovskiy, Koltun, ICCV 2021"),
}


@lru_cache(maxsize=1)
def repository_url() -> str:
    """The repository URL, from pyproject's [project.urls] (a checkout) or the installed metadata."""
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if pyproject.exists():
        match = re.search(r'^Repository\s*=\s*"([^"]+)"', pyproject.read_text(), re.MULTILINE)
        if match:
            return match.group(1)
    from importlib.metadata import metadata

    for entry in metadata("vitlite").get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository":
            return url.strip()
    raise RuntimeError("no Repository URL in pyproject.toml or the installed metadata")


def colab_url(stem: str) -> str:
    """The 'Open in Colab' link of a chapter notebook."""
    path = repository_url().removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{path}/blob/main/chapters/{stem}.ipynb"


def install_command() -> str:
    """What a chapter's setup cell runs on Colab."""
    return f'pip install -q "vitlite @ git+{repository_url()}"'
