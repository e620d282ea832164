"""MindSpore leftovers, round 17 (h-msleft17; benchmarks/mindspore_suite/README.md, "Leftovers, round 17"): every
expected value, dtype and error below is MindSpore 2.10.0's on CPU (its venv, /work/msvenv, run for this task, one
probe a process, `GradOperation(get_all=True[, sens_param=True])` over a Cell), unless a comment says otherwise."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops
from gradserve.ops import operations as P

T, F = True, False


def _b(*v):
    return Tensor(np.array(v))


class _Net(nn.Cell):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def construct(self, *a):
        return self.f(*a)


def _grads(fn, args, sens=None):
    if sens is None:
        return ops.GradOperation(get_all=True)(_Net(fn))(*args)
    return ops.GradOperation(get_all=True, sens_param=True)(_Net(fn))(*args, sens)


_STD_IDX = np.array([[0, 1], [1, 2]], np.int32)
# (function, inputs, sens or None, MindSpore's gradients as (dtype, values)): a bool output carries its sens (or
# True, the default sens) back through reshape / transpose / slice / tile / where; logical ops give False
_BOOL_CASES = {
    "sparse_to_dense": (lambda v: P.SparseToDense()(Tensor(_STD_IDX), v, (3, 3)), [_b(T, T)],
                        Tensor(np.arange(9).reshape(3, 3).astype(bool)), [("Bool", [T, T])]),
    "sparse_to_dense_default_sens": (lambda v: P.SparseToDense()(Tensor(_STD_IDX), v, (3, 3)), [_b(T, F)], None,
                                     [("Bool", [T, T])]),
    "reshape": (lambda v: ops.reshape(v, (3, 1)), [_b(T, F, T)], _b([T], [F], [F]), [("Bool", [T, F, F])]),
    "reshape_default_sens": (lambda v: ops.reshape(v, (3, 1)), [_b(T, F, T)], None, [("Bool", [T, T, T])]),
    "transpose": (lambda v: ops.transpose(v, (1, 0)), [_b([T, F])], _b([F], [T]), [("Bool", [[F, T]])]),
    "expand_dims": (lambda v: ops.expand_dims(v, 0), [_b(T, F, T)], _b([T, T, F]), [("Bool", [T, T, F])]),
    "squeeze": (lambda v: ops.squeeze(v), [_b([T, F])], _b(F, T), [("Bool", [[F, T]])]),
    "tile": (lambda v: ops.tile(v, (2,)), [_b(T, F, T)], _b(T, F, F, F, F, T), [("Bool", [T, F, T])]),
    "slice": (lambda v: v[1:], [_b(T, F, T)], _b(T, T), [("Bool", [F, T, T])]),
    "identity_default_sens": (lambda v: ops.identity(v), [_b(T, F, T)], None, [("Bool", [T, T, T])]),
    "cast_int_and_back": (lambda v: ops.cast(ops.cast(v, ms.int32), ms.bool_), [_b(T, F, T)], _b(T, F, T),
                          [("Bool", [T, F, T])]),
    "where_of_bools": (lambda c, a, b: ops.where(c, a, b), [_b(T, F, T), _b(T, T, F), _b(F, F, T)], _b(T, T, T),
                       [("Bool", [F, F, F]), ("Bool", [T, F, T]), ("Bool", [F, T, F])]),
    "mul_of_bools_cast": (lambda v, w: ops.cast(v * w, ms.float32) * 2.0, [_b(T, F, T), _b(T, T, F)], None,
                          [("Bool", [T, T, F]), ("Bool", [T, F, T])]),
    "cast_float_to_bool": (lambda v: ops.cast(v, ms.bool_), [Tensor(np.array([0.5, 0.0, 2.0], np.float32))], None,
                           [("Float32", [1.0, 1.0, 1.0])]),
    "logical_not": (lambda v: ops.logical_not(v), [_b(T, F, T)], _b(T, F, T), [("Bool", [F, F, F])]),
    "logical_and": (lambda v, w: ops.logical_and(v, w), [_b(T, F, T), _b(F, T, T)], _b(T, F, T),
                    [("Bool", [F, F, F]), ("Bool", [F, F, F])]),
    "sum_of_int_cast": (lambda v: ops.cast(v, ms.int32).sum(), [_b(T, F, T)], None, [("Bool", [T, T, T])]),
}


@pytest.mark.parametrize("mode", ["pynative", "graph"])
@pytest.mark.parametrize("case", sorted(_BOOL_CASES))
def test_gradients_with_respect_to_bool_values_follow_mindspore(fake, case, mode):
    # was: every bool gradient False (the engine dropped a bool output's cotangent), cast_float_to_bool 0.0
    ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
    fn, args, sens, want = _BOOL_CASES[case]
    got = _grads(fn, args, sens)
    assert [(str(g.dtype), g.asnumpy().tolist()) for g in got] == want
