"""Run a read MindIR model's nodes through the SDK's ops (one definition of each MindSpore primitive: the SDK's
`ops.<Primitive>` classes), so a loaded model traces, differentiates and runs on the service like any Cell.

How a node becomes a call. PRIMITIVE nodes: the class built from the primitive's attributes (by the names its
constructor takes), called on the node's inputs. PRIMITIVE_FUNCTION nodes carry every argument as an input, in
MindSpore's order: the call's own inputs first, then the constructor's arguments; enum arguments (pad_mode,
data_format, reduction, ...) are MindSpore's enum numbers, turned back into its strings.
"""
from __future__ import annotations

import inspect

import numpy as np

from . import calls
from .reader import MONAD, MindIRError, Node

# MindSpore's enum numbers for string arguments (its str_to_enum), by argument name
_ENUMS = {
    "pad_mode": {0: "PAD", 1: "SAME", 2: "VALID"},
    "data_format": {0: "NCHW", 1: "NHWC", 14: "NCDHW", 20: "ND"},
    "format": {0: "NCHW", 1: "NHWC", 14: "NCDHW", 20: "ND"},
    "reduction": {0: "sum", 1: "mean", 2: "none"},
    "indexing": {0: "ij", 1: "xy"},
    "approximate": {0: "none", 1: "tanh"},
    "rounding_mode": {1: "trunc", 2: "floor"},
    "side": {0: "right", 1: "left"},
    "coordinate_transformation_mode": {0: "asymmetric", 1: "align_corners", 2: "half_pixel"},
    "interpolation_mode": {0: "bilinear", 1: "nearest"},
    "padding_mode": {0: "zeros", 1: "border", 2: "reflection"},
}
# where one primitive's numbers differ from the argument name's (MindSpore's own argument is named differently, or
# its constructor writes its own numbers): (primitive, the SDK's argument name) -> numbers
_OP_ENUMS = {
    ("TensorScatterElements", "reduction"): {0: "none", 1: "add"},  # (MindSpore's `reduce`: none, add, -, update)
    ("MaxPoolWithArgmaxV2", "argmax_type"): {3: "int32", 4: "int64"},  # (dtype names: its __init__'s numbers)
}
_SKIP_ATTRS = {"input_names", "output_names", "primitive_target", "side_effect_mem", "side_effect_io",
               "side_effect_propagate", "is_load", "format", "IsFeatureMapInputList", "IsFeatureMapOutput",
               "visited", "cust_aicpu", "io_format"}


def _item(a):
    seq, i = a
    if not isinstance(seq, (tuple, list)):
        raise MindIRError(f"TupleGetItem of a {type(seq).__name__}, not a tuple")
    if not -len(seq) <= int(i) < len(seq):
        raise MindIRError(f"TupleGetItem reads output {int(i)} of a primitive gradserve gives {len(seq)} output(s) of")
    return seq[int(i)]


def _framework(op_type: str):
    """MindSpore's graph-structure primitives: parameters' loads, state tokens, tuples, sub-graph values."""
    sub = calls.framework(op_type)
    if sub is not None:
        return sub
    return {
        "Load": lambda a: a[0],
        "UpdateState": lambda a: MONAD,
        "Depend": lambda a: a[0],
        "TensorMove": lambda a: a[0],  # (a copy MindSpore makes of a parameter read in a nested Cell)
        "MakeTuple": lambda a: tuple(a),
        "MakeList": lambda a: list(a),
        "TupleGetItem": _item,
        "ListGetItem": lambda a: a[0][int(a[1])],
        "RealTupleGetItem": _item,
        "make_list": lambda a: list(a),
    }.get(op_type)


def _internal(op_type: str):
    """Primitives MindSpore's compiler writes that are not MindSpore's public op classes: their public function."""
    from .. import ops
    from ..scipy.linalg import solve_triangular

    return {
        # (a dtype argument: the input cast to it first, as MindSpore's ops do)
        "SumExt": lambda x, dim=None, keepdim=False, dtype=None: ops.sum(_cast(x, dtype), dim, keepdim),
        "MeanExt": lambda x, dim=None, keepdim=False, dtype=None: ops.mean(_cast(x, dtype), dim, keepdim),
        "ProdExt": lambda x, dim=None, keepdim=False, dtype=None: ops.prod(_cast(x, dtype), dim, keepdim),
        "Muls": lambda x, s: ops.mul(x, s),
        "Divs": lambda x, s: ops.div(x, s),
        "Adds": lambda x, s, alpha=1: ops.add(x, s * alpha),
        "AddScalar": lambda x, s, alpha=1: ops.add(x, s * alpha),
        "SubScalar": lambda x, s, alpha=1: ops.sub(x, s * alpha),
        "AddExt": lambda x, y, alpha=1: ops.add(x, y * alpha if alpha != 1 else y),
        "SubExt": lambda x, y, alpha=1: ops.sub(x, y * alpha if alpha != 1 else y),
        "MatMulExt": lambda x, y: ops.matmul(x, y),
        "BatchMatMulExt": lambda x, y: ops.bmm(x, y),
        "Dense": lambda x, w, b=None: ops.dense(x, w, b),
        "StopGradient": lambda x: ops.stop_gradient(x),
        "SiLU": lambda x: ops.silu(x),
        "ClampScalar": lambda x, lo=None, hi=None: ops.clamp(x, lo, hi),
        "ClampTensor": lambda x, lo=None, hi=None: ops.clamp(x, lo, hi),
        "RemainderTensorScalar": lambda x, s: ops.remainder(x, s),
        "RemainderTensorTensor": lambda x, y: ops.remainder(x, y),
        "RemainderScalarTensor": lambda s, y: ops.remainder(s, y),
        # (MindSpore's primitives give (y, mean, rstd); the statistics are not given: reading one is refused)
        "GroupNorm": lambda x, groups, w=None, b=None, eps=1e-5: (ops.group_norm(x, groups, w, b, eps),),
        "LayerNormExt": lambda x, shape, w=None, b=None, eps=1e-5: (ops.layer_norm(x, shape, w, b, eps),),
        "Round": lambda x, decimals=0: ops.round(x, decimals=decimals),
        "Cast": lambda x, t: ops.cast(x, _type_id(t)),
        "Addcmul": lambda x, a, b, value=1: ops.addcmul(x, a, b, value),
        "Addcdiv": lambda x, a, b, value=1: ops.addcdiv(x, a, b, value),
        "MatrixDeterminant": lambda x: ops.det(x),
        "ScatterNd": lambda i, u, shape: ops.scatter_nd(i, u, shape),
        "TensorScatterAdd": lambda x, i, u: ops.tensor_scatter_add(x, i, u),
        "Diagonal": lambda x, offset=0, d1=0, d2=1: ops.diagonal(x, offset, d1, d2),
        "TraceV2": lambda x, off=0, a1=0, a2=1, dtype=None: ops.sum(_cast(ops.diagonal(x, off, a1, a2), dtype), -1),
        "DivMod": lambda x, y, mode=None: ops.div(x, y, rounding_mode=_enum_back("rounding_mode", mode)),
        "MaskedFillScalar": lambda x, mask, value: ops.masked_fill(x, mask, value),
        "LessScalar": lambda x, s: ops.less(x, s),
        "Scatter": _scatter,
        "ScatterValue": lambda x, axis, index, value, reduce=0: _scatter(x, axis, index, _filled(index, value, x),
                                                                         reduce),
        "TensorToScalar": lambda x: x.item(),  # (a run-time value as a Python number: a concrete one only)
        "Arange": lambda start, end, step=1, dtype=None: ops.arange(start, end, step, dtype=_cast_to(dtype)),
        "Index": lambda x, indices: x[tuple(slice(None) if i is None else i for i in indices)],  # (None: a whole axis)
        # (MindSpore's gives (X, A): X with op(A) X = b, A upper (lower) triangular, op the transpose)
        "TriangularSolve": lambda b, a, upper=True, transpose=False, unitriangular=False: (
            solve_triangular(a, b, trans=int(bool(transpose)), lower=not upper, unit_diagonal=bool(unitriangular)), a),
        "UnsortedSegmentSum": lambda x, ids, n: ops.unsorted_segment_sum(x, ids, n),
        "EqScalar": lambda x, s: ops.equal(x, s),
    }.get(op_type)


def _cast(x, dtype):
    from .. import ops

    return x if dtype is None else ops.cast(x, _type_id(dtype))


def _scatter(x, axis, index, src, reduce=0):
    """MindSpore's Scatter (ops.scatter, Tensor.scatter): its `reduce` numbers are none 0, add 1, multiply 2 (then
    each src element multiplies x at its position: the SDK's tensor_scatter_mul at index's full coordinates)."""
    from .. import ops
    from .._tensor import Tensor

    if reduce == 0:
        return ops.scatter(x, axis, index, src)
    if reduce == 1:
        return ops.tensor_scatter_elements(x, index, src, axis, "add")
    if reduce == 2:
        shape, axis = tuple(index.shape), int(axis) % x.ndim
        if tuple(src.shape) != shape:  # (src may be larger than index: its leading block is read)
            src = src[tuple(slice(0, n) for n in shape)]
        grid = np.indices(shape, dtype=np.int64)
        coords = [ops.cast(index, _type_id(35)) if k == axis else Tensor(grid[k]) for k in range(len(shape))]
        return ops.tensor_scatter_mul(x, ops.stack(coords, -1), src)
    raise MindIRError(f"Scatter with reduce={reduce!r}: MindSpore's numbers are 0 (none), 1 (add), 2 (multiply)")


def _filled(index, value, like):
    """ScatterValue's scalar as the src of Scatter: value at each of index's positions, like's dtype."""
    from .. import ops

    return ops.fill(like.dtype, tuple(index.shape), value)


def _cast_to(dtype):
    return None if dtype is None else _type_id(dtype)


def _type_id(v):
    """MindSpore's TypeId number for a dtype argument (its dtype_to_type_id) as the SDK's dtype."""
    from .. import dtype as mstype

    if isinstance(v, np.dtype):  # (a PRIMITIVE's dtype attribute: the reader's NumPy dtype)
        return getattr(mstype, "bool_" if v == np.bool_ else v.name)
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
        return v
    name = _TYPE_IDS.get(int(v))
    if name is None:
        raise MindIRError(f"dtype number {int(v)} is not one gradserve knows")
    return getattr(mstype, name)


_TYPE_IDS = {30: "bool_", 32: "int8", 33: "int16", 34: "int32", 35: "int64", 37: "uint8", 38: "uint16",
             39: "uint32", 40: "uint64", 42: "float16", 43: "float32", 44: "float64", 45: "bfloat16",
             51: "complex64", 52: "complex128"}
_DTYPE_ARGS = {"dtype", "output_type", "out_type", "dst_type"}
_DTYPE_NAMED = {"argmax_type"}  # (_OP_ENUMS tables whose values are dtype names)


def _enum_back(name: str, value, op_type: str = ""):
    table = _OP_ENUMS.get((op_type, name))
    if table is not None:
        if not isinstance(value, (int, np.integer)) or int(value) not in table:
            return value
        from .. import dtype as mstype

        return getattr(mstype, table[int(value)]) if name in _DTYPE_NAMED else table[int(value)]
    if name in _DTYPE_ARGS:
        return _type_id(value)
    table = _ENUMS.get(name)
    if table is not None and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return table.get(int(value), value)
    return value


def _positional(fn, skip_self=True) -> tuple[list[str], bool]:
    """The names of fn's positional parameters and whether it takes *args."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return [], True
    names, var = [], False
    for i, p in enumerate(sig.parameters.values()):
        if skip_self and i == 0 and p.name == "self":
            continue
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            var = True
    return names, var


def _n_call_inputs(cls) -> int | None:
    from .. import _catalog

    names, var = _positional(cls.__call__)
    if not var:
        return len(names)
    spec = _catalog.OPS.get(getattr(cls, "op", ""))
    return spec["arity"] if spec else None


def _callable(node: Node, model_name: str):
    """The SDK callable for one node: f(args) -> value."""
    from .. import ops

    fw = _framework(node.op_type)
    if fw is not None:
        return fw
    internal = _internal(node.op_type)
    if internal is not None:
        return lambda a: internal(*a)
    cls = getattr(ops, node.op_type, None)
    if not (isinstance(cls, type) and callable(cls)):
        raise MindIRError(f"{model_name}: node {node.name!r}: MindSpore primitive {node.op_type!r} is not supported "
                          "by gradserve's MindIR loader")
    init_names, _ = _positional(getattr(cls, "__init__"))  # (the class's own constructor: MindSpore's arguments)
    if not node.function_form:  # attributes are the constructor's
        kw = {k: _enum_back(k, v, node.op_type) for k, v in node.attrs.items()
              if k in init_names and k not in _SKIP_ATTRS}
        try:
            prim = cls(**kw)
        except (TypeError, ValueError) as e:
            raise MindIRError(f"{model_name}: node {node.name!r} ({node.op_type}): its attributes {kw} "
                              f"were refused: {e}") from None
        return lambda a: prim(*a)
    n_call = _n_call_inputs(cls)
    if n_call is None:
        raise MindIRError(f"{model_name}: node {node.name!r}: MindSpore primitive {node.op_type!r} has no known "
                          "argument order in gradserve's MindIR loader")
    init_params = [n for n in init_names if n != "name"]
    call_names, _ = _positional(cls.__call__)  # (a call input's enum / dtype numbers are turned back too: Eye's dtype)

    def run(a, cls=cls, n_call=n_call):
        extra = a[n_call:]
        if len(extra) > len(init_params):
            raise MindIRError(f"{model_name}: node {node.name!r} ({node.op_type}): {len(a)} arguments, gradserve's "
                              f"{node.op_type} takes {n_call} inputs and {len(init_params)} attributes")
        kw = {k: _enum_back(k, v, node.op_type) for k, v in zip(init_params, extra)}
        call = [_enum_back(k, v, node.op_type) for k, v in zip(call_names, a[:n_call])]
        call += a[len(call):n_call]
        return cls(**kw)(*call)

    return run


def compile_nodes(model) -> dict:
    """{graph name (None: the main graph): calls.Code} once per model: the lookups, checks, constant Tensors and
    the loops' shapes are not made again per call."""
    from .._tensor import Tensor

    def code(name, inputs, outputs, nodes, consts):
        consts = {k: Tensor(v) if isinstance(v, np.ndarray) else v for k, v in consts.items()}
        return calls.Code(name, inputs, outputs, [(n, _callable(n, model.file_name)) for n in nodes], consts)

    codes = {None: code(None, [i[0] for i in model.inputs], model.outputs, model.nodes, model.constants)}
    for name, g in model.functions.items():
        codes[name] = code(name, g.inputs, [g.output], g.nodes, g.constants)
    calls.find_loops(codes)
    codes[None].shared = calls.shared_constants(codes)
    return codes


def run(model, codes: dict, params: dict, args: tuple):
    """Evaluate the graph: `codes` is compile_nodes(model), `params` maps the graph's parameter names to
    Parameters, `args` are its inputs."""
    if len(args) != len(model.inputs):
        raise TypeError(f"GraphCell of {model.file_name}: the graph takes {len(model.inputs)} inputs, "
                        f"got {len(args)}")
    env = calls.Runner(model.file_name, codes, params).eval(codes[None], args)
    outs = [env[o] for o in model.outputs]
    return outs[0] if len(outs) == 1 else tuple(outs)
