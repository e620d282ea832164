"""The sweep's check: an imported model's value and its gradients w.r.t. every float input and every
weight equal PyTorch's autodiff (float32 precision, relative to the reference's size)."""
import contextlib
import io

import numpy as np
import torch

from gradserve import Tensor, nn, ops

from .models import close as _close


def close(got, want, what=""):
    """models.close on a finite reference (assert_allclose would pass nan against nan)."""
    assert np.isfinite(np.asarray(want)).all(), f"{what}: the reference is not finite"
    _close(got, want, what)


class WeightedSumSq(nn.Cell):
    """loss = sum_i sum((c_i * out_i)^2) / 2 over the model's outputs (c_i fixed, random)."""

    def __init__(self, net, cs, n_in):
        super().__init__()
        self.net, self.cs, self.n_in = net, [Tensor(c) for c in cs], n_in

    def construct(self, *xs):
        outs = self.net(*xs)
        outs = outs if isinstance(outs, (tuple, list)) else (outs,)
        total = None
        for y, c in zip(outs, self.cs):
            t = ((y * c) * (y * c)).sum() / 2
            total = t if total is None else total + t
        return total


def _outs(y):
    return list(y) if isinstance(y, (tuple, list)) else [y]


def _weights(cs):
    rng = np.random.default_rng(5)
    return [rng.uniform(0.5, 1.5, c.shape).astype(np.float32) for c in cs]


class _ContiguousGrad(torch.autograd.Function):
    """Identity whose backward hands on a contiguous gradient: torch 2.13's CPU eval-mode batch_norm backward
    is wrong for some strided grad_outputs (batch_norm -> flatten(2) -> transpose -> [:, ::2], LeViT's
    subsampled queries: every input gradient off by its own size; a contiguous copy gives the formula's)."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()  # not a view: the model may modify it in place (DenseNet's ReLU(inplace=True))

    @staticmethod
    def backward(ctx, g):
        return g.contiguous()


@contextlib.contextmanager
def _batch_norm_grads_contiguous(model):
    hooks = [m.register_forward_hook(lambda mod, args, out: _ContiguousGrad.apply(out))
             for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    try:
        yield
    finally:
        for h in hooks:
            h.remove()


def torch_reference(model, inputs):
    """Outputs, the fixed loss weights, and torch's gradients of the loss w.r.t. float inputs and params."""
    outs = [o.detach() for o in _outs(model(*[x.clone() for x in inputs]))]  # (a forward may requires_grad_ its
    # input: a potential's positions for its forces)
    cs = _weights(outs)
    xs = [x.clone().requires_grad_(x.is_floating_point()) for x in inputs]
    params = dict(model.named_parameters())
    with _batch_norm_grads_contiguous(model):
        loss = sum(((o * torch.from_numpy(c)) ** 2).sum() / 2 for o, c in zip(_outs(model(*xs)), cs))
    diff = [x for x in xs if x.requires_grad] + list(params.values())
    grads = torch.autograd.grad(loss, diff, allow_unused=True)
    grads = [np.zeros(t.shape, np.float32) if g is None else g.numpy() for t, g in zip(diff, grads)]
    nx = len(diff) - len(params)
    return outs, cs, grads[:nx], dict(zip(params, grads[nx:]))


def check_imported(net, model, inputs, param_of=None):
    """`param_of(imported param) -> (torch name, transposed)` maps the imported weights to torch's
    (default: same name). Returns how many weights were compared."""
    param_of = param_of or (lambda p: (p.name, False))
    outs, cs, gx_want, gw_want = torch_reference(model, inputs)
    xs = [Tensor(x.numpy()) for x in inputs]
    got = _outs(net(*xs))
    assert len(got) == len(outs)
    for i, (g, w) in enumerate(zip(got, outs)):
        close(g.asnumpy(), w.numpy(), f"value {i}")

    pos = tuple(i for i, x in enumerate(inputs) if x.is_floating_point())
    weights = net.trainable_params()
    if pos:
        gx, gw = ops.grad(WeightedSumSq(net, cs, len(xs)), grad_position=pos, weights=weights)(*xs)
        gx = gx if isinstance(gx, (tuple, list)) else (gx,)
    else:  # integer inputs only (token ids): the weights' gradients alone
        gx, gw = (), ops.grad(WeightedSumSq(net, cs, len(xs)), grad_position=None, weights=weights)(*xs)
    for i, (g, w) in enumerate(zip(gx, gx_want)):
        close(g.asnumpy(), w, f"grad input {pos[i]}")
    compared = 0
    for p, g in zip(weights, gw):
        name, transposed = param_of(p)
        if name is None:
            continue
        want = gw_want[name]
        close(g.asnumpy(), want.T if transposed else want, f"grad {p.name} ({name})")
        compared += 1
    return compared


_REGISTRIES: dict = {}


@contextlib.contextmanager
def _torchlib_registry_built_once():
    """torch.onnx's dynamo exporter rebuilds its ATen -> ONNX registry from onnxscript's torchlib on every
    export (it parses the source of ~2,000 functions: 0.4 s of CPU, a quarter of a typical export). An export
    only reads it, so each distinct one is built once and each export gets its own copy of its table (the
    exported bytes are the same). A torch without this private class exports unchanged, only slower."""
    try:
        from torch.onnx._internal.exporter._registration import ONNXRegistry
        original = ONNXRegistry.__dict__["from_torchlib"]
        build = original.__func__
    except (ImportError, KeyError, AttributeError):
        yield
        return

    def from_torchlib(cls, *args, **kwargs):
        key = (cls, args, tuple(sorted(kwargs.items())))
        if key not in _REGISTRIES:
            _REGISTRIES[key] = build(cls, *args, **kwargs)
        built, registry = _REGISTRIES[key], cls()
        registry.__dict__.update(built.__dict__)
        registry.functions = {k: list(v) for k, v in built.functions.items()}
        return registry

    ONNXRegistry.from_torchlib = classmethod(from_torchlib)
    try:
        yield
    finally:
        ONNXRegistry.from_torchlib = original


def to_onnx(model, inputs, exporter="torchscript", opset=17) -> bytes:
    """torch.onnx.export: the TorchScript exporter with weights kept as named initializers (no
    constant folding), or the dynamo one. An export torch itself cannot do skips the case."""
    import pytest

    try:
        if exporter == "dynamo":
            with _torchlib_registry_built_once():
                return torch.onnx.export(model, tuple(inputs), dynamo=True, verbose=False,
                                         opset_version=opset).model_proto.SerializeToString()
        f = io.BytesIO()
        torch.onnx.export(model, tuple(inputs), f, dynamo=False, do_constant_folding=False, opset_version=opset)
        return f.getvalue()
    except Exception as e:  # noqa: BLE001 - the exporter's own refusal, not the importer's
        pytest.skip(f"torch.onnx.export ({exporter}, opset {opset}) cannot export this model: "
                    f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")


def match_by_value(net, model):
    """An imported weight -> the torch parameter it is (by name, else by equal value or transpose);
    (None, False) for one that is neither: an exporter's re-packing (LSTM gates) or folding (the dynamo
    exporter folds eval-mode batch-norm into the convolution before it, keeping the conv's name)."""
    tparams = {n: p.detach().numpy() for n, p in model.named_parameters()}

    def of(p):
        a = p.asnumpy()
        if p.name in tparams and tparams[p.name].shape == a.shape and np.array_equal(tparams[p.name], a):
            return p.name, False
        for n, t in tparams.items():
            if t.shape == a.shape and np.array_equal(t, a):
                return n, False
            if t.ndim == 2 and t.T.shape == a.shape and np.array_equal(t.T, a):
                return n, True
        return None, False
    return of
