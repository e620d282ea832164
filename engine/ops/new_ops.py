"""The ops of issue #14 (models users bring), one module per family; importing registers them."""
from . import conv, linalg_ext, normalization, pooling  # noqa: F401
