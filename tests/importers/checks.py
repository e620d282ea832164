"""One check of an imported Cell against PyTorch's own autodiff: value, gradients w.r.t. the input
and every weight, a jvp, and a second-order derivative (Hessian-vector product w.r.t. the input)."""
import numpy as np
import torch

from gradserve import Tensor, nn, ops

from .models import close


class SumSq(nn.Cell):
    """loss = sum((c * net(x))^2) / 2, c fixed and random (a norm-invariant output, as after a final
    layer norm, would make the plain sum of squares nearly constant)."""

    def __init__(self, net, c):
        super().__init__()
        self.net, self.c = net, Tensor(c)

    def construct(self, x):
        y = self.net(x) * self.c
        return (y * y).sum() / 2


class GradDot(nn.Cell):
    """<grad_x loss(x), v>: its gradient is the Hessian-vector product H v."""

    def __init__(self, loss, v):
        super().__init__()
        self.loss, self.v = loss, v

    def construct(self, x):
        return (ops.grad(self.loss, grad_position=0)(x) * self.v).sum()


def check_against_torch(net, model, x: torch.Tensor, jvp_model=None, second_order_model=None):
    """jvp_model / second_order_model: an equal model for torch's jvp / Hessian-vector product where torch has no
    forward-mode or double-backward rule for one of `model`'s ops (torch.cond, embedding_bag)."""
    params = dict(model.named_parameters())
    got_names = [p.name for p in net.trainable_params()]
    assert sorted(got_names) == sorted(params), got_names  # every weight, each once (in the model's order)
    xn = x.detach().numpy()
    close(net(Tensor(xn)).asnumpy(), model(x).detach().numpy(), "value")

    # gradients w.r.t. the input and all weights
    c = np.random.default_rng(5).uniform(0.5, 1.5, model(x).shape).astype(np.float32)
    loss = SumSq(net, c)
    gx, gw = ops.grad(loss, grad_position=0, weights=net.trainable_params())(Tensor(xn))
    xt = x.clone().requires_grad_(True)
    lt = ((model(xt) * torch.from_numpy(c)) ** 2).sum() / 2
    want = torch.autograd.grad(lt, [xt] + [params[n] for n in got_names], create_graph=True)
    close(gx.asnumpy(), want[0].detach().numpy(), "grad x")
    assert len(gw) == len(got_names)
    for n, g, w in zip(got_names, gw, want[1:]):
        close(g.asnumpy(), w.detach().numpy(), f"grad {n}")

    # jvp
    gen = torch.Generator().manual_seed(7)
    v = torch.randn(x.shape, generator=gen)
    out, tan = ops.jvp(net, Tensor(xn), Tensor(v.numpy()))
    wout, wtan = torch.func.jvp(jvp_model or model, (x,), (v,))
    close(out.asnumpy(), wout.detach().numpy(), "jvp value")
    close(tan.asnumpy(), wtan.detach().numpy(), "jvp tangent")

    # second order: H v = grad_x <grad_x loss, v>
    hv = ops.grad(GradDot(loss, Tensor(v.numpy())), grad_position=0)(Tensor(xn))
    if second_order_model is not None:
        xt = x.clone().requires_grad_(True)
        want = torch.autograd.grad(((second_order_model(xt) * torch.from_numpy(c)) ** 2).sum() / 2, [xt],
                                   create_graph=True)
    want_hv = torch.autograd.grad((want[0] * v).sum(), xt)[0]
    close(hv.asnumpy(), want_hv.numpy(), "hessian-vector product")
    assert np.abs(want_hv.numpy()).max() > 1e-3  # the second-order check is not of a zero


def check_value_and_input_grad(net, model, x: torch.Tensor):
    """An imported Cell (an ONNX file, say, whose weights do not map back to the model's) against torch: the value
    and the gradient w.r.t. the input of a random weighting of the output."""
    close(net(Tensor(x.numpy())).asnumpy(), model(x).detach().numpy(), "value")
    c = torch.from_numpy(np.random.default_rng(5).uniform(0.5, 1.5, tuple(model(x).shape)).astype(np.float32))
    gx = ops.grad(lambda z: (net(z) * Tensor(c.numpy())).sum())(Tensor(x.numpy()))
    xr = x.clone().requires_grad_(True)
    close(gx.asnumpy(), torch.autograd.grad((model(xr) * c).sum(), xr)[0].numpy(), "grad x")


def torch_case(models: dict, name: str):
    """(model, input) of a zoo entry `name`: (build, make_input); the input drawn after seeding torch."""
    build, make_input = models[name]
    model = build()
    torch.manual_seed(1)
    return model, make_input()


def check_torch_export(model, x: torch.Tensor):
    """`model` imported by torch.export (traced at 1.1 x) against PyTorch's autodiff (check_against_torch). The
    reference runs SDPA's math kernel: the flash kernel has neither forward AD nor a double backward."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    import gradserve as gs

    net = gs.from_torch(model, (x * 1.1,))
    with sdpa_kernel([SDPBackend.MATH]):
        check_against_torch(net, model, x)


def torch_to_onnx(model, x: torch.Tensor, opset: int, dynamo: bool = False):
    """`model` at `x` through torch.onnx.export: the TorchScript exporter, or the dynamo exporter (its ModelProto)."""
    import io
    import warnings

    import onnx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            return torch.onnx.export(model, (x,), dynamo=True, opset_version=opset, verbose=False).model_proto
        buf = io.BytesIO()
        torch.onnx.export(model, (x,), buf, dynamo=False, opset_version=opset)
    return onnx.load_from_string(buf.getvalue())


def jax_err(got, want) -> float:
    """Largest absolute difference, relative to the reference's largest entry (at least 1)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.abs(got - want).max() / max(1.0, np.abs(want).max()))


def _jax_references(fn, p: dict, x, c, v, by_jacrev: bool):
    """JAX's value, gradients (w.r.t. every parameter and x) of sum(fn * c), jvp along v and Hessian-vector product
    of sum(fn * c) along v: one jitted program, so XLA compiles the model once instead of every primitive of the
    nested grads one by one in eager mode (10-60 s a model on CI's 2 cores; the same JAX autodiff either way)."""
    import jax

    def refs(p, x, c, v):
        out = fn(p, x)
        jw, jx = jax.grad(lambda q, z: (fn(q, z) * c).sum(), argnums=(0, 1))(p, x)
        if by_jacrev:
            jac = jax.jacrev(lambda z: fn(p, z))(x).reshape(out.size, x.size)
            tan = (jac @ v.reshape(-1)).reshape(out.shape)
        else:
            tan = jax.jvp(lambda z: fn(p, z), (x,), (v,))[1]
        hv = jax.grad(lambda z: (jax.grad(lambda y: (fn(p, y) * c).sum())(z) * v).sum())(x)
        return out, jw, jx, tan, hv

    return [jax.tree_util.tree_map(np.asarray, r) for r in jax.jit(refs)(p, x, c, v)]


def check_against_jax(fn, p: dict, x, kw: dict):
    """An imported JAX function `fn(p, x)` against JAX's own autodiff: value, gradients w.r.t. x and every
    parameter, a jvp, and a Hessian-vector product w.r.t. x (float32 tolerances). kw["jvp_by_jacrev"]: JAX
    refuses forward mode through a custom_vjp, so the jvp is compared with its rule's Jacobian (jax.jacrev) times v
    (a rule linear in the cotangent: the engine's forward mode is the rule's double vjp)."""
    import jax

    import gradserve as gs

    kw = dict(kw)
    by_jacrev = kw.pop("jvp_by_jacrev", False)
    net = gs.from_jax(fn, x * 1.1, params=p, **kw)
    shape = jax.eval_shape(fn, p, x).shape
    c = np.random.default_rng(0).uniform(0.5, 1.5, shape).astype(np.float32)
    v = np.random.default_rng(1).normal(size=x.shape).astype(np.float32)
    out, jw, jx, want_tan, want_hv = _jax_references(fn, p, x, c, v, by_jacrev)
    assert jax_err(net(Tensor(x)).asnumpy(), out) < 1e-5
    gx, gw = ops.grad(lambda z: (net(z) * Tensor(c)).sum(), grad_position=0, weights=net.trainable_params())(
        Tensor(x))
    assert jax_err(gx.asnumpy(), jx) < 1e-5
    assert sorted(q.name for q in net.trainable_params()) == sorted(p)
    for q, g in zip(net.trainable_params(), gw):
        assert jax_err(g.asnumpy(), jw[q.name]) < 1e-5, q.name
    _, tan = ops.jvp(net, Tensor(x), Tensor(v))
    assert jax_err(tan.asnumpy(), want_tan) < 1e-5
    hv = ops.grad(lambda z: (ops.grad(lambda y: (net(y) * Tensor(c)).sum())(z) * Tensor(v)).sum())(Tensor(x))
    assert np.abs(want_hv).max() > 1e-2  # the second-order check is not of a zero
    assert jax_err(hv.asnumpy(), want_hv) < 2e-5


def ml_model(op, attrs, x, outs, ml_opset: int = 3):
    """An ONNX model of one ai.onnx.ml node on input X (x's shape and type); outs: [(name, elem_type, shape)]."""
    from onnx import TensorProto as T
    from onnx import helper as oh

    it = T.INT64 if x.dtype == np.int64 else T.FLOAT
    node = oh.make_node(op, ["X"], [o[0] for o in outs], domain="ai.onnx.ml", **attrs)
    g = oh.make_graph([node], "g", [oh.make_tensor_value_info("X", it, list(x.shape))],
                      [oh.make_tensor_value_info(*o) for o in outs])
    model = oh.make_model(g, opset_imports=[oh.make_opsetid("", 17), oh.make_opsetid("ai.onnx.ml", ml_opset)])
    model.ir_version = 9
    return model
