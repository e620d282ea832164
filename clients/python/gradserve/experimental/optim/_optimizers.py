"""Optimizer / Adam / AdamW / SGD of `mindspore.experimental.optim` (PyTorch's update rules, as MindSpore 2.10's).

`opt(grads)` updates the Parameters of `opt.param_groups` in place, grads in the order of `opt.parameters`.
The rules are written with SDK ops and ops.assign, so one code runs eagerly (PyNative) and inside a traced
train step (the writes become the program's state updates). Each group's lr is a float32 Parameter
(`learning_rate_group_<i>`, MindSpore's name) that the schedulers in lr_scheduler.py set; the moments are
Parameters named after their parameter."""
from __future__ import annotations

import numpy as np

from ... import ops as _ops
from ..._tensor import Parameter, ParameterTuple, Tensor


def _zeros_like(p: Parameter, what: str) -> Parameter:
    return Parameter(Tensor(np.zeros(p.shape, np.dtype(p._dtype))), name=f"{what}.{p.name}",
                     requires_grad=False)


class Optimizer:
    """The base: `params` an iterable of Parameters, or of dicts {"params": [...], <option>: value} (a group's
    options override `defaults`)."""

    def __init__(self, params, defaults: dict):
        if isinstance(params, (Parameter, Tensor)):
            raise TypeError("params argument given to the optimizer should be an iterable of Parameters or dicts, "
                            f"but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        for g in ([{"params": groups}] if not isinstance(groups[0], dict) else groups):
            self.add_param_group(g)
        self.parameters = ParameterTuple(p for g in self.param_groups for p in g["params"])

    def add_param_group(self, param_group: dict) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param group must be a dict, but got {type(param_group).__name__}")
        group = dict(param_group)
        ps = group["params"]
        group["params"] = [ps] if isinstance(ps, Parameter) else list(ps)
        for p in group["params"]:
            if not isinstance(p, Parameter):
                raise TypeError(f"optimizers update Parameters, got {type(p).__name__}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        lr = group["lr"]
        lr = float(lr._host_copy()) if isinstance(lr, Tensor) else float(lr)
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        group["lr"] = Parameter(Tensor(np.float32(lr)), name=f"learning_rate_group_{len(self.param_groups)}",
                                requires_grad=False)
        self.param_groups.append(group)

    def __call__(self, grads):
        grads = list(grads)
        if len(grads) != len(self.parameters):
            raise ValueError(f"{type(self).__name__}: {len(grads)} gradients for {len(self.parameters)} parameters")
        k = 0
        for g in self.param_groups:
            for p in g["params"]:
                grad = grads[k]
                k += 1
                self._update(g, p, -grad if g.get("maximize") else grad)
        return True

    def _update(self, group: dict, p: Parameter, g) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """g += weight_decay p; buf = momentum buf + (1 - dampening) g (buf = g at the first step); g = g + momentum
    buf with nesterov, else buf; p -= lr g."""

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *,
                 maximize=False):
        if momentum < 0 or weight_decay < 0:
            raise ValueError(f"Invalid momentum {momentum} or weight_decay {weight_decay}: both must be >= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=float(momentum), dampening=float(dampening),
                                      weight_decay=float(weight_decay), nesterov=bool(nesterov),
                                      maximize=bool(maximize)))
        self._buf: dict[int, tuple[Parameter, Parameter]] = {}

    def _update(self, group, p, g):
        if group["weight_decay"]:
            g = g + p * group["weight_decay"]
        mom = group["momentum"]
        if mom:
            if id(p) not in self._buf:
                self._buf[id(p)] = (_zeros_like(p, "momentum_buffer"),
                                    Parameter(Tensor(np.float32(0)), name=f"momentum_started.{p.name}",
                                              requires_grad=False))
            buf, started = self._buf[id(p)]
            new = _ops.select(started > 0, buf * mom + g * (1 - group["dampening"]), g)  # the first step: g
            _ops.assign(buf, new)
            _ops.assign(started, Tensor(np.float32(1)))
            g = g + new * mom if group["nesterov"] else new
        _ops.assign(p, p - g * _ops.cast(group["lr"], p.dtype))


class Adam(Optimizer):
    """PyTorch's Adam: g += weight_decay p; m, v the moments; p -= lr / (1 - beta1^t) m / (sqrt(v) /
    sqrt(1 - beta2^t) + eps), v the running max of v with amsgrad."""

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 maximize=False):
        if not 0.0 <= eps or not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0 or weight_decay < 0:
            raise ValueError(f"Invalid eps {eps}, betas {betas} or weight_decay {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=float(eps), weight_decay=float(weight_decay),
                                      amsgrad=bool(amsgrad), maximize=bool(maximize)))
        self._moments: dict[int, tuple] = {}

    def _update(self, group, p, g):
        if id(p) not in self._moments:
            self._moments[id(p)] = (_zeros_like(p, "exp_avg"), _zeros_like(p, "exp_avg_sq"),
                                    _zeros_like(p, "max_exp_avg_sq"),
                                    Parameter(Tensor(np.float32(0)), name=f"step.{p.name}", requires_grad=False))
        m, v, vmax, step = self._moments[id(p)]
        b1, b2 = group["betas"]
        lr = _ops.cast(group["lr"], p.dtype)
        wd = group["weight_decay"]
        if self._decoupled:
            _ops.assign(p, p * (1 - lr * wd))
        elif wd:
            g = g + p * wd
        t = step + 1
        _ops.assign(step, t)
        t = _ops.cast(t, "float64")  # (1 - beta2^t in float32 is off by ~1e-5 relative at t = 1: 0.999 is not exact)
        m_new, v_new = m * b1 + g * (1 - b1), v * b2 + g * g * (1 - b2)
        _ops.assign(m, m_new)
        _ops.assign(v, v_new)
        if group["amsgrad"]:
            v_new = _ops.maximum(vmax, v_new)
            _ops.assign(vmax, v_new)
        bc1 = 1 - _ops.pow(Tensor(np.float64(b1)), t)
        bc2 = 1 - _ops.pow(Tensor(np.float64(b2)), t)
        denom = _ops.sqrt(v_new) / _ops.cast(_ops.sqrt(bc2), p.dtype) + group["eps"]
        _ops.assign(p, p - m_new / denom * (lr / _ops.cast(bc1, p.dtype)))


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr weight_decay before the step (weight_decay 1e-2 by default)."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
