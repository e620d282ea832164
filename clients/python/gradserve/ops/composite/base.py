"""`mindspore.ops.composite.base`: where MindSpore defines GradOperation, HyperMap, Map and
MultitypeFuncGraph (gradserve defines them in ops._autodiff and ops._hypermap)."""
from .._autodiff import GradOperation
from .._hypermap import HyperMap, Map, MultitypeFuncGraph

__all__ = ["GradOperation", "HyperMap", "Map", "MultitypeFuncGraph"]
