"""Seeded random ops call after call, as MindSpore 2.10 (probed in its venv, PyNative and GRAPH_MODE alike):

- a seeded functional op (`ops.standard_normal((3,), seed=1)`, uniform, randn, rand, randint, normal, laplace, ...)
  keeps one generator per (op, seed) for the process (MindSpore's _KERNEL_SEED counter): each call draws anew
  (MindSpore: -0.8851, 1.1145, 0.5245 as standard_normal's first values in three calls), and the same program in a
  fresh process draws the same sequence;
- the sequence is the op's own: randn(seed=1)'s first call draws what it would had standard_normal(seed=1) not been
  called (MindSpore: both -0.8851 first);
- set_seed(s) starts every sequence again, and another s gives another sequence;
- bernoulli and randperm with a seed repeat their draw on every call;
- an op object (ops.StandardNormal(seed=3, seed2=4)) draws on from its own generator, and a second object with the
  same seeds draws the first one's values (MindSpore: -0.7900, 0.3014, then -0.7900);
- inside a traced step (an @jit function, a Cell's construct, both modes) each run draws the sequence's next values
  without a retrace, and two traced functions using one seed advance one sequence (MindSpore: jit f, f, f, then a
  second jit g with the same seed: four different draws). A sampling loop thus gets new noise each step.

gradserve's values are NumPy's, not MindSpore's Philox bits: the structure is MindSpore's, the numbers are not."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops

F = lambda v: Tensor(np.float32(v))  # noqa: E731
SEEDED = {  # name -> a call with seed=7 (a fresh draw of 64 values expected at each call)
    "standard_normal": lambda: ops.standard_normal((64,), seed=7),
    "uniform": lambda: ops.uniform((64,), F(0.0), F(1.0), seed=7),
    "uniform_int": lambda: ops.uniform((64,), Tensor(np.int32(0)), Tensor(np.int32(1000)), seed=7, dtype=gs.int32),
    "randn": lambda: ops.randn(64, seed=7),
    "rand": lambda: ops.rand(64, seed=7),
    "randint": lambda: ops.randint(0, 1000, (64,), seed=7),
    "randn_like": lambda: ops.randn_like(Tensor(np.zeros(64, np.float32)), seed=7),
    "rand_like": lambda: ops.rand_like(Tensor(np.zeros(64, np.float32)), seed=7),
    "normal": lambda: ops.normal((64,), F(0.0), F(1.0), seed=7),
    "laplace": lambda: ops.laplace((64,), F(0.0), F(1.0), seed=7),
    "standard_laplace": lambda: ops.standard_laplace((64,), seed=7),
    "random_gamma": lambda: ops.random_gamma(Tensor(np.array([64], np.int32)), Tensor(np.array([2.0], np.float32)),
                                             seed=7),
    "random_poisson": lambda: ops.random_poisson(Tensor(np.array([64], np.int32)),
                                                 Tensor(np.array([30.0], np.float32)), seed=7),
    "shuffle": lambda: ops.shuffle(Tensor(np.arange(64, dtype=np.float32)), seed=7),
    "multinomial": lambda: ops.multinomial(Tensor(np.ones((1, 64), np.float32)), 64, seed=7),
    "choice_with_mask": lambda: ops.choice_with_mask(Tensor(np.ones(64, bool)), 64, seed=7)[0],
}


def _np(t):
    return t.asnumpy()


@pytest.mark.parametrize("name", sorted(SEEDED))
def test_a_seeded_functional_op_draws_anew_each_call_and_set_seed_starts_it_again(on_real_server, name):
    gs.set_seed(3)
    first = [_np(SEEDED[name]()) for _ in range(3)]
    assert len({a.tobytes() for a in first}) == 3, name  # (two equal draws of 64: vanishingly unlikely)
    gs.set_seed(3)
    for want in first:
        np.testing.assert_array_equal(_np(SEEDED[name]()), want, err_msg=name)
    gs.set_seed(4)  # another global seed: another sequence (MindSpore's seed pair holds set_seed's)
    assert not np.array_equal(_np(SEEDED[name]()), first[0]), name


def test_each_op_keeps_its_own_sequence(on_real_server):
    gs.set_seed(3)
    want = _np(ops.randn(8, seed=1))
    gs.set_seed(3)
    for _ in range(3):  # other ops, another seed: not randn(seed=1)'s (randn_like: its own, as MindSpore's kernel name)
        ops.standard_normal((8,), seed=1), ops.randn(8, seed=2), ops.randn_like(Tensor(np.zeros(8, np.float32)), seed=1)
    np.testing.assert_array_equal(_np(ops.randn(8, seed=1)), want)


def test_bernoulli_and_randperm_with_a_seed_repeat(on_real_server):
    # (MindSpore 2.10: bernoulli(..., seed=1) and randperm(n, seed=1) give one draw on every call)
    x = Tensor(np.zeros(64, np.float32))
    b = [_np(ops.bernoulli(x, 0.5, seed=1)) for _ in range(3)]
    p = [_np(ops.randperm(64, seed=1)) for _ in range(3)]
    assert 0 < b[0].sum() < 64 and sorted(p[0].tolist()) == list(range(64))
    for u, v in zip(b[1:] + p[1:], b[:1] * 2 + p[:1] * 2):
        np.testing.assert_array_equal(u, v)


def test_op_objects_draw_from_their_own_generators(on_real_server):
    a, b = ops.StandardNormal(seed=3, seed2=4), ops.StandardNormal(seed=3, seed2=4)
    a1, a2 = _np(a((16,))), _np(a((16,)))
    assert not np.array_equal(a1, a2)
    np.testing.assert_array_equal(_np(b((16,))), a1)


_FRESH = ("import json, numpy as np\n"
          "from gradserve import ops\n"
          "draws = [ops.standard_normal((4,), seed=5).asnumpy() for _ in range(3)]\n"
          "print(json.dumps(np.concatenate(draws).tolist()))\n")


def test_a_fresh_process_draws_the_same_sequence():
    env = dict(os.environ, GRADSERVE_DEVICE="cpu")
    outs = [subprocess.run([sys.executable, "-c", _FRESH], capture_output=True, text=True, env=env, timeout=300)
            for _ in range(2)]
    for r in outs:
        assert r.returncode == 0, r.stderr[-2000:]
    assert outs[0].stdout == outs[1].stdout
    values = np.array(json.loads(outs[0].stdout), np.float32)
    assert len({values[i:i + 4].tobytes() for i in (0, 4, 8)}) == 3  # its three calls differ


@pytest.mark.parametrize("mode", ["graph", "pynative"])
def test_a_traced_sampling_step_draws_new_noise_each_step_without_a_retrace(on_real_server, mode):
    """A Langevin-like loop (x <- x + noise, seeded noise drawn in an @jit step): each step's noise is the seed's
    next draw (those eager calls draw after the same set_seed), no retrace after the first two steps; a second
    traced function with the same seed goes on with the same sequence, as does a Cell's construct."""
    gs.set_context(mode=gs.GRAPH_MODE if mode == "graph" else gs.PYNATIVE_MODE)

    @gs.jit
    def step(x):
        return x + ops.standard_normal((16,), seed=9)

    @gs.jit
    def other(x):
        return x + ops.standard_normal((16,), seed=9)

    class Noise(nn.Cell):
        def construct(self, x):
            return x + ops.standard_normal((16,), seed=9)

    gs.set_seed(2)
    eager = [_np(ops.standard_normal((16,), seed=9)) for _ in range(10)]
    gs.set_seed(2)
    z = Tensor(np.zeros(16, np.float32))
    noise = [_np(step(z)) for _ in range(2)]
    traces = gs._trace.trace_stats()["traces"]
    noise += [_np(step(z)) for _ in range(4)]
    assert gs._trace.trace_stats()["traces"] == traces
    net = Noise()
    noise += [_np(other(z)), _np(net(z)), _np(net(z)), _np(other(z))]
    for k, (got, want) in enumerate(zip(noise, eager)):
        np.testing.assert_array_equal(got, want, err_msg=f"step {k}")
    assert len({n.tobytes() for n in noise}) == len(noise)
