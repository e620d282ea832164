"""MindSpore leftovers of h-msleft12: every expected value, dtype and error below is MindSpore 2.10.0's on CPU (its
venv, /work/msvenv, PYNATIVE_MODE unless said; each error case run in a fresh process, as its CPU runtime can
report an earlier op's kernel error on the next call), unless a line says otherwise."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, mint, ops
from gradserve.ops import functional as F

pytestmark = pytest.mark.usefixtures("on_real_server")


def _f32(*v):
    return Tensor(np.array(v, np.float32))


def _failed(prim: str, given: str, name: str = "input", extra: str = "") -> str:
    return (f'Failed calling {prim} with "{prim}()({name}={given}{extra})".\nThe valid calling should be: \n'
            f'"{prim}()({name}=<Tensor>' + (", decimals=<Tensor, int>" if extra else "") + ')".')


@pytest.mark.parametrize("call, text", [
    (lambda: ops.exp(1.0), _failed("Exp", "float")),
    (lambda: ops.abs([1, 2]), _failed("Abs", "List<int, int>")),
    (lambda: ops.neg(2), _failed("Neg", "int")),
    (lambda: ops.sin((1.0, 2.0)), _failed("Sin", "Tuple<float, float>")),
    (lambda: ops.logical_not(True), _failed("LogicalNot", "bool")),
    (lambda: ops.sqrt([1, 2]), _failed("Sqrt", "List<int, int>", "x")),
    (lambda: ops.round(2), _failed("Round", "int", extra=", decimals=int")),
    (lambda: ops.square(1.0), _failed("Square", "float")),
    (lambda: ops.floor(1.0), _failed("Floor", "float")),
    (lambda: ops.isinf(1.0), _failed("IsInf", "float")),
    (lambda: ops.arcsin(1.0), _failed("Asin", "float")),
    (lambda: ops.exp(input=2), _failed("Exp", "int")),
    (lambda: ops.Exp()(1.0), _failed("Exp", "float")),
    (lambda: ops.Sqrt()(1.0), _failed("Sqrt", "float", "x")),
    (lambda: mint.exp(1.0), _failed("Exp", "float")),
    (lambda: mint.abs(2), _failed("Abs", "int")),
    (lambda: F.exp(1.0), _failed("Exp", "float"))])
def test_a_python_number_to_a_tensor_only_primitive_is_failed_calling(call, text):
    # MindSpore 2.10, word for word (its message then adds its C++ call stack); gradserve answered these with a
    # 0-d Tensor (ops.exp(1.0) 2.71828, ops.abs([1, 2]) [1, 2], ops.neg(2) -2)
    with pytest.raises(TypeError) as err:
        call()
    assert str(err.value) == text


@pytest.mark.parametrize("call, text", [
    (lambda: ops.isnan(1.0), "IsNan], the type of input argument[x] must be Tensor but got Float32."),
    (lambda: ops.bessel_i0([1, 2]), "BesselI0], the type of input argument[x] must be Tensor but got List[Int64*2]."),
    (lambda: ops.softplus((1.0,)), "Softplus], the type of input argument[x] must be Tensor but got Tuple[Float32]."),
    (lambda: ops.digamma(2), "Digamma], the type of input argument[input] must be Tensor but got Int64."),
    (lambda: ops.selu("a"), "SeLU], the type of input argument[input_x] must be Tensor but got String."),
    (lambda: ops.isnan([1, 2.0]), "IsNan], the type of input argument[x] must be Tensor but got List[Int64,Float32]."),
    (lambda: ops.isnan([[1, 2]]), "IsNan], the type of input argument[x] must be Tensor but got List[List[Int64*2]]."),
    (lambda: ops.Softplus()(1.0), "Softplus], the type of input argument[x] must be Tensor but got Float32.")])
def test_older_primitives_refuse_a_python_value_in_their_words(call, text):
    with pytest.raises(TypeError) as err:  # MindSpore 2.10, word for word
        call()
    assert str(err.value) == "For Primitive[" + text


def test_mint_isnan_takes_a_python_number():
    assert mint.isnan(1.0).asnumpy().tolist() is False  # MindSpore 2.10: Tensor(False), dtype Bool


def test_the_sdks_own_calls_with_numbers_still_run():
    # the SDK's internals give these primitives Python numbers (unchecked forms): geomspace's sign / log / exp of
    # its ends, gelu's and erfc's constants; values: NumPy's geomspace, scipy.special.erfc, torch's gelu
    np.testing.assert_allclose(ms.numpy.geomspace(1, 1000, 4).asnumpy(), [1, 10, 100, 1000], rtol=1e-6)
    np.testing.assert_allclose(ops.erfc(_f32(0.5, 3.0)).asnumpy(), [0.47950012, 2.20904970e-05], rtol=1e-6)
    np.testing.assert_allclose(ops.gelu(_f32(-1.0, 1.0)).asnumpy(), [-0.15865526, 0.8413447], rtol=1e-6)
    # and a Tensor (or a Parameter) is taken as before
    assert float(ops.exp(Tensor(np.float32(0.0))).asnumpy()) == 1.0
    np.testing.assert_array_equal(ops.abs(ms.Parameter(_f32(-1, 2), name="w")).asnumpy(), [1, 2])


_BOOLS = Tensor(np.array([True, False]))


@pytest.mark.parametrize("call, op", [
    (ops.square, "Square"), (mint.square, "Square"), (lambda b: b.square(), "Square"), (ops.Square(), "Square"),
    (ops.floor, "Floor"), (mint.floor, "Floor"), (lambda b: b.floor(), "Floor"), (ops.Floor(), "Floor"),
    (ops.erfc, "Erfc")])
def test_float_kernels_refuse_bools(call, op):
    # MindSpore 2.10: TypeError "Select CPU operator[Square] fail! Unsupported data type!" (Floor, Erfc alike);
    # gradserve gave bools back (square, floor) or erfc of 1.0 / 0.0
    with pytest.raises(TypeError, match=rf"bool.*Select CPU operator\[{op}\] fail") as err:
        call(_BOOLS)
    assert isinstance(err.value, ms.errors.ShapeError)  # (a DtypeError, as the other unary refusals)


def test_integer_and_bool_rules_of_floor_trunc_square_gelu():
    i = Tensor(np.array([-3, 2], np.int32))
    with pytest.raises(TypeError, match=r"Select CPU operator\[Floor\]"):  # MindSpore 2.10: floor of int32 too
        ops.floor(i)
    with pytest.raises(TypeError, match=r"Select CPU operator\[Erfc\]"):
        ops.erfc(i)
    out = ops.square(i)  # [9, 4] Int32
    assert out.dtype == ms.int32 and out.asnumpy().tolist() == [9, 4]
    for t in (i, _BOOLS):  # trunc: the tensor as it is (Int32 [-3, 2]; Bool [True, False])
        out = ops.trunc(t)
        assert out.dtype == t.dtype and out.asnumpy().tolist() == t.asnumpy().tolist()
    out = ops.frac(_BOOLS)  # Int64 [0, 0] (gradserve: Bool [False, False])
    assert out.dtype == ms.int64 and out.asnumpy().tolist() == [0, 0]
    for t, name in ((_BOOLS, "Bool"), (i, "Int32")):
        with pytest.raises(TypeError, match=rf"^For gelu, the input dtype must be bfloat16, float16, float32 or "
                                            rf"float64, but got {name}\.$"):
            ops.gelu(t)


_U8 = np.array([0, 1, 200, 255], np.uint8)
_I8 = np.array([-128, -1, 0, 1, 127], np.int8)


@pytest.mark.parametrize("dtype, values, op, scalar, want", [
    (np.uint8, _U8, "add", 300, [44, 45, 244, 43]),
    (np.uint8, _U8, "add", -1, [255, 0, 199, 254]),
    (np.uint8, _U8, "add", 2 ** 40, [0, 1, 200, 255]),
    (np.uint8, _U8, "rsub", 300, [44, 43, 100, 45]),
    (np.uint8, _U8, "mul", -1, [0, 255, 56, 1]),
    (np.uint8, _U8, "maximum", 300, [44, 44, 200, 255]),
    (np.uint8, _U8, "eq", 256, [True, False, False, False]),
    (np.uint8, _U8, "eq", -1, [False, False, False, True]),
    (np.uint8, _U8, "gt", -1, [False, False, False, False]),
    (np.uint8, _U8, "le", 300, [True, True, False, False]),
    (np.uint8, _U8, "ge", -300, [False, False, False, True]),
    (np.int8, _I8, "add", 200, [72, -57, -56, -55, 71]),
    (np.int8, _I8, "mul", 1000, [0, 24, 0, -24, 24]),
    (np.int8, _I8, "ne", 128, [False, True, True, True, True])])
def test_an_out_of_range_python_int_wraps_to_the_tensors_dtype(dtype, values, op, scalar, want):
    # MindSpore 2.10 (and its documented rule: the scalar takes the Tensor's dtype) wraps the int into the
    # dtype, two's complement; gradserve raised OverflowError ("Python integer 300 out of bounds for uint8")
    x = Tensor(values)
    fn = {"add": lambda: x + scalar, "rsub": lambda: scalar - x, "mul": lambda: x * scalar,
          "maximum": lambda: ops.maximum(x, scalar), "eq": lambda: x == scalar, "gt": lambda: x > scalar,
          "le": lambda: x <= scalar, "ge": lambda: x >= scalar, "ne": lambda: x != scalar}[op]
    out = fn()
    assert out.dtype == (ms.bool_ if op in ("eq", "gt", "le", "ge", "ne") else x.dtype)
    assert out.asnumpy().tolist() == want


def test_less_than_an_out_of_range_int_follows_the_documented_rule():
    # MindSpore 2.10's CPU `<` alone compares exactly (uint8 [0, 1, 200, 255] < 300: all True; < -1: all False)
    # where its <=, >, >=, ==, != wrap the int as its documented implicit conversion says (the scalar takes the
    # Tensor's dtype: 300 -> 44). gradserve keeps the documented rule for `<` too: x < 300 is x < 44
    x = Tensor(_U8)
    assert (x < 300).asnumpy().tolist() == [True, True, False, False]
    assert (x < 300).asnumpy().tolist() == (~(x >= 300)).asnumpy().tolist()


def test_nuclear_and_spectral_norms_of_integers_and_bools():
    # MindSpore 2.10: float32 results (gradserve: TypeError "ord='nuc' needs a floating-point input")
    m = Tensor(np.array([[1, 2], [3, 4]], np.int32))
    for out, want in ((mint.norm(m, "nuc"), 5.8309517), (ops.norm(m, "nuc"), 5.8309517), (ops.norm(m, 2), 5.4649854),
                      (mint.norm(Tensor(np.array([[True, False], [False, True]])), "nuc"), 2.0)):
        assert out.dtype == ms.float32
        np.testing.assert_allclose(float(out.asnumpy()), want, rtol=1e-6)
    assert mint.norm(m, "nuc", keepdim=True).shape == (1, 1)


def test_division_by_zero_keeps_ieee_nan():
    # MindSpore 2.10's documented ops.div is out_i = input_i / other_i, "true division (NumPy's true_divide)":
    # nan / 0 is nan. Its CPU kernel gives -inf for nan / 0 and nan / -0 (float16 / 32 / 64, ops.div, `/`,
    # mint.div, Div, RealDiv): the documented value is kept, as xlogy at x = 0. Elsewhere they agree:
    # [1, 0, -1, 0] / [0, 0, 0, -0] is [inf, nan, -inf, nan] in both
    x, z = _f32(1.0, 0.0, -1.0, 0.0, np.nan, np.nan, np.inf), _f32(0.0, 0.0, 0.0, -0.0, 0.0, -0.0, 0.0)
    want = [np.inf, np.nan, -np.inf, np.nan, np.nan, np.nan, np.inf]
    for out in (ops.div(x, z), x / z, mint.div(x, z), ops.Div()(x, z)):
        np.testing.assert_array_equal(out.asnumpy(), np.array(want, np.float32))


def test_reductions_of_empty_and_zero_d_tensors():
    # MindSpore 2.10: ops.max / mint.max / Tensor.max of an empty tensor are ValueError ("Max cannot deal with
    # empty input"); its ops.amax / amin of one give uninitialised memory (a different number each run):
    # gradserve refuses them all with a ValueError naming the zero-size axis
    e = Tensor(np.zeros((0,), np.float32))
    for call in (ops.amax, ops.amin, ops.max, mint.max, lambda t: t.max()):
        with pytest.raises(ValueError, match=r"zero-size axis"):
            call(e)
    # std / var / std_mean / var_mean of a 0-d tensor: 0 (and the mean 3), ddof 1 or 0
    s = Tensor(np.float32(3.0))
    for out in (ops.std(s), ops.var(s), s.std(), s.var(), ops.std(s, ddof=0)):
        assert float(out.asnumpy()) == 0.0
    for pair in (ops.std_mean(s), ops.var_mean(s)):
        assert [float(v.asnumpy()) for v in pair] == [0.0, 3.0]


def test_a_jit_functions_dict_display_follows_graph_dicts_in_pynative():
    # MindSpore 2.10 compiles a @jit function in PYNATIVE_MODE as a graph: a list key is its RuntimeError, a
    # traced Tensor key "ValueAny", a list in a tuple key is taken, the dict has has_key; a plain function's dict
    # is Python's (d.has_key: AttributeError)
    ms.set_context(mode=ms.PYNATIVE_MODE)
    x = _f32(1.0, 2.0)
    text = "make_dict evaluator key only supports string, number, type, none, constant tensor and tuple, but got "

    @ms.jit
    def list_key(x):
        d = {[1, 2]: x}
        return d

    @ms.jit
    def tensor_key(x):
        d = {x: 1}
        return d

    @ms.jit
    def fine(x):
        d = {"a": x, (1, [2, 3]): 2}
        return d["a"] * 2, d[(1, (2, 3))], d.has_key("a")

    with pytest.raises(RuntimeError) as err:
        list_key(x)
    assert str(err.value).startswith(text + "[1, 2]")
    with pytest.raises(RuntimeError, match=r"but got ValueAny"):
        tensor_key(x)
    doubled, two, has = fine(x)
    np.testing.assert_array_equal(doubled.asnumpy(), [2.0, 4.0])
    assert (two, has) == (2, True)

    def plain(x):
        return {"a": x}

    assert type(plain(x)) is dict and not hasattr(plain(x), "has_key")
