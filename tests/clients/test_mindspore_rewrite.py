"""mindspore.rewrite in the SDK (gradserve.rewrite): SymbolTree.create parses construct into MindSpore 2.10's nodes,
edits regenerate its text, get_network computes the edited network. The node lists and the generated text below
are MindSpore 2.10.0's (CPU) output for the same network and edits; values and gradients are checked against
NumPy."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gradserve as gs
from gradserve import nn
from gradserve.rewrite import Node, NodeType, ScopedValue, SymbolTree, ValueType


class Toy(nn.Cell):
    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(3, 4, weight_init=gs.Tensor(_W), bias_init=gs.Tensor(_B))
        self.relu = nn.ReLU()
        self.scale = 2.0

    def construct(self, x, k=1):
        h = self.relu(self.dense(x))
        y = h * self.scale
        z = -y
        return z, h


_W = np.array([[0.5, -1.0, 0.25], [1.5, 0.5, -0.5], [-0.75, 0.25, 1.0], [0.1, 0.2, 0.3]], np.float32)
_B = np.array([0.1, -0.2, 0.3, -0.4], np.float32)
_X = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 2.0]], np.float32)

# MindSpore 2.10.0: (name, node type, targets, args) of SymbolTree.create(Toy()).nodes()
_TOY_NODES = [
    ('input_x', 'Input', ['x'], []),
    ('input_k', 'Input', ['k'], []),
    ('dense', 'CallCell', ['dense_var'], ['x']),
    ('relu', 'CallCell', ['h'], ['dense_var']),
    ('binop_mult', 'MathOps', ['y'], ['h', 'self.scale']),
    ('unaryop_usub', 'MathOps', ['z'], ['y']),
    ('tuple', 'CallMethod', ['tuple_var'], ['z', 'h']),
    ('return', 'Output', [], ['tuple_var']),
]

# MindSpore 2.10.0's get_code() from "class " on, as created ...
_TOY_CODE = '''class ToyOpt(Toy, nn.Cell):

    def __init__(self, obj):
        nn.Cell.__init__(self)
        for key, value in obj.__dict__.items():
            setattr(self, key, value)

    def construct(self, x, k=1):
        dense_var = self.dense(x)
        h = self.relu(dense_var)
        y = h * self.scale
        z = -y
        tuple_var = (z, h)
        return tuple_var
#'''

# ... and after _edit (a Tanh inserted after relu, feeding the product; the negation erased; output 0 set to y)
_TOY_EDITED_CODE = '''class ToyOpt(Toy, nn.Cell):

    def __init__(self, obj):
        nn.Cell.__init__(self)
        for key, value in obj.__dict__.items():
            setattr(self, key, value)
        self.tanh = obj.tanh

    def construct(self, x, k=1):
        dense_var = self.dense(x)
        h = self.relu(dense_var)
        h2 = self.tanh(h)
        y = h2 * self.scale
        tuple_var = (z, h)
        return y
#'''


def _class_part(code: str) -> str:
    return code[code.index("class "):]


def _edit(stree: SymbolTree) -> Node:
    relu = stree.get_node("relu")
    tanh = Node.create_call_cell(nn.Tanh(), targets=["h2"], args=[ScopedValue.create_naming_value("h")],
                                 name="tanh")
    stree.insert(stree.after(relu), tanh)
    stree.get_node("binop_mult").set_arg(0, "h2")
    return tanh


def test_nodes_as_mindspore_parses_them():
    stree = SymbolTree.create(Toy())
    got = [(n.get_name(), n.get_node_type().name, [str(t) for t in n.get_targets()], [str(a) for a in n.get_args()])
           for n in stree.nodes()]
    assert got == _TOY_NODES
    assert stree.get_node("dense").get_instance_type() is nn.Dense
    assert stree.get_node("input_x").get_node_type() == NodeType.Input
    assert all(t.type == ValueType.NamingValue for t in stree.get_node("relu").get_targets())


def test_get_code_as_created_and_edited():
    stree = SymbolTree.create(Toy())
    assert _class_part(stree.get_code()) == _TOY_CODE
    relu = stree.get_node("relu")
    tanh = _edit(stree)
    # MindSpore 2.10: relu's users {tuple, tanh} (it lists them in the order they were linked), tanh's input relu,
    # its user binop_mult
    assert sorted(u.get_name() for u in relu.get_users()) == ["tanh", "tuple"]
    assert [i.get_name() for i in tanh.get_inputs()] == ["relu"]
    assert [u.get_name() for u in tanh.get_users()] == ["binop_mult"]
    stree.erase(stree.get_node("unaryop_usub"))
    stree.set_output(0, "y")
    assert _class_part(stree.get_code()) == _TOY_EDITED_CODE


def test_edited_network_values_and_gradient(fake):
    stree = SymbolTree.create(Toy())
    _edit(stree)
    stree.erase(stree.get_node("unaryop_usub"))
    stree.erase(stree.get_node("tuple"))
    stree.set_output(0, "y")
    net = stree.get_network()
    assert isinstance(net, Toy) and isinstance(net, nn.Cell)
    pre = _X @ _W.T + _B
    want = 2.0 * np.tanh(np.maximum(pre, 0.0))
    np.testing.assert_allclose(net(gs.Tensor(_X)).asnumpy(), want, rtol=1e-6, atol=1e-6)
    # d/dx sum(2 tanh(relu(x W^T + b))) = (2 (1 - tanh^2) [pre > 0]) W
    dpre = 2.0 * (1.0 - np.tanh(np.maximum(pre, 0.0)) ** 2) * (pre > 0)
    np.testing.assert_allclose(gs.grad(net)(gs.Tensor(_X)).asnumpy(), dpre @ _W, rtol=1e-5, atol=1e-6)
    assert sorted(p.name for p in net.trainable_params()) == ["dense.bias", "dense.weight"]


class _Nested(nn.Cell):
    def __init__(self):
        super().__init__()
        self.inner = _Inner()
        self.fc = nn.Dense(2, 2, weight_init="ones", bias_init="zeros")

    def construct(self, x):
        x = self.fc(self.inner(x))
        return x


class _Inner(nn.Cell):
    def __init__(self):
        super().__init__()
        self.relu = nn.ReLU()

    def construct(self, x):
        return self.relu(x) + 1


def test_sub_tree_edit_reaches_the_network(fake):
    stree = SymbolTree.create(_Nested())
    node = stree.get_node("inner")
    assert node.get_node_type() == NodeType.Tree
    sub = node.get_sub_tree()
    # MindSpore 2.10: the sub-tree's construct flattened as `relu_var = self.relu(x)`, `add_var = relu_var + 1`
    assert [n.get_name() for n in sub.nodes()] == ["input_x", "relu", "binop_add", "return"]
    sub.erase(sub.get_node("relu"))
    sub.get_node("binop_add").set_arg(0, "x")
    code = stree.get_code()
    # MindSpore 2.10's text: the edited sub-tree's class, and the parent's __init__ swapping it in
    assert "class _InnerOpt(_Inner, nn.Cell):" in code and "        add_var = x + 1\n        return add_var" in code
    assert "        self.inner = _InnerOpt(self.inner)" in code and "inner_var = self.inner(x)" in code
    x = np.array([[-3.0, 2.0]], np.float32)
    got = stree.get_network()(gs.Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, (x + 1) @ np.ones((2, 2), np.float32), rtol=1e-6)  # MindSpore 2.10: [[1, 1]]


def test_scoped_value():
    assert str(ScopedValue.create_naming_value("conv", "self")) == "self.conv"
    assert [str(v) for v in ScopedValue.create_name_values(["z", "z_1"], ["self", "self"])] == ["self.z", "self.z_1"]
    assert ScopedValue.create_variable_value((1, 2.0)).type == ValueType.TupleValue
    assert ValueType.NamingValue.value == 40 and NodeType.MathOps.value == 11  # MindSpore 2.10's numbers
    with pytest.raises(TypeError):
        ScopedValue.create_naming_value(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ScopedValue.create_name_values(["a"], ["self", "self"])


def test_bad_edits_are_refused():
    stree = SymbolTree.create(Toy())
    # MindSpore 2.10: "Input args are invalid." (a ReLU called with two arguments)
    with pytest.raises(RuntimeError, match="Input args are invalid"):
        Node.create_call_cell(nn.ReLU(), targets=["q"], args=[ScopedValue.create_naming_value("x")] * 2)
    with pytest.raises(TypeError):
        Node.create_call_cell(3, targets=["q"])  # type: ignore[arg-type]
    other = SymbolTree.create(Toy())
    with pytest.raises(RuntimeError):
        stree.erase(other.get_node("relu").get_handler().name + "_missing")
    with pytest.raises(NotImplementedError, match="PatternEngine"):
        from gradserve.rewrite import PatternEngine
        PatternEngine([nn.ReLU])


class _Base(nn.Cell):
    def __init__(self):
        super().__init__()
        self.k = 3.0

    def construct(self, x):
        return x

    def scaled(self, x):
        return x * self.k


class _Child(_Base):
    def construct(self, x):
        x = self.scaled(x)
        return x


# MindSpore 2.10.0's get_code() of SymbolTree.create(_Child()), from the first "class " on
_CHILD_CODE = '''class _BaseOpt(_Base, nn.Cell):

    def __init__(self):
        nn.Cell.__init__(self)
        for key, value in _Base.__dict__.items():
            if not key.startswith('__'):
                setattr(_BaseOpt, key, value)
#
sys.path.insert(0, {folder!r})
from {module} import _Child

class _ChildOpt(_Child, _BaseOpt):

    def __init__(self, obj):
        _BaseOpt.__init__(self)
        for key, value in obj.__dict__.items():
            setattr(self, key, value)

    def construct(self, x):
        x = self.scaled(x)
        return x
#'''


def test_father_classes_written_and_run(fake):
    stree = SymbolTree.create(_Child())
    want = _CHILD_CODE.format(folder=str(Path(__file__).parent), module=__name__)
    assert _class_part(stree.get_code()) == want
    x = np.array([1.0, -2.0], np.float32)
    np.testing.assert_allclose(stree.get_network()(gs.Tensor(x)).asnumpy(), [3.0, -6.0])  # MindSpore 2.10's value


class _Flow(nn.Cell):
    def __init__(self):
        super().__init__()
        self.relu = nn.ReLU()
        self.abs = gs.ops.Abs()
        self.n = 2

    def construct(self, x):
        if self.abs(x):
            x = self.relu(x)
        else:
            x = self.abs(self.relu(x))
        for i in range(self.n):
            x = self.relu(x)
        while x > 0:
            x = x - 1
        return x


# MindSpore 2.10.0: the nodes of SymbolTree.create(_Flow()) (a ControlFlow node's body indented under it)
_FLOW_NODES = [
    ("input_x", "Input", ["x"], []),
    ("abs", "CallPrimitive", ["abs_var"], ["x"]),
    ("if_node", "ControlFlow", [], ["abs_var"]),
    ("    relu", "CallCell", ["x"], ["x"]),
    ("else_node", "ControlFlow", [], ["abs_var"]),
    ("    relu_1", "CallCell", ["relu_var"], ["x"]),
    ("    abs_1", "CallPrimitive", ["x"], ["relu_var"]),
    ("range", "CallFunction", ["range_var"], ["self.n"]),
    ("for_node", "ControlFlow", [], ["range_var"]),
    ("    relu_2", "CallCell", ["x"], ["x"]),
    ("while_node", "ControlFlow", [], ["Illegal ValueType: ValueType.UnsupportedValue"]),
    ("    binop_sub", "MathOps", ["x"], ["x", "1"]),
    ("return", "Output", [], ["x"]),
]

# MindSpore 2.10.0's construct after erasing if_node (the if keeps its test and else, its body is `pass`)
_FLOW_ERASED = '''    def construct(self, x):
        abs_var = self.abs(x)
        if abs_var:
            pass
        else:
            relu_var = self.relu(x)
            x = self.abs(relu_var)
        range_var = range(self.n)
        for i in range_var:
            x = self.relu(x)
        while x > 0:
            x = x - 1
        return x
#'''


def _listed(nodes, indent=""):
    out = []
    for n in nodes:
        out.append((indent + n.get_name(), n.get_node_type().name, [str(t) for t in n.get_targets()],
                    [str(a) for a in n.get_args()]))
        if n.get_node_type() == NodeType.ControlFlow:
            out += _listed([Node(h) for h in n.get_handler().nodes()], indent + "    ")
    return out


def test_control_flow_nodes_edits_and_values(fake):
    stree = SymbolTree.create(_Flow())
    assert _listed(stree.nodes()) == _FLOW_NODES
    assert len(list(stree.nodes(all_nodes=True))) == 13  # MindSpore 2.10: the bodies' nodes too
    assert stree.get_node("relu_2").get_node_type() == NodeType.CallCell  # found inside the for's body
    stree.erase(stree.get_node("if_node"))
    code = stree.get_code()
    assert code[code.index("    def construct"):] == _FLOW_ERASED
    net = stree.get_network()
    # x > 0: |x| is true, the if does nothing now, relu twice, then x - 1 until x <= 0; x < 0: relu gives 0
    for x, want in ((2.5, -0.5), (-2.5, 0.0)):
        got = net(gs.Tensor(np.array([x], np.float32))).asnumpy()
        np.testing.assert_allclose(got, [want])


def test_inserted_sub_net_is_a_sub_tree(fake):
    stree = SymbolTree.create(_Nested())
    inner = Node.create_call_cell(_Inner(), targets=["y"], args=[ScopedValue.create_naming_value("x")],
                                  name="inner2", is_sub_net=True)
    assert inner.get_node_type() == NodeType.Tree
    stree.insert(stree.after(stree.get_node("fc")), inner)
    stree.set_output(0, "y")
    sub = inner.get_sub_tree()
    sub.erase(sub.get_node("relu"))
    sub.get_node("binop_add").set_arg(0, "x")  # the inserted sub-net now computes x + 1
    code = stree.get_code()
    assert code.index("        self.inner2 = obj.inner2") < code.index("        self.inner2 = _InnerOpt_1(self.inner2)")
    x = np.array([[-3.0, 2.0]], np.float32)
    want = np.maximum(x, 0.0) + 1
    want = want @ np.ones((2, 2), np.float32) + 1  # inner, fc (ones, zero bias), then the edited inner2
    np.testing.assert_allclose(stree.get_network()(gs.Tensor(x)).asnumpy(), want, rtol=1e-6)
