"""Sample seed 46 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 46").

Expected values and error texts: MindSpore 2.10 (CPU), PyNative mode unless said, each program run in its own venv
(/work/ms_suite46/probe/p2.py, p3.py hold the same programs)."""
import numpy as np
import pytest

from gradserve import Tensor, jit, nn, ops
from gradserve import dtype as mstype
from gradserve.ops import operations as P


def _t(dt, values=(6, -4)):
    return Tensor(np.array(values, dt))


# MindSpore 2.10: the two inputs are promoted to one dtype first; then Lcm takes int32 / int64 only, Gcd
# int16 / int32 / int64. gradserve answered int8 / int16 / uint8 (lcm(int8 100, 3) wrapped to 44).
REFUSED = [
    (lambda: ops.lcm(_t(np.int8, (100, 120)), _t(np.int8, (3, 7))),
     "For primitive[Lcm], the input argument[x1] must be a type of {Tensor[Int32], Tensor[Int64]}, but got "
     "Tensor[Int8]."),
    (lambda: ops.lcm(_t(np.int16), _t(np.int16)),
     "For primitive[Lcm], the input argument[x1] must be a type of {Tensor[Int32], Tensor[Int64]}, but got "
     "Tensor[Int16]."),
    (lambda: _t(np.int8).lcm(_t(np.int8)),
     "For primitive[Lcm], the input argument[x1] must be a type of {Tensor[Int32], Tensor[Int64]}, but got "
     "Tensor[Int8]."),
    (lambda: ops.lcm(_t(np.int64), _t(np.float32)),
     "For primitive[Lcm], the input argument[x1] must be a type of {Tensor[Int32], Tensor[Int64]}, but got "
     "Tensor[Float32]."),
    (lambda: ops.gcd(_t(np.int8), _t(np.int8)),
     "For Primitive[Gcd], the type of the input tensor must be [Int16, Int32, Int64], but got Int8!"),
    (lambda: P.Gcd()(_t(np.uint8, (6, 4)), _t(np.uint8, (4, 6))),
     "For Primitive[Gcd], the type of the input tensor must be [Int16, Int32, Int64], but got UInt8!"),
    (lambda: _t(np.uint16, (3, 5)).gcd(_t(np.uint16, (3, 5))),
     "For Primitive[Gcd], the type of the input tensor must be [Int16, Int32, Int64], but got UInt16!"),
    (lambda: ops.gcd(_t(np.int32), 4),
     'Failed calling Gcd with "Gcd()(input=Tensor, other=int)".\nThe valid calling should be: \n'
     '"Gcd()(input=<Tensor>, other=<Tensor>)".'),
    (lambda: ops.full(3, 1.5), "For 'ops.full', 'size' must be a tuple or list of ints, but got <class 'int'>."),
    (lambda: ops.full(Tensor(np.array([2, 1], np.int32)), 1.5),
     "For 'ops.full', 'size' must be a tuple or list of ints, but got <class 'mindspore.common.tensor.Tensor'>."),
    (lambda: ops.full((2,), 1.5, dtype=np.float32),
     "For 'ops.full', 'dtype' must be mindspore.type, but got <class 'numpy.float32'>."),
]


# MindSpore 2.10 answers (dtype, values); gradserve refused the mixed dtypes ("must have the same dtype") and had no
# Tensor.lcm
ANSWERS = [
    (lambda: ops.lcm(_t(np.int32, (-10, 15, 0, 7)), _t(np.int64, (4, -6, 3, 0))), mstype.int64, [20, 30, 0, 0]),
    (lambda: ops.gcd(_t(np.int32, (-10, 15, 0, 7)), _t(np.int64, (4, -6, 3, 0))), mstype.int64, [2, 3, 3, 7]),
    (lambda: _t(np.int32, (-10, 15, 0, 7)).lcm(_t(np.int64, (4, -6, 3, 0))), mstype.int64, [20, 30, 0, 0]),
    (lambda: _t(np.int32).lcm(_t(np.int32, (5, 10))), mstype.int32, [30, 20]),
    (lambda: ops.gcd(_t(np.int16, (12, 9)), _t(np.int32, (18, 6))), mstype.int32, [6, 3]),
    (lambda: ops.lcm(_t(np.int32, (6, -4)), _t(np.uint8, (3, 5))), mstype.int32, [6, 20]),
    (lambda: ops.lcm(_t(np.int32), 4), mstype.int32, [12, 4]),
    (lambda: P.Lcm()(_t(np.int32, (4, 6)), _t(np.int64, (6, 4))), mstype.int64, [12, 12]),
    # ops.full without dtype is int64 for a Tensor fill value too (2.5 -> 2, -2.7 -> -2)
    (lambda: ops.full((2,), Tensor(2.5)), mstype.int64, [2, 2]),
    (lambda: ops.full((2,), Tensor(-2.7)), mstype.int64, [-2, -2]),
    (lambda: ops.full([2], Tensor(np.array([2.5], np.float32))), mstype.int64, [2, 2]),
    (lambda: ops.full((2,), Tensor(True)), mstype.int64, [1, 1]),
    (lambda: ops.full((2,), Tensor(2.5), dtype=mstype.float32), mstype.float32, [2.5, 2.5]),
]


@pytest.mark.parametrize("call,dtype,values", ANSWERS)
def test_lcm_gcd_full_answers(on_real_server, call, dtype, values):
    out = call()
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.asnumpy(), np.array(values))


def test_full_and_lcm_in_a_jit_function(on_real_server):
    @jit
    def f(v, a, b):
        return ops.full((2,), v), a.lcm(b)

    # MindSpore 2.10 GRAPH_MODE: [2, 2] int64 and lcm(int32 (6, -4), int64 (6, -4)) = [6, 4] int64
    full, lcm = f(Tensor(2.5), _t(np.int32), _t(np.int64))
    assert full.dtype == mstype.int64 and lcm.dtype == mstype.int64
    np.testing.assert_array_equal(full.asnumpy(), [2, 2])
    np.testing.assert_array_equal(lcm.asnumpy(), [6, 4])


_X = np.arange(6, dtype=np.float32).reshape(2, 3)

# MindSpore 2.10: ops.mm / Tensor.mm is MatMul of 2-D Tensors of one dtype (each program in a process of its own:
# its PyNative error texts can be a previous call's); gradserve's mm was ops.matmul (1-D, batches, promotion)
MM_REFUSED = [
    (lambda: Tensor(_X).mm(Tensor(np.ones(3, np.float32))), ValueError,
     "MatMul inputs should have the same dimension size and equal to 2."),
    (lambda: Tensor(np.ones((2, 2, 3), np.float32)).mm(Tensor(np.ones((3, 1), np.float32))), ValueError,
     "MatMul inputs should have the same dimension size and equal to 2."),
    (lambda: ops.mm(Tensor(_X), Tensor(_X)), ValueError,
     "For 'MatMul' the input dimensions must be equal, but got 'x1_col': 3 and 'x2_row': 2."),
    (lambda: Tensor(_X).mm(Tensor(np.ones((3, 1), np.float16))), TypeError,
     "For 'MatMul', the type of 'x2' should be same as 'x1', but got 'x1' with type Tensor[Float32] and 'x2' with "
     "type Tensor[Float16]."),
    (lambda: ops.mm(Tensor(_X), 3), TypeError,
     'Failed calling MatMul with "MatMul(transpose_a=bool, transpose_b=bool)(input=Tensor, mat2=int)".\n'
     'The valid calling should be: \n"MatMul(transpose_a=<bool>, transpose_b=<bool>)(input=<Tensor>, mat2=<Tensor>)".'),
    (lambda: Tensor(_X).mm(3), TypeError,
     'Failed calling mm with "mm(int)".\nThe valid calling should be:\n"Tensor.mm(mat2=<Tensor>)"\n'
     '    match failed because invalid types: (int)\n                                         ~~~~~'),
]


def test_mm_answers_and_gradient(on_real_server):
    # MindSpore 2.10 (probe p7.py)
    x = Tensor(_X)
    np.testing.assert_array_equal(ops.mm(x, Tensor(np.ones((3, 2), np.float32))).asnumpy(), [[3, 3], [12, 12]])
    np.testing.assert_array_equal(x.mm(Tensor(np.arange(3, dtype=np.float32).reshape(3, 1))).asnumpy(), [[5], [14]])
    out = ops.mm(Tensor(np.ones((2, 3), np.int32)), Tensor(np.ones((3, 1), np.int32)))
    assert out.dtype == mstype.int32
    np.testing.assert_array_equal(out.asnumpy(), [[3], [3]])
    weights = Tensor(np.array([[1., 2.], [3., 4.]], np.float32))
    ga, gb = ops.grad(lambda a, b: (ops.mm(a, b) * weights).sum(), (0, 1))(x, Tensor(np.ones((3, 2), np.float32)))
    np.testing.assert_array_equal(ga.asnumpy(), [[3, 3, 3], [7, 7, 7]])
    np.testing.assert_array_equal(gb.asnumpy(), [[9, 12], [13, 18], [17, 24]])


def test_pi_jit_switch_answers_whether_it_flipped():
    from gradserve._c_expression import jit_mode_pi_disable, jit_mode_pi_enable
    # MindSpore 2.10 in a fresh process: enable, enable, disable, disable, enable is True False True False True
    jit_mode_pi_disable()
    assert [jit_mode_pi_enable(), jit_mode_pi_enable(), jit_mode_pi_disable(), jit_mode_pi_disable(),
            jit_mode_pi_enable()] == [True, False, True, False, True]
    jit_mode_pi_disable()


_I = np.array([0, 2], np.int32)

# MindSpore 2.10 (probe p9.py, a process per program): OneHot checks depth, then the indices' dtype, then that on and
# off values share one dtype (a Python float is float32, an int int64), then that dtype; ReLU6 takes float16 /
# float32 only. gradserve answered each (float indices, int32 / float32 pairs, float64 values, a negative depth as
# an empty axis; relu6 of int32 / int8 / float64 / bfloat16)
ONE_HOT_RELU6_REFUSED = [
    (lambda: ops.one_hot(Tensor(_I), -1, Tensor(1.0), Tensor(0.0)), ValueError,
     "For primitive[OneHot], the depth value must be greater than or equal to 0, but got -1."),
    (lambda: nn.OneHot(depth=-1)(Tensor(_I)), ValueError,
     "For primitive[OneHot], the depth value must be greater than or equal to 0, but got -1."),
    (lambda: ops.one_hot(Tensor(np.array([0., 2.], np.float32)), -1, Tensor(1.0), Tensor(0, mstype.int32)),
     ValueError, "For primitive[OneHot], the depth value must be greater than or equal to 0, but got -1."),
    (lambda: ops.one_hot(Tensor(np.array([0., 2.], np.float32)), 3, Tensor(1.0), Tensor(0.0)), TypeError,
     "For primitive[OneHot], the input argument[indices] must be a type of {Tensor[Int32], Tensor[Int64]}, but got "
     "Tensor[Float32]."),
    (lambda: P.OneHot()(Tensor(np.array([0, 2], np.int16)), 3, Tensor(1.0), Tensor(0.0)), TypeError,
     "For primitive[OneHot], the input argument[indices] must be a type of {Tensor[Int32], Tensor[Int64]}, but got "
     "Tensor[Int16]."),
    (lambda: ops.one_hot(Tensor(_I), 3, Tensor(1.0, mstype.float32), Tensor(0, mstype.int32)), TypeError,
     "For primitive[OneHot], the input type must be same.\nname:[off_value]:Tensor[Int32].\n"
     "name:[on_value]:Tensor[Float32]."),
    (lambda: ops.one_hot(Tensor(_I), 3, 1.0, 0), TypeError,
     "For primitive[OneHot], the input type must be same.\nname:[off_value]:Tensor[Int64].\n"
     "name:[on_value]:Tensor[Float32]."),
    (lambda: ops.one_hot(Tensor(_I), 3, Tensor(1.0, mstype.float64), Tensor(0.0, mstype.float64)), TypeError,
     "For primitive[OneHot], the input argument[off_value] must be a type of {Tensor[Float16], Tensor[Float32], "
     "Tensor[Int32], Tensor[Int64]}, but got Tensor[Float64]."),
    (lambda: ops.one_hot(Tensor(_I), 3, Tensor(True), Tensor(False)), TypeError,
     "For primitive[OneHot], the input argument[off_value] must be a type of {Tensor[Float16], Tensor[Float32], "
     "Tensor[Int32], Tensor[Int64]}, but got Tensor[Bool]."),
    (lambda: ops.relu6(Tensor(np.array([-1, 3, 9], np.int32))), TypeError,
     "For primitive[ReLU6], the input argument[input_x] must be a type of {Tensor[Float16], Tensor[Float32]}, but got "
     "Tensor[Int32]."),
    (lambda: P.ReLU6()(Tensor(np.array([-1, 3, 9], np.int8))), TypeError,
     "For primitive[ReLU6], the input argument[input_x] must be a type of {Tensor[Float16], Tensor[Float32]}, but got "
     "Tensor[Int8]."),
    (lambda: nn.ReLU6()(Tensor(np.array([-1, 3, 9], np.float64))), TypeError,
     "For primitive[ReLU6], the input argument[input_x] must be a type of {Tensor[Float16], Tensor[Float32]}, but got "
     "Tensor[Float64]."),
    (lambda: ops.relu6(3.0), TypeError,
     'Failed calling ReLU6 with "ReLU6()(x=float)".\nThe valid calling should be: \n"ReLU6()(x=<Tensor>)".'),
]


def test_one_hot_relu6_answers(on_real_server):
    # MindSpore 2.10: these run (dtype and values)
    out = ops.one_hot(Tensor(_I), 3, 1, 0)
    assert out.dtype == mstype.int64
    np.testing.assert_array_equal(out.asnumpy(), [[1, 0, 0], [0, 0, 1]])
    out = ops.one_hot(Tensor(_I), 3, Tensor(5, mstype.int32), Tensor(0, mstype.int32))
    assert out.dtype == mstype.int32
    np.testing.assert_array_equal(out.asnumpy(), [[5, 0, 0], [0, 0, 5]])
    assert ops.one_hot(Tensor(_I), 0, Tensor(1.0), Tensor(0.0)).shape == (2, 0)
    out = nn.ReLU6()(Tensor(np.array([-1, 3, 9], np.float16)))
    assert out.dtype == mstype.float16
    np.testing.assert_array_equal(out.asnumpy(), [0, 3, 6])


@pytest.mark.parametrize("call,err,text", [(c, TypeError, t) for c, t in REFUSED] + MM_REFUSED + ONE_HOT_RELU6_REFUSED)
def test_refusals(on_real_server, call, err, text):
    with pytest.raises(err) as info:
        call()
    assert str(info.value) == text
