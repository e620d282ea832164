"""Parameter assignments (`self.p = v`, ops.assign, AssignAdd) inside a Cell with its own `bprop` and inside
functions under ops.vmap / jacfwd / jacrev. MindSpore 2.10 writes them back (bprop cells: under grad too; vmap /
jacobians: a value that does not depend on the mapped inputs) and raises a ValueError where the value depends
on a mapped input ("the execution order of operator `Assign` cannot be guaranteed"); gradserve does the same
(one difference: MindSpore's jacfwd runs the function twice, so an update runs twice there, gradserve's once).
Every expected number below was printed by MindSpore 2.10 on CPU (graph and PyNative mode alike) running the
same classes with `mindspore` in place of `gradserve`."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops

X = np.array([1.0, 2.0, 3.0], np.float32)
XS = np.arange(6, dtype=np.float32).reshape(2, 3)
MODES = [ms.GRAPH_MODE, ms.PYNATIVE_MODE]


def T(v):
    return Tensor(np.array(v, np.float32))


class BpropSet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.p = Parameter(T(np.zeros(3)), name="p")

    def construct(self, a):
        self.p = a * 2
        return a * 3

    def bprop(self, a, out, dout):
        return (dout * 10,)


class BpropOps(BpropSet):
    def __init__(self):
        super().__init__()
        self.p = Parameter(T(np.ones(3)), name="p2")

    def construct(self, a):
        ops.assign(self.p, a + 1)
        ops.AssignAdd()(self.p, a)
        return a * 3


class Outer(nn.Cell):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def construct(self, a):
        return ops.sum(self.inner(a))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cls, p_after", [(BpropSet, [2, 4, 6]), (BpropOps, [3, 5, 7])])
def test_bprop_cell_assignments_land(on_real_server, mode, cls, p_after):
    ms.set_context(mode=mode)
    cell = cls()
    np.testing.assert_allclose(ms.grad(Outer(cell))(T(X)).asnumpy(), [10, 10, 10])  # the cell's bprop
    np.testing.assert_allclose(cell.p.asnumpy(), p_after)
    cell = cls()
    np.testing.assert_allclose(Outer(cell)(T(X)).asnumpy(), 18.0)
    np.testing.assert_allclose(cell.p.asnumpy(), p_after)
    cell = cls()
    np.testing.assert_allclose(cell(T(X)).asnumpy(), [3, 6, 9])
    np.testing.assert_allclose(cell.p.asnumpy(), p_after)


class Unmapped(nn.Cell):
    def __init__(self):
        super().__init__()
        self.p = Parameter(T(np.ones(3)), name="u")

    def construct(self, a):
        ops.assign(self.p, self.p + 1)
        return a * self.p


@pytest.mark.parametrize("mode", MODES)
def test_an_unmapped_value_is_written_back_once(on_real_server, mode):
    ms.set_context(mode=mode)
    c = Unmapped()
    np.testing.assert_allclose(ops.vmap(c)(T(XS)).asnumpy(), XS * 2)  # the read sees the new value
    np.testing.assert_allclose(c.p.asnumpy(), [2, 2, 2])
    c = Unmapped()
    np.testing.assert_allclose(ops.jacrev(c)(T(X)).asnumpy(), np.eye(3) * 2)
    np.testing.assert_allclose(c.p.asnumpy(), [2, 2, 2])
    c = Unmapped()
    ops.jacfwd(c)(T(X))  # MindSpore runs the update twice here (p = 3, Jacobian 3 I); gradserve once
    np.testing.assert_allclose(c.p.asnumpy(), [2, 2, 2])


class MappedAssign(nn.Cell):
    def __init__(self):
        super().__init__()
        self.p = Parameter(T(np.zeros(3)), name="vp")

    def construct(self, a):
        ops.assign(self.p, a * 2)
        return a * 3


class MappedAdd(nn.Cell):
    def __init__(self):
        super().__init__()
        self.p = Parameter(T(0.0), name="vq")

    def construct(self, a):
        ops.AssignAdd()(self.p, ops.sum(a))
        return a * 3


class MappedSet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.p = Parameter(T(0.0), name="vs")

    def construct(self, a):
        self.p = ops.sum(a)
        return a * 3


@pytest.mark.parametrize("cls", [MappedAssign, MappedAdd, MappedSet])
@pytest.mark.parametrize("kind", ["vmap", "jacfwd", "jacrev"])
def test_a_mapped_value_is_refused_as_mindspore_does(on_real_server, cls, kind):
    ms.set_context(mode=ms.GRAPH_MODE)
    c = cls()
    before = c.p.asnumpy().copy()
    arg = T(XS) if kind == "vmap" else T(X)
    with pytest.raises(ValueError, match=rf"{kind}: Parameter '{c.p.name}' is assigned a value that depends "
                                         "on a mapped input"):
        getattr(ops, kind)(c)(arg)
    np.testing.assert_array_equal(c.p.asnumpy(), before)


class MappedParamArg(nn.Cell):
    """A Parameter passed to the mapped function as a mapped argument (MindSpore's vmap of its optimizer
    primitives: `vmap(P.Adam())(self.var, ...)`): each example updates its slice, written back into the
    Parameter along its in_axis."""

    def __init__(self, kind, axis):
        super().__init__()
        p0 = np.arange(6, dtype=np.float32).reshape(2, 3)
        self.p = Parameter(T(p0 if axis == 0 else p0.T.copy()), name="pm")
        fns = {"assign": lambda p, g: ops.assign(p, p * 2 - g),
               "assign_add": lambda p, g: ops.AssignAdd()(p, g * 3),
               "sgd": lambda p, g: ops.ApplyGradientDescent()(p, T(0.5), g)}
        self.v = ops.vmap(fns[kind], in_axes=(axis, 0), out_axes=0)

    def construct(self, g):
        return self.v(self.p, g)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind, axis, p_after, out", [
    ("assign", 0, [[-1, 0, 1], [-4, -12, -20]], [[-1, 0, 1], [-4, -12, -20]]),
    ("assign", 1, [[-1, -4], [0, -12], [1, -20]], [[-1, 0, 1], [-4, -12, -20]]),
    ("assign_add", 1, [[3, 33], [7, 64], [11, 95]], [[3, 7, 11], [33, 64, 95]]),
    ("sgd", 0, [[-0.5, 0, 0.5], [-2, -6, -10]], [[-0.5, 0, 0.5], [-2, -6, -10]])])
def test_a_mapped_parameter_argument_is_written_back_per_example(on_real_server, mode, kind, axis, p_after, out):
    # the Parameter kept its old value (the update dropped, silently) before the fix
    ms.set_context(mode=mode)
    c = MappedParamArg(kind, axis)
    g = T([[1, 2, 3], [10, 20, 30]])
    np.testing.assert_allclose(c(g).asnumpy(), out)
    np.testing.assert_allclose(c.p.asnumpy(), p_after)


def test_an_unmapped_argument_written_with_a_mapped_value_is_refused(on_real_server):
    ms.set_context(mode=ms.PYNATIVE_MODE)
    x, z, g = T(np.zeros(3)), T(np.zeros(3)), T(XS)
    with pytest.raises(ValueError, match=r"vmap: an argument that is not mapped \(in_axes None\) is written in place"):
        ops.vmap(lambda x, g: x.add_(g), in_axes=(None, 0))(x, g)
    np.testing.assert_array_equal(x.asnumpy(), np.zeros(3))
    ops.vmap(lambda z, g: (z.add_(1), g * 1)[1], in_axes=(None, 0))(z, g)  # one value for all examples: kept
    np.testing.assert_array_equal(z.asnumpy(), np.ones(3))
