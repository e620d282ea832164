"""Sample seed 34 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 34").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv (PyNative unless said;
GRAPH_MODE / @jit where a test says so); the call that gave each is stated beside it."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, context, jit, nn, ops
from gradserve import log as logger
from gradserve._c_expression import _random_normal, _random_uniform, _truncated_normal
from gradserve.common import initializer as init
from gradserve.common.file_system import FileSystem, _register_basic_file_system, _register_mindio_file_system
from gradserve.nn.probability import distribution as msd
from gradserve.ops import composite as C
from gradserve.ops import functional as F
from gradserve.ops import operations as P
from gradserve.ops.operations import _inner_ops as inner

X = np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], np.float32)
B = np.array([[True, True, True], [False, False, False]])


# -- silently different before -----------------------------------------------------------------------------
def test_the_gradient_of_a_bool_input_is_dout_cast_to_bool(on_real_server):
    # ut/python/pynative_mode/test_implicit_conversion.py: gradserve gave all False. MindSpore 2.10, both modes,
    # GradOperation(get_all=True, sens_param=True) of x + y / x * y / x - y / x / (y + 1) at x = X, y = B,
    # sens = [[1, 2, 0], [0, 3, 0.4]]: d/dy of + and - and * -> [[T, T, F], [F, T, T]] (dout * x: 0.4 * 0.5 != 0),
    # of x / (y + 1) -> [[F, F, F], [F, T, F]]; ops.grad(position (0, 1)) of x * y.astype(float32) -> all True,
    # of relu(x - y) -> [[F, F, F], [T, T, F]], of select(y, x, 2x) -> all False (no path), of x * y.astype(int32)
    # -> all False (dout * x truncated to 0 by the int cast first)
    sens = Tensor(np.array([[1.0, 2.0, 0.0], [0.0, 3.0, 0.4]], np.float32))
    ga = ops.GradOperation(get_all=True, sens_param=True)
    x, y = Tensor(X), Tensor(B)
    T, F_ = True, False
    for f, want in ((lambda a, b: a + b, [[T, T, F_], [F_, T, T]]), (lambda a, b: a * b, [[T, T, F_], [F_, T, T]]),
                    (lambda a, b: a - b, [[T, T, F_], [F_, T, T]]), (lambda a, b: a / (b + 1), [[F_, F_, F_], [F_, T, F_]])):
        gx, gy = ga(f)(x, y, sens)
        assert gy.dtype == ms.bool_ and gy.asnumpy().tolist() == want
        assert gx.dtype == ms.float32
    for f, want in ((lambda a, b: a * b.astype(ms.float32), [[T] * 3] * 2),
                    (lambda a, b: ops.relu(a - b), [[F_] * 3, [T, T, F_]]),
                    (lambda a, b: ops.select(b, a, a * 2), [[F_] * 3] * 2),
                    (lambda a, b: a * b.astype(ms.int32), [[F_] * 3] * 2)):
        gy = ms.grad(f, grad_position=(0, 1))(x, y)[1]
        assert gy.dtype == ms.bool_ and gy.asnumpy().tolist() == want
    # integer inputs unchanged: d(x + y)/dy of int32 y with that sens -> [[1, 2, 0], [0, 3, 0]]
    gy = ga(lambda a, b: a + b)(x, Tensor(np.array([[1, 2, 3], [0, 0, 0]], np.int32)), sens)[1]
    assert gy.dtype == ms.int32 and gy.asnumpy().tolist() == [[1, 2, 0], [0, 3, 0]]


def test_softmax_of_an_axis_tuple(on_real_server):
    # P.Softmax(axis=(0, 1)) gave the softmax over axis 0 alone; MindSpore 2.10's CPU kernel fails on it (RuntimeError)
    # P.Softmax(axis=()) constructs; its call is ValueError "For primitive[Softmax], the length of axis must be greater
    # than or equal to 1, but got 0."; a 1-tuple is that axis
    x = Tensor(np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], np.float32))
    with pytest.raises(RuntimeError, match="Softmax"):
        P.Softmax(axis=(0, 1))(x)
    with pytest.raises(ValueError, match=r"the length of axis must be greater than or equal to 1, but got 0"):
        P.Softmax(axis=())(x)
    np.testing.assert_allclose(P.Softmax(axis=(0,))(x).asnumpy(), P.Softmax(axis=0)(x).asnumpy())


# -- missing names -----------------------------------------------------------------------------------------
def test_max_pool_with_argmax_indices_count_over_c_h_w(on_real_server):
    # MindSpore 2.10: MaxPoolWithArgmax(kernel_size=2, strides=2) of x = RandomState(1).randn(2, 2, 4, 4) -> int32
    # indices [[[[0, 6], [8, 10]], [[21, 22], [24, 26]]], [[[5, 6], [12, 15]], [[17, 23], [29, 27]]]] (channel c
    # counts from c * 16); of ones((1, 2, 4, 4)) the window's first: [[[[0, 2], [8, 10]], [[16, 18], [24, 26]]]];
    # kernel 3, strides 2, pad_mode 'same' of ones((1, 1, 4, 4)): shape (1, 1, 2, 2), [[[[0, 2], [8, 10]]]]
    x = np.random.RandomState(1).randn(2, 2, 4, 4).astype(np.float32)
    v, i = P.MaxPoolWithArgmax(kernel_size=2, strides=2)(Tensor(x))
    assert i.dtype == ms.int32
    assert i.asnumpy().tolist() == [[[[0, 6], [8, 10]], [[21, 22], [24, 26]]], [[[5, 6], [12, 15]], [[17, 23], [29, 27]]]]
    np.testing.assert_array_equal(v.asnumpy(), x.reshape(2, 2, 2, 2, 2, 2).max(axis=(3, 5)))
    _, i = ops.MaxPoolWithArgmax(kernel_size=2, strides=2)(Tensor(np.ones((1, 2, 4, 4), np.float32)))
    assert i.asnumpy().tolist() == [[[[0, 2], [8, 10]], [[16, 18], [24, 26]]]]
    v, i = P.MaxPoolWithArgmax(kernel_size=3, strides=2, pad_mode="same")(Tensor(np.ones((1, 1, 4, 4), np.float32)))
    assert v.shape == (1, 1, 2, 2) and i.asnumpy().tolist() == [[[[0, 2], [8, 10]]]]
    # MindSpore's checks: a number (TypeError), bool (TypeError), rank 3 (ValueError "the x_rank must be equal to 4")
    with pytest.raises(TypeError, match="MaxPoolWithArgmax"):
        P.MaxPoolWithArgmax()(5.0)
    with pytest.raises(TypeError, match="MaxPoolWithArgmax"):
        P.MaxPoolWithArgmax()(Tensor(np.ones([5], np.bool_)))
    with pytest.raises(ValueError, match="the x_rank must be equal to 4, but got 3"):
        P.MaxPoolWithArgmax()(Tensor(np.ones([1, 1, 32], np.float32)))


def test_depthwise_conv2d_native_checks_then_refuses_as_mindspore_cpu(on_real_server):
    # MindSpore 2.10: DepthwiseConv2dNative(2, (5, 5)) has no CPU kernel (RuntimeError "Unsupported op ... on CPU");
    # its checks come first: 'w' float16 against float32 'x' (TypeError "the type of 'w' should be same as 'x'"),
    # rank 2 'x' (ValueError "the 'x rank' must be int and must = 4, but got '2'"), x_shape[1] 1 against w_shape[1] 2
    # (ValueError), w [2, 1, 5, 6] (ValueError "the 'kernel_size' should be = w_shape[2:4]: (5, 6), but got (5, 5).")
    op = P.DepthwiseConv2dNative(2, (5, 5))
    f32 = lambda *s: Tensor(np.ones(s, np.float32))  # noqa: E731
    with pytest.raises(TypeError, match="the type of 'w' should be same as 'x'"):
        op(f32(5), Tensor(np.ones(5, np.float16)))
    with pytest.raises(ValueError, match="the 'x rank' must be int and must = 4, but got '2'"):
        op(f32(1, 1), f32(1, 1, 9, 9))
    with pytest.raises(ValueError, match=r"the 'x_shape\[1\]' should be = w_shape\[1\]: 2, but got 1"):
        op(f32(1, 1, 9, 9), f32(1, 2, 9, 9))
    with pytest.raises(ValueError, match=r"should be = w_shape\[2:4\]: \(5, 6\), but got \(5, 5\)"):
        op(f32(1, 1, 9, 9), f32(2, 1, 5, 6))
    with pytest.raises(RuntimeError, match=r"Unsupported op \[DepthwiseConv2dNative\] on CPU"):
        op(f32(1, 3, 9, 9), f32(1, 3, 5, 5))


def test_initializers_identity_dirac_sparse_orthogonal_variance_scaling():
    # MindSpore 2.10 (test_initializer's cases, run there): Identity [3, 4] -> eye(3, 4); Identity of 3-D, Sparse of
    # 3-D, Orthogonal of 1-D, Dirac of 2-D, of 6-D and of a first axis not divisible by groups, XavierUniform / HeUniform
    # of 1-D: ValueError; Dirac(groups=2) of [6, 2, 3] -> ones at [d + 3g, d, 1] for d < 2
    assert init.initializer("identity", [3, 4], ms.float32).asnumpy().tolist() == np.eye(3, 4).tolist()
    assert init.initializer(init.Identity(), [4, 3], ms.float32).asnumpy().tolist() == np.eye(4, 3).tolist()
    for bad, shape in ((init.Identity(), [5, 4, 6]), (init.Sparse(0.1), [5, 4, 6]), (init.Orthogonal(), [5]),
                       (init.Dirac(groups=1), [5, 4]), (init.Dirac(groups=1), [5, 4, 6, 7, 8, 9]),
                       (init.Dirac(groups=2), [5, 4, 6]), (init.XavierUniform(), [6]), (init.HeUniform(), [6])):
        with pytest.raises(ValueError):
            init.initializer(bad, shape, ms.float32)
    want = np.zeros((6, 2, 3), np.float32)
    for g in range(2):
        for d in range(2):
            want[3 * g + d, d, 1] = 1
    assert init.initializer(init.Dirac(groups=2), [6, 2, 3], ms.float32).asnumpy().tolist() == want.tolist()
    # Sparse(0.2) of [5, 6]: one zero a column (ceil(0.2 * 5)); Orthogonal: q q^T = I
    s = init.initializer(init.Sparse(sparsity=0.2, sigma=0.01), [5, 6], ms.float32).asnumpy()
    assert np.count_nonzero(s, axis=0).tolist() == [4] * 6
    q = init.initializer(init.Orthogonal(gain=1.), [2, 2], ms.float32).asnumpy()
    np.testing.assert_allclose(q @ q.T, np.eye(2), atol=1e-6)
    # VarianceScaling's argument checks (ValueError each); 'varianceScaling' by name; uniform within sqrt(3 scale / fan)
    for kw in ({"scale": -0.1}, {"scale": 0.1, "mode": "fans"}, {"scale": 0.1, "distribution": "uniformal"}):
        with pytest.raises(ValueError):
            init.VarianceScaling(**kw)
    assert init.initializer("varianceScaling", [2, 3], ms.float32).shape == (2, 3)
    u = init.initializer(init.VarianceScaling(3.0, "fan_avg", "uniform"), [20, 30], ms.float32).asnumpy()
    assert np.abs(u).max() <= np.sqrt(3 * 3.0 / 25) and u.std() > 0

    class InitTwo(init.Initializer):  # a user's subclass writes into the array it is given
        def _initialize(self, arr):
            init._assignment(arr, 2)
    t = init.initializer(InitTwo(), [2, 2], ms.int32)
    assert t.dtype == ms.int32 and t.init_data().asnumpy().tolist() == [[2, 2], [2, 2]]


def test_c_expression_seeded_fills():
    # MindSpore's _random_normal / _random_uniform / _truncated_normal(seed, data, ...): the same seed, the same
    # values; another seed, others; a truncated fill within its bounds
    a, b, c = (np.ndarray((11, 512), np.float32) for _ in range(3))
    _random_normal(12345678, a, 0.0, 1.0)
    _random_normal(12345678, b, 0.0, 1.0)
    _random_normal(12345679, c, 0.0, 1.0)
    assert np.array_equal(a, b) and not np.allclose(a, c) and abs(a.mean()) < 0.1 and abs(a.std() - 1) < 0.1
    _random_uniform(0, a, -1.0, 1.0)
    assert a.min() >= -1 and a.max() <= 1
    _truncated_normal(0, a, -2.0, 2.0, 0.0, 1.0)
    assert a.min() >= -2 and a.max() <= 2


def test_scalar_functions_and_type_categories(on_real_server):
    # MindSpore 2.10: F.scalar_add(3, 2) 5, scalar_div(3, 2) 1.5, scalar_floordiv(-3, 2) -2, scalar_mod(-3, 2) 1,
    # scalar_min(True, 2) True, scalar_max(3, 0.5) 3; scalar_div(1, 0): ValueError "The divisor could not be zero.
    # But the divisor is zero now.", scalar_mod(1, 0): ValueError "Cannot perform modulo operation on zero."
    assert (F.scalar_add(3, 2), F.scalar_sub(-3, 2), F.scalar_mul(7.5, 2)) == (5, -5, 15.0)
    assert (F.scalar_div(3, 2), F.scalar_floordiv(-3, 2), F.scalar_mod(-3, 2)) == (1.5, -2, 1)
    assert (F.scalar_lt(-3, 2), F.scalar_ge(3, 0.5), F.scalar_min(True, 2), F.scalar_max(3, 0.5)) == (True, True, True, 3)
    with pytest.raises(ValueError, match="The divisor could not be zero"):
        F.scalar_div(1, 0)
    with pytest.raises(ValueError, match="Cannot perform modulo operation on zero"):
        F.scalar_mod(1.0, 0)
    # MultitypeFuncGraph.register(mstype.number, mstype.tensor_type): chosen by the arguments' kinds
    add = C.MultitypeFuncGraph("add")
    add.register(ms.dtype.number, ms.dtype.number)(lambda x, y: F.scalar_add(x, y))
    add.register(ms.dtype.tensor_type, ms.dtype.tensor_type)(lambda x, y: P.Add()(x, y))
    assert add(1, 2) == 3
    assert add(Tensor(np.ones(2, np.float32)), Tensor(np.ones(2, np.float32))).asnumpy().tolist() == [2, 2]


def test_inner_clip_by_norm_over_all_axes(on_real_server):
    # MindSpore 2.10: inner.ClipByNorm() / ClipByNorm((0, 1)) of x = RandomState(0).randn(3, 4), clip 0.5 / 0.7:
    # x * clip / max(l2norm(x), clip); x[0, :2] -> [0.21433, 0.04862] (clip 0.5); the gradient of sum(out * arange(12))
    # w.r.t. clip: 8.89684 for either clip; clip 100 (above the norm): out x, d/dclip 0. Over axis 0 alone
    # MindSpore's CPU values are not the per-column formula its docs give: the documented formula here (h-msleft16).
    x = Tensor(np.random.RandomState(0).randn(3, 4).astype(np.float32))
    w = Tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    for op, clip in ((inner.ClipByNorm(), 0.5), (inner.ClipByNorm((0, 1)), 0.7)):
        c = Tensor(np.array([clip], np.float32))
        gx, gc = ms.grad(lambda a, b: (op(a, b) * w).sum(), grad_position=(0, 1))(x, c)
        np.testing.assert_allclose(gc.asnumpy(), [8.89684], rtol=1e-5)
    np.testing.assert_allclose(inner.ClipByNorm()(x, Tensor(np.array([0.5], np.float32))).asnumpy()[0, :2],
                               [0.21433, 0.04862], rtol=1e-4)
    gx, gc = ms.grad(lambda a, b: (inner.ClipByNorm()(a, b) * w).sum(), grad_position=(0, 1))(
        x, Tensor(np.array([100.0], np.float32)))
    assert gx.asnumpy().tolist() == w.asnumpy().tolist()
    # (MindSpore's 0.0 exactly; here x / c - x c / c**2 summed: 0 within float32's rounding of terms near 1)
    np.testing.assert_allclose(gc.asnumpy(), [0.0], atol=1e-6)
    cols = np.linalg.norm(x.asnumpy(), axis=0, keepdims=True)
    np.testing.assert_allclose(inner.ClipByNorm(0)(x, Tensor(np.array([0.5], np.float32))).asnumpy(),
                               x.asnumpy() * 0.5 / np.maximum(cols, 0.5), rtol=1e-5)


def test_file_system_helpers():
    # MindSpore 2.10: _register_basic_file_system(fs) -> True (open, ("ab",), open, ("rb",)); MindIO absent -> False
    fs = FileSystem()
    assert _register_basic_file_system(fs) is True
    assert (fs.create, fs.create_args, fs.open, fs.open_args) == (open, ("ab",), open, ("rb",))
    assert _register_mindio_file_system(fs) is False


def test_distribution_subclass_methods_not_defined(on_real_server):
    # MindSpore 2.10: a Distribution(seed, dtype, name, param) subclass defining no method: each of prob ... sample
    # called (through construct or directly) is NotImplementedError "<method> is not implemented for <name>
    # distribution."
    class MyExponential(msd.Distribution):
        def __init__(self, rate=None, seed=None, dtype=ms.float32, name="MyExponential"):
            super().__init__(seed, dtype, name, {"param_dict": {"rate": rate}})
    d = MyExponential()
    for method in ("prob", "cdf", "sd", "entropy", "sample"):
        with pytest.raises(NotImplementedError, match=f"{method} is not implemented for MyExponential distribution."):
            d(method, Tensor([0.2], ms.float32))
    assert d.parameters == {"param_dict": {"rate": None}}


# -- errors as MindSpore's ---------------------------------------------------------------------------------
def test_jit_forbidden_apis_in_graph_mode(on_real_server, graph_mode):
    # MindSpore 2.10, GRAPH_MODE: RuntimeError "Failed to compile in GRAPH_MODE because the method or function
    # 'mindspore.common.initializer.initializer' is not supported in 'construct' or function with @jit decorator. Try
    # to use the method or function '...' externally such as initialized in the method '__init__' before assigning."
    # (the class 'mindspore.common.initializer.One'; 'mindspore.nn.cell.Cell.get_parameters'; 'mindspore.context.
    # get_context'; 'mindspore.log.warning'; "the 'Parameter' object's method 'set_data'"; "the 'Tensor' object's
    # method 'assign_value'")
    x = Tensor(np.array([1.0, 2.0, 3.0], np.float32))

    class Inner(nn.Cell):
        def construct(self):
            return True

    class Holder(nn.Cell):
        def __init__(self):
            super().__init__()
            self.inner = Inner()
            self.weight = Parameter(Tensor(np.zeros(3, np.float32)), name="abc")

    cases = {"the method or function 'mindspore.common.initializer.initializer'":
             lambda self, a: init.initializer("ones", [1, 2], ms.float32),
             "the class 'mindspore.common.initializer.One'": lambda self, a: init.One(),
             "the method or function 'mindspore.nn.cell.Cell.get_parameters'": lambda self, a: self.inner.get_parameters(),
             "the method or function 'mindspore.context.get_context'": lambda self, a: a + 1 if context.get_context("mode") else a,
             "the method or function 'mindspore.log.warning'": lambda self, a: logger.warning("w") or a,
             "the 'Parameter' object's method 'set_data'": lambda self, a: self.weight.set_data(a) and a,
             "the 'Tensor' object's method 'assign_value'": lambda self, a: a.assign_value(a)}
    for text, body in cases.items():
        net = type("Net", (Holder,), {"construct": lambda self, a, body=body: body(self, a)})()
        with pytest.raises(RuntimeError, match="Failed to compile in GRAPH_MODE because " + text.replace(".", r"\.")):
            net(x)
    # the same through @jit; gradserve's own calls (a layer made in __init__, its Parameters read) still run
    with pytest.raises(RuntimeError, match="mindspore.common.initializer.initializer"):
        jit(lambda: init.initializer("ones", [2], ms.float32))()
    dense = nn.Dense(3, 2)
    assert dense(Tensor(np.ones((1, 3), np.float32))).shape == (1, 2)


def test_jit_forbidden_apis_run_in_pynative(on_real_server, pynative):
    class Net(nn.Cell):
        def construct(self, a):
            return a * init.initializer("ones", [3], ms.float32) + (1 if context.get_context("mode") else 0)
    assert Net()(Tensor(np.array([1.0, 2.0, 3.0], np.float32))).asnumpy().tolist() == [2, 3, 4]


def test_a_container_holding_itself_is_refused(on_real_server, graph_mode):
    # MindSpore 2.10, GRAPH_MODE: a = [1, 2]; a += [a]; net(a) -> RuntimeError "Detect recursion when converting python
    # object." (a dict holding itself, two lists holding each other: the same)
    class Net(nn.Cell):
        def construct(self, x):
            return x
    a = [1, 2]
    a += [a]
    d = {"1": 1}
    d["2"] = d
    p, q = [1, 2, 3], [4, 5, 6]
    p[0], q[0] = q, p
    for arg in (a, d, p, q):
        with pytest.raises(RuntimeError, match="Detect recursion when converting python object."):
            Net()(arg)


def test_tensor_plus_a_string_is_mindspore_type_error(on_real_server):
    # MindSpore 2.10: Tensor + "ok" (either side) -> TypeError 'Failed calling Add with "Add()(input=Tensor,
    # other=string)".\nThe valid calling should be: \n"Add()(input=<Number, Tensor>, other=<Number, Tensor>)".'
    x = Tensor(X)
    for f, name in ((lambda: x + "ok", "Add"), (lambda: "ok" + x, "Add"), (lambda: x - "ok", "Sub"), (lambda: x * "ok", "Mul")):
        with pytest.raises(TypeError) as e:
            f()
        assert f'{name}()(input=Tensor, other=string)' in str(e.value)
        assert f'"{name}()(input=<Number, Tensor>, other=<Number, Tensor>)"' in str(e.value)
