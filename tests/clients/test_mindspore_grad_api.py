"""MindSpore 2.x derivative interfaces: argument order, has_aux, return_ids / get_grad, the 2.x vjp,
nothing-to-differentiate, result structures and error types. Values by hand:
f(a, b) = a * b: df/da = b, df/db = a; a * w: d/dw = a."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Parameter, ParameterTuple, Tensor, nn, ops
from gradserve.ops import GradOperation

X = np.array([1.5, 2.5], np.float32)
W = np.array([2.0, 3.0], np.float32)


def t(v):
    return Tensor(np.asarray(v, np.float32))


def eq(a, b):
    np.testing.assert_allclose(np.asarray(a.asnumpy()), np.asarray(b, np.float32), rtol=1e-6)


class Scale(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(t(W), name="w")

    def construct(self, a):
        return a * self.w


def mul(a, b):
    return a * b


def with_aux(a):
    return a * a, a * 3


def test_value_and_grad_positional_order_is_mindsporess(fake):
    net = Scale()
    # (fn, grad_position, weights, has_aux, return_ids): the 5th is return_ids, not sens_param
    value, ((p, gx), ((name, gw),)) = ops.value_and_grad(net, 0, net.trainable_params(), False, True)(t(X))
    eq(value, X * W)
    assert p == 0 and name == "w"
    eq(gx, W)
    eq(gw, X)
    value, g = ops.value_and_grad(net, 0, None, False, False, True)(t(X), t([1.0, -1.0]))  # 6th: sens_param
    eq(g, W * [1.0, -1.0])


def test_return_ids_and_get_grad(fake):
    net = Scale()
    out = ops.grad(net, 0, net.trainable_params(), return_ids=True)(t(X))
    eq(ops.get_grad(out, 0), W)
    eq(ops.get_grad(out, net.w), X)
    eq(ops.get_grad(out, "w"), X)
    pair = ops.grad(mul, (0, 1), return_ids=True)(t(X), t(W))
    assert [p for p, _ in pair] == [0, 1]
    eq(pair[1][1], X)
    single = ops.grad(net, None, net.w, return_ids=True)(t(X))
    assert single[0] == "w"
    with pytest.raises(RuntimeError, match="no gradient for 3"):  # MindSpore's exception for a missing one
        ops.get_grad(out, 3)
    with pytest.raises(TypeError):
        ops.get_grad(out, 1.5)


def test_has_aux(fake):
    grads, aux = ops.grad(with_aux, 0, has_aux=True)(t(X))
    eq(grads, 2 * X)  # only the first output is differentiated
    assert isinstance(aux, tuple) and len(aux) == 1
    eq(aux[0], 3 * X)
    (out, aux1), g = ops.value_and_grad(with_aux, 0, has_aux=True)(t(X))
    eq(out, X * X)
    eq(aux1, 3 * X)
    eq(g, 2 * X)
    out, tan, aux = ops.jvp(with_aux, t(X), t([1.0, 1.0]), has_aux=True)
    eq(out, X * X)
    eq(tan, 2 * X)
    eq(aux, 3 * X)
    jac, aux = ops.jacrev(with_aux, has_aux=True)(t(X))
    eq(jac, np.diag(2 * X))
    eq(aux, 3 * X)
    jac, aux = ops.jacfwd(with_aux, has_aux=True)(t(X))
    eq(jac, np.diag(2 * X))
    out, fn, aux = ops.vjp(with_aux, t(X), has_aux=True)
    eq(out, X * X)
    eq(aux, 3 * X)
    (g,) = fn(t([1.0, 2.0]))
    eq(g, 2 * X * [1.0, 2.0])


def test_has_aux_needs_several_outputs(fake):
    with pytest.raises(TypeError, match="more than one output"):
        ops.grad(lambda a: a * 2, 0, has_aux=True)(t(X))


def test_vjp_2x_form(fake):
    out, fn = ops.vjp(mul, t(X), t(W))
    eq(out, X * W)
    ga, gb = fn(t([1.0, 1.0]))
    eq(ga, W)
    eq(gb, X)
    out, fn = ops.vjp(lambda a: a * a, t(X))
    res = fn(t([1.0, 1.0]))
    assert isinstance(res, tuple) and len(res) == 1  # always a tuple
    eq(res[0], 2 * X)
    net = Scale()
    out, fn = ops.vjp(net, t(X), weights=net.trainable_params())
    (gx,), (gw,) = fn(t([1.0, 1.0]))
    eq(gx, W)
    eq(gw, X)


def test_vjp_seed_form_still_works(fake):
    # a tuple of inputs, or a one-argument fn: the second argument is the cotangent
    out, (ga, gb) = ops.vjp(mul, (t(X), t(W)), t([1.0, 2.0]))
    eq(ga, W * [1.0, 2.0])
    out, g = ops.vjp(lambda a: a * a, t(X), t([1.0, 2.0]))
    eq(g, 2 * X * [1.0, 2.0])


def test_nothing_to_differentiate_is_empty(fake):
    assert GradOperation()(lambda: Tensor(2.0) * 2)() == ()
    assert GradOperation(get_all=True)(lambda a: Tensor(2.0) * a)(3.0) == ()
    assert ops.grad(mul, 1)(t(X), 2.0) == ()
    assert ops.grad(mul, 0)(3.0, t(X)) == ()
    (g,) = GradOperation(get_all=True)(mul)(t(X), 2.0)  # the scalar is a constant
    eq(g, [2.0, 2.0])


def test_result_structures(fake):
    net = Scale()
    eq(GradOperation(get_by_list=True)(net, net.w)(t(X)), X)  # one Parameter: the Tensor
    (gw,) = GradOperation(get_by_list=True)(net, ParameterTuple([net.w]))(t(X))
    eq(gw, X)
    gx, empty = ops.grad(net, 0, [])(t(X))
    assert empty == ()
    eq(gx, W)
    (gw,) = ops.grad(net, None, net.trainable_params())(t(X))
    eq(gw, X)


def test_grad_position_errors(fake):
    net = Scale()
    for gp in (5, -1, (0, 3)):
        with pytest.raises(IndexError):
            ops.grad(net, gp)(t(X))
    with pytest.raises(RuntimeError, match="empty"):
        ops.grad(net, (), net.trainable_params())(t(X))
    with pytest.raises(ValueError):
        ops.grad(net, -1)(t(X))
    with pytest.raises(gs.errors.GradPositionError):
        ops.grad(net, 1)(t(X))


def test_sdk_errors_are_python_exceptions():
    assert issubclass(gs.ShapeError, ValueError)
    assert issubclass(gs.DifferentiationError, RuntimeError)


def test_gradient_of_a_mutable_tuple_argument_is_a_tuple(fake):
    g = ops.grad(lambda tup: tup[0] * tup[1])(gs.mutable((t(X), t(W))))
    assert isinstance(g, tuple) and len(g) == 2
    eq(g[0], W)
    eq(g[1], X)
    ga, (gb, gc) = GradOperation(get_all=True)(lambda a, tup: a * tup[0] + tup[1])(t(X), gs.mutable([t(W), t(X)]))
    eq(ga, W)
    eq(gb, X)
    eq(gc, [1.0, 1.0])


def test_a_plain_tuple_argument_is_a_constant(fake):
    """MindSpore 2.10 (checked in GRAPH and PyNative mode): a tuple / list argument that is not mutable()
    gets no gradient and no place among the gradients: get_all gives the Tensors' alone, a position that
    names only it gives ()."""
    f = lambda a, tup, b: a * tup[0] * 2.0 + tup[1] * 3.0 + b * 5.0  # noqa: E731
    ga, gb = GradOperation(get_all=True)(f)(t(X), (t(W), t(X)), t(W))
    eq(ga, 2.0 * W)
    eq(gb, [5.0, 5.0])
    assert ops.grad(f, grad_position=1)(t(X), [t(W), t(X)], t(W)) == ()
    ga, gb = ops.grad(f, grad_position=(0, 1, 2))(t(X), (t(W), t(X)), t(W))
    eq(ga, 2.0 * W)
    eq(gb, [5.0, 5.0])


def test_one_gradient_by_position_is_the_tensor(fake):
    # MindSpore 2.x: grad_position=(0,), or a tuple whose other positions are Python scalars
    eq(ops.grad(mul, (0,))(t(X), t(W)), W)
    eq(ops.grad(mul, (0, 1))(2.0, t(W)), [2.0, 2.0])
    ga, gc = ops.grad(lambda a, b, c: a * b * c, (0, 1, 2))(t(X), 2.0, t(W))
    eq(ga, 2 * W)
    eq(gc, 2 * X)
