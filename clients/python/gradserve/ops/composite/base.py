"""`mindspore.ops.composite.base`: where MindSpore defines GradOperation, HyperMap, Map and
MultitypeFuncGraph (gradserve defines them in ops._autodiff and ops._hypermap), and the `core` flag decorator."""
from .._autodiff import GradOperation
from .._hypermap import HyperMap, Map, MultitypeFuncGraph

__all__ = ["GradOperation", "HyperMap", "Map", "MultitypeFuncGraph", "core"]


def core(fn=None, **flags):
    """MindSpore's compiler hint: marks fn as a core function (`fn._func_graph_flags`, as MindSpore sets it);
    gradserve's tracing reads no flag, so fn runs as it is."""
    def deco(f):
        f._func_graph_flags = {"core": True, **flags}
        return f
    return deco(fn) if fn is not None else deco
