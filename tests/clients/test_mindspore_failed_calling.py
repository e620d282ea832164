"""An op called with an input that is no Tensor value: MindSpore 2.10's "Failed calling <Primitive> with ..."
TypeError. Every expected text below is MindSpore 2.10's own (CPU, pynative), printed by running the same call
in its venv (/work/msvenv); the C++ call stack it appends is left out."""
import re

import numpy as np
import pytest

import gradserve as ms
from gradserve import ops

CASES = [
    # (call, MindSpore 2.10's message)
    (lambda: ops.acos("str"),
     'Failed calling ACos with "ACos()(input=string)".\nThe valid calling should be: \n"ACos()(input=<Tensor>)".'),
    (lambda: ops.diagonal(1.0, 0, 0, 1),
     'Failed calling Diagonal with "Diagonal(offset=int, dim1=int, dim2=int)(input=float)".\n'
     'The valid calling should be: \n"Diagonal(offset=<int>, dim1=<int>, dim2=<int>)(input=<Tensor>)".'),
    (lambda: ops.diagonal([[1.0]]),
     'Failed calling Diagonal with "Diagonal(offset=int, dim1=int, dim2=int)(input=List<List<float>>)".\n'
     'The valid calling should be: \n"Diagonal(offset=<int>, dim1=<int>, dim2=<int>)(input=<Tensor>)".'),
    (lambda: ops.sin("a"),
     'Failed calling Sin with "Sin()(input=string)".\nThe valid calling should be: \n"Sin()(input=<Tensor>)".'),
    (lambda: ops.erf("x"),
     'Failed calling Erf with "Erf()(input=string)".\nThe valid calling should be: \n"Erf()(input=<Tensor>)".'),
    (lambda: ops.relu(None),
     'Failed calling ReLU with "ReLU()(input=None)".\nThe valid calling should be: \n"ReLU()(input=<Tensor>)".'),
    (lambda: ops.sin([1, "a"]),
     'Failed calling Sin with "Sin()(input=List<int, string>)".\nThe valid calling should be: \n'
     '"Sin()(input=<Tensor>)".'),
    (lambda: ops.add("a", 1),
     'Failed calling Add with "Add()(input=string, other=int)".\nThe valid calling should be: \n'
     '"Add()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda: ops.mul(ms.Tensor(np.array([1.0], np.float32)), "a"),
     'Failed calling Mul with "Mul()(input=Tensor, other=string)".\nThe valid calling should be: \n'
     '"Mul()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
]


@pytest.mark.parametrize("call,expected", CASES, ids=[c[1].split('"')[1] for c in CASES])
def test_failed_calling_text(call, expected):
    with pytest.raises(TypeError, match="^" + re.escape(expected) + "$"):
        call()


def test_assign_names_string_and_none_as_mindspore():
    # MindSpore 2.10: ops.assign(p, "a") -> 'Failed calling Assign with "Assign()(variable=Tensor, value=string)".'
    # and ops.assign(p, None) -> '... value=None)".'
    p = ms.Parameter(ms.Tensor(np.ones(2, np.float32)), name="p")
    with pytest.raises(TypeError, match=re.escape('Failed calling Assign with "Assign()(variable=Tensor, value=string)".')):
        ops.assign(p, "a")
    with pytest.raises(TypeError, match=re.escape('Failed calling Assign with "Assign()(variable=Tensor, value=None)".')):
        ops.assign(p, None)


def test_inputs_that_make_a_tensor_still_work():
    # the refusal is for inputs with no Tensor value only: a Tensor's results are unchanged (NumPy's values)
    x = ms.Tensor(np.array([0.25, -0.5], np.float32))
    np.testing.assert_allclose(ops.acos(x).asnumpy(), np.arccos([0.25, -0.5]), rtol=1e-6)
    np.testing.assert_allclose(ops.diagonal(ms.Tensor(np.arange(6.0).reshape(2, 3))).asnumpy(), [0.0, 4.0])
