"""`mindspore.common.api`: jit / ms_function."""
from .._jit import jit, ms_function

__all__ = ["jit", "ms_function"]


class _PynativeExecutor:
    """MindSpore's private `_pynative_executor`, as programs use it: sync() waits for queued device work;
    gradserve's calls return with their results, so there is nothing to wait for."""

    def sync(self) -> None:
        return None


_pynative_executor = _PynativeExecutor()


class _CellGraphExecutor:
    """MindSpore's private `_cell_graph_executor`, as its unit tests use it: compile(net, *inputs) builds the graph
    without running it, so an error of the program (a bad dtype, shape or argument) is raised there, as in
    MindSpore's graph compile; calling it runs the net. gradserve's compile is its trace of construct."""

    def compile(self, obj, *args, phase: str = "predict", **kwargs) -> str:
        from .._late import late
        from .._trace import trace_program
        fn = obj.construct if hasattr(obj, "construct") else obj
        trace_program(late.loops(fn), args, label=type(obj).__name__, graph=True)
        return phase

    def __call__(self, obj, *args, phase: str = "predict", **kwargs):
        return obj(*args)


_cell_graph_executor = _CellGraphExecutor()
