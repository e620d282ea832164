"""Stock clients, round 19: the `umbridge` client's HTTPModel and tritonclient (HTTP, gRPC, sync and asyncio) on
the OIP suite's real server (tests/oip/conftest.py). What these found (before the fixes):

- UM-Bridge: a vector for an integer or boolean input was cast from float64 without a check: 1.5 became 1
  in an INT8 input, 300 wrapped to 44, -1 to 255 in UINT8, 0.5 and 2 read as true in a BOOL one, and
  2^62 + 1 became 2^62 in INT64 (answers 200 with silently wrong outputs); integer outputs were written as
  float64, so INT64 / UINT64 values from 2^53 on came back rounded.

Expected values: Python's integer arithmetic (exact) and NumPy on the inputs (dtypes: x + x, not x)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import umbridge  # the test extra: fail, never skip

from .models import DTYPES

SIGNED, UNSIGNED, FLAGS = [1, -2, 3, 4, 5, -6], [1, 2, 3, 4, 5, 6], [1, 0, 1, 0, 0, 1]


def dtypes_inputs(**given) -> list:
    """One vector per input of `dtypes` (tests/oip/models.py DTYPES), `given` replacing a dtype's."""
    return [given.get(dt, FLAGS if dt == "bool" else UNSIGNED if dt.startswith("uint") else SIGNED)
            for dt in DTYPES]


@pytest.fixture(scope="module")
def um_dtypes(server):
    return umbridge.HTTPModel(server.url + "/umbridge", "dtypes")


# -- UM-Bridge: integer and boolean inputs are exact or refused ------------------------------------------------------
@pytest.mark.parametrize("dtype, vector, says", [
    ("int8", [1.5, -2, 3, 4, 5, -6], "input[0] (INT8): a value is not an integer"),
    ("int8", [300, -2, 3, 4, 5, -6], "input[0]: a value is out of the range of INT8"),
    ("uint8", [-1, 2, 3, 4, 5, 6], "input[4]: a value is out of the range of UINT8"),
    ("int32", [2.0 ** 31, 0, 0, 0, 0, 0], "input[2]: a value is out of the range of INT32"),
    ("uint64", [2 ** 64, 0, 0, 0, 0, 0], "input[7]: a value is out of the range of UINT64"),
    ("int16", [0.25, 0, 0, 0, 0, 0], "input[1] (INT16): a value is not an integer"),
    ("bool", [0.5, 0, 1, 0, 0, 1], "input[9] (BOOL): a value is neither 0 nor 1"),
    ("bool", [2, 0, 1, 0, 0, 1], "input[9] (BOOL): a value is neither 0 nor 1"),
])
def test_umbridge_integer_and_boolean_inputs_are_refused_not_cast(um_dtypes, dtype, vector, says):
    """A plain cast answered these (1.5 -> 1, 300 -> 44, -1 -> 255, 0.5 -> true): the client raises the message."""
    with pytest.raises(Exception, match=r"InvalidInput") as e:
        um_dtypes(dtypes_inputs(**{dtype: vector}))
    assert says in str(e.value), str(e.value)


def test_umbridge_large_integers_round_trip_exactly(um_dtypes):
    """INT64 / UINT64 values past 2^53 (float64's exact integers) in and out: x + x by Python's integers."""
    big = [2 ** 61 + 1, -(2 ** 60) - 3, 2 ** 53 + 1, 7, 0, -1]
    ubig = [2 ** 62 + 1, 2 ** 63 - 1, 2 ** 53 + 1, 1, 0, 9]  # (2 * (2^63 - 1) wraps as UINT64 does: mod 2^64)
    out = um_dtypes(dtypes_inputs(int64=big, uint64=ubig))
    assert out[DTYPES.index("int64")] == [2 * v for v in big]
    assert out[DTYPES.index("uint64")] == [(2 * v) % 2 ** 64 for v in ubig]
    assert all(type(v) is int for v in out[DTYPES.index("int64")])  # JSON integers, not 4.611686018427388e18
    # the ordinary values still pass, as floats holding integers too (UM-Bridge vectors are JSON numbers)
    out = um_dtypes(dtypes_inputs(int8=[1.0, -2.0, 3.0, 4.0, 5.0, -6.0], bool=[1.0, 0.0, 1.0, 0.0, 0.0, 1.0]))
    assert out[DTYPES.index("int8")] == [2, -4, 6, 8, 10, -12]
    np.testing.assert_array_equal(out[DTYPES.index("bool")], np.logical_not(FLAGS))


def test_umbridge_large_body_integers_past_2_53_are_refused():
    """A large body's vectors arrive read as float64 (service.json_decoder): an INT64 value from 2^53 on cannot
    be told from its neighbours there, so it is refused, never rounded; smaller ones pass exactly."""
    from service import codec
    from service.umbridge import UMError, input_tensor

    aval = SimpleNamespace(shape=(2, 3), dtype="int64")
    ok = input_tensor(codec.Decoded(np.array([2.0 ** 52, -3, 0, 1, 2, 3]), None, 1), aval, "input[0]")
    np.testing.assert_array_equal(ok, np.array([[2 ** 52, -3, 0], [1, 2, 3]], np.int64))
    with pytest.raises(UMError, match=r"input\[0\] \(INT64\): a value from 2\^53 on in a body this large"):
        input_tensor(codec.Decoded(np.array([2.0 ** 53, 0, 0, 0, 0, 0]), None, 1), aval, "input[0]")
    for v in (float("nan"), float("inf")):  # (JSON's NaN / Infinity tokens; the umbridge client will not send them)
        with pytest.raises(UMError, match=r"input\[0\] \(INT64\): a value is not an integer"):
            input_tensor([v, 0, 0, 0, 0, 0], aval, "input[0]")


# -- UM-Bridge: a bfloat16 model's derivatives ------------------------------------------------------------------------
BF16_X = [1.1015625, -2.5, 0.0078125, 3.0, -0.3359375, 7.5]  # bfloat16 values
BF16_S = [1.0, 2.0, 3.0, 0.5, 0.25, -1.0]


def test_umbridge_bfloat16_model_has_its_derivatives(server):
    """bf16: f(x) = (x * x, exp(x)), x: (2, 3) bfloat16. ModelInfo said no derivatives (NumPy's kind of bfloat16
    is "V", read as "not floating-point") though the engine derives bfloat16 graphs; expected: PyTorch's
    bfloat16 autograd on the same values."""
    torch = pytest.importorskip("torch")
    m = umbridge.HTTPModel(server.url + "/umbridge", "bf16")
    assert m.supports_gradient() and m.supports_apply_jacobian() and m.supports_apply_hessian()
    x = torch.tensor(BF16_X).to(torch.bfloat16).requires_grad_()
    s, ones = torch.tensor(BF16_S).to(torch.bfloat16), torch.ones(6, dtype=torch.bfloat16)
    (g_exp,) = torch.autograd.grad(torch.exp(x), x, s)
    (g_sq,) = torch.autograd.grad(x * x, x, s, create_graph=True)
    (hv,) = torch.autograd.grad(g_sq, x, ones)
    assert m.gradient(1, 0, [BF16_X], BF16_S) == g_exp.float().tolist()
    assert m.apply_jacobian(0, 0, [BF16_X], BF16_S) == (2 * x.detach() * s).float().tolist()
    assert m.apply_hessian(0, 0, 0, [BF16_X], BF16_S, ones.float().tolist()) == hv.float().tolist()
