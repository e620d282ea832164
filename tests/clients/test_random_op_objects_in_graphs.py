"""A seeded random op object made inside traced code, call after call, as MindSpore 2.10 (its CPU venv, the lead's
probes ms_rng.py / ms_rng2.py, 2026-12-07):

- `ops.StandardNormal(3, 4)((3,))` / `ops.UniformReal(seed=2)((3,))` made in a Cell's construct: PyNative draws the
  same values at every call (MindSpore: [-0.79, -0.6552, 2.036] three times); GRAPH_MODE, and an @jit function in
  either mode, draw on from call to call ([-0.79, -0.6552, 2.036], then [0.3014, 1.5129, -0.6401], then
  [1.0474, 1.3707, -0.9313]): a compiled sampling step gets new noise each step;
- `ops.bernoulli(p, seed=5)`, `ops.randperm(5, seed=3)` and their op objects (`ops.Bernoulli(seed=5)`,
  `ops.RandpermV2(seed=3)`) repeat their draw at every call in both modes.

gradserve's values are NumPy's, not MindSpore's Philox bits: the structure is MindSpore's, the numbers are not.
Either way the traced step is not traced again."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops


class NormalMadeInside(nn.Cell):
    def construct(self, x):
        return x + ops.StandardNormal(3, 4)((3,))


class UniformMadeInside(nn.Cell):
    def construct(self, x):
        return x + ops.UniformReal(seed=2)((3,))


class BernoulliInside(nn.Cell):
    def construct(self, x):
        return x + ops.bernoulli(ops.ones((3,)) * 0.5, seed=5) + ops.Bernoulli(seed=5)(ops.zeros((3,)),
                                                                                       ops.ones((3,)) * 0.5)


class RandpermInside(nn.Cell):
    def construct(self, x):
        return x + ops.randperm(3, seed=3, dtype=gs.float32) + ops.RandpermV2(seed=3, dtype=gs.float32)(
            Tensor(np.int64(3)))


def _calls(f, n=4):
    z = Tensor(np.zeros(3, np.float32))
    first = f(z).asnumpy()  # (a signature's first calls may trace: counted after them)
    second = f(z).asnumpy()
    traces = gs._trace.trace_stats()["traces"]
    rest = [f(z).asnumpy() for _ in range(n - 2)]
    assert gs._trace.trace_stats()["traces"] == traces  # each call ran the kept trace
    return [first, second] + rest


@pytest.mark.parametrize("cell", [NormalMadeInside, UniformMadeInside])
def test_an_op_object_made_in_a_graph_draws_on_and_in_pynative_repeats(fake, cell):
    gs.set_context(mode=gs.GRAPH_MODE)
    draws = _calls(cell())
    assert len({d.tobytes() for d in draws}) == len(draws)
    gs.set_context(mode=gs.PYNATIVE_MODE)
    draws = _calls(cell())
    assert len({d.tobytes() for d in draws}) == 1


def test_an_op_object_made_in_a_jit_function_draws_on_in_pynative_too(fake):
    gs.set_context(mode=gs.PYNATIVE_MODE)

    @gs.jit
    def step(x):
        return x + ops.StandardNormal(3, 4)((3,))

    draws = _calls(step)
    assert len({d.tobytes() for d in draws}) == len(draws)


@pytest.mark.parametrize("mode", ["graph", "pynative"])
@pytest.mark.parametrize("cell", [BernoulliInside, RandpermInside])
def test_bernoulli_and_randperm_repeat_in_both_modes(fake, cell, mode):
    gs.set_context(mode=gs.GRAPH_MODE if mode == "graph" else gs.PYNATIVE_MODE)
    draws = _calls(cell())
    assert len({d.tobytes() for d in draws}) == 1
