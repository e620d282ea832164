"""MindSpore's private modules its unit-test packages load (`tests/ut/python/__init__` imports `tests/vm_impl`):
`_c_expression` (placeholders), `_checkparam` (argument checks with MindSpore 2.10's error classes, checked in
its venv), `ops.vm_impl_registry` (a table nothing consults), `common.api._cell_graph_executor` (compile traces
without running), and ops.ReduceAll / ReduceAny (values from MindSpore 2.10 on CPU)."""
import numpy as np
import pytest

from gradserve import Tensor, _checkparam as validator, nn, ops
from gradserve.common.api import _cell_graph_executor
from gradserve.ops.vm_impl_registry import get_vm_impl_fn, vm_impl_registry


def test_c_expression_names_load_and_refuse_when_used():
    from gradserve._c_expression import typing  # as tests/vm_impl writes it
    with pytest.raises(NotImplementedError, match="mindspore._c_expression.typing"):
        typing()
    import gradserve._c_expression as ce
    assert not hasattr(ce, "update_pijit_default_config")  # hasattr gets the truth


@pytest.mark.parametrize("call, error", [
    (lambda: validator.check_positive_int(0, "stride"), ValueError),
    (lambda: validator.check_positive_int(True, "stride"), TypeError),
    (lambda: validator.check_positive_int(2.0, "stride"), TypeError),
    (lambda: validator.check_value_type("stride", 1.5, (int, tuple)), TypeError),
    (lambda: validator.check_value_type("flag", True, int), TypeError),
    (lambda: validator.check_non_negative_int(-1, "n"), ValueError),
])
def test_checkparam_error_classes_are_mindspores(call, error):
    with pytest.raises(error, match="stride|flag|'n'"):
        call()


def test_checkparam_returns_accepted_values():
    assert validator.check_value_type("stride", (1, 2), (int, tuple)) == (1, 2)
    assert validator.check_positive_int(3, "s") == 3 and validator.check_bool(False, "b") is False


def test_vm_impl_registry_keeps_what_is_registered():
    @vm_impl_registry.register(ops.ReduceAll)
    def vm_impl_reduce_all(self):
        return lambda x: ("impl", self)

    assert vm_impl_registry.get("ReduceAll") is vm_impl_reduce_all
    assert get_vm_impl_fn(ops.ReduceAll)(1)[0] == "impl" and get_vm_impl_fn("NoSuchOp") is None


def test_cell_graph_executor_compile_raises_the_programs_error_without_running(on_real_server):
    class Bad(nn.Cell):
        def construct(self, x):
            return ops.matmul(x, x)  # [2, 3] @ [2, 3]: a shape error at compile

    class Good(nn.Cell):
        def construct(self, x):
            return x * 2

    x = Tensor(np.ones((2, 3), np.float32))
    with pytest.raises(Exception, match="matmul|shape"):
        _cell_graph_executor.compile(Bad(), x)
    assert _cell_graph_executor.compile(Good(), x, phase="train") == "train"
    assert _cell_graph_executor(Good(), x).asnumpy().tolist() == [[2.0] * 3] * 2


def test_reduce_all_any_match_mindspore(on_real_server):
    x = Tensor(np.array([[True, False], [True, True]]))
    assert ops.ReduceAll()(x).asnumpy().tolist() is False
    assert ops.ReduceAll(True)(x, 1).asnumpy().tolist() == [[False], [True]]
    assert ops.ReduceAny()(x, 0).asnumpy().tolist() == [True, True]
    assert ops.ReduceAll()(x, ()).asnumpy().tolist() is False


def test_checkparam_float_checks_as_mindspore():
    # MindSpore 2.10 (its venv): texts and classes of check_float_range / check_positive_float
    v = validator
    assert (v.INC_NEITHER, v.INC_LEFT, v.INC_RIGHT, v.INC_BOTH) == (7, 8, 9, 10)
    assert v.check_float_range(0.9, 0.0, 1.0, v.INC_NEITHER, "beta1", "P") == 0.9
    assert v.check_float_range(1.0, 0.0, 1.0, v.INC_BOTH, "beta1", "P") == 1.0
    with pytest.raises(ValueError, match=r"For 'P', the 'beta1' must be in range of \(0.0, 1.0\), but got 1.0"):
        v.check_float_range(1.0, 0.0, 1.0, v.INC_NEITHER, "beta1", "P")
    with pytest.raises(TypeError, match="must be 'float',  but got 'int'"):
        v.check_float_range(1, 0.0, 1.0, v.INC_BOTH, "beta1", "P")
    assert v.check_positive_float(1e-6, "eps", "P") == 1e-6
    with pytest.raises(ValueError, match="must be float and must > 0, but got '0.0'"):
        v.check_positive_float(0.0, "eps", "P")
    with pytest.raises(TypeError, match="must be float, but got 'int'"):
        v.check_positive_float(1, "eps", "P")
