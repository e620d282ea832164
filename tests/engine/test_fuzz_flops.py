"""The per-job compute budget (engine.executor.estimate_flops, Engine max_job_flops): a small request must not
ask for hours of compute. Expected counts are the textbook ones, written out here: a matmul [m, k] @ [k, n]
takes 2 m k n operations, a convolution 2 * (C / groups) * window per output element, a factorisation
~2 n^3 per matrix, any other op one per element it reads or writes."""
from __future__ import annotations

import numpy as np
import pytest

from engine import Engine, GraphBuilder
from engine.errors import LimitExceeded
from engine.executor import estimate_flops
from engine.lower import lower

F32 = np.float32


def flops(out_of) -> int:
    gb = GraphBuilder("g")
    return estimate_flops(lower(gb.build(out_of(gb))))[0]


@pytest.mark.parametrize("ta, tb", [(False, False), (True, False), (False, True), (True, True)])
def test_a_matmul_costs_2_m_k_n(ta, tb):
    m, k, n = 7, 11, 5

    def g(gb):
        a = gb.input((k, m) if ta else (m, k), name="a")
        b = gb.input((n, k) if tb else (k, n), name="b")
        return gb.matmul(a, b, transpose_a=ta, transpose_b=tb)
    assert flops(g) == 2 * m * k * n


def test_a_batched_matmul_counts_every_batch():
    def g(gb):
        return gb.matmul(gb.input((3, 4, 6), name="a"), gb.input((3, 6, 2), name="b"))
    assert flops(g) == 3 * 2 * 4 * 6 * 2


def test_a_convolution_costs_2_c_window_per_output_element():
    # x [N=2, C=4, 9, 9], w [O=6, C/groups=2, 3, 3], groups 2, stride 2, no padding: out [2, 6, 4, 4]
    def g(gb):
        x, w = gb.input((2, 4, 9, 9), name="x"), gb.input((6, 2, 3, 3), name="w")
        return gb.emit1("conv", x, w, strides=(2, 2), padding=((0, 0), (0, 0)), groups=2)
    assert flops(g) == 2 * 6 * 4 * 4 * (2 * 2 * 3 * 3)


def test_a_cholesky_of_a_batch_costs_2_n_cubed_each():
    def g(gb):
        return gb.emit1("cholesky", gb.input((5, 8, 8), name="a"))
    assert flops(g) == 5 * 2 * 8 ** 3


def test_other_ops_cost_one_per_element_read_or_written():
    def g(gb):
        x = gb.input((10, 3), name="x")
        return gb.sum(gb.sin(x))  # sin: 30 in, 30 out; sum: 30 in, 1 out
    assert flops(g) == 30 + 30 + 30 + 1


def test_the_limit_names_the_costliest_node_and_passes_what_fits():
    gb = GraphBuilder("bomb")
    x = gb.input((64, 64), name="x")
    y = gb.sin(x)
    for _ in range(3):
        y = gb.matmul(y, x)
    g = gb.build(y)
    need = 3 * 2 * 64 ** 3 + 2 * 64 * 64
    assert estimate_flops(lower(g))[0] == need
    with pytest.raises(LimitExceeded) as e:
        Engine("numpy", max_job_flops=need - 1).estimate(g)
    d = e.value.to_dict()["detail"]
    assert d["setting"] == "max_job_flops" and d["limit"] == need - 1 and d["value"] == need
    assert d["node"].endswith(":matmul"), d
    assert "a matmul, takes 5.24e+05" in str(e.value)
    a = np.linspace(-1, 1, 64 * 64, dtype=F32).reshape(64, 64)
    got = Engine("numpy", max_job_flops=need).run(g, [a])
    s = np.sin(a.astype(np.float64))
    # NumPy float64 runs the same job; float32 sums of 64 terms up to ~20 in size: absolute error ~1e-4
    np.testing.assert_allclose(got, s @ a @ a @ a, rtol=2e-4, atol=1e-3)
