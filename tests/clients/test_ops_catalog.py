"""The SDK's op list comes from the engine's registry (one definition), and its shape rules agree."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import gradserve
from gradserve import _catalog, _infer, ops

from engine.ir import AVal
from engine.ops.registry import FUNCTION_OPS, OPS, op_catalog

ROOT = Path(__file__).resolve().parents[2]
GEN = ROOT / "clients/python/tools/gen_ops.py"


def _gen_module():
    spec = importlib.util.spec_from_file_location("gen_ops", GEN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_checked_in_ops_json_matches_engine_registry():
    path = Path(gradserve.__file__).with_name("_ops.json")
    assert path.read_text() == _gen_module().render(), \
        "clients/python/gradserve/_ops.json is stale: run python clients/python/tools/gen_ops.py"
    assert [o["name"] for o in json.loads(path.read_text())["ops"]] == [o["name"] for o in op_catalog()]


def test_checked_in_ops_stub_matches_the_sdk():
    """ops/__init__.pyi (what type checkers and editors read) is rendered from the SDK as imported: a new op module
    missing from the generator's list, or an op added without regenerating, makes it stale."""
    path = Path(gradserve.__file__).with_name("ops") / "__init__.pyi"
    assert path.read_text() == _gen_module().render_stub(), \
        "clients/python/gradserve/ops/__init__.pyi is stale: run python clients/python/tools/gen_ops.py"


def test_catalog_names_every_engine_op():
    assert set(_catalog.OPS) == set(OPS)
    assert set(_catalog.FUNCTION_OPS) == set(FUNCTION_OPS)


def _camel(n):
    return "".join(p.capitalize() for p in n.split("_"))


@pytest.mark.parametrize("name", sorted(set(OPS) - set(FUNCTION_OPS)))
def test_a_class_and_a_function_per_op(name):
    cls = getattr(ops, _camel(name))
    assert issubclass(cls, ops.Primitive) and cls.op == name
    assert callable(getattr(ops, name))


MINDSPORE_NAMES = ["MatMul", "Mul", "Sin", "Cos", "Tan", "Exp", "Log", "Pow", "Square", "Neg", "Div", "Sinh", "Cosh",
                   "Atanh", "Tanh", "ReduceSum", "ReduceMean", "Add", "Sub", "RealDiv", "ReLU", "Sigmoid", "Reshape",
                   "Transpose", "ExpandDims", "Squeeze", "Cast", "Concat", "Stack", "Split", "Tile", "BroadcastTo",
                   "Softmax", "LogSoftmax", "Gather", "Select", "ZerosLike", "OnesLike", "StopGradient",
                   "GradOperation"]


@pytest.mark.parametrize("name", MINDSPORE_NAMES)
def test_mindspore_names(name):
    assert hasattr(ops, name)


A = AVal
F = "float32"
CASES = {  # op -> list of (input avals, attrs)
    "add": [([A((2, 1), F), A((3,), F)], {})], "sub": [([A((2, 3), F), A((), F)], {})],
    "mul": [([A((4, 1, 3), F), A((2, 1), F)], {})], "div": [([A((2, 3), F), A((2, 3), F)], {})],
    "pow": [([A((2,), F), A((), F)], {})], "maximum": [([A((2, 3), F), A((3,), F)], {})],
    "minimum": [([A((2, 3), "int32"), A((3,), "int32")], {})],
    "equal": [([A((2, 3), F), A((3,), F)], {})], "logical_and": [([A((2,), "bool"), A((2,), "bool")], {})],
    "logical_not": [([A((2,), "bool")], {})],
    "polygamma": [([A((2, 3), F)], {"n": 2})],
    "where": [([A((2, 1), "bool"), A((3,), F), A((2, 3), F)], {})],
    "fill": [([], {"shape": (2, 3), "value": 1.0, "dtype": F})],
    "const": [([], {"value": np.zeros((2, 2), np.float64)})],
    "cast": [([A((2,), F)], {"dtype": "int32"})],
    "reshape": [([A((2, 3), F)], {"shape": (3, -1)}), ([A((2, 3), F)], {"shape": (6,)})],
    "transpose": [([A((2, 3, 4), F)], {"perm": (1, 2, 0)}), ([A((2, 3), F)], {"perm": None})],
    "broadcast_to": [([A((3,), F)], {"shape": (2, 3)})], "reduce_to": [([A((2, 3), F)], {"shape": (1, 3)})],
    "expand_dims": [([A((2, 3), F)], {"axis": -1})], "squeeze": [([A((2, 1, 3, 1), F)], {"axis": None}),
                                                                ([A((2, 1, 3, 1), F)], {"axis": (1,)})],
    "sum": [([A((2, 3), F)], {"axis": (1,), "keepdims": True}), ([A((2, 3), F)], {"axis": None, "keepdims": False})],
    "mean": [([A((2, 3, 4), F)], {"axis": (0, 2), "keepdims": False})],
    "max": [([A((2, 3), F)], {"axis": (-1,), "keepdims": False})], "min": [([A((2, 3), F)], {"axis": None, "keepdims": True})],
    "prod": [([A((2, 3), F)], {"axis": (0,), "keepdims": False})],
    "logsumexp": [([A((2, 3), F)], {"axis": (1,), "keepdims": True})],
    "softmax": [([A((2, 3), F)], {"axis": -1})], "log_softmax": [([A((2, 3), F)], {"axis": 0})],
    "matmul": [([A((2, 3), F), A((3, 4), F)], {"transpose_a": False, "transpose_b": False}),
               ([A((5, 3, 2), F), A((4, 3), F)], {"transpose_a": True, "transpose_b": True})],
    "index": [([A((4, 5, 6), F)], {"index": [1, [None, None, 2], None, "..."]}),
              ([A((4, 5), F)], {"index": [[1, 3, None], -1]})],
    "index_scatter": [([A((5,), F)], {"shape": (4, 5), "index": [1]})],
    "concat": [([A((2, 3), F), A((4, 3), F)], {"axis": 0})], "stack": [([A((2, 3), F), A((2, 3), F)], {"axis": 1})],
    "split": [([A((6, 2), F)], {"sections": 3, "indices": None, "axis": 0}),
              ([A((2, 7), F)], {"sections": None, "indices": (2, 5), "axis": -1})],
    "tile": [([A((2, 3), F)], {"reps": (2, 1, 2)})],
    "gather": [([A((5, 3), F), A((2, 2), "int32")], {"axis": 0}), ([A((5, 3), F), A((4,), "int64")], {"axis": 1})],
    "scatter_add": [([A((2, 3), F), A((2,), "int32")], {"shape": (5, 3), "axis": 0})],
    "segment_reduce": [([A((4, 3), F), A((4,), "int64")], {"num_segments": 5, "mode": "max"})],
}

I64 = "int64"
PAD2 = ((1, 0), (0, 1))
CASES.update({  # the ops of issue #14 (engine/ops/conv.py ... control_flow.py)
    "conv": [([A((1, 4, 5, 6), F), A((6, 2, 3, 2), F)], {"strides": (2, 1), "padding": PAD2, "groups": 2})],
    "conv_transpose": [([A((1, 4, 3), F), A((4, 3, 2), F)], {"strides": (2,), "output_padding": (1,)})],
    "im2col": [([A((1, 2, 4, 3), F)], {"window": (2, 2), "padding": PAD2})],
    "col2im": [([A((1, 2, 4, 4, 3), F)], {"shape": (4, 3), "window": (2, 2), "padding": PAD2})],
    "avg_pool": [([A((1, 2, 5, 4), F)], {"window": (2, 2), "strides": (2, 1)})],
    "max_pool": [([A((1, 2, 5, 4), F)], {"window": (2, 2), "dilation": (2, 1)})],
    "max_pool_mask": [([A((1, 2, 5, 4), F)], {"window": (2, 2)})],
    "gelu": [([A((2, 3), F)], {"approximate": "tanh"})],
    "layer_norm": [([A((2, 3, 4), F), A((3, 4), F)], {"axis": 1})],
    "group_norm": [([A((2, 4, 3), F), A((4,), F), A((4,), F)], {"num_groups": 2})],
    "batch_norm": [([A((2, 3, 4), F)] + [A((3,), F)] * 4, {"training": True})],
    "einsum": [([A((2, 3, 4), F), A((2, 4, 5), F)], {"equation": "bij,bjk->bik"}),
               ([A((2, 3, 4), F)], {"equation": "...j->j"})],
    "dot_general": [([A((2, 3, 4), F), A((4, 2, 5), F)],
                     {"lhs_contracting": (2,), "rhs_contracting": (0,), "lhs_batch": (0,), "rhs_batch": (1,)})],
    "pad": [([A((2, 3), F)], {"pads": ((1, 2), (-1, 1)), "mode": "edge"})],
    "flip": [([A((2, 3), F)], {"axis": (1,)})],
    "clip": [([A((2, 3), F), A((3,), F)], {}), ([A((2, 3), F)], {"min": 0.0})],
    "take_along_axis": [([A((2, 3), F), A((2, 5), I64)], {"axis": 1})],
    "scatter_add_along": [([A((2, 5), F), A((2, 5), I64)], {"shape": (2, 3), "axis": 1})],
    "scatter": [([A((3, 2), F), A((2, 2), I64), A((2, 2), F)], {"axis": 0})],
    "dynamic_slice": [([A((4, 3), F), A((), I64), A((), I64)], {"sizes": (2, 2)})],
    "dynamic_update_slice": [([A((4, 3), F), A((2, 2), F), A((), I64), A((), I64)], {})],
    "arange": [([], {"start": 1.0, "stop": 4.0, "step": 0.5, "dtype": F})],
    "iota": [([], {"shape": (2, 3), "dimension": 1})],
    "cumsum": [([A((2, 3), F)], {"axis": 1, "exclusive": True})],
    **{op: [([A((2, 3), I64), A((3,), I64)], {})] for op in ("bitwise_and", "bitwise_or", "bitwise_xor")},
    "cumprod": [([A((2, 3), F)], {"axis": 0, "reverse": True})],
    "linrec": [([A((2, 3), F), A((2, 3), F)], {"axis": 1})],
    "argmax": [([A((2, 3), F)], {"axis": 0, "keepdims": True})],
    "argmin": [([A((2, 3), F)], {"axis": -1})],
    "sort": [([A((2, 3), F)], {"axis": 0, "descending": True})],
    "sort_stl": [([A((2, 3), F)], {"axis": 0, "descending": True})],
    "top_k": [([A((2, 5), F)], {"k": 2})],
    "top_k_stl": [([A((2, 5), F)], {"k": 2})],
    "top_k_unsorted": [([A((2, 5), F)], {"k": 2})],
    "check_false": [([A((), "bool"), A((2, 3), F)], {"message": "m"})],
})


def _branch():
    """A flat branch graph, as lowering gives switch_run (identity of a [2, 3] operand)."""
    from engine.ir import Graph, Var

    v = Var(A((2, 3), F), "a")
    return Graph([v], [], [], v)


C64 = "complex64"
CASES.update({  # complex operands (engine/ops/complex_ops.py)
    "angle": [([A((2, 3), C64)], {})], "abs": [([A((2, 3), C64)], {}), ([A((2, 3), F)], {})],
    "real": [([A((2, 3), "complex128")], {}), ([A((2, 3), F)], {})], "imag": [([A((2, 3), C64)], {})],
    "conj": [([A((2, 3), C64)], {})], "complex": [([A((2, 1), F), A((3,), F)], {})],
})
CASES.update({  # square matrices (engine/ops/linalg_solve.py)
    "cholesky": [([A((2, 3, 3), F)], {})], "matrix_inverse": [([A((3, 3), F)], {})], "slogdet": [([A((2, 3, 3), F)], {})],
    "solve": [([A((2, 3, 3), F), A((2, 3, 4), F)], {})],
    "triangular_solve": [([A((3, 3), F), A((3, 1), F)], {"lower": False, "transpose_a": True})],
})
CASES.update({  # determinant and its derivatives (engine/ops/linalg_det.py)
    "det": [([A((2, 3, 3), F)], {}), ([A((3, 3), C64)], {})],
    "matrix_exp": [([A((2, 3, 3), F)], {}), ([A((3, 3), C64)], {})],
    "det_grad": [([A((3, 3), F)], {}), ([A((2, 3, 3), F)] * 3, {})],
})
CASES.update({  # LU (engine/ops/linalg_lu.py)
    "lu": [([A((2, 3, 3), F)], {})],
    "lu_pivots_to_permutation": [([A((2, 3), "int32")], {"permutation_size": 4})],
})
CASES.update({  # QR and symmetric eigendecomposition (engine/ops/linalg_decomp.py)
    "qr": [([A((2, 4, 3), F)], {}), ([A((3, 5), F)], {})],
    "eigh": [([A((2, 3, 3), F)], {"lower": False}), ([A((3, 3), C64)], {})],
    "eig": [([A((2, 3, 3), F)], {}), ([A((3, 3), "complex128")], {})],
    "linear_sum_assignment": [([A((3, 5), F), A((), "int64")], {"maximize": True}), ([A((4, 2), "bool"), A((), "int32")], {})],
})
CASES.update({  # Fourier transforms (engine/ops/fft.py)
    "fft": [([A((2, 3, 4), C64)], {"axes": (2, 0), "inverse": True, "norm": "ortho"})],
    "rfft": [([A((2, 6, 3), F)], {"axes": (2, 1)}), ([A((5,), "float64")], {"axes": (0,), "norm": "forward"})],
    "irfft": [([A((2, 4), C64)], {"axes": (1,), "n": 7}), ([A((3, 2), "complex128")], {"axes": (1, 0), "n": 5})],
})
CASES["switch_run"] = [([A((), "int32"), A((2, 3), F)], {"branches": (_branch(), _branch())})]
CASES["while_run"] = [([A((2, 3), F)], {"cond": _branch(), "body": _branch(), "n_state": 1, "max_trips": 3})]
CASES.update({  # front-end stand-ins (engine/ops/custom_vjp.py): a value with no bprop, a forward with no kernel
    "bprop_undefined": [([A((4,), F), A((2, 3), F)], {"message": "no bprop"})],
    "no_kernel": [([A((2, 3), F)], {"message": "no kernel", "shape": (5, 1), "dtype": "float64"})],
})


# emitted by the tracer with the avals of the values it wraps (gradserve/_bprop.py), never shape-inferred
NO_SDK_RULE = {"custom_vjp"}


@pytest.mark.parametrize("name", sorted(set(OPS) - set(FUNCTION_OPS) - NO_SDK_RULE))
def test_shape_rules_agree_with_engine(name):
    cases = CASES.get(name) or [([A((2, 3), F)] * (OPS[name].arity or 1), {})]
    for avals, attrs in cases:
        full = _catalog.check(name, len(avals), dict(attrs))
        engine_out = OPS[name].infer(avals, **{**{k: v for k, v in full.items()}, **attrs})
        sdk_out = _infer.infer(name, [(a.shape, a.dtype) for a in avals], {**full, **attrs})
        assert [(tuple(s), d) for s, d in sdk_out] == [(a.shape, a.dtype) for a in engine_out], (name, avals, attrs)


def test_shape_errors_are_raised_while_tracing():
    with pytest.raises(gradserve.ShapeError):
        _infer.infer("matmul", [((2, 3), F), ((2, 3), F)], {"transpose_a": False, "transpose_b": False})
    with pytest.raises(gradserve.ShapeError):
        _infer.infer("add", [((2, 3), F), ((4,), F)], {})


def test_addn_and_tensoradd(on_real_server):
    """AddN sums a tuple (its gradient is one for each addend); TensorAdd is Add's 1.x name."""
    import gradserve as gs
    a, b, c = (gs.Tensor(np.array(v, np.float32)) for v in ([1.0, 2.0], [3.0, 4.0], [5.0, 6.0]))
    np.testing.assert_allclose(gs.ops.AddN()((a, b, c)).asnumpy(), [9.0, 12.0])
    np.testing.assert_allclose(gs.ops.addn([a, b]).asnumpy(), [4.0, 6.0])
    np.testing.assert_allclose(gs.ops.TensorAdd()(a, b).asnumpy(), [4.0, 6.0])
    g = gs.ops.grad(lambda x, y: gs.ops.AddN()((x, y, x)).sum(), grad_position=(0, 1))(a, b)
    np.testing.assert_allclose(g[0].asnumpy(), [2.0, 2.0])
    np.testing.assert_allclose(g[1].asnumpy(), [1.0, 1.0])
    with pytest.raises(TypeError):
        gs.ops.AddN()(a)
