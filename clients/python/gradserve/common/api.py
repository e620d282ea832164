"""`mindspore.common.api`: jit / ms_function / jit_class, and the private names programs import from it."""
import inspect

from .._jit import jit, jit_class, ms_function

__all__ = ["jit", "ms_function", "jit_class"]


def _no_recursive(callable_obj):
    """MindSpore's mark that its compiler may skip checking a function or Cell class for recursion; a traced
    construct is plain Python, so the object is returned as it is (after MindSpore's type check)."""
    from ..nn import Cell  # noqa: PLC0415  (nn imports common)
    is_cell = inspect.isclass(callable_obj) and issubclass(callable_obj, Cell)
    if not (is_cell or inspect.ismethod(callable_obj) or inspect.isfunction(callable_obj)):
        raise TypeError(f"Decorator no_recursive is used for callable object, but got {callable_obj}.")
    return callable_obj


class _PynativeExecutor:
    """MindSpore's private `_pynative_executor`, as programs use it: sync() waits for queued device work;
    gradserve's calls return with their results, so there is nothing to wait for."""

    def sync(self) -> None:
        return None

    def set_async_for_graph(self, flag: bool) -> None:
        """MindSpore's switch for running graphs asynchronously in PyNative; gradserve's calls are synchronous,
        so results are the same either way."""
        if not isinstance(flag, bool):
            raise TypeError(f"set_async_for_graph: flag must be a bool, but got {type(flag).__name__}")


_pynative_executor = _PynativeExecutor()


class _CellGraphExecutor:
    """MindSpore's private `_cell_graph_executor`, as its unit tests use it: compile(net, *inputs) builds the graph
    without running it, so an error of the program (a bad dtype, shape or argument) is raised there, as in
    MindSpore's graph compile; calling it runs the net. gradserve's compile is its trace of construct."""

    def compile(self, obj, *args, phase: str = "predict", **kwargs) -> str:
        from .._late import late
        from .._trace import trace_program
        while hasattr(obj, "_gs_compiled_part"):  # (TrainOneStepCell: its network's trace; the update runs here)
            obj = obj._gs_compiled_part()
        fn = obj.construct if hasattr(obj, "construct") else obj
        trace_program(late.loops(fn), args, label=type(obj).__name__, graph=True)
        return phase

    def __call__(self, obj, *args, phase: str = "predict", **kwargs):
        return obj(*args)


_cell_graph_executor = _CellGraphExecutor()


class _JitExecutor:
    """MindSpore's private executor of a @jit function, as its unit tests use it: `_JitExecutor(fn,
    create_time).compile(method_name, *args)` builds fn's graph without running it (here: its trace with
    GRAPH_MODE's semantics, which raises the program's errors and writes save_graphs' file) and returns a phase
    name."""

    def __init__(self, fn, ms_create_time, input_signature=None, obj=None, jit_config=None, dynamic=0):
        self.fn = fn
        self._create_time = ms_create_time
        self.obj = obj

    def compile(self, method_name: str, *args, **kwargs) -> str:
        import functools  # noqa: PLC0415
        from .._late import late  # noqa: PLC0415
        from .._trace import trace_program  # noqa: PLC0415
        fn = inspect.unwrap(self.fn)
        if self.obj is not None:
            fn = fn.__get__(self.obj)
        if kwargs:
            fn = functools.partial(fn, **kwargs)
        trace_program(late.loops(fn), args, label=getattr(fn, "__name__", method_name), graph=True)
        return f"{method_name}.{self._create_time}"
