"""`mindspore.common.mutable` (the module; `common.mutable` stays the function, as in MindSpore, whose
package imports it from here)."""
from .._misc import mutable

__all__ = ["mutable"]
