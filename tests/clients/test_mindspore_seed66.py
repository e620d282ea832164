"""Sample seed 66 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 66").

What the sample asked for: `set_context(save_graphs=..., save_graphs_path=...)` writing the compiled graph's IR with
its source lines (ut/python/debug/test_code_trace.py reads `NN_validate_MMMM.ir` and looks for each line of the
program's construct methods in MindSpore's form `In file PATH:LINE.../SOURCE LINE/`), `common.api._JitExecutor`;
and, from probes of the sample's ops beyond its asserts, MindSpore 2.10's errors of triu / tril / flip /
broadcast_to, and of digamma / polygamma / mvlgamma with integer input (the 4 files drawn after: test_func_digamma).
Expected lines and texts: MindSpore 2.10 CPU runs (/work/ms_suite66/probe/p1.py for the IR: its
validate file names, for Net3 below, lines 1, 2 and 3 of Net3.construct's body and line 1 of Net2's, not Net2's
`return out`; p4.py - p8.py for the errors, their outputs p*.ms.txt)."""
import inspect
import os
import re

import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, context, nn, ops
from gradserve.common.api import _cell_graph_executor, _JitExecutor


class Net2(nn.Cell):
    def construct(self, x3, x4):
        out = x3 + x4
        return out


class Net3(nn.Cell):
    def __init__(self):
        super().__init__()
        self.net1 = Net2()

    def construct(self, x1, x2, x3):
        out1 = self.net1(x1, x2)
        out2 = out1 * x3
        return out2


def _ir_files(folder):
    return sorted(f for f in os.listdir(folder) if re.match(r"\d+_validate_\d+.ir", f))


def _traced(fn, text):
    """Which lines of fn's body (1 = the line after `def`) the IR names, as MindSpore's CodeTraceAnalyzer finds them."""
    lines, first = inspect.getsourcelines(inspect.unwrap(fn))
    file = inspect.unwrap(fn).__code__.co_filename
    found = set()
    for k, line in enumerate(lines):
        if line.strip().startswith(("def ", "@", "#")) or not line.strip():
            continue
        if re.search(f"In file {re.escape(file)}:{first + k}.*/{re.escape(line.rstrip(chr(10)))}/", text):
            found.add(k)
    return found


X = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))


def test_compile_writes_validate_ir_with_the_lines_mindspore_names(fake, graph_mode, tmp_path):
    context.set_context(save_graphs=True, save_graphs_path=str(tmp_path / "ir"))
    net = Net3()
    _cell_graph_executor.compile(net, X, X, X)
    files = _ir_files(tmp_path / "ir")
    assert len(files) == 1
    text = (tmp_path / "ir" / files[0]).read_text()
    # MindSpore 2.10 (p1.py): every line of the top construct (its Return at `return out2`); the inlined Net2's
    # `out = x3 + x4` but not its `return out` (no node comes of it)
    assert _traced(Net3.construct, text) == {1, 2, 3}
    assert _traced(Net2.construct, text) == {1}


def test_graph_mode_call_and_jit_executor_write_one_file_each(fake, graph_mode, tmp_path):
    context.set_context(save_graphs=1, save_graphs_path=str(tmp_path))
    out = Net3()(X, X, X)
    assert _traced(Net3.construct, (tmp_path / _ir_files(tmp_path)[0]).read_text()) == {1, 2, 3}
    np.testing.assert_allclose(out.asnumpy(), (X.asnumpy() * 2) * X.asnumpy())  # save_graphs changes no value

    @ms.jit
    def func(x, y):
        x = x.sum(-1)
        y = y.sum()
        return x + y

    phase = _JitExecutor(func, 123).compile("fn", X, X)
    assert isinstance(phase, str)
    files = _ir_files(tmp_path)
    assert len(files) == 2
    newest = max(files, key=lambda f: int(f.split("_")[0]))
    assert _traced(func, (tmp_path / newest).read_text()) == {2, 3, 4}  # (line 1: the def after @jit)


def test_no_file_without_save_graphs_or_in_pynative(fake, tmp_path):
    os.makedirs(tmp_path / "a")
    context.set_context(mode=context.GRAPH_MODE, save_graphs_path=str(tmp_path / "a"))
    _cell_graph_executor.compile(Net3(), X, X, X)
    context.set_context(mode=context.PYNATIVE_MODE, save_graphs=True)
    Net3()(X, X, X)
    assert os.listdir(tmp_path / "a") == []


T = Tensor(np.arange(1, 13).reshape(3, 4).astype(np.float32))


@pytest.mark.parametrize("mode", [context.PYNATIVE_MODE, context.GRAPH_MODE])
def test_triu_tril_flip_broadcast_to_errors_as_mindspore(fake, mode):
    # MindSpore 2.10's classes and texts (p5.py, p6b.py; both modes alike)
    context.set_context(mode=mode)
    v = Tensor(np.arange(3).astype(np.float32))
    with pytest.raises(ValueError, match=re.escape(
            "For primitive[Triu], the rank of input must be greater than or equal to 2, but got 1.")):
        ops.triu(v)
    with pytest.raises(ValueError, match=re.escape(
            "For primitive[Tril], the x's rank must be greater than or equal to 2, but got 1.")):
        ops.tril(v)
    with pytest.raises(TypeError, match=re.escape('Failed calling Triu with "Triu(diagonal=float)(input=Tensor)".\n'
                                                  'The valid calling should be: \n'
                                                  '"Triu(diagonal=<Tensor, int>)(input=<Tensor>)".')):
        ops.triu(T, 1.0)
    with pytest.raises(TypeError, match=re.escape("For 'Tril', the type of 'diagonal' should be 'int', but got type "
                                                  "'float'.")):
        ops.tril(T, 1.0)
    with pytest.raises(ValueError, match=re.escape(
            "For 'ReverseV2', the 'axis[0]' must be in range of [-2, 2), but got -3 with type 'int'.")):
        ops.flip(T, (-3,))
    with pytest.raises(ValueError, match=re.escape(
            "For primitive[ReverseV2], the rank of x must be not equal to 0, but got 0.")):
        ops.flip(Tensor(3.0), (0,))
    with pytest.raises(TypeError, match=re.escape(
            'Failed calling ReverseV2 with "ReverseV2(axis=Tuple<float>)(input=Tensor)".')):
        ops.flip(T, (1.0,))
    with pytest.raises(ValueError, match=re.escape(
            "For 'BroadcastTo', in order to broadcast, each dimension pair must be equal or input dimension is 1 or "
            "target dimension is -1. But got x_shape: (3, 4), target shape: (3, 3).")):
        ops.broadcast_to(T, (3, 3))
    with pytest.raises(ValueError, match=re.escape(
            "For 'BroadcastTo', -1 in init shape is in an incompatible location with given input tensor, -1 index in "
            "init shape: 1 but -1 can only be in index2onwards for this input.")):
        ops.broadcast_to(T, (5, -1, 3, 4))
    with pytest.raises(ValueError, match=re.escape("-1 index in init shape: 2 but -1 can only be in index1onwards")):
        ops.broadcast_to(Tensor(np.ones(4, np.float32)), (2, 3, -1, 4))


def test_the_valid_calls_beside_them(fake):
    # MindSpore 2.10 (p4.py, p5.py): a Tensor diagonal, an empty target axis, -1 on x's own axes
    np.testing.assert_array_equal(ops.triu(T, Tensor(1)).asnumpy(), np.triu(T.asnumpy(), 1))
    np.testing.assert_array_equal(ops.tril(T, -1).asnumpy(), np.tril(T.asnumpy(), -1))
    assert ops.broadcast_to(Tensor(np.ones((1, 3), np.float32)), (0, 3)).shape == (0, 3)
    assert ops.broadcast_to(Tensor(np.ones((2, 3), np.float32)), (4, -1, 3)).shape == (4, 2, 3)
    np.testing.assert_array_equal(ops.flip(T, (0, -1)).asnumpy(), T.asnumpy()[::-1, ::-1])


@pytest.mark.parametrize("mode", [context.PYNATIVE_MODE, context.GRAPH_MODE])
def test_gamma_family_integer_input_as_mindspore(fake, mode):
    # MindSpore 2.10 (p8.py, both modes): Lgamma takes an int32 Tensor (Float32 [0, log 2]); Digamma, Polygamma and
    # Mvlgamma refuse ints and bool with these TypeErrors (Mvlgamma float16 too)
    context.set_context(mode=mode)
    i32 = Tensor(np.array([1, 3]), ms.int32)
    out = ops.lgamma(i32)
    assert out.dtype == ms.float32
    np.testing.assert_allclose(out.asnumpy(), [0.0, 0.6931472], rtol=1e-6)
    floats = "{Tensor[Float16], Tensor[Float32], Tensor[Float64]}"
    with pytest.raises(TypeError, match=re.escape(
            f"For primitive[Digamma], the input argument[input] must be a type of {floats}, but got Tensor[Int32].")):
        ops.digamma(i32)
    with pytest.raises(TypeError, match=re.escape(f"must be a type of {floats}, but got Tensor[Bool].")):
        Tensor(np.array([True])).digamma()
    with pytest.raises(TypeError, match=re.escape(
            f"For primitive[Polygamma], the input argument[x] must be a type of {floats}, but got Tensor[Int32].")):
        ops.polygamma(Tensor(1), i32)
    with pytest.raises(TypeError, match=re.escape("For primitive[Mvlgamma], the input argument[x] must be a type of "
                                                  "{Tensor[Float32], Tensor[Float64]}, but got Tensor[Int32].")):
        ops.mvlgamma(i32, 2)
    # float64 digamma: the math (SciPy's psi(-0.5) = 0.03648997397857652); MindSpore 2.10 gives 0.036489777 there
    # (float32 precision in its float64 kernel), not copied
    x64 = Tensor(np.array([-0.5, 0.5, 10.0]), ms.float64)
    np.testing.assert_allclose(ops.digamma(x64).asnumpy(), [0.03648997397857652, -1.9635100260214235,
                                                            2.251752589066721], rtol=1e-12)
