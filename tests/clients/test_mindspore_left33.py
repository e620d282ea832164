"""MindSpore leftovers, round 33 (h-left33; benchmarks/mindspore_suite/README.md, "Leftovers, round 33").

Expected values and texts: MindSpore 2.10 (CPU) runs for this task in its own venv (/work/msvenv; the probes are
/work/scratch_left33/p*.py, each a @jit function called in PYNATIVE_MODE and in GRAPH_MODE, or a Cell in GRAPH_MODE)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn

MODES = (ms.PYNATIVE_MODE, ms.GRAPH_MODE)
M = [[1], [2]]


def _x(v=1.0):
    return Tensor(np.float32(v))


# -- 1. a list a graph changes with append / clear / item write: a new value of that name alone -----------------
@ms.jit
def _alias(x):
    y = [1]
    z = y
    z.append(2)
    return x * len(y), x * len(z)


@ms.jit
def _alias_item(x):
    y = [1]
    z = y
    z[0] = 5
    return x * y[0], x * z[0]


@ms.jit
def _arg_append(x, lst):
    lst.append(2)
    return x * len(lst)


@ms.jit
def _arg_item(x, lst):
    lst[0] = 7
    return x * lst[0]


@ms.jit
def _arg_clear(x, lst):
    lst.clear()
    return x * len(lst)


@ms.jit
def _nested_append(x):
    M[0].append(3)
    return x * len(M[0])


@ms.jit
def _nested_item(x):
    M[0][0] = 9
    return x * M[0][0]


@ms.jit
def _nested_via_local(x):
    m = M[1]
    m.append(3)
    return x * len(m), x * len(M[1])


def _helper(lst):
    lst.append(5)
    return len(lst)


@ms.jit
def _through_helper(x):
    y = [1]
    n = _helper(y)
    return x * n, x * len(y)


def _closure():
    cl = [1]

    @ms.jit
    def f(x):
        cl.append(3)
        return x * len(cl)
    return f, cl


def _vals(out):
    return [float(o.asnumpy()) for o in (out if isinstance(out, tuple) else (out,))]


def test_local_alias_keeps_its_list_in_a_graph(fake):
    for mode in MODES:
        ms.set_context(mode=mode)
        assert _vals(_alias(_x())) == [1.0, 2.0]  # MindSpore 2.10: len(y) 1, len(z) 2
        assert _vals(_alias_item(_x())) == [1.0, 5.0]
        assert _vals(_through_helper(_x())) == [2.0, 1.0]  # (a helper's append: the caller's y stays [1])


def test_argument_list_is_left_to_the_caller(fake):
    for mode in MODES:
        ms.set_context(mode=mode)
        for f, start, want in ((_arg_append, [1], 2.0), (_arg_item, [1], 7.0), (_arg_clear, [1], 0.0)):
            lst = list(start)
            assert _vals(f(_x(), lst)) == [want]
            assert lst == start  # MindSpore 2.10: the caller's list unchanged


def test_closure_and_nested_module_lists_are_left(fake):
    for mode in MODES:
        ms.set_context(mode=mode)
        f, cl = _closure()
        for _ in range(2):
            assert _vals(f(_x())) == [2.0]
            assert cl == [1]
        M[:] = [[1], [2]]
        for _ in range(2):
            assert _vals(_nested_append(_x())) == [2.0]
            assert _vals(_nested_item(_x())) == [9.0]
            assert _vals(_nested_via_local(_x())) == [2.0, 1.0]
            assert M == [[1], [2]]


class _CellAlias(nn.Cell):
    def construct(self, x, lst):
        y = [1]
        z = y
        z.append(2)
        lst.append(2)
        M[0].append(3)
        return x * len(y) * len(lst) * len(M[0])


def test_graph_mode_cell_lists(fake, graph_mode):
    M[:] = [[1], [2]]
    lst = [1]
    assert _vals(_CellAlias()(_x(), lst)) == [4.0]  # MindSpore 2.10 GRAPH_MODE: 1 * 2 * 2
    assert lst == [1] and M == [[1], [2]]


def test_pynative_cell_keeps_python_writes(fake, pynative):
    M[:] = [[1], [2]]
    lst = [1]
    assert _vals(_CellAlias()(_x(), lst)) == [2.0 * 2 * 2]  # (Python's: y is z)
    assert lst == [1, 2] and M == [[1, 3], [2]]
    M[:] = [[1], [2]]


# -- 2. seq.index / seq.count of a number where an element is a Tensor computed from a Tensor argument -----------
@ms.jit
def _index_traced(x):
    return [x * 1, 2].index(2)


@ms.jit
def _index_const(x):
    t = Tensor(2.0)
    return [t * 1, 2].index(2)


@ms.jit
def _index_three(x):
    return [x * 1, 2, 3].index(3)


@ms.jit
def _index_scaled(x):
    return x * (x * 1, 2.0).index(2.0)


@ms.jit
def _count_traced(x):
    return [x * 1, 2].count(2)


@ms.jit
def _index_of_seq_arg(x, seq):
    return [seq[0] * 1, 2].index(2)


def test_index_of_a_number_by_the_traced_value(fake):
    for mode in MODES:
        ms.set_context(mode=mode)
        # MindSpore 2.10 (p2.py, p2b.py): the truth of t == 2 at run time
        assert _index_traced(_x(2.0)) == 0
        assert _index_traced(_x(3.0)) == 1
        assert _index_three(_x(2.0)) == 2
        assert _index_three(_x(3.0)) == 0
        assert _count_traced(_x(2.0)) == 2
        assert _count_traced(_x(3.0)) == 1
        assert _vals(_index_scaled(_x(2.0))) == [0.0]
        assert _vals(_index_scaled(_x(3.0))) == [3.0]
        with pytest.raises(ValueError, match="The tensor should have only one element, but got 2, more than one "
                                             "element is ambiguous."):
            _index_traced(Tensor(np.array([2.0, 2.0], np.float32)))


def test_index_folds_constants_and_sequence_arguments(fake):
    for mode in MODES:
        ms.set_context(mode=mode)
        # MindSpore 2.10 folds these: a Tensor is never at a number's place
        assert _index_const(_x(2.0)) == 1
        assert _index_of_seq_arg(_x(), [_x(2.0), 2]) == 1
        assert _index_of_seq_arg(_x(), (_x(2.0), 2)) == 1
        assert _index_of_seq_arg(_x(), ms.mutable([_x(2.0), Tensor(np.float32(2))])) == 0


# -- 3. an InsertGradientOf hook returning Float64 for a Float32 gradient ------------------------------------------
def _f64_hook(g):
    return ms.ops.cast(g, ms.float64) * 2


_IG = ms.ops.InsertGradientOf(_f64_hook)


def _ig_sin(t):
    return _IG(ms.ops.sin(t)).sum()


def _ig_tanh(t):
    return _IG(ms.ops.tanh(t)).sum()


def _ig_sigmoid(t):
    return _IG(ms.ops.sigmoid(t)).sum()


def _ig_times_two(t):
    return _IG(t * 2).sum()


def _ig_plus_one(t):
    return _IG(t + 1).sum()


def _ig_itself(t):
    return _IG(t).sum()


def test_hook_dtype_passed_on_by_the_bprop_is_refused(fake):
    t = Tensor(np.array([0.5, 1.0], np.float32))
    for mode in MODES:
        ms.set_context(mode=mode)
        # MindSpore 2.10 (p3c.py): a Float64 gradient [1.7551651, 1.0806046] (Sin's bprop keeps the hook's dtype);
        # gradserve's would be Float32: refused, saying so
        with pytest.raises(TypeError, match="MindSpore 2.10's bprop of sin passes it on, so the input's gradient is "
                                            "not float32 there"):
            ms.grad(_ig_sin)(t)
        with pytest.raises(TypeError, match="as the gradient of the float32 input itself"):
            ms.grad(_ig_itself)(t)
    ms.set_context(mode=ms.PYNATIVE_MODE)
    with pytest.raises(RuntimeError, match="For TanhGrad, the grad type must be same as input type, but got "
                                           "grad_type: Float32 and x_type: Float64"):
        ms.grad(_ig_tanh)(t)
    ms.set_context(mode=ms.GRAPH_MODE)  # MindSpore 2.10 GRAPH_MODE: Add's bprop keeps Float64
    with pytest.raises(TypeError, match="bprop of add passes it on"):
        ms.grad(_ig_plus_one)(t)


def _f16_hook(g):
    return ms.ops.cast(g, ms.float16) * 2


def _i32_hook(g):
    return ms.ops.cast(g * 10, ms.int32)


_IG16, _IGI = ms.ops.InsertGradientOf(_f16_hook), ms.ops.InsertGradientOf(_i32_hook)


def _ig16_sin(t):
    return _IG16(ms.ops.sin(t)).sum()


def _igi_sin(t):
    return _IGI(ms.ops.sin(t)).sum()


def _ig16_neg(t):
    return _IG16(-t).sum()


def test_hook_of_a_narrower_dtype_promotes_through_sin(fake):
    t = Tensor(np.array([0.5, 1.0], np.float32))
    for mode in MODES:
        ms.set_context(mode=mode)
        # MindSpore 2.10 (p3e.py, p3f.py): Sin's bprop dout * cos(x) promotes a Float16 / Int32 hook result to Float32
        for f, want in ((_ig16_sin, [1.7551651, 1.0806046]), (_igi_sin, [8.7758255, 5.403023])):
            g = ms.grad(f)(t)
            assert g.dtype == ms.float32
            np.testing.assert_allclose(g.asnumpy(), want, rtol=1e-6)
        with pytest.raises(TypeError, match="bprop of neg passes it on"):  # (MindSpore's: a Float16 gradient)
            ms.grad(_ig16_neg)(t)


def test_hook_dtype_cast_back_by_the_bprop_is_answered(fake):
    t = Tensor(np.array([0.5, 1.0], np.float32))
    x = t.asnumpy().astype(np.float64)
    s = 1 / (1 + np.exp(-x))
    for mode in MODES:
        ms.set_context(mode=mode)
        # MindSpore 2.10 (p3c.py): Float32 gradients, the hook's 2 * dout through the op's derivative
        for f, want in ((_ig_sigmoid, 2 * s * (1 - s)), (_ig_times_two, np.full(2, 4.0))):
            g = ms.grad(f)(t)
            assert g.dtype == ms.float32
            np.testing.assert_allclose(g.asnumpy(), want, rtol=1e-6)
    ms.set_context(mode=ms.PYNATIVE_MODE)
    g = ms.grad(_ig_plus_one)(t)  # (PyNative: Add's bprop gives Float32 [2, 2])
    assert g.dtype == ms.float32 and g.asnumpy().tolist() == [2.0, 2.0]
    ms.set_context(mode=ms.GRAPH_MODE)
    g = ms.grad(_ig_tanh)(t)  # (GRAPH_MODE: TanhGrad answers Float32 2 * (1 - tanh^2))
    assert g.dtype == ms.float32
    np.testing.assert_allclose(g.asnumpy(), 2 * (1 - np.tanh(x) ** 2), rtol=1e-6)


# -- 4. a sens / tangent of another dtype than its output / input -------------------------------------------------
def _sin2(x):
    return ms.ops.sin(x) * 2


def _sin2_sum(x):
    return (ms.ops.sin(x) * 2).sum()


class _Sin2(nn.Cell):
    def construct(self, x):
        return ms.ops.sin(x) * 2


_PAIRS = (("float32", "float16"), ("float32", "float64"), ("float64", "float32"), ("float16", "float32"),
          ("float32", "int32"))
_MS = {"float16": "Float16", "float32": "Float32", "float64": "Float64", "int32": "Int32"}


def test_seed_of_another_dtype_is_refused(fake):
    go = ms.ops.GradOperation(sens_param=True)
    for mode in MODES:
        ms.set_context(mode=mode)
        for xd, sd in _PAIRS:
            x = Tensor(np.array([0.5, 1.0], xd))
            s = Tensor(np.array([1.0, 2.0], sd))
            # MindSpore 2.10 (p4.py): PyNative "The dtype should be <output's>, but got <sens'>, , sens gradient
            # abs ...", its jvp and GRAPH_MODE's "Type Join Failed: dtype1 = <seed's>, dtype2 = <output's / input's>."
            joined = f"Type Join Failed: dtype1 = {_MS[sd]}, dtype2 = {_MS[xd]}."
            seed = joined if mode == ms.GRAPH_MODE else f"The dtype should be {_MS[xd]}, but got {_MS[sd]}"
            with pytest.raises(TypeError, match=seed):
                go(_Sin2())(x, s)
            with pytest.raises(TypeError, match=seed):
                ms.vjp(_sin2, x)[1](s)
            with pytest.raises(TypeError, match=joined):
                ms.jvp(_sin2, x, s)


def test_pynative_casts_a_0d_sens(fake):
    x = Tensor(np.array([0.5, 1.0], np.float32))
    want = 2 * 2 * np.cos(np.array([0.5, 1.0]))  # (sens 2 through 2 sin(x))
    ms.set_context(mode=ms.PYNATIVE_MODE)
    for sd in ("float16", "float64"):  # MindSpore 2.10 PyNative (p4b.py): a 0-d sens is cast, Float32 [3.5103, 2.1612]
        s = Tensor(np.array(2.0, sd))
        for g in (ms.ops.GradOperation(sens_param=True)(_sin2_sum)(x, s), ms.vjp(_sin2_sum, x)[1](s)):
            g = g[0] if isinstance(g, tuple) else g
            assert g.dtype == ms.float32
            np.testing.assert_allclose(g.asnumpy(), want, rtol=1e-6)
    ms.set_context(mode=ms.GRAPH_MODE)
    with pytest.raises(TypeError, match="Type Join Failed: dtype1 = Float16, dtype2 = Float32."):
        ms.vjp(_sin2_sum, x)[1](Tensor(np.array(2.0, np.float16)))


# -- 5. jvp of a function with a list / nested tuple / dict output ----------------------------------------------
def _list_out(x):
    return [x * 2, x * 3]


def _nested_out(x):
    return (x * 2, (x * 3, x))


def _dict_out(x):
    return {"a": x * 2}


def _tuple_out(x):
    return (x * 2, x * 3)


def test_jvp_of_sequence_outputs_is_refused(fake):
    x = Tensor(np.array([1.0, 2.0], np.float32))
    v = Tensor(np.ones(2, np.float32))
    for mode in MODES:
        ms.set_context(mode=mode)
        # MindSpore 2.10 (p5.py, both modes): its OnesLike seed of each output refuses a sequence
        for f, kind in ((_list_out, "List[Tensor[Float32]*2]"), (_nested_out, "Tuple[Tensor[Float32]*2]"),
                        (_dict_out, "Dictionary[[a,],[Tensor[Float32]]]")):
            with pytest.raises(TypeError) as e:
                ms.jvp(f, x, v)
            want = f'Failed calling OnesLike with "x={kind}".\nThe valid calling should be: "x=<Tensor>".'
            assert str(e.value) == want
        out, tan = ms.jvp(_tuple_out, x, v)  # (a flat tuple: each item seeded, as MindSpore's)
        assert [t.asnumpy().tolist() for t in tan] == [[2.0, 2.0], [3.0, 3.0]]


# -- 7. mindspore.numpy with a list / tuple operand ----------------------------------------------------------------
def test_numpy_sequence_operands_refused_as_mindspore(fake):
    mnp = ms.numpy
    t = Tensor(np.array([1.0, 2.0], np.float32))
    exp_text = ("For primitive[Exp], the input argument[input] must be a type of {BFloat16, Bool, Complex128, "
                "Complex64, Float16, Float32, Float64, Int64}, but got Int32.")
    # MindSpore 2.10 (p7.py, p7b.py, p7c.py): class and text of each
    cases = [
        (lambda: mnp.float_power(t, [1, 2]), "For Primitive[Dtype], the input argument[input_x] must be a Tensor, "
                                             "CSRTensor or COOTensor, but got <class 'list'>."),
        (lambda: mnp.float_power((1, 2), t), "For Primitive[Dtype], the input argument[input_x] must be a Tensor, "
                                             "CSRTensor or COOTensor, but got <class 'tuple'>."),
        (lambda: mnp.dot(t, [1, 2]), "the input x must be Tensor!"),
        (lambda: mnp.dot([1.0, 2.0], t), "the input x must be Tensor!"),
        (lambda: mnp.inner(t, (1.0, 2.0)), "the input x must be Tensor!"),
        (lambda: mnp.matmul(t, [1, 2]), 'Failed calling MatMulExt with "MatMulExt()(input=Tensor, other=List<int, '
                                        'int>)".\nThe valid calling should be: \n"MatMulExt()(input=<Tensor>, '
                                        'other=<Tensor>)".'),
        (lambda: mnp.isclose(t, [1, 2]), "For primitive[IsClose], the input type must be same.\n"
                                         "name:[input]:Tensor[Float32].\nname:[other]:Tensor[Int32]."),
        (lambda: mnp.logaddexp(t, [1, 2]), exp_text),
        (lambda: mnp.logaddexp(t, (1, 2)), exp_text),
    ]
    for f, text in cases:
        with pytest.raises(TypeError) as e:
            f()
        assert str(e.value) == text


def test_numpy_sequence_operands_answered_as_mindspore(fake):
    mnp = ms.numpy
    t = Tensor(np.array([1.0, 2.0], np.float32))
    assert mnp.isclose(t, [1.0, 2.5]).asnumpy().tolist() == [True, False]  # (a float list: Float32, as t)
    np.testing.assert_allclose(mnp.logaddexp(t, [1.0, 2.0]).asnumpy(), np.logaddexp([1, 2], [1, 2]), rtol=1e-6)
    for got, want in ((mnp.array_equal(t, [1, 2]), True), (mnp.array_equal(t, [1, 3]), False),
                      (mnp.array_equal(t, [1, 2, 3]), False), (mnp.array_equiv(t, [[1, 2], [1, 2]]), True),
                      (mnp.array_equiv(t, [1, 2, 3]), False)):
        assert isinstance(got, Tensor) and got.dtype == ms.bool_ and got.shape == () and bool(got) is want
    for got, dtype, want in ((mnp.copysign([1, 2], -t), ms.int32, [-1, -2]),  # MindSpore 2.10: x1's dtype
                             (mnp.copysign([1.5, 2.0], -t), ms.float32, [-1.5, -2.0]),
                             (mnp.copysign(Tensor(np.array([1, 2], np.int32)), -t), ms.int32, [-1, -2]),
                             (mnp.copysign(t, Tensor(np.array([-1, 1], np.int32))), ms.float32, [-1.0, 2.0]),
                             (mnp.copysign(Tensor(np.array([1, 2], np.float16)), -t), ms.float16, [-1.0, -2.0])):
        assert got.dtype == dtype and got.asnumpy().tolist() == want
    assert mnp.cross(Tensor(np.array([1.0, 2.0, 3.0], np.float32)), [1, 2, 3]).asnumpy().tolist() == [0.0, 0.0, 0.0]
