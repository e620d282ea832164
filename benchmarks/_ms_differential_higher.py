"""ms_differential.py's round-7 gradient forms, run on both sides (MindSpore 2.10 and the SDK under the shim):
higher order over an op program, GradOperation(get_all, get_by_list, sens_param) and second order over a layer."""
from __future__ import annotations

OP_MODES = ("grad_grad", "jvp_grad", "hessian", "jacrev", "jacfwd", "vjp_multi", "grad3")
LAYER_MODES = ("all_by_list", "sens_by_list", "layer_grad_grad")


def _second_loss(first, name: str, at: list):
    """A weighted sum of first's outputs (the gradient), weights fixed by name: the loss of the second order."""
    from grad_diff import _weighted_loss, _weights
    return _weighted_loss(first, _weights(name + "/second", at))


def op_grads(prog: dict, f, g, diff: list, weights: list, tangent):
    """g: f of the float inputs only (the others bound); f: the program's own f (MindSpore's jvp parses it, so
    jvp_grad needs every input float). tangent(dtype, shape, seed) draws a tangent as T(...) does."""
    from mindspore import ops
    from grad_diff import _weighted_loss
    mode, every, one = prog["mode"], tuple(range(len(diff))), len(diff) == 1
    loss = _weighted_loss(g, weights)
    if mode == "grad_grad":
        return ops.grad(_second_loss(ops.grad(loss, grad_position=every), prog["name"], diff), grad_position=every)(*diff)
    if mode == "jvp_grad" and one:
        v = tangent(str(diff[0].asnumpy().dtype), diff[0].shape, 7)
        return ops.jvp(ops.grad(_weighted_loss(f, weights)), diff[0], v)
    if mode == "hessian" and one:
        return ops.jacfwd(ops.jacrev(loss))(diff[0])
    if mode == "jacrev":
        return ops.jacrev(g, grad_position=every)(*diff)
    if mode == "jacfwd":
        return ops.jacfwd(g, grad_position=every)(*diff)
    if mode == "grad3":  # round 14: a third order, each level a weighted sum of the last one's gradients
        second = ops.grad(_second_loss(ops.grad(loss, grad_position=every), prog["name"], diff), grad_position=every)
        return ops.grad(_second_loss(second, prog["name"] + "/third", diff), grad_position=every)(*diff)
    if mode == "vjp_multi" and all(w is not None for w in weights):
        return ops.vjp(g, *diff)[1](weights[0] if len(weights) == 1 else tuple(weights))
    return ops.grad(loss, grad_position=every)(*diff)


def layer_grads(prog: dict, net, loss, inputs: list, weights: list, is_float):
    """loss: the weighted sum of net's outputs (flattened: LSTM's (out, (h, c)))."""
    from mindspore import ParameterTuple, ops
    params, mode = ParameterTuple(net.trainable_params()), prog["mode"]
    if mode == "sens_by_list" and len(weights) == 1 and weights[0] is not None:
        return ops.GradOperation(get_all=True, get_by_list=True, sens_param=True)(net, params)(*inputs, weights[0])
    if mode == "layer_grad_grad" and is_float(inputs[0]):
        first = ops.grad(loss, grad_position=0)
        return ops.grad(_second_loss(first, prog["name"], inputs[:1]), grad_position=0, weights=params)(*inputs)
    return ops.GradOperation(get_all=True, get_by_list=True)(loss, params)(*inputs)
