"""Sample seed 67 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 67").

Integer division / remainder by zero (found probing beyond st/ops/cpu/test_div_op.py's asserts), ApproximateEqual's
checks (st/ops/cpu/test_approximate_equal_op.py) and set_context's argument checks (ut/python/pynative_mode/
test_context.py). Expected values and texts: MindSpore 2.10 CPU runs of the same calls, PyNative and GRAPH_MODE alike
(/work/ms_suite67/probe/p1.py - p5.py; their outputs p*.ms.txt), written here as literals."""
import os

import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, context, ops
from gradserve.ops import operations as P

# MindSpore 2.10: x / 0 of integers, x = [-3, 0, 3, min, max] of the dtype (signed) or [0, 3, max] (unsigned)
_SIGNED = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": (-2 ** 31, 2 ** 31 - 1),
           "int64": (-2 ** 63, 2 ** 63 - 1)}
_UNSIGNED = {"uint8": 255, "uint16": 65535, "uint32": 2 ** 32 - 1, "uint64": 2 ** 64 - 1}
_FLOOR_DIVS = {
    "div_floor": lambda a, b: ops.div(a, b, rounding_mode="floor"),
    "floordiv_operator": lambda a, b: a // b,
    "FloorDiv": lambda a, b: P.FloorDiv()(a, b),
    "floor_divide": lambda a, b: ops.floor_divide(a, b),
    "TruncateDiv": lambda a, b: P.TruncateDiv()(a, b),
}


def _run(f, xs, ys, dtype):
    out = f(Tensor(np.array(xs, dtype=dtype)), Tensor(np.array(ys, dtype=dtype)))
    assert out.dtype == getattr(ms, dtype)
    return out.asnumpy().tolist()


@pytest.mark.parametrize("mode", ["pynative", "graph"])
@pytest.mark.parametrize("name", sorted(_FLOOR_DIVS))
def test_integer_floor_division_by_zero_saturates_to_the_dividend_sign(fake, mode, name):
    ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
    f = _FLOOR_DIVS[name]
    for dtype, (low, high) in _SIGNED.items():
        # the last two: ordinary divisions, floor -4 and (TruncateDiv) -3
        got = _run(f, [-3, 0, 3, low, high, -7, 7], [0, 0, 0, 0, 0, 2, -2], dtype)
        quotient = -3 if name == "TruncateDiv" else -4
        assert got == [low, 0, high, low, high, quotient, quotient], (dtype, got)
    for dtype, high in _UNSIGNED.items():
        assert _run(f, [0, 3, high, 7], [0, 0, 0, 2], dtype) == [0, high, high, 3], dtype


@pytest.mark.parametrize("name, fn", [("remainder", ops.remainder), ("fmod", ops.fmod)])
def test_integer_remainder_and_fmod_by_zero_give_the_dividend(fake, name, fn):
    for dtype, (low, high) in _SIGNED.items():
        want = [-3, 0, 3, low, high, 1 if name == "remainder" else -1]
        assert _run(fn, [-3, 0, 3, low, high, -7], [0, 0, 0, 0, 0, 2], dtype) == want, dtype
    for dtype, high in _UNSIGNED.items():
        assert _run(fn, [0, 3, high, 7], [0, 0, 0, 2], dtype) == [0, 3, high, 1], dtype


def test_integer_trunc_division_and_floor_mod_by_zero(fake):
    trunc = lambda a, b: ops.div(a, b, rounding_mode="trunc")  # noqa: E731
    xs, ys = [-3, 0, 3, -7], [0, 0, 0, 2]
    assert _run(trunc, xs, ys, "int8") == [0, 0, 0, -3]
    assert _run(trunc, xs, ys, "int16") == [0, 0, 0, -3]
    assert _run(trunc, xs, ys, "int32") == [-2 ** 31] * 3 + [-3]
    assert _run(trunc, xs, ys, "int64") == [-2 ** 63] * 3 + [-3]
    assert _run(trunc, [0, 3, 7], [0, 0, 2], "uint8") == [0, 0, 3]
    assert _run(trunc, [0, 3, 7], [0, 0, 2], "uint64") == [2 ** 63, 0, 3]
    floor_mod = lambda a, b: a % b  # noqa: E731
    assert _run(floor_mod, xs, ys, "int8") == [0, 0, 0, 1]
    assert _run(floor_mod, xs, ys, "int32") == [-2 ** 31] * 3 + [1]
    assert _run(floor_mod, xs, ys, "int64") == [-2 ** 63] * 3 + [1]


@pytest.mark.parametrize("mode", ["pynative", "graph"])
def test_bool_floor_division_by_false_gives_the_dividend(fake, mode):
    # MindSpore 2.10 (probe p10.py): [True, False] // [False, False] is [True, False]; the float quotient's nan
    # made both True
    ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
    out = Tensor(np.array([True, False])) // Tensor(np.array([False, False]))
    assert out.dtype == ms.bool_ and out.asnumpy().tolist() == [True, False]


def test_python_number_and_mixed_dtype_divisors(fake):
    # MindSpore 2.10 (probe p10.py)
    x = Tensor(np.array([-3, 0, 3], np.int32))
    assert (x // 0).asnumpy().tolist() == [-2 ** 31, 0, 2 ** 31 - 1]
    assert ops.remainder(x, 0).asnumpy().tolist() == [-3, 0, 3]
    assert (7 // Tensor(np.array([0, 2], np.int32))).asnumpy().tolist() == [2 ** 31 - 1, 3]
    out = Tensor(np.array([[-3], [3]], np.int16)) // Tensor(np.array([0, 1, 0], np.int16))
    assert out.asnumpy().tolist() == [[-32768, -3, -32768], [32767, 3, 32767]]
    out = Tensor(np.array([-3, 3], np.int8)) // Tensor(np.array([0, 0], np.int32))
    assert out.dtype == ms.int32 and out.asnumpy().tolist() == [-2 ** 31, 2 ** 31 - 1]


def test_float_division_by_zero_unchanged(fake):
    x = Tensor(np.array([-3, 0, 3], np.float32))
    y = Tensor(np.array([0, 0, 0], np.float32))
    got = [ops.div(x, y, rounding_mode=m).asnumpy().tolist() for m in ("floor", "trunc")]
    assert np.array_equal(got, [[-np.inf, np.nan, np.inf]] * 2, equal_nan=True)
    assert np.isnan(ops.remainder(x, y).asnumpy()).all()


def test_div_bad_rounding_mode_text():
    with pytest.raises(ValueError, match=r"^For ops.div, rounding_mode value should be None, 'floor' or 'trunc'.$"):
        ops.div(Tensor([1.0]), Tensor([2.0]), rounding_mode="round")


# -- ApproximateEqual ---------------------------------------------------------------------------------

def test_approximate_equal_values_and_tensor_method(fake):
    a, b = Tensor(np.array([1., 2., 3.], np.float32)), Tensor(np.array([1.5, 2., 2.], np.float32))
    assert Tensor.approximate_equal(a, b, 0.6).asnumpy().tolist() == [True, True, False]
    assert a.approximate_equal(b).asnumpy().tolist() == [False, True, False]
    x = Tensor(np.array([1, 2], np.float16))
    assert P.ApproximateEqual(0.5)(x, Tensor(np.array([1.4, 2.6], np.float32))).asnumpy().tolist() == [True, False]


@pytest.mark.parametrize("call, kind, text", [
    (lambda a, b: P.ApproximateEqual(tolerance="str")(a, b), TypeError,
     "For 'ApproximateEqual', the type of 'tolerance' should be 'float', but got type 'str'."),
    (lambda a, b: P.ApproximateEqual(tolerance=1)(a, b), TypeError,
     "For 'ApproximateEqual', the type of 'tolerance' should be 'float', but got type 'int'."),
    (lambda a, b: ops.approximate_equal(a, b, True), TypeError,
     "For 'ApproximateEqual', the type of 'tolerance' should be 'float', but got type 'bool'."),
    (lambda a, b: P.ApproximateEqual(0.5)(Tensor(np.ones((2, 3), np.float32)), b), RuntimeError,
     "For 'ApproximateEqual', arg 'x1' must have the same shape as 'x2'. But got 'x1' shape: (2, 3), 'x2' shape: (3)."),
    (lambda a, b: P.ApproximateEqual(0.5)(Tensor(np.ones((1,) * 8, np.float32)), Tensor(np.ones((1,) * 8, np.float32))),
     RuntimeError, "For 'ApproximateEqual', the x's rank should be less than 8, but got: 8"),
    (lambda a, b: P.ApproximateEqual(0.5)(Tensor(np.array([1, 2], np.int32)), Tensor(np.array([1, 3], np.int32))),
     TypeError, "For primitive[ApproximateEqual], the input argument[x1] must be a type of {Tensor[Float16], "
                "Tensor[Float32], Tensor[Float64]}, but got Tensor[Int32]."),
])
def test_approximate_equal_refusals(fake, call, kind, text):
    a, b = Tensor(np.array([1., 2., 3.], np.float32)), Tensor(np.array([1.5, 2., 2.], np.float32))
    with pytest.raises(kind) as err:
        call(a, b)
    assert str(err.value) == text


# -- set_context's checks ------------------------------------------------------------------------------

@pytest.fixture
def clean_context():
    ms.reset_context()
    yield
    ms.reset_context()
    for name in ("HCCL_DETERMINISTIC", "TE_PARALLEL_COMPILER"):
        os.environ.pop(name, None)


@pytest.mark.parametrize("kwargs, kind, text", [
    ({"device_id": "cpu"}, TypeError, "The parameter 'device_id' must be <class 'int'>, but got <class 'str'>"),
    ({"device_id": -1}, ValueError,
     "For 'context.set_context', the argument 'device_id' must be in range [0, 4095], but got -1."),
    ({"variable_memory_max_size": True}, TypeError,
     "The parameter 'variable_memory_max_size' must be <class 'str'>, but got <class 'bool'>"),
    ({"max_device_memory": 1}, TypeError,
     "The parameter 'max_device_memory' must be <class 'str'>, but got <class 'int'>"),
    ({"deterministic": "NOTRIGHT"}, ValueError,
     "For 'context.set_context', the argument 'deterministic' must be one of ['ON', 'OFF'], but got NOTRIGHT."),
    ({"deterministic": 1}, TypeError, "The parameter 'deterministic' must be <class 'str'>, but got <class 'int'>"),
    ({"jit_config": {"jit_level": ""}}, ValueError,
     "For 'jit_config', the value of argument jit_level must be one of ['O0', 'O1', 'O2'], but got ."),
    ({"jit_config": {"xx": "O0"}}, ValueError, "For 'context.set_context', the key of argument 'jit_config' must be "
     "one of {'jit_level': ['O0', 'O1', 'O2'], 'infer_boost': ['on', 'off']}, but got xx."),
    ({"jit_config": "O0"}, TypeError, "The parameter 'jit_config' must be <class 'dict'>, but got <class 'str'>"),
])
def test_set_context_refusals_set_nothing(clean_context, kwargs, kind, text):
    before = {k: context.get_context(k) for k in kwargs}
    with pytest.raises(kind) as err:
        context.set_context(**kwargs)
    assert str(err.value) == text
    assert {k: context.get_context(k) for k in kwargs} == before


def test_set_context_deterministic_jit_config_and_wrapped(clean_context):
    context.set_context(deterministic="ON")
    assert (os.getenv("HCCL_DETERMINISTIC"), os.getenv("TE_PARALLEL_COMPILER")) == ("true", "1")
    context.set_context(deterministic="OFF")
    assert "HCCL_DETERMINISTIC" not in os.environ and "TE_PARALLEL_COMPILER" not in os.environ
    context.set_context(jit_config={"jit_level": "O2"})
    assert context.get_jit_config() == {"jit_level": "O2"}
    context.set_context(jit_config={"infer_boost": "on"})
    assert context.get_jit_config() == {"infer_boost": "on"}  # the dict given, whole
    context.set_context.__wrapped__(max_device_memory="3GB")  # no type check there, as MindSpore's
    assert context._context() is not None


# -- IndexAdd's indices (probe p8.py) -------------------------------------------------------------------

class _IndexAddNet(ms.nn.Cell):
    def __init__(self, primitive):
        super().__init__()
        self.x = ms.Parameter(Tensor(np.arange(6, dtype=np.float32).reshape(3, 2)), name="x")
        self.primitive = primitive

    def construct(self, i, y):
        if self.primitive:
            return P.IndexAdd(0)(self.x, i, y)
        return ops.index_add(self.x, i, y, 0)


@pytest.mark.parametrize("mode", ["pynative", "graph"])
@pytest.mark.parametrize("primitive", [True, False])
def test_index_add_takes_int32_indices_in_range_only(fake, mode, primitive):
    # MindSpore 2.10: [1] adds to row 1; a negative index or one past the end is its RuntimeError (the engine's
    # scatter_add counted -1 from the end: row 2 got the ones); int64 indices are its TypeError.
    ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
    net = _IndexAddNet(primitive)
    out = net(Tensor(np.array([1], np.int32)), Tensor(np.ones((1, 2), np.float32)))
    assert out.asnumpy().tolist() == [[0.0, 1.0], [3.0, 4.0], [4.0, 5.0]]
    for idx in ([-1], [0, -3], [3]):
        with pytest.raises(ValueError, match=r"For 'IndexAdd', the indices are out of range: they must lie in \[0, 3\)"):
            _IndexAddNet(primitive)(Tensor(np.array(idx, np.int32)), Tensor(np.ones((len(idx), 2), np.float32)))
    with pytest.raises(TypeError) as err:
        _IndexAddNet(primitive)(Tensor(np.array([1], np.int64)), Tensor(np.ones((1, 2), np.float32)))
    assert str(err.value) == ("For primitive[IndexAdd], the input argument[indices type] must be a type of "
                              "{Tensor[Int32]}, but got Tensor[Int64].")


# -- Rprop (probe p9.py) ---------------------------------------------------------------------------------

class _RpropNet(ms.nn.Cell):
    def __init__(self, dtype):
        super().__init__()
        self.w = ms.Parameter(Tensor(np.array([1.0, -2.0, 0.5, 3.0], dtype)), name="w")
        self.b = ms.Parameter(Tensor(np.array([0.1, -0.1], dtype)), name="b")

    def construct(self, x):
        return ((self.w * x - 1.0) ** 2).sum() + (self.b ** 2).sum() * 3.0 + ops.sin(self.w).sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rprop_float64_parameters_step_in_float32(fake, dtype):
    # MindSpore 2.10 (both modes), 6 steps, lr 0.1: b reaches 0 exactly (0.1 - 0.1 in float32, its compute dtype
    # for every parameter but float16 / bfloat16); float64 arithmetic with the float32 learning rate left b at
    # -1.5e-9, flipped the gradient's sign and ended at [-0.005, 0.005].
    net = _RpropNet(dtype)
    opt = ms.nn.Rprop(net.trainable_params(), learning_rate=0.1)
    step = ops.value_and_grad(net, None, opt.parameters)
    x = Tensor(np.array([0.5, 1.5, -1.0, 2.0], dtype))
    losses = []
    for _ in range(6):
        loss, grads = step(x)
        opt(grads)
        losses.append(round(float(loss.asnumpy()), 4))
    assert losses == [44.1127, 40.5907, 36.6282, 32.1517, 27.1849, 21.8147]
    assert np.round(net.w.asnumpy().astype(np.float64), 5).tolist() == [0.00701, -1.00701, -0.49299, 2.00701]
    assert net.b.asnumpy().tolist() == [0.0, 0.0]
    assert net.b.dtype == (ms.float64 if dtype == np.float64 else ms.float32)


@pytest.mark.parametrize("kwargs, text", [
    ({"etas": (1.5, 1.2)}, "For 'Rprop', the 'etaminus' must be in range of (0.0, 1.0), but got 1.5 with type 'float'."),
    ({"etas": (0.5, 1.0)}, "For Rprop, etaplus must be greater than 1.0, but got etaplus 1.0."),
    ({"step_sizes": (1.0, 0.5)}, "For Rprop, maximal step size should not be less than minimal step size, but got "
                                 "1.0 > 0.5."),
])
def test_rprop_argument_texts(kwargs, text):
    with pytest.raises(ValueError) as err:
        ms.nn.Rprop(_RpropNet(np.float32).trainable_params(), learning_rate=0.1, **kwargs)
    assert str(err.value) == text
