"""A physics-informed network (PINN) for the heat equation u_t = nu * u_xx, computed on gradserve.

u(x, t) is an MLP; the residual r = u_t - nu * u_xx is built inside `construct` from `ops.grad`
of u (first and second order); the loss is mean(r^2) plus the initial-condition misfit; the
gradient of that loss with respect to every parameter of u is one graph (third-order mixed
derivatives), traced once and evaluated on the service. The script checks it against central
finite differences along a few random directions.

    python clients/python/examples/pinn.py      # GRADSERVE_SERVER=http://host:port to point elsewhere
"""
import numpy as np
import gradserve as gs
from gradserve import nn, ops, Tensor, Parameter, ParameterTuple
from gradserve import dtype as mstype
gs.set_context(server="http://127.0.0.1:8000", device_target="CPU")

NU = 0.1


class U(nn.Cell):
    """u(x, t): R^2 -> R, 2-16-16-1 tanh MLP in float64; x and t of shape [N, 1]."""

    def __init__(self, width=16):
        super().__init__()
        self.l1 = nn.Dense(2, width, activation="tanh", dtype=mstype.float64, seed=1)
        self.l2 = nn.Dense(width, width, activation="tanh", dtype=mstype.float64, seed=2)
        self.l3 = nn.Dense(width, 1, dtype=mstype.float64, seed=3)

    def construct(self, x, t):
        return self.l3(self.l2(self.l1(ops.concat((x, t), 1))))


class HeatResidual(nn.Cell):
    """r(x, t) = u_t - nu * u_xx, per collocation point (points are independent, so the
    gradient of sum(u) with respect to x is u_x at each point)."""

    def __init__(self, u, nu):
        super().__init__()
        self.u = u
        self.nu = nu
        self.u_x = ops.grad(u, grad_position=0)
        self.u_t = ops.grad(u, grad_position=1)
        self.u_xx = ops.grad(self.u_x, grad_position=0)

    def construct(self, x, t):
        return self.u_t(x, t) - self.nu * self.u_xx(x, t)


class PINNLoss(nn.Cell):
    def __init__(self, u, nu):
        super().__init__()
        self.u = u
        self.residual = HeatResidual(u, nu)

    def construct(self, x, t, x0, t0, u0):
        r = self.residual(x, t)
        ic = self.u(x0, t0) - u0
        return ops.mean(r * r) + ops.mean(ic * ic)


def problem(n=16, seed=0):
    rng = np.random.default_rng(seed)
    x = Tensor(rng.uniform(-1, 1, (n, 1)))
    t = Tensor(rng.uniform(0, 1, (n, 1)))
    x0 = Tensor(np.linspace(-1, 1, n).reshape(n, 1))
    t0 = Tensor(np.zeros((n, 1)))
    u0 = Tensor(np.sin(np.pi * x0.asnumpy()))
    loss = PINNLoss(U(), NU)
    params = ParameterTuple(loss.trainable_params())
    grad_fn = ops.GradOperation(get_by_list=True)(loss, params)
    return loss, params, grad_fn, (x, t, x0, t0, u0)


def directional_fd(loss, params, data, direction, eps=1e-5):
    """(L(p + eps d) - L(p - eps d)) / (2 eps), evaluating the loss on the service."""
    base = [p.asnumpy() for p in params]
    vals = []
    for sign in (1, -1):
        for p, b, d in zip(params, base, direction):
            p.set_data(b + sign * eps * d)
        vals.append(float(loss(*data).asnumpy()))
    for p, b in zip(params, base):
        p.set_data(b)
    return (vals[0] - vals[1]) / (2 * eps)


if __name__ == "__main__":
    loss, params, grad_fn, data = problem()
    print("loss", float(loss(*data).asnumpy()))
    grads = grad_fn(*data)
    for p, g in zip(params, grads):
        print(p.name, tuple(g.shape), "|grad| =", float(np.linalg.norm(g.asnumpy())))
    rng = np.random.default_rng(1)
    for k in range(3):
        d = [rng.standard_normal(p.shape) for p in params]
        analytic = sum(float(np.sum(g.asnumpy() * di)) for g, di in zip(grads, d))
        fd = directional_fd(loss, params, data, d)
        print(f"direction {k}: analytic {analytic:.10e} finite-difference {fd:.10e} "
              f"rel.err {abs(analytic - fd) / max(abs(fd), 1e-12):.2e}")
