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
