"""MindSpore 2.10's functional signatures for ops.layer_norm, ops.group_norm and ops.top_k (they were bare
engine-op wrappers taking attributes by keyword only). Expected values and gradients are PyTorch's
(torch.nn.functional.layer_norm / group_norm, torch.topk); the group_norm example is MindSpore's docs'.
"""
import inspect

import numpy as np
import pytest
import torch

import gradserve as ms
from gradserve import Parameter, Tensor, ops
from gradserve.ops import functional as F

pytestmark = pytest.mark.usefixtures("on_real_server")  # layer_norm / group_norm run on the service

RNG = np.random.default_rng(7)
X = RNG.standard_normal((2, 3, 4))
W = RNG.standard_normal((2, 3, 4))  # the output's weights in the scalar loss the gradients are of


# MindSpore 2.10's positional parameters (its sources, mindspore/ops/function and auto_generate/gen_ops_def)
MINDSPORE_PARAMS = {
    "layer_norm": ["input", "normalized_shape", "weight", "bias", "eps"],
    "group_norm": ["input", "num_groups", "weight", "bias", "eps"],
    "top_k": ["input_x", "k", "sorted"],
    "col2im": ["input_x", "output_size", "kernel_size", "dilation", "padding_value", "stride"],
    "scatter_add": ["input_x", "indices", "updates"],
    "abs": ["input"], "sign": ["input"], "erfc": ["input"], "floor": ["input"], "frac": ["x"], "eigvals": ["A"],
    "add": ["input", "other"], "sub": ["input", "other"], "mul": ["input", "other"], "multiply": ["input", "other"],
    "floor_divide": ["input", "other"], "matmul": ["input", "other"],
    "all": ["input", "axis", "keep_dims"], "any": ["input", "axis", "keep_dims"],
    "prod": ["input", "axis", "keep_dims", "dtype"], "logsumexp": ["input", "dim", "keepdim"],
    "reshape": ["input", "shape"], "transpose": ["input", "dims"], "tile": ["input", "dims"],
    "expand_dims": ["input_x", "axis"], "squeeze": ["input", "axis"], "broadcast_to": ["input", "shape"],
    "softmax": ["input", "axis"], "log_softmax": ["logits", "axis"], "gelu": ["input", "approximate"],
    "leaky_relu": ["input", "alpha"], "prelu": ["input", "weight"], "zeros": ["size", "dtype"],
    "shape": ["input_x"], "rank": ["input_x"], "size": ["input_x"], "vstack": ["inputs"],
    "avg_pool2d": ["input_x", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"],
    "unsorted_segment_max": ["x", "segment_ids", "num_segments"],
    "unsorted_segment_min": ["x", "segment_ids", "num_segments"],
    "unsorted_segment_prod": ["x", "segment_ids", "num_segments"],
    "coo_add": ["x1", "x2", "thresh"], "csr_mv": ["csr_tensor", "dense"], "csr_reduce_sum": ["csr_tensor", "axis"],
    "csr_to_coo": ["tensor"], "csr_to_dense": ["csr_tensor"],
    "relu": ["input", "inplace"], "sum": ["input", "dim", "keepdim"], "flip": ["input", "dims"],
    "cast": ["input", "dtype"],
}

# MindSpore 2.10's keyword-only parameters (after `*`)
MINDSPORE_KEYWORD_ONLY = {"sum": ["dtype"], "softmax": ["dtype"]}


@pytest.mark.parametrize("name", sorted(MINDSPORE_KEYWORD_ONLY))
def test_keyword_only_parameters_are_mindspores(name):
    params = inspect.signature(getattr(ops, name)).parameters
    for kw in MINDSPORE_KEYWORD_ONLY[name]:
        assert params[kw].kind == inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("name", sorted(MINDSPORE_PARAMS))
def test_positional_parameters_are_mindspores(name):
    """Names and order (so MindSpore code calling by keyword or position works); trailing extras allowed."""
    params = [p.name for p in inspect.signature(getattr(ops, name)).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert params[:len(MINDSPORE_PARAMS[name])] == MINDSPORE_PARAMS[name]


def test_keyword_calls_in_mindspores_names():
    x = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
    np.testing.assert_allclose(ops.add(input=Tensor(x), other=Tensor(x)).asnumpy(), x + x)
    np.testing.assert_allclose(ops.transpose(input=Tensor(x), dims=(1, 0)).asnumpy(), x.T)
    np.testing.assert_allclose(ops.tile(input=Tensor(x), dims=(2, 1)).asnumpy(), np.tile(x, (2, 1)))
    np.testing.assert_allclose(ops.log_softmax(logits=Tensor(x), axis=0).asnumpy(),
                               torch.log_softmax(torch.tensor(x), 0).numpy(), rtol=1e-12)
    np.testing.assert_allclose(ops.logsumexp(Tensor(x), dim=1, keepdim=True).asnumpy(),
                               torch.logsumexp(torch.tensor(x), 1, keepdim=True).numpy(), rtol=1e-12)
    np.testing.assert_array_equal(ops.zeros(size=(2, 3)).asnumpy(), np.zeros((2, 3), np.float32))


def test_prod_dtype_casts_the_input_first():
    x = np.array([[3, 5, 7], [11, 13, 17]], np.int32)
    got = ops.prod(Tensor(x), 1, False, ms.float64)
    assert got.dtype == ms.float64
    np.testing.assert_array_equal(got.asnumpy(), np.prod(x.astype(np.float64), 1))
    got = ops.prod(Tensor(x), dtype=ms.float32)  # all axes, computed in float32 as NumPy's prod with dtype
    np.testing.assert_allclose(got.asnumpy(), np.prod(x, dtype=np.float32), rtol=1e-7)


@pytest.mark.parametrize("normalized_shape", [4, (4,), [3, 4]])
def test_layer_norm_defaults_match_torch(normalized_shape):
    dims = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    got = ops.layer_norm(Tensor(X), normalized_shape).asnumpy()
    ref = torch.nn.functional.layer_norm(torch.tensor(X), dims, eps=1e-5).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-8)


def test_layer_norm_weight_bias_eps_and_gradients_match_torch():
    gamma, beta = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))

    def f(a, g, b):
        return (ops.layer_norm(a, (3, 4), g, b, 1e-3) * Tensor(W)).sum()

    got = ops.grad(f, grad_position=(0, 1, 2))(Tensor(X), Tensor(gamma), Tensor(beta))
    tx, tg, tb = (torch.tensor(v, requires_grad=True) for v in (X, gamma, beta))
    out = torch.nn.functional.layer_norm(tx, (3, 4), tg, tb, eps=1e-3)
    (out * torch.tensor(W)).sum().backward()
    np.testing.assert_allclose(ops.layer_norm(Tensor(X), (3, 4), Tensor(gamma), Tensor(beta), eps=1e-3).asnumpy(),
                               out.detach().numpy(), rtol=1e-6, atol=1e-8)
    for a, t in zip(got, (tx, tg, tb)):
        np.testing.assert_allclose(a.asnumpy(), t.grad.numpy(), rtol=1e-6, atol=1e-8)


def test_layer_norm_bias_without_weight():
    beta = RNG.standard_normal(4)
    got = ops.layer_norm(Tensor(X), (4,), bias=Tensor(beta)).asnumpy()
    ref = torch.nn.functional.layer_norm(torch.tensor(X), (4,), bias=torch.tensor(beta)).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-8)


def test_group_norm_docs_example_and_defaults():
    ones = ops.group_norm(Tensor(np.ones([1, 2, 4, 4], np.float32)), 2).asnumpy()
    np.testing.assert_array_equal(ones, np.zeros([1, 2, 4, 4], np.float32))  # MindSpore docs' example
    x = RNG.standard_normal((2, 4, 3))
    ref = torch.nn.functional.group_norm(torch.tensor(x), 2, eps=1e-5).numpy()
    np.testing.assert_allclose(ops.group_norm(Tensor(x), 2).asnumpy(), ref, rtol=1e-6, atol=1e-8)


def test_group_norm_weight_bias_eps_and_gradients_match_torch():
    x, w = RNG.standard_normal((2, 6, 5)), RNG.standard_normal((2, 6, 5))
    gamma, beta = RNG.standard_normal(6), RNG.standard_normal(6)

    def f(a, g, b):
        return (ops.group_norm(a, 3, g, b, 1e-2) * Tensor(w)).sum()

    got = ops.grad(f, grad_position=(0, 1, 2))(Tensor(x), Tensor(gamma), Tensor(beta))
    tx, tg, tb = (torch.tensor(v, requires_grad=True) for v in (x, gamma, beta))
    out = torch.nn.functional.group_norm(tx, 3, tg, tb, eps=1e-2)
    (out * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ops.group_norm(Tensor(x), 3, Tensor(gamma), Tensor(beta), eps=1e-2).asnumpy(),
                               out.detach().numpy(), rtol=1e-6, atol=1e-8)
    for a, t in zip(got, (tx, tg, tb)):
        np.testing.assert_allclose(a.asnumpy(), t.grad.numpy(), rtol=1e-6, atol=1e-8)


def test_top_k_positional_k_matches_torch():
    x = np.array([[3.0, 1.0, 4.0, 1.5], [9.0, 2.0, 6.0, 5.0]], np.float32)
    values, indices = ops.top_k(Tensor(x), 2)
    ref = torch.topk(torch.tensor(x), 2)
    np.testing.assert_array_equal(values.asnumpy(), ref.values.numpy())
    np.testing.assert_array_equal(indices.asnumpy(), ref.indices.numpy())
    assert str(indices.dtype) == "Int32"


@pytest.mark.parametrize("call, error, match", [
    (lambda x: ops.layer_norm(x, (3,)), ValueError, r"normalized_shape \(3,\) must be the trailing axes .*\(2, 3, 4\)"),
    (lambda x: ops.layer_norm(x, "4"), TypeError, "normalized_shape must be an int"),
    (lambda x: ops.layer_norm(x, (4,), Tensor(np.ones(3))), ValueError, r"weight must have shape \(4,\), got \(3,\)"),
    (lambda x: ops.group_norm(x, 2), ValueError, "divide the channels C=3, got 2"),
    (lambda x: ops.group_norm(x, 1.5), TypeError, "num_groups must be an int"),
    (lambda x: ops.group_norm(x, 3, eps="a"), TypeError, "eps must be a float"),
])
def test_bad_arguments_say_what_is_wrong(call, error, match):
    with pytest.raises(error, match=match):
        call(Tensor(X))


@pytest.mark.parametrize("kernel, dilation, padding, stride", [([2, 2], [2, 2], [2, 2], [2, 2]), (3, 1, 1, 1),
                                                              ((2, 3), 1, (0, 1), (2, 1))])
def test_col2im_matches_torch_fold_and_its_gradient(kernel, dilation, padding, stride):
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(pair, (kernel, dilation, padding, stride))
    size = (8, 7)
    blocks = [(s + 2 * p - d * (k - 1) - 1) // st + 1 for s, p, d, k, st in zip(size, (ph, pw), (dh, dw), (kh, kw), (sh, sw))]
    x = RNG.standard_normal((2, 3, kh * kw, blocks[0] * blocks[1]))
    w = RNG.standard_normal((2, 3, *size))
    got = ops.col2im(Tensor(x), Tensor(np.array(size, np.int32)), kernel, dilation, padding, stride)
    tx = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.fold(tx.reshape(2, 3 * kh * kw, -1), size, (kh, kw), (dh, dw), (ph, pw), (sh, sw))
    np.testing.assert_allclose(got.asnumpy(), ref.detach().numpy(), rtol=1e-6, atol=1e-8)
    (ref * torch.tensor(w)).sum().backward()
    g = ops.grad(lambda a: (ops.col2im(a, size, kernel, dilation, padding, stride) * Tensor(w)).sum())(Tensor(x))
    np.testing.assert_allclose(g.asnumpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-8)


def test_col2im_wrong_shape_says_what_fits():
    with pytest.raises(ValueError, match=r"input_x must be \[N, C, 4, 16\] .* got shape \(1, 2, 4, 15\)"):
        ops.col2im(Tensor(np.zeros((1, 2, 4, 15))), (8, 8), 2, 1, 0, 2)


def test_scatter_add_is_mindspores_write_into_its_input():
    """MindSpore 2.10's docs example: rows of updates added at indices along axis 0, repeats summed, the
    Parameter written."""
    assert list(inspect.signature(ops.scatter_add).parameters)[:3] == ["input_x", "indices", "updates"]
    p = Parameter(Tensor(np.zeros((2, 3), np.float32)), name="x")
    updates = np.array([[[1.0] * 3, [3.0] * 3], [[7.0] * 3, [9.0] * 3]], np.float32)
    out = ops.scatter_add(p, Tensor(np.array([[0, 1], [1, 1]], np.int32)), Tensor(updates))
    np.testing.assert_array_equal(out.asnumpy(), [[1, 1, 1], [19, 19, 19]])
    np.testing.assert_array_equal(p.asnumpy(), [[1, 1, 1], [19, 19, 19]])
    q = Parameter(Tensor(np.ones((3, 2), np.float32)), name="q")
    ops.ScatterAdd()(q, Tensor(np.array([2, 0, 2], np.int32)), Tensor(np.array([[1, 2], [3, 4], [5, 6]], np.float32)))
    expected = np.ones((3, 2), np.float32)
    np.add.at(expected, [2, 0, 2], [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(q.asnumpy(), expected)


def test_like_constructors_take_dtype_and_round_takes_decimals():
    x = np.array([1.26, -2.5, 0.5, 1.5, 2.5, 0.125, 7.55], np.float32)
    ones = ops.ones_like(Tensor(x), dtype=ms.int32)
    assert ones.dtype == ms.int32
    np.testing.assert_array_equal(ones.asnumpy(), np.ones(7, np.int32))
    zeros = ops.zeros_like(Tensor(x), dtype=ms.float64)
    assert zeros.dtype == ms.float64
    np.testing.assert_array_equal(zeros.asnumpy(), np.zeros(7))
    assert ops.ones_like(Tensor(x)).dtype == ms.float32
    for d in (0, 1, 2, -1):  # NumPy's around: half to even at `decimals` places
        np.testing.assert_allclose(ops.round(Tensor(x), decimals=d).asnumpy(), np.round(x, d), rtol=1e-6, atol=0)
    with pytest.raises(TypeError, match="decimals must be an int"):
        ops.round(Tensor(x), decimals=1.0)


def test_generated_op_functions_take_mindspores_input_keywords():
    a, b = np.array([0.25, 1.0, 4.0]), np.array([0.25, 2.0, 3.0])
    np.testing.assert_allclose(ops.sin(input=Tensor(a)).asnumpy(), np.sin(a), rtol=1e-12)
    np.testing.assert_allclose(ops.sqrt(x=Tensor(a)).asnumpy(), np.sqrt(a), rtol=1e-12)  # MindSpore's sqrt(x)
    np.testing.assert_allclose(ops.arcsin(x=Tensor(a[:2])).asnumpy(), np.arcsin(a[:2]), rtol=1e-12)
    np.testing.assert_array_equal(ops.equal(input=Tensor(a), other=Tensor(b)).asnumpy(), a == b)
    np.testing.assert_allclose(ops.maximum(Tensor(a), other=Tensor(b)).asnumpy(), np.maximum(a, b))
    with pytest.raises(TypeError, match=r"sin\(\) got multiple values for its input 0 \(input\)"):
        ops.sin(Tensor(a), input=Tensor(a))
    with pytest.raises(TypeError, match=r"equal\(\) missing its input 0 \(input / x\)"):
        ops.equal(other=Tensor(b))


def test_relu_inplace_by_position_and_keyword_writes_the_input():
    x = np.array([[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]], np.float32)  # MindSpore docs' example
    expected = torch.relu(torch.tensor(x)).numpy()
    np.testing.assert_array_equal(ops.relu(input=Tensor(x)).asnumpy(), expected)
    t = Tensor(x)
    out = ops.relu(t, False)
    np.testing.assert_array_equal(out.asnumpy(), expected)
    np.testing.assert_array_equal(t.asnumpy(), x)  # not inplace: the input untouched
    for call in (lambda a: ops.relu(a, True), lambda a: ops.relu(a, inplace=True), lambda a: F.relu(a, True)):
        t = Tensor(x)
        assert call(t) is t
        np.testing.assert_array_equal(t.asnumpy(), expected)


def test_sum_takes_mindspores_dim_keepdim_and_dtype():
    x = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    tx = torch.tensor(x, dtype=torch.float64)
    np.testing.assert_array_equal(ops.sum(Tensor(x), 2, True).asnumpy(), np.sum(x, 2, keepdims=True))
    np.testing.assert_array_equal(ops.sum(input=Tensor(x), dim=[1, 2]).asnumpy(), np.sum(x, (1, 2)))
    np.testing.assert_array_equal(ops.sum(Tensor(x), axis=0, keepdims=True).asnumpy(), np.sum(x, 0, keepdims=True))
    got = ops.sum(Tensor(x), 1, dtype=ms.float64)
    assert got.dtype == ms.float64
    np.testing.assert_array_equal(got.asnumpy(), torch.sum(tx, 1).numpy())
    with pytest.raises(TypeError, match="dim and axis are the same argument"):
        ops.sum(Tensor(x), 1, axis=1)


def test_softmax_dtype_is_keyword_only_and_casts_first():
    x = RNG.standard_normal((3, 5)).astype(np.float32)
    got = ops.softmax(Tensor(x), 0, dtype=ms.float64)
    assert got.dtype == ms.float64
    np.testing.assert_allclose(got.asnumpy(), torch.softmax(torch.tensor(x, dtype=torch.float64), 0).numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(ops.softmax(input=Tensor(x), axis=1).asnumpy(),
                               torch.softmax(torch.tensor(x), 1).numpy(), rtol=1e-6)
    with pytest.raises(TypeError):
        ops.softmax(Tensor(x), 0, ms.float64)  # dtype by position: refused, as MindSpore's


def test_flip_takes_dims_by_position_and_keyword():
    x = RNG.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(ops.flip(Tensor(x), (0, 2)).asnumpy(), np.flip(x, (0, 2)))
    np.testing.assert_array_equal(ops.flip(input=Tensor(x), dims=[1]).asnumpy(), np.flip(x, 1))
    np.testing.assert_array_equal(ops.flip(Tensor(x), -1).asnumpy(), np.flip(x, -1))  # a bare int, kept


# MindSpore 2.10's primitive classes (ops/auto_generate/gen_ops_prim.py, ops/operations/*.py): __init__ and
# __call__ positional parameters
MINDSPORE_PRIMITIVES = {
    "ReduceSum": (["keep_dims", "skip_mode"], ["x", "axis"]), "Sort": (["axis", "descending"], ["x"]),
    "TopK": (["sorted"], ["input_x", "k"]), "Reshape": ([], ["input", "shape"]),
    "Transpose": ([], ["input", "dims"]), "ExpandDims": ([], ["input_x", "axis"]), "Squeeze": (["axis"], ["input"]),
    "BroadcastTo": (["shape"], ["input"]), "Gather": (["batch_dims"], ["input_params", "input_indices", "axis"]),
    "Fill": ([], ["dtype", "dims", "x"]), "Abs": ([], ["input"]), "Sign": ([], ["input"]),
    "MatMul": (["transpose_a", "transpose_b"], ["input", "mat2"]), "Softmax": (["axis"], None),
    "ArgMaxWithValue": (["axis", "keep_dims"], ["input"]), "ArgMinWithValue": (["axis", "keep_dims"], ["input"]),
    "LayerNorm": (["begin_norm_axis", "begin_params_axis", "epsilon"], ["input_x", "gamma", "beta"]),
    "CumSum": (["exclusive", "reverse"], ["input", "axis"]), "Erfc": ([], ["input"]), "Elu": (["alpha"], ["input_x"]),
    "GeLU": ([], ["input"]), "Flatten": ([], ["input_x"]), "FloorDiv": ([], ["input", "other"]),
    "HSwish": ([], ["input"]), "HSigmoid": ([], ["input"]), "IsInf": ([], ["input"]), "IsFinite": ([], ["input"]),
    "Xlogy": ([], ["input", "other"]), "Slice": ([], ["input", "begin", "size"]),
    "Argmax": (["axis", "output_type"], ["input_x"]), "Argmin": (["axis", "output_type"], ["x"]),
    "ReduceAll": (["keep_dims"], ["input", "axis"]), "ReduceAny": (["keep_dims"], ["x", "axis"]),
    "Ones": ([], ["shape", "dtype"]), "Zeros": ([], ["size", "dtype"]), "Split": (["axis", "output_num"], ["input_x"]), "Range": (["maxlen"], ["start", "end", "step"]),
    "AddN": ([], ["x"]), "BatchMatMul": (["transpose_a", "transpose_b"], ["x", "y"]),
}


def _positional(fn) -> list[str]:
    return [p.name for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"]


@pytest.mark.parametrize("name", sorted(MINDSPORE_PRIMITIVES))
def test_primitive_parameters_are_mindspores(name):
    """Names and order, so MindSpore code building and calling them by position or keyword works."""
    init, call = MINDSPORE_PRIMITIVES[name]
    cls = getattr(ops, name)
    assert _positional(cls.__init__)[:len(init)] == init  # (Primitive's own `name` may follow)
    if call is not None:
        assert _positional(cls.__call__) == call


def test_generated_primitives_take_input_keywords():
    a, b = np.array([0.25, 1.0, 4.0]), np.array([0.5, 1.0, 3.0])
    np.testing.assert_allclose(ops.Sin()(input=Tensor(a)).asnumpy(), np.sin(a), rtol=1e-12)
    np.testing.assert_allclose(ops.Add()(Tensor(a), other=Tensor(b)).asnumpy(), a + b)
    np.testing.assert_array_equal(ops.Abs()(input=Tensor(-a)).asnumpy(), a)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        ops.Sin()(Tensor(a), nope=1)


def test_reduce_sum_skip_mode_of_an_empty_axis_is_mindspores():
    x = np.arange(6.0).reshape(2, 3)
    # MindSpore 2.10 PyNative (eager): the total broadcast to x's shape, not x as its doc says (h-left23's p3.py;
    # a graph gives x: test_mindspore_left23.py)
    np.testing.assert_array_equal(ops.ReduceSum(False, True)(Tensor(x)).asnumpy(), np.full((2, 3), 15.0))
    np.testing.assert_array_equal(ops.ReduceSum(True, True)(Tensor(x), 1).asnumpy(), np.sum(x, 1, keepdims=True))
    np.testing.assert_array_equal(ops.ReduceSum(skip_mode=False)(Tensor(x)).asnumpy(), np.sum(x))


def test_sort_and_topk_primitives_take_mindspores_arguments():
    x = np.array([[3.0, 1.0, 4.0, 1.5], [9.0, 2.0, 6.0, 5.0]], np.float32)
    values, indices = ops.Sort(0, True)(Tensor(x))
    ref = torch.sort(torch.tensor(x), stable=True, dim=0, descending=True)
    np.testing.assert_array_equal(values.asnumpy(), ref.values.numpy())
    np.testing.assert_array_equal(indices.asnumpy(), ref.indices.numpy())
    assert indices.dtype == ms.int32
    values, indices = ops.TopK(True)(Tensor(x), 3)
    ref = torch.topk(torch.tensor(x), 3)
    np.testing.assert_array_equal(values.asnumpy(), ref.values.numpy())
    np.testing.assert_array_equal(indices.asnumpy(), ref.indices.numpy())
    values, _ = ops.TopK(sorted=False)(input_x=Tensor(x), k=2)
    np.testing.assert_array_equal(np.sort(values.asnumpy(), 1), np.sort(ref.values.numpy()[:, :2], 1))


def test_renamed_primitive_inputs_by_keyword():
    x = RNG.standard_normal((2, 3))
    np.testing.assert_array_equal(ops.Transpose()(input=Tensor(x), dims=(1, 0)).asnumpy(), x.T)
    np.testing.assert_array_equal(ops.Reshape()(input=Tensor(x), shape=(3, 2)).asnumpy(), x.reshape(3, 2))
    np.testing.assert_array_equal(ops.ExpandDims()(input_x=Tensor(x), axis=0).asnumpy(), x[None])
    idx = np.array([2, 0], np.int32)
    np.testing.assert_array_equal(ops.Gather()(input_params=Tensor(x), input_indices=Tensor(idx), axis=1).asnumpy(),
                                  np.take(x, idx, 1))
    got = ops.Fill()(dtype=ms.float32, dims=(2, 2), x=1.5)
    np.testing.assert_array_equal(got.asnumpy(), np.full((2, 2), 1.5, np.float32))


def test_more_primitives_by_mindspores_input_keywords():
    x = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
    t = torch.tensor(x)
    np.testing.assert_allclose(ops.CumSum()(input=Tensor(x), axis=1).asnumpy(), np.cumsum(x, 1))
    np.testing.assert_allclose(ops.Erfc()(input=Tensor(x)).asnumpy(), torch.special.erfc(t).numpy(), rtol=1e-12)
    np.testing.assert_allclose(ops.Elu()(input_x=Tensor(x)).asnumpy(), torch.nn.functional.elu(t).numpy(), rtol=1e-12)
    np.testing.assert_allclose(ops.HSwish()(input=Tensor(x)).asnumpy(), torch.nn.functional.hardswish(t).numpy(),
                               rtol=1e-12)
    np.testing.assert_array_equal(ops.Flatten()(input_x=Tensor(x[None])).asnumpy(), x.reshape(1, -1))
    np.testing.assert_array_equal(ops.FloorDiv()(input=Tensor(x), other=Tensor(np.full(3, 2.0))).asnumpy(),
                                  np.floor_divide(x, 2.0))
    np.testing.assert_allclose(ops.Xlogy()(input=Tensor(x), other=Tensor(np.abs(x))).asnumpy(),
                               torch.xlogy(t, t.abs()).numpy(), rtol=1e-12)
    np.testing.assert_array_equal(ops.IsFinite()(input=Tensor(x)).asnumpy(), np.isfinite(x))
    np.testing.assert_array_equal(ops.Slice()(input=Tensor(x), begin=(0, 1), size=(2, 2)).asnumpy(), x[:, 1:3])
    index, value = ops.ArgMaxWithValue(axis=1)(input=Tensor(x))
    np.testing.assert_array_equal(index.asnumpy(), np.argmax(x, 1))
    np.testing.assert_array_equal(value.asnumpy(), np.max(x, 1))
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, -1.0])
    y = ops.LayerNorm(1, 1, 1e-5)(input_x=Tensor(x), gamma=Tensor(gamma), beta=Tensor(beta))[0]
    ref = torch.nn.functional.layer_norm(t, (3,), torch.tensor(gamma), torch.tensor(beta), eps=1e-5)
    np.testing.assert_allclose(y.asnumpy(), ref.numpy(), rtol=1e-6, atol=1e-8)


def test_primitive_calls_by_mindspores_keywords():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))
    np.testing.assert_allclose(ops.MatMul()(input=Tensor(a), mat2=Tensor(b)).asnumpy(), a @ b, rtol=1e-12)
    np.testing.assert_allclose(ops.MatMul(False, True)(Tensor(a), mat2=Tensor(b.T)).asnumpy(), a @ b, rtol=1e-12)
    c, d = RNG.standard_normal((2, 2, 3)), RNG.standard_normal((2, 3, 2))
    np.testing.assert_allclose(ops.BatchMatMul()(x=Tensor(c), y=Tensor(d)).asnumpy(), c @ d, rtol=1e-12)
    np.testing.assert_array_equal(ops.Argmax(axis=0)(input_x=Tensor(a)).asnumpy(), np.argmax(a, 0))
    flags = np.array([[True, False], [True, True]])
    np.testing.assert_array_equal(ops.ReduceAll()(input=Tensor(flags), axis=1).asnumpy(), flags.all(1))
    np.testing.assert_array_equal(ops.ReduceAll()(Tensor(flags)).asnumpy(), flags.all())
    ones = ops.Ones()(shape=(2, 3), dtype=ms.int32)
    assert ones.dtype == ms.int32
    np.testing.assert_array_equal(ones.asnumpy(), np.ones((2, 3)))
    zeros = ops.Zeros()(size=(3,), dtype=ms.float64)
    assert zeros.dtype == ms.float64
    np.testing.assert_array_equal(zeros.asnumpy(), np.zeros(3))
    parts = ops.Split(1, 3)(input_x=Tensor(a))
    for got, ref in zip(parts, np.split(a, 3, 1)):
        np.testing.assert_array_equal(got.asnumpy(), ref)
    np.testing.assert_array_equal(ops.Range()(start=Tensor(1.0), end=Tensor(7.0), step=Tensor(2.0)).asnumpy(),
                                  np.arange(1.0, 7.0, 2.0))
    np.testing.assert_allclose(ops.AddN()(x=[Tensor(a), Tensor(a), Tensor(a)]).asnumpy(), 3 * a, rtol=1e-12)


# MindSpore 2.10's op classes' constructors (inspect.signature(cls.__init__) in /work/msvenv): parameter names and
# defaults, in order. Sort / TopK reached through ops.operations (P) were the engine forms taking `name` first.
MINDSPORE_INIT = {
    "Sort": [("axis", -1), ("descending", False)], "TopK": [("sorted", True)], "Eig": [("compute_v", False)],
    "Conv2D": [("out_channel", None), ("kernel_size", None), ("mode", 1), ("pad_mode", "valid"), ("pad", 0),
               ("stride", 1), ("dilation", 1), ("group", 1), ("data_format", "NCHW")],
    "Conv3D": [("out_channel", None), ("kernel_size", None), ("mode", 1), ("pad_mode", "valid"), ("pad", 0),
               ("stride", 1), ("dilation", 1), ("group", 1), ("data_format", "NCDHW")],
    "MaxPool": [("kernel_size", 1), ("strides", 1), ("pad_mode", "valid"), ("data_format", "NCHW")],
    "AvgPool": [("kernel_size", 1), ("strides", 1), ("pad_mode", "VALID"), ("data_format", "NCHW")],
    "MaxPool3D": [("kernel_size", 1), ("strides", 1), ("pad_mode", "VALID"), ("pad_list", 0), ("ceil_mode", None),
                  ("data_format", "NCDHW")],
    "AvgPool3D": [("kernel_size", 1), ("strides", 1), ("pad_mode", "valid"), ("pad", 0), ("ceil_mode", False),
                  ("count_include_pad", True), ("divisor_override", 0), ("data_format", "NCDHW")],
    "MatMul": [("transpose_a", False), ("transpose_b", False)], "BatchMatMul": [("transpose_a", False),
                                                                               ("transpose_b", False)],
    "Argmax": [("axis", -1), ("output_type", "Int32")], "CumSum": [("exclusive", False), ("reverse", False)],
    "BiasAdd": [("data_format", "NCHW")], "Concat": [("axis", 0)], "Cholesky": [("upper", False)],
    "MaxPoolWithArgmaxV2": [("kernel_size", None), ("strides", None), ("pads", 0), ("dilation", (1, 1)),
                            ("ceil_mode", False), ("argmax_type", "Int64")],
}


def _init_params(cls):
    return [(p.name, None if p.default is p.empty else p.default)
            for p in list(inspect.signature(cls.__init__).parameters.values())[1:]]


@pytest.mark.parametrize("name", sorted(MINDSPORE_INIT))
def test_op_class_constructors_are_mindspores(name):
    from gradserve.ops import operations as P
    for cls in (getattr(ops, name), getattr(P, name)):
        got = [(n, str(d) if n in ("output_type", "argmax_type") else d) for n, d in _init_params(cls)]
        assert got == [(n, d) for n, d in MINDSPORE_INIT[name]], cls


def test_operations_module_has_the_mindspore_forms():
    """P.Sort(0) sorts along axis 0 (MindSpore: [[1, 2], [3, 0]] along 0 -> [[1, 0], [3, 2]]); P.TopK(False) is
    sorted=False; every name ops.operations shares with ops is the same object."""
    from gradserve.ops import operations as P
    assert P.Sort is ops.Sort and P.TopK is ops.TopK and P.col2im is ops.col2im
    values, _ = P.Sort(0)(Tensor(np.array([[1.0, 2.0], [3.0, 0.0]], np.float32)))
    np.testing.assert_array_equal(values.asnumpy(), [[1, 0], [3, 2]])
    assert P.TopK(False).sorted is False


@pytest.mark.parametrize("make", [lambda: ops.Sin("x"), lambda: ops.Add("add"), lambda: ops.Abs("a"),
                                  lambda: ops.Cast("c"), lambda: ops.Reshape("r")])
def test_op_classes_take_no_name(make):
    """MindSpore: ops.Sin("x") -> TypeError "too many positional arguments"."""
    with pytest.raises(TypeError, match="too many positional arguments"):
        make()


def test_a_user_primitive_still_takes_its_name():
    class MyOp(ops.Primitive):
        pass
    assert MyOp("my_op").name == "my_op"


# MindSpore 2.10's op classes' __call__ parameters (inspect.signature in /work/msvenv), so keyword calls run
MINDSPORE_CALL = {
    "Cast": ["input_x", "dtype"], "Tile": ["input", "dims"], "Dense": ["input", "weight", "bias"],
    "BCEWithLogitsLoss": ["input", "target", "weight", "posWeight"], "BinaryCrossEntropy": ["input", "target", "weight"],
    "Lerp": ["input", "end", "weight"], "MaskedScatter": ["input", "mask", "source"], "Eye": ["n", "m", "dtype"],
    "SearchSorted": ["sorted_sequence", "values", "sorter"], "NLLLoss": ["logits", "labels", "weight"],
    "LeftShift": ["x1", "x2"], "RightShift": ["input_x", "input_y"], "ResizeBilinearV2": ["image", "size"],
}


@pytest.mark.parametrize("name", sorted(MINDSPORE_CALL))
def test_op_class_call_parameters_are_mindspores(name):
    assert list(inspect.signature(getattr(ops, name).__call__).parameters)[1:] == MINDSPORE_CALL[name]


def test_op_class_calls_by_mindspores_keywords():
    """MindSpore 2.10: BCEWithLogitsLoss()(logits, labels) (weight and posWeight default to None) is 0.8972406
    for these; reduction 'none' with weight [1, 2] gives [[0.55435526, 0.52656484], [2.126928, 1.2887933]]."""
    logits = Tensor(np.array([[0.3, -1.2], [2.0, 0.1]], np.float32))
    labels = Tensor(np.array([[1.0, 0.0], [0.0, 1.0]], np.float32))
    np.testing.assert_allclose(ops.BCEWithLogitsLoss()(logits, labels).asnumpy(), 0.8972406, rtol=1e-6)
    np.testing.assert_allclose(ops.BCEWithLogitsLoss("none")(input=logits, target=labels,
                                                             weight=Tensor(np.array([1.0, 2.0], np.float32))).asnumpy(),
                               [[0.55435526, 0.52656484], [2.126928, 1.2887933]], rtol=1e-6)
    x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    np.testing.assert_array_equal(ops.Tile()(input=Tensor(x), dims=(1, 2)).asnumpy(), np.tile(x, (1, 2)))
    np.testing.assert_allclose(ops.Dense()(input=Tensor(x), weight=Tensor(x)).asnumpy(), x @ x.T)
    assert ops.Cast()(input_x=Tensor(x), dtype=ms.int32).dtype == ms.int32
    seq, order = np.array([[3.0, 1.0, 2.0]], np.float32), np.array([[1, 2, 0]], np.int64)
    np.testing.assert_array_equal(  # (sorter: numpy.searchsorted's meaning; MindSpore's CPU kernel refuses it)
        ops.SearchSorted()(Tensor(seq), Tensor(np.array([[2.5]], np.float32)), sorter=Tensor(order)).asnumpy(),
        [[np.searchsorted(seq[0], 2.5, sorter=order[0])]])
