"""A JAX function with custom derivative rules imports with the rules (JAX's own VJP as the engine
node's reverse rule): gradient, jvp and a Hessian-vector product equal JAX's, and a function without
user rules imports as before (no custom node)."""
import jax
import jax.numpy as jnp
import numpy as np

import gradserve as gs
from gradserve import Tensor, nn, ops
from gradserve.importers.jax_import import jax_to_writer

from .jax_zoo_families import _clip_gradient, _safe_log1pexp, _ste_round
from .sweep import close


def smooth_ste(x):
    return jnp.sum(_safe_log1pexp(x) * x + _ste_round(x * 2.0) * x * x)


class GradDot(nn.Cell):
    def __init__(self, net, v):
        super().__init__()
        self.net, self.v = net, Tensor(v)

    def construct(self, x):
        return (ops.grad(self.net)(x) * self.v).sum()


def _x():
    return np.random.default_rng(0).uniform(-1.5, 1.5, (3, 4)).astype(np.float32)


def test_custom_jvp_rules_in_grad_jvp_and_second_order(fake):
    x, v = _x(), np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    net = gs.from_jax(smooth_ste, x)
    close(net(Tensor(x)).asnumpy(), smooth_ste(x), "value")
    close(ops.grad(net)(Tensor(x)).asnumpy(), jax.grad(smooth_ste)(x), "grad")
    _, tan = ops.jvp(net, Tensor(x), Tensor(v))
    close(tan.asnumpy(), jax.jvp(smooth_ste, (x,), (v,))[1], "jvp")
    want_hv = jax.grad(lambda z: jnp.vdot(jax.grad(smooth_ste)(z), v))(x)
    assert np.abs(np.asarray(want_hv)).max() > 1e-2
    close(ops.grad(GradDot(net, v))(Tensor(x)).asnumpy(), want_hv, "hessian-vector product")


def test_custom_vjp_rule_is_the_gradient_not_the_primals_derivative(fake):
    def clipped(x):
        return jnp.sum(_clip_gradient(x * 3.0) ** 2)

    x = _x()
    got = ops.grad(gs.from_jax(clipped, x))(Tensor(x)).asnumpy()
    want = jax.grad(clipped)(x)
    close(got, want, "grad")
    assert not np.allclose(want, 18.0 * x)  # the primal's own derivative: the rule changes it here


def test_only_user_rules_add_the_custom_node():
    x = _x()
    ops_of = [[n["op"] for n in jax_to_writer(f, (x,))[0].nodes] for f in
              (lambda z: jax.nn.relu(z) + jax.nn.softplus(z) + jax.nn.logsumexp(z), smooth_ste)]
    assert "custom_vjp" not in ops_of[0] and "custom_vjp" in ops_of[1]


def test_lapack_factorisations_are_refused_naming_the_kernel_and_the_call():
    import jax.scipy.linalg as jsl
    import pytest

    from gradserve.importers import UnsupportedModel

    a = np.eye(3, dtype=np.float32) * 2 + 0.1
    # (potrf / trsm / getrf (square or not) / gesdd / syevd / geqrf + orgqr, complete-mode QR of tall matrices
    # are mapped: test_jax_lapack.py, jax_zoo_lax_linalg.py, test_import_pool_indices_qr.py)
    with pytest.raises(UnsupportedModel, match=r"@lapack_\w*gees\w* \(.*jax.scipy.linalg.schur\).*no gradient") as e:
        gs.from_jax(lambda m: jsl.schur(m)[0], a)
    assert e.value.op.startswith("lapack_") and "gees" in e.value.op  # the kernel, as an op name
