"""vitlite: the helper package of the course *Vision Transformers from scratch*.

Each chapter builds a mechanism by hand, proves it equal to the version here, and
from then on imports it::

    import vitlite
    model = vitlite.create_model("vit_tiny_patch16_224", device="meta")
"""

from vitlite import checks, data, env, explore, hub, layers, metrics, models, profile, recipes, train, viz
from vitlite.models import create_model, list_models

__version__ = "0.1.0"
__all__ = [
    "create_model",
    "list_models",
    "checks",
    "data",
    "env",
    "explore",
    "hub",
    "layers",
    "metrics",
    "models",
    "profile",
    "recipes",
    "train",
    "viz",
    "__version__",
]
