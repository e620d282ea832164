"""mindspore.bfloat16 Tensors: creation, dtype queries, asnumpy() (a NumPy bfloat16 array, as MindSpore 2.10 gives its
own), casts, promotion, eager arithmetic and grad through the service, and checkpoints. The values and dtypes recorded
here came from MindSpore 2.10 (CPU, PyNative) running the same programs; ml_dtypes / PyTorch where MindSpore's CPU
has no bfloat16 kernel (exp, sum)."""
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

import gradserve as gs
from gradserve import Parameter, Tensor, nn, ops

BF16 = np.dtype(ml_dtypes.bfloat16)
DATA = Path(__file__).parent / "data"


def test_creation_queries_and_asnumpy(fake):
    x = Tensor([1.1, 2.2, 3.3], gs.bfloat16)
    assert x.dtype == gs.bfloat16 and str(x.dtype) == "BFloat16" and x.is_floating_point()
    assert repr(x) == "Tensor(shape=[3], dtype=BFloat16, value= [1.10156, 2.20312, 3.29688])"  # MindSpore 2.10
    assert repr(Tensor(1.1, gs.bfloat16)) == "Tensor(shape=[], dtype=BFloat16, value= 1.10156)"  # (a 0-d one too)
    assert repr(Tensor(np.float32(1234567.0), gs.bfloat16)) == "Tensor(shape=[], dtype=BFloat16, value= 1.23699e+06)"
    a = x.asnumpy()
    assert a.dtype == BF16 and a.astype(np.float32).tolist() == [1.1015625, 2.203125, 3.296875]
    assert x.tolist() == [1.1015625, 2.203125, 3.296875]
    one = Tensor(np.array([1.5], np.float32), gs.bfloat16).item()
    assert one == 1.5 and type(one) is float
    assert Tensor(a).dtype == gs.bfloat16  # a NumPy bfloat16 array keeps its dtype
    assert x.float().dtype == gs.float32 and x.float().asnumpy().tolist() == [1.1015625, 2.203125, 3.296875]
    assert Tensor(np.array([1.1], np.float32)).bfloat16().dtype == gs.bfloat16
    assert Tensor(np.array([1.1], np.float32)).astype(gs.bfloat16).asnumpy().astype(np.float32).tolist() == [1.1015625]


def test_promotion_as_mindspore(fake):
    """MindSpore 2.10: bfloat16 with float16 or float32 is Float32; with a Python number or an integer
    Tensor it stays BFloat16."""
    x = Tensor([1.1, 2.2, 3.3], gs.bfloat16)
    assert (x + Tensor([1, 2, 3], gs.float16)).dtype == gs.float32
    assert (x + Tensor([1, 2, 3], gs.float32)).dtype == gs.float32
    assert (x + Tensor([1, 2, 3], gs.float64)).dtype == gs.float64
    for y in (x * 2.5, x * 2, x + Tensor([1, 2, 3], gs.int32)):
        assert y.dtype == gs.bfloat16
    np.testing.assert_array_equal((x * 2.5).asnumpy().astype(np.float32), [2.75, 5.5, 8.25])


def test_grad_of_a_bfloat16_function(fake):
    """MindSpore 2.10: grad(x * x * x) at bfloat16 [1.1, 2.2, 3.3] is BFloat16 [3.625, 14.5, 32.5] (each node
    rounded to bfloat16, not 3 x^2 = [3.64, 14.56, 32.6])."""
    x = Tensor([1.1, 2.2, 3.3], gs.bfloat16)
    g = gs.grad(lambda t: t * t * t)(x)
    assert g.dtype == gs.bfloat16
    assert g.asnumpy().astype(np.float32).tolist() == [3.625, 14.5, 32.5]


def test_network_grad_and_eager_ops_round_once_like_torch(fake):
    """exp and sum (no bfloat16 CPU kernel in MindSpore 2.10): PyTorch's bfloat16 CPU kernels, each one rounding."""
    torch = pytest.importorskip("torch")
    xv = np.array([0.5, -1.25, 2.0, 0.3], np.float32)
    x = Tensor(xv, gs.bfloat16)
    t = torch.tensor(xv).to(torch.bfloat16).requires_grad_()
    y = torch.exp(t)
    np.testing.assert_array_equal(ops.exp(x).asnumpy().astype(np.float32), y.detach().float().numpy())
    (y * y).sum().backward()

    class Net(nn.Cell):
        def construct(self, v):
            e = ops.exp(v)
            return ops.sum(e * e)

    g = gs.grad(Net())(x)
    assert g.dtype == gs.bfloat16
    np.testing.assert_array_equal(g.asnumpy().astype(np.float32), t.grad.float().numpy())


def test_checkpoint_with_bfloat16_values(fake, tmp_path):
    """tests/clients/data/ms210_bf16.ckpt: MindSpore 2.10 saved a Cell with w = Parameter(Tensor([[1.1, -2.5], [3.3,
    0.1]], bfloat16)) and b = Parameter(float32 [0.5, 1.0]); it loads here, and saving the same Cell here writes the
    same bytes."""
    params = gs.load_checkpoint(DATA / "ms210_bf16.ckpt")
    assert params["w"].dtype == gs.bfloat16 and params["b"].dtype == gs.float32
    assert params["w"].asnumpy().astype(np.float32).tolist() == [[1.1015625, -2.5], [3.296875, 0.10009765625]]

    class N(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = Parameter(Tensor(np.array([[1.1, -2.5], [3.3, 0.1]], np.float32), gs.bfloat16), name="w")
            self.b = Parameter(Tensor(np.array([0.5, 1.0], np.float32)), name="b")

        def construct(self, x):
            return x

    gs.save_checkpoint(N(), tmp_path / "mine.ckpt")
    assert (tmp_path / "mine.ckpt").read_bytes() == (DATA / "ms210_bf16.ckpt").read_bytes()


def test_checkpoint_of_a_parameter_list_and_its_type_errors(fake, tmp_path):
    """MindSpore 2.10: save_checkpoint takes a list of Parameters (net.trainable_params()), each by its name; in a
    list of dicts a name that is not a str, or data that is not a Tensor (12, a NumPy array), is a TypeError."""
    w = Parameter(Tensor(np.array([[0.5, -1.5]], np.float32), gs.bfloat16), name="w")
    gs.save_checkpoint([w], tmp_path / "p.ckpt")
    back = gs.load_checkpoint(tmp_path / "p.ckpt")
    assert list(back) == ["w"] and back["w"].dtype == gs.bfloat16
    assert back["w"].asnumpy().tobytes() == w.asnumpy().tobytes()
    for bad in ([{"name": 12, "data": w}], [{"name": "p1", "data": 12}],
                [{"name": "a", "data": np.array([1.0, 2.0], np.float32)}]):
        with pytest.raises(TypeError):
            gs.save_checkpoint(bad, tmp_path / "bad.ckpt")


@pytest.mark.parametrize("name", ["SGD", "Momentum", "Adam"])
def test_optimizers_train_bfloat16_parameters_like_torch(fake, name):
    """An optimizer's step on a bfloat16 Parameter computes in float32 and rounds the new weights and state once
    (torch's optimizers on bfloat16 parameters: the same values over three steps). In bfloat16 itself Adam did not
    move at all: 1 - bfloat16(0.999) is 0, and so was its step size."""
    torch = pytest.importorskip("torch")
    w0, x = np.array([0.5, -1.0, 2.0], np.float32), np.array([1.0, 2.0, -0.5], np.float32)
    tw = torch.tensor(w0).to(torch.bfloat16).requires_grad_()
    topt = {"SGD": lambda: torch.optim.SGD([tw], lr=0.1), "Momentum": lambda: torch.optim.SGD([tw], lr=0.1, momentum=0.9),
            "Adam": lambda: torch.optim.Adam([tw], lr=0.1, foreach=False)}[name]()

    class N(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = Parameter(Tensor(w0, gs.bfloat16), name="w")

        def construct(self, v):
            return ops.sum(self.w * v)  # (the gradient is v, exact: only the optimizers' arithmetic differs)

    net = N()
    opt = {"SGD": lambda p: nn.SGD(p, learning_rate=0.1), "Momentum": lambda p: nn.Momentum(p, 0.1, 0.9),
           "Adam": lambda p: nn.Adam(p, learning_rate=0.1)}[name](net.trainable_params())
    step = nn.TrainOneStepCell(net, opt)
    for _ in range(3):
        step(Tensor(x, gs.bfloat16))
        topt.zero_grad()
        (tw * torch.tensor(x).to(torch.bfloat16)).sum().backward()
        topt.step()
    assert net.w.dtype == gs.bfloat16
    got, want = net.w.asnumpy().astype(np.float32), tw.detach().float().numpy()
    assert not np.array_equal(got, w0.astype(BF16).astype(np.float32))  # it trains
    # SGD: one kernel on both sides, equal. Within one ulp: torch's momentum buffer is two kernels (mul_, add_:
    # two roundings) where the update here rounds it once; torch's Adam takes its bias corrections in float64,
    # MindSpore's in float32 (its beta powers); an ulp of the weights' earlier values (~0.5: 2^-9) where steps
    # cancel them toward 0
    tol = {"rtol": 0, "atol": 0} if name == "SGD" else {"rtol": 2 ** -7, "atol": 2 ** -9}
    np.testing.assert_allclose(got, want, **tol)


def test_non_finite_bfloat16_constants_travel(fake):
    """A bfloat16 constant holding inf / NaN in a traced function travels as its bytes, as a float32 one does (its
    JSON list was refused: 'Out of range float values are not JSON compliant'); a uniform -inf one as well.
    Values and gradients: PyTorch's bfloat16 kernels."""
    torch = pytest.importorskip("torch")
    xv, cv = np.array([1.1, 2.2, -0.5], np.float32), np.array([np.inf, np.nan, 1.5], np.float32)

    def f(m, t, c):  # (finite results: the in-process server's JSON carries no NaN)
        return m.where(m.isnan(c), t * 3, m.minimum(t, c) * 2)

    x = Tensor(xv, gs.bfloat16)
    t = torch.tensor(xv).to(torch.bfloat16).requires_grad_()
    want = f(torch, t, torch.tensor(cv).to(torch.bfloat16))
    want.sum().backward()
    y = gs.jit(lambda v: f(ops, v, Tensor(cv, gs.bfloat16)))(x)
    g = gs.grad(lambda v: ops.sum(f(ops, v, Tensor(cv, gs.bfloat16))))(x)
    assert y.dtype == g.dtype == gs.bfloat16
    np.testing.assert_array_equal(y.asnumpy().astype(np.float32), want.detach().float().numpy())
    np.testing.assert_array_equal(g.asnumpy().astype(np.float32), t.grad.float().numpy())
    y = gs.jit(lambda v: ops.maximum(v, Tensor(np.full(3, -np.inf, np.float32), gs.bfloat16)))(x)
    assert y.dtype == gs.bfloat16
    np.testing.assert_array_equal(y.asnumpy().astype(np.float32), xv.astype(BF16).astype(np.float32))


def test_load_param_into_net_converts_between_bfloat16_and_other_floats(fake):
    """MindSpore 2.10: a bfloat16 value loads into a float32 / float16 Parameter and a float32 one into a bfloat16
    Parameter, converted to the Parameter's dtype (here each was refused with a TypeError)."""
    for pdt, cdt in ((gs.float32, gs.bfloat16), (gs.bfloat16, gs.float32), (gs.float16, gs.bfloat16)):
        class N(nn.Cell):
            def __init__(self):
                super().__init__()
                self.w = Parameter(Tensor(np.zeros(2, np.float32), pdt), name="w")

        n = N()
        assert gs.load_param_into_net(n, {"w": Parameter(Tensor(np.array([1.1, 2.2], np.float32), cdt), name="w")}) \
            == ([], [])
        assert n.w.dtype == pdt
        assert n.w.asnumpy().astype(np.float32).tolist() == [1.1015625, 2.203125]  # (MindSpore 2.10's values)


def test_cummax_cummin_and_scatter_div_treat_bfloat16_as_a_float(fake):
    """bfloat16 takes the float paths (it was taken for an integer: cummax / cummin skipped the rule that a NaN wins
    from where it is on, giving [1, 0.5, 0.5, 0.5] at index -1; tensor_scatter_div truncated its quotients).
    Expected: PyTorch's bfloat16 cummax / cummin and division."""
    torch = pytest.importorskip("torch")
    xv = np.array([1.0, np.nan, 3.0, 0.5], np.float32)
    t = torch.tensor(xv).to(torch.bfloat16)
    for name in ("cummax", "cummin"):
        v, i = getattr(ops, name)(Tensor(xv, gs.bfloat16), 0)
        want = getattr(torch, name)(t, 0)
        assert v.dtype == gs.bfloat16
        np.testing.assert_array_equal(v.asnumpy().astype(np.float32), want.values.float().numpy())
        np.testing.assert_array_equal(i.asnumpy(), want.indices.numpy())
    x = np.array([7.0, 5.0, -3.0], np.float32)
    got = ops.tensor_scatter_div(Tensor(x, gs.bfloat16), Tensor(np.array([[0], [2]], np.int32)),
                                 Tensor(np.array([2.0, 4.0], np.float32), gs.bfloat16))
    want = torch.tensor(x).to(torch.bfloat16) / torch.tensor([2.0, 1.0, 4.0]).to(torch.bfloat16)
    assert got.dtype == gs.bfloat16
    np.testing.assert_array_equal(got.asnumpy().astype(np.float32), want.float().numpy())  # [3.5, 5, -0.75]
