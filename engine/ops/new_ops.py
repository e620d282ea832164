"""The ops of issue #14 (models users bring), one module per family; importing registers them."""
from . import conv, cumulative, indexing, linalg_ext, normalization, pooling, sorting  # noqa: F401
