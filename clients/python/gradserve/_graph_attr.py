"""A missing attribute read in a graph (GRAPH_MODE construct or @jit function): MindSpore's type names.

MindSpore 2.10's graph names the object's type as its own abstract types do: "'Int' object has no attribute
'shape'" (Float, Bool, String, List, Tuple, Dictionary; a namedtuple's 'NamedTuple'; any other class its own name:
Tensor, a user's class, NoneType), where Python writes 'int', 'tuple', the namedtuple's class name. Rewritten code
(gradserve/_rewrite.py) passes an AttributeError raised by a read in the user's own function here; one from
deeper code (a library's, a class's own raise) stays Python's. PyNative keeps Python's text, as MindSpore does."""
from __future__ import annotations

import ast

import numpy as np

from ._trace import graph_semantics

__all__ = ["in_graph", "numpy_scalar", "numpy_global", "wrap_numpy_globals"]

_NAMES = {bool: "Bool", int: "Int", float: "Float", str: "String", list: "List", tuple: "Tuple", dict: "Dictionary"}


def _graph_type_name(obj: object) -> str:
    if isinstance(obj, tuple) and hasattr(type(obj), "_fields"):
        return "NamedTuple"
    if type(obj).__name__ == "MutableBool":  # (an int that is mutable(True))
        return "Bool"
    if type(obj).__module__.startswith("gradserve"):  # mutable() numbers and sequences: their base's name
        return next((n for k, n in _NAMES.items() if isinstance(obj, k)), type(obj).__name__)
    return _NAMES.get(type(obj), type(obj).__name__)


def in_graph(e: AttributeError) -> AttributeError:
    """e in MindSpore's graph text when a read in the rewritten function itself raised it (Python's own message,
    e.obj / e.name set); e elsewhere."""
    tb = e.__traceback__
    if not graph_semantics() or tb is None or tb.tb_next is not None or getattr(e, "obj", None) is None:
        return e
    obj, name = e.obj, e.name
    if str(e) != f"'{type(obj).__name__}' object has no attribute '{name}'":
        return e
    return AttributeError(f"'{_graph_type_name(obj)}' object has no attribute '{name}'")


def _graph_number(v):
    return v.item() if isinstance(v, (np.number, np.bool_)) else v


def numpy_global(v):
    """rewritten code's `_gs_.numpy_global(N)`: a module's numpy scalar read in a graph is its graph number, as
    one made there (MindSpore 2.10: `N = np.int64(3)`, `N + 1` the int 4, `N.shape` "'Int' object has no attribute
    'shape'"; /work/ms_suite_left32/probe/p4.py); PyNative keeps numpy's."""
    return _graph_number(v) if graph_semantics() else v


def wrap_numpy_globals(fdef: ast.FunctionDef, module: dict, local: set, helpers: str) -> None:
    """fdef's reads of module globals that hold a numpy scalar now as `helpers.numpy_global(name)`."""
    names = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and
             n.id not in local and isinstance(module.get(n.id), (np.number, np.bool_))}
    if not names:
        return

    class Wrap(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name):
            if node.id not in names or not isinstance(node.ctx, ast.Load):
                return node
            f = ast.Attribute(value=ast.Name(id=helpers, ctx=ast.Load()), attr="numpy_global", ctx=ast.Load())
            return ast.copy_location(ast.Call(func=f, args=[node], keywords=[]), node)

    fdef.body = [Wrap().visit(s) for s in fdef.body]


def numpy_scalar(f: type):
    """numpy's scalar type f called in a graph: MindSpore 2.10's graph makes its scalar a graph number (Int, Float,
    Bool: `np.int64(3) + 1` is the int 4 there, `np.int64(3).shape` its AttributeError "'Int' object has no attribute
    'shape'"; /work/ms_suite_left31/probe/p3b.py); what is not a scalar (an array) stays numpy's."""
    def make(*args, **kwargs):
        return _graph_number(f(*args, **kwargs))
    return make
