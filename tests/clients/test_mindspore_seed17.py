"""Seed 17 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 17"): values where
gradserve differed from MindSpore 2.10.

Expected values: MindSpore 2.10 (CPU, PyNative), run for this task in its own venv."""
import numpy as np
import pytest

from gradserve import Tensor, ops
from gradserve.ops.operations import _grad_ops as G


def test_sign_of_nan_is_zero(on_real_server):
    # MindSpore's sign of a real NaN is 0 (the engine's sign keeps NumPy's NaN, for the JAX importer)
    x = Tensor(np.array([[-1, 0, 2.5], [np.nan, 3, -np.nan]], np.float32))
    want = [[-1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    for got in (ops.sign(x), ops.Sign()(x), x.sign()):
        np.testing.assert_array_equal(got.asnumpy(), want)
    np.testing.assert_array_equal(ops.sign(Tensor(np.array([np.nan], np.float64))).asnumpy(), [0.0])
    np.testing.assert_array_equal(ops.sign(Tensor([-3, 0, 2])).asnumpy(), [-1, 0, 1])


def test_layer_norm_grad_with_a_mean_that_is_not_the_inputs(on_real_server):
    # dx counts mean(x - mean) where the mean given is not x's own (MindSpore's kernel: the full derivative)
    x = np.array([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]], np.float32)
    dy = np.array([[0.3, -0.2, 1.0], [1.0, 0.5, -0.5]], np.float32)
    var, mean = np.array([[0.8], [2.0]], np.float32), np.array([[1.5], [0.0]], np.float32)
    gamma = np.array([0.5, 1.0, 2.0], np.float32)
    dx, dg, db = G.LayerNormGrad(1, 1)(Tensor(x), Tensor(dy), Tensor(var), Tensor(mean), Tensor(gamma))
    np.testing.assert_allclose(dx.asnumpy(), [[2.4379344, -0.20109105, -2.2368433],
                                              [0.22588134, -0.34864292, 0.12276167]], rtol=1e-5)
    np.testing.assert_allclose(dg.asnumpy(), [0.1858483, -0.46535677, 1.7344246], rtol=1e-5)
    np.testing.assert_allclose(db.asnumpy(), [1.3, 0.3, 0.5], rtol=1e-6)
    # begin_params_axis 0: gamma has x's shape, dgamma / dbeta are not summed
    dx0, dg0, db0 = G.LayerNormGrad(0, 0)(Tensor(x), Tensor(dy), Tensor(var[:1]), Tensor(mean[:1]),
                                          Tensor(np.ones((2, 3), np.float32)))
    np.testing.assert_allclose(dx0.asnumpy(), [[-0.15780579, -0.54213, 1.1488962],
                                               [0.53747153, -0.28358456, -0.70284736]], rtol=1e-5)
    np.testing.assert_allclose(dg0.asnumpy(), [[-0.16770509, -0.11180339, 2.7950847],
                                               [-1.1180339, -1.3975424, -0.8385254]], rtol=1e-5)
    np.testing.assert_array_equal(db0.asnumpy(), dy)


def test_square_sum_all_fft_freqs_and_inplace_index_add(on_real_server):
    import gradserve as ms
    from gradserve.ops import operations as P
    from gradserve.ops.function.math_func import F
    x16 = Tensor(np.arange(0, 1, 0.001).astype(np.float16))
    a, b = P.SquareSumAll()(x16, Tensor(np.array([1, -2, 3.5] * 333 + [1], np.float16)))
    assert a.dtype == ms.float16 and a.shape == () and float(a.asnumpy()) == 332.75  # MindSpore 2.10's value
    assert float(b.asnumpy()) == float(np.float16(333 * 17.25 + 1))
    with pytest.raises(TypeError, match="one dtype"):
        P.SquareSumAll()(x16, Tensor(np.ones(1000, np.float32)))
    with pytest.raises(TypeError, match="float16 or float32"):
        P.SquareSumAll()(Tensor(np.ones(3)), Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="one shape"):
        P.SquareSumAll()(Tensor(np.ones(3, np.float32)), Tensor(np.ones(2, np.float32)))
    # computed in float32, then cast (MindSpore 2.10: float32's rounding in a float64 result)
    f = ops.fftfreq(7, 3.3, ms.float64)
    assert f.dtype == ms.float64
    np.testing.assert_array_equal(f.asnumpy(), [0.0, 0.043290045112371445, 0.08658009022474289, 0.12987013161182404,
                                                -0.12987013161182404, -0.08658009022474289, -0.043290045112371445])
    np.testing.assert_array_equal(ops.rfftfreq(6, 0.5, ms.float64).asnumpy(), [0.0, 0.3333333432674408,
                                                                              0.6666666865348816, 1.0])
    assert ops.rfftfreq(5).dtype == ms.float32
    # MindSpore's math_func.F is ops.function; inplace_index_add writes the Tensor it is given
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    y = F.inplace_index_add(x, Tensor(np.array([1, 1], np.int32)), Tensor(np.array([[1.0, 1.0], [2.0, 2.0]],
                                                                                   np.float32)), 0)
    np.testing.assert_array_equal(y.asnumpy(), [[1.0, 2.0], [6.0, 7.0]])
    np.testing.assert_array_equal(x.asnumpy(), [[1.0, 2.0], [6.0, 7.0]])


def _lazy_adam_state():
    from gradserve import Parameter
    return (Parameter(Tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [-1.0, 0.5]], np.float32)), name="var"),
            Parameter(Tensor(np.array([[0.1, 0.2], [0.0, -0.3], [0.5, 0.5], [0.2, 0.1]], np.float32)), name="m"),
            Parameter(Tensor(np.array([[0.2, 0.1], [0.3, 0.3], [0.4, 0.1], [0.05, 0.2]], np.float32)), name="v"))


def test_fused_sparse_lazy_adam_updates_the_named_rows(on_real_server):
    from gradserve import nn
    from gradserve.ops import operations as P
    grad = Tensor(np.array([[0.5, -1.0], [2.0, 0.25], [1.0, 1.0]], np.float32))
    indices = Tensor(np.array([2, 0, 2], np.int32))  # row 2 twice: its gradient rows add
    want_m = [[0.29, 0.205], [0.0, -0.3], [0.6, 0.45], [0.2, 0.1]]
    want_v = [[0.2038, 0.0999625], [0.3, 0.3], [0.40185, 0.0999], [0.05, 0.2]]
    for nesterov, want_var in ((False, [[0.9979686, 1.9979496], [3.0, 4.0], [4.997007, 5.9954977], [-1.0, 0.5]]),
                               (True, [[0.9967708, 1.9979047], [3.0, 4.0], [4.996558, 5.995948], [-1.0, 0.5]])):
        var, m, v = _lazy_adam_state()

        class Net(nn.Cell):
            def __init__(self):
                super().__init__()
                self.op, self.var, self.m, self.v = P.FusedSparseLazyAdam(use_nesterov=nesterov), var, m, v

            def construct(self, g, i):
                return self.op(self.var, self.m, self.v, 0.9, 0.999, 0.01, 0.9, 0.999, 1e-8, g, i)

        Net()(grad, indices)
        np.testing.assert_allclose(var.asnumpy(), want_var, rtol=1e-6)
        np.testing.assert_allclose(m.asnumpy(), want_m, rtol=1e-6)
        np.testing.assert_allclose(v.asnumpy(), want_v, rtol=1e-6)
    var, m, v = _lazy_adam_state()
    with pytest.raises(TypeError, match="indices"):
        P.FusedSparseLazyAdam()(var, m, v, 0.9, 0.999, 0.01, 0.9, 0.999, 1e-8, grad, Tensor(np.ones(3, np.float32)))
    with pytest.raises(ValueError, match=r"grad_shape\[0\] 3 must be equal to indices_shape\[0\] 2"):
        P.FusedSparseLazyAdam()(var, m, v, 0.9, 0.999, 0.01, 0.9, 0.999, 1e-8, grad, Tensor(np.array([0, 1], np.int32)))


def test_random_gamma_shapes_law_and_checks(on_real_server):
    import gradserve as ms
    from gradserve.ops import operations as P
    shape = Tensor(np.array([20000]), ms.int32)
    out = ops.random_gamma(shape, Tensor(np.array([3.0, 0.5], np.float32)), seed=5)
    assert out.shape == (20000, 2) and out.dtype == ms.float32
    # Gamma(alpha, 1): mean alpha, variance alpha (20000 draws: 5 standard errors is under 0.06)
    np.testing.assert_allclose(out.asnumpy().mean(0), [3.0, 0.5], atol=0.06)
    np.testing.assert_allclose(out.asnumpy().var(0), [3.0, 0.5], rtol=0.1)
    a16 = Tensor(np.array([1.0, 4.0], np.float16))
    assert ops.random_gamma(Tensor(np.array([2, 3]), ms.int32), a16).shape == (2, 3, 2)
    assert ops.random_gamma(Tensor(np.array([2, 3]), ms.int32), a16).dtype == ms.float16
    np.testing.assert_array_equal(P.RandomGamma(seed=3)(shape, a16).asnumpy(), P.RandomGamma(seed=3)(shape, a16).asnumpy())
    with pytest.raises(TypeError, match="alpha"):
        ops.random_gamma(Tensor(np.array([2]), ms.int32), Tensor(np.array([1, 2], np.int32)))
    with pytest.raises(TypeError, match="shape"):
        ops.random_gamma(Tensor(np.array([2.0], np.float32)), a16)


def test_scatter_along_an_axis_gather_batch_dims_and_vander(on_real_server):
    import gradserve as ms
    x = Tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    idx = Tensor(np.array([[2, 0], [1, 3]]), ms.int64)  # smaller than x on axis 0 too
    src = Tensor(np.array([[10.0, 20.0], [30.0, 40.0]], np.float32))
    np.testing.assert_array_equal(ops.scatter(x, 1, idx, src).asnumpy(),
                                  [[20, 1, 10, 3], [4, 30, 6, 40], [8, 9, 10, 11]])
    added = ops.tensor_scatter_elements(x, Tensor(np.array([[2, 0, 1, 1]], np.int32)),
                                        Tensor(np.ones((1, 4), np.float32)), 0, "add")
    np.testing.assert_array_equal(added.asnumpy(), [[0, 2, 2, 3], [4, 5, 7, 8], [9, 9, 10, 11]])
    w = Tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    gx, gs = ops.grad(lambda a, s: (ops.scatter(a, 1, idx, s) * w).sum(), (0, 1))(x, src)
    np.testing.assert_array_equal(gx.asnumpy(), [[0, 1, 0, 3], [4, 0, 6, 0], [8, 9, 10, 11]])
    np.testing.assert_array_equal(gs.asnumpy(), [[2, 0], [5, 7]])
    with pytest.raises(ValueError, match="same"):
        ops.scatter(x, 1, idx, Tensor(np.ones((2, 3), np.float32)))
    from gradserve.ops import function as Fn, functional as F
    assert F.scatter is ops.scatter and Fn.scatter is ops.scatter  # MindSpore's form under every name
    # gather with batch_dims (MindSpore 2.10's values; a negative index wraps in the forward)
    p = Tensor(np.arange(48).reshape(2, 3, 4, 2).astype(np.float32))
    out = ops.gather(p, Tensor(np.array([[3, 0, -1], [1, 1, 2]], np.int32)), 2, 1)
    assert out.shape == (2, 3, 3, 2)
    np.testing.assert_array_equal(out.asnumpy()[1, 2, :, 1], [43, 43, 45])
    np.testing.assert_array_equal(out.asnumpy()[0, 0, :, 0], [6, 0, 6])
    i2 = Tensor(np.array([[3, 0, 1], [1, 1, 2]], np.int32))
    weights = ops.arange(3.0).reshape(1, 1, 3, 1)
    g = ops.grad(lambda t: (ops.gather(t, i2, 2, 1) * weights).sum())(p)
    np.testing.assert_array_equal(g.asnumpy()[0, 0], [[1, 1], [2, 2], [0, 0], [0, 0]])
    np.testing.assert_array_equal(ops.Gather(batch_dims=1)(p, i2, 2).asnumpy(), ops.gather(p, i2, 2, 1).asnumpy())
    np.testing.assert_array_equal(ops.vander(Tensor([1.0, 2.0, 3.0]), 4).asnumpy(),
                                  [[1, 1, 1, 1], [8, 4, 2, 1], [27, 9, 3, 1]])
    v = ops.vander(Tensor(np.array([1, 2, -3], np.int32)))
    assert v.dtype == ms.int32
    np.testing.assert_array_equal(v.asnumpy(), [[1, 1, 1], [4, 2, 1], [9, -3, 1]])
    with pytest.raises(ValueError, match="1-D"):
        ops.vander(Tensor(np.ones((2, 2), np.float32)))


def test_lp_pool2d_and_its_cell(on_real_server):
    from gradserve import nn
    x = Tensor(np.arange(120).reshape(2, 3, 4, 5).astype(np.float32) - 50)
    np.testing.assert_allclose(ops.lp_pool2d(x, 2, (2, 3), (1, 2)).asnumpy()[0, 0],
                               [[114.08330535888672, 109.19248962402344], [101.85774230957031, 96.96907043457031],
                                [89.6381607055664, 84.7525863647461]], rtol=1e-6)
    np.testing.assert_allclose(nn.LPPool2d(3, 2, ceil_mode=True)(x).asnumpy()[1, 2],
                               [[84.32649993896484, 87.49427032470703, 89.8634262084961],
                                [100.16979217529297, 103.3395767211914, 105.71117401123047]], rtol=1e-6)


def test_in_top_k_and_nn_range(on_real_server):
    import gradserve as ms
    from gradserve import nn
    pred = Tensor(np.array([[4, 1, 2, 0], [7, 9, 9, 0], [3, 3, 3, 0]], np.float32))
    for k, targets, want in ((1, [0, 1, 0], [True, True, True]), (1, [1, 2, 3], [False, True, False]),
                             (2, [2, 0, 2], [True, False, True]), (-2, [0, 1, 0], [False] * 3),
                             (165, [3, 3, 3], [True] * 3)):  # ties count in (MindSpore 2.10's values)
        got = ops.InTopK(k)(pred, Tensor(np.array(targets, np.int32)))
        np.testing.assert_array_equal(got.asnumpy(), want)
    nan_row = Tensor(np.array([[1.0, np.nan, 0.5], [2, 2, 2]], np.float32))
    np.testing.assert_array_equal(ops.InTopK(1)(nan_row, Tensor(np.array([0, -1], np.int32))).asnumpy(), [False] * 2)
    with pytest.raises(ValueError, match="2-D"):
        ops.InTopK(1)(Tensor(np.zeros(4, np.float32)), Tensor(np.zeros(4, np.int32)))
    with pytest.raises(TypeError, match="'k'"):
        ops.InTopK(1.5)
    r = nn.Range(5)()
    assert r.dtype == ms.int32
    np.testing.assert_array_equal(r.asnumpy(), [0, 1, 2, 3, 4])
    assert nn.Range(1, 7, 2.0)().dtype == ms.float32
    np.testing.assert_array_equal(nn.Range(3, 0, -1)().asnumpy(), [3, 2, 1])


def test_nms_with_mask(on_real_server):
    b = Tensor(np.array([[0, 0, 10, 4, 0.5], [0, 0, 2, 2, 0.8], [1, 1, 9, 5, 0.9], [20, 20, 30, 30, 0.3],
                         [21, 21, 30, 30, 0.7], [0, 0, 0, 0, 0.2], [0, 0, 0, 0, 0.1]], np.float32))
    # MindSpore 2.10's masks; at 0.5 the 0.5-scored box's IoU with the 0.9 one is exactly 0.5: kept
    for thr, mask in ((0.1, [True, True, True, False, False, True, True]),
                      (0.5, [True, True, True, True, False, True, True])):
        boxes, idx, got = ops.NMSWithMask(thr)(b)
        np.testing.assert_allclose(boxes.asnumpy()[:, 4], [0.9, 0.8, 0.7, 0.5, 0.3, 0.2, 0.1], rtol=1e-6)
        np.testing.assert_array_equal(boxes.asnumpy()[0, :4], [1, 1, 9, 5])
        np.testing.assert_array_equal(idx.asnumpy(), np.arange(7))
        np.testing.assert_array_equal(got.asnumpy(), mask)
    with pytest.raises(ValueError, match=r"\[N, 5\]"):
        ops.NMSWithMask(0.5)(Tensor(np.ones((3, 4), np.float32)))


def test_cdist_grad_against_mindspore(on_real_server):
    from gradserve.ops import auto_generate as gen
    x1 = np.array([[[1.0, 2.0, 0.5], [2.0, -1.0, 3.0]]], np.float32)
    x2 = np.array([[[3.0, 2.0, 1.0], [0.0, 0.0, 0.0], [2.0, -1.0, 3.0]]], np.float32)  # row 1 of x1 is x2's row 2
    g = np.array([[[1.0, 0.5, 2.0], [0.3, -1.0, 1.5]]], np.float32)
    diff = np.abs(x1[:, :, None, :] - x2[:, None, :, :])
    want = {1.0: [[-2.5, 2.5, -2.5], [-1.3, 0.7, -0.7]],  # MindSpore 2.10's values
            2.0: [[-1.2480640, 1.9248530, -1.3737741], [-0.6147010, 0.026726, -0.6414270]],
            3.0: [[-1.0366030, 1.9105080, -1.0419110], [-0.3943970, -0.155924, -0.7154180]],
            0.5: [[0.0] * 3] * 2, float("inf"): [[-1.0, 2.5, 0.0], [0.0, -0.3, -1.0]]}
    for p, expected in want.items():
        dist = diff.max(-1) if p == float("inf") else (diff ** p).sum(-1) ** (1 / p)
        got = gen.CdistGrad(p)(Tensor(g), Tensor(x1), Tensor(x2), Tensor(dist.astype(np.float32)))
        np.testing.assert_allclose(got.asnumpy()[0], expected, rtol=1e-5, atol=1e-6)


def _state_nets():
    import gradserve as ms
    from gradserve import nn
    from gradserve.common.parameter import _Buffer

    class Inner(nn.Cell):
        def __init__(self):
            super().__init__()
            self.buffer_0 = _Buffer(Tensor(np.array([1.0, 2.0, 3.0], np.float32)))
            self.param_0 = ms.Parameter(Tensor(np.array([10.0, 20.0, 30.0], np.float32)))
            self.dense = nn.Dense(5, 3)

    class Outer(nn.Cell):
        def __init__(self):
            super().__init__()
            self.sub_net = Inner()
            self.buffer_1 = _Buffer(Tensor(np.array([6.0, 6.0, 6.0], np.float32)))
            self.register_buffer("buffer_2", Tensor(np.array([7.0, 7.0, 7.0], np.float32)))
            self.register_buffer("buffer_3", Tensor(np.array([1.0], np.float32)), persistent=False)
            self.param_1 = ms.Parameter(Tensor(np.array([8.0, 8.0, 8.0], np.float32)))

    return Outer()


def test_cell_state_dict_and_load_state_dict(tmp_path):
    import gradserve as ms
    net = _state_nets()
    sd = net.state_dict()
    # MindSpore 2.10's keys and order: own Parameters, own persistent buffers, then each sub-cell's
    assert list(sd) == ["param_1", "buffer_1", "buffer_2", "sub_net.param_0", "sub_net.buffer_0",
                        "sub_net.dense.weight", "sub_net.dense.bias"]
    assert sd["param_1"] is net.param_1 and list(net.state_dict(prefix="p."))[:2] == ["p.param_1", "p.buffer_1"]
    calls = []
    net.register_state_dict_pre_hook(lambda cell, prefix, keep_vars: calls.append(("pre", prefix)))
    net.register_state_dict_post_hook(lambda cell, state, prefix, meta: calls.append(("post", len(state))))
    path = str(tmp_path / "net.ckpt")
    ms.save_checkpoint(net.state_dict(), path)
    assert calls == [("pre", ""), ("post", 7)]
    other = _state_nets()
    other.register_load_state_dict_post_hook(lambda cell, keys: calls.append(("load_post", keys)))
    other.load_state_dict(ms.load_checkpoint(path))
    assert calls[-1] == ("load_post", ([], []))
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[key].asnumpy(), value.asnumpy())
    given = {k: Tensor(np.full(v.shape, 3.0, np.float32)) for k, v in sd.items() if k != "param_1"}
    given["extra"] = Tensor(np.ones(1, np.float32))
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "param_1"'):
        other.load_state_dict(given)
    keys = other.load_state_dict(given, strict=False)
    assert keys.missing_keys == ["param_1"] and keys.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(other.buffer_1.asnumpy(), [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(other.sub_net.dense.weight.asnumpy()[0], [3.0] * 5)
    np.testing.assert_array_equal(other.param_1.asnumpy(), [8.0, 8.0, 8.0])


def test_state_dict_hooks_run_per_cell_around_its_subtree_as_mindspore():
    """MindSpore 2.10 (recorded from the same program): each cell's state_dict pre hook runs before its entries and
    its post hook after its whole subtree (a post hook sees the entries made so far); a sub-cell held under two
    attributes is listed under both (a MindSpore state_dict loads back with strict=True); load_state_dict's post
    hooks run per cell likewise, before the strict check, and one that empties missing_keys in place lets a strict
    load pass."""
    import gradserve as ms
    from gradserve import nn

    class Leaf(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = ms.Parameter(Tensor(np.ones(2, np.float32)), name="w")

    class Mid(nn.Cell):
        def __init__(self):
            super().__init__()
            self.p = ms.Parameter(Tensor(np.ones(1, np.float32)), name="p")
            self.a, self.b = Leaf(), Leaf()

    class Top(nn.Cell):
        def __init__(self):
            super().__init__()
            self.m, self.c = Mid(), Leaf()
            self.shared = self.c

    t, log = Top(), []
    for n, c in {"top": t, "m": t.m, "a": t.m.a, "b": t.m.b, "c": t.c}.items():
        c.register_state_dict_pre_hook(lambda cell, prefix, kv, n=n: log.append(("pre", n, prefix)))
        c.register_state_dict_post_hook(lambda cell, sd, prefix, meta, n=n: log.append(("post", n, prefix, len(sd))))
        c.register_load_state_dict_pre_hook(lambda *a, n=n: log.append(("lpre", n, a[2])))
        c.register_load_state_dict_post_hook(lambda cell, res, n=n: log.append(("lpost", n)))
    sd = t.state_dict()
    assert list(sd) == ["m.p", "m.a.w", "m.b.w", "c.w", "shared.w"]
    assert log == [("pre", "top", ""), ("pre", "m", "m."), ("pre", "a", "m.a."), ("post", "a", "m.a.", 2),
                   ("pre", "b", "m.b."), ("post", "b", "m.b.", 3), ("post", "m", "m.", 3), ("pre", "c", "c."),
                   ("post", "c", "c.", 4), ("pre", "c", "shared."), ("post", "c", "shared.", 5),
                   ("post", "top", "", 5)]
    log.clear()
    assert t.load_state_dict(sd) == ([], [])
    assert log == [("lpre", "top", ""), ("lpre", "m", "m."), ("lpre", "a", "m.a."), ("lpost", "a"),
                   ("lpre", "b", "m.b."), ("lpost", "b"), ("lpost", "m"), ("lpre", "c", "c."), ("lpost", "c"),
                   ("lpre", "c", "shared."), ("lpost", "c"), ("lpost", "top")]

    class Two(nn.Cell):
        def __init__(self):
            super().__init__()
            self.a, self.b = Leaf(), Leaf()

    two, seen = Two(), []

    def forgive(cell, res):
        seen.append((list(res.missing_keys), list(res.unexpected_keys)))
        res.missing_keys.clear()
    two.a.register_load_state_dict_post_hook(forgive)
    two.register_load_state_dict_post_hook(lambda c, r: seen.append(("top", list(r.missing_keys), list(r.unexpected_keys))))
    z = Tensor(np.zeros(2, np.float32))
    assert two.load_state_dict({"b.w": z, "zz": Tensor(np.zeros(1, np.float32))}, strict=False) == ([], ["zz"])
    assert seen == [(["a.w"], ["zz"]), ("top", [], ["zz"])]
    seen.clear()
    assert two.load_state_dict({"b.w": z}) == ([], [])
    assert seen == [(["a.w"], []), ("top", [], [])]


def test_list_diff_and_sparse_segment_mean_with_num_segments(on_real_server):
    import gradserve as ms
    from gradserve.ops.operations import array_ops as A, sparse_ops as S
    out, idx = A.ListDiff()(Tensor(np.array([1, 2, 3, 4, 5, 6, 3], np.int32)), Tensor(np.array([1, 3, 5], np.int32)))
    np.testing.assert_array_equal(out.asnumpy(), [2, 4, 6])
    np.testing.assert_array_equal(idx.asnumpy(), [1, 3, 5])
    assert idx.dtype == ms.int32
    assert A.ListDiff(out_idx=ms.int64)(Tensor([1.0, 2.5]), Tensor([2.5]))[1].dtype == ms.int64
    x = Tensor(np.array([[0, 2, 0, 0], [0, 1, 1, 0], [2, 0, 2, 0]], np.float32))
    for n in (Tensor(np.array([4], np.int32)), Tensor(4, ms.int64)):  # MindSpore 2.10's values
        got = S.SparseSegmentMeanWithNumSegments()(x, Tensor(np.array([0, 2, 1], np.int32)),
                                                   Tensor(np.array([0, 0, 2], np.int32)), n)
        np.testing.assert_array_equal(got.asnumpy(), [[1, 1, 1, 0], [0, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]])
    with pytest.raises(ValueError, match="num_segments"):
        S.SparseSegmentMeanWithNumSegments()(x, Tensor(np.array([0], np.int32)), Tensor(np.array([5], np.int32)),
                                             Tensor(np.array([2], np.int32)))


def test_min_ext_max_ext(on_real_server):
    import gradserve as ms
    from gradserve.ops.function.array_func import max_ext, min_ext
    x = Tensor(np.array([[3.0, 1.0, 1.0], [0.0, 5.0, 0.0]], np.float32))
    assert float(min_ext(x).asnumpy()) == 0.0 and float(max_ext(x).asnumpy()) == 5.0
    values, idx = min_ext(x, 1)  # MindSpore 2.10: the first minimum, int64 indices
    np.testing.assert_array_equal(values.asnumpy(), [1.0, 0.0])
    np.testing.assert_array_equal(idx.asnumpy(), [1, 0])
    assert idx.dtype == ms.int64
    values, idx = min_ext(x, 0, True)
    assert values.shape == (1, 3)
    np.testing.assert_array_equal(idx.asnumpy(), [[1, 0, 1]])
    g = ops.grad(lambda t: min_ext(t, 1)[0].sum())(x)
    np.testing.assert_array_equal(g.asnumpy(), [[0, 1, 0], [1, 0, 0]])
