"""`mindspore.rewrite`'s Node and SymbolTree: the public handles on the symbol tree's own nodes and trees (.._tree),
in one module because each hands out the other (a node's tree, a tree's nodes)."""
from __future__ import annotations

import inspect
import types
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from .._tree import NodeImpl, SymbolTreeImpl, get_code, get_network
from .._values import NodeType, ScopedValue


def _scoped(value: Any, what: str) -> ScopedValue:
    if isinstance(value, ScopedValue):
        return value
    if isinstance(value, str):
        return ScopedValue.create_naming_value(value)
    raise TypeError(f"For 'Node', the type of '{what}' should be 'str' or 'ScopedValue', "
                    f"but got '{type(value).__name__}'.")


class Node:
    """A node of a SymbolTree (MindSpore's class: a handle on the tree's own node, `get_handler()`)."""

    def __init__(self, node: NodeImpl):
        self._node = node

    @staticmethod
    def create_call_cell(cell: Any, targets: Sequence[Union[ScopedValue, str]],
                         args: Optional[Sequence[ScopedValue]] = None,
                         kwargs: Optional[Dict[str, ScopedValue]] = None, name: str = "",
                         is_sub_net: bool = False) -> "Node":
        """A node calling `cell` (not yet in a tree: SymbolTree.insert places it)."""
        from ... import nn
        from ...ops._primitives import Primitive
        if not isinstance(cell, (nn.Cell, Primitive)):
            raise TypeError(f"For 'create_call_cell', the type of 'cell' should be 'Cell' or 'Primitive', "
                            f"but got '{type(cell).__name__}'.")
        if not isinstance(name, str):
            raise TypeError(f"For 'create_call_cell', the type of 'name' should be 'str', "
                            f"but got '{type(name).__name__}'.")
        new_targets = [_scoped(t, "targets") for t in targets]
        new_args = [_scoped(a, "args") for a in (args or [])]
        new_kwargs = {k: _scoped(v, "kwargs") for k, v in (kwargs or {}).items()}
        if isinstance(cell, nn.Cell):
            try:
                inspect.signature(cell.construct).bind(*new_args, **new_kwargs)
            except TypeError as e:
                raise RuntimeError("Input args are invalid.") from e
        kind = NodeType.CallCell if isinstance(cell, nn.Cell) else NodeType.CallPrimitive
        node_name = name or type(cell).__name__.lower()
        node = NodeImpl(kind, node_name, new_targets, new_args, new_kwargs,
                        ScopedValue.create_naming_value(node_name, "self"), cell)
        if is_sub_net and isinstance(cell, nn.Cell):  # a Tree node: the cell's construct parsed as a sub-tree
            node.node_type = NodeType.Tree
            node.symbol_tree = SymbolTreeImpl(cell)
        return Node(node)

    @staticmethod
    def create_call_function(function: Any, targets: Sequence[Union[ScopedValue, str]],
                             args: Optional[Sequence[ScopedValue]] = None,
                             kwargs: Optional[Dict[str, ScopedValue]] = None) -> "Node":
        """A node calling a function (by its name: get_network resolves the name to this very function)."""
        if not isinstance(function, (types.FunctionType, types.BuiltinFunctionType, type)):
            raise TypeError(f"For 'create_call_function', the type of 'function' should be a function, "
                            f"but got '{type(function).__name__}'.")
        for what, items in (("targets", targets), ("args", args or [])):
            if not isinstance(items, (list, tuple)):
                raise TypeError(f"For 'create_call_function', '{what}' should be a list, "
                                f"but got '{type(items).__name__}'.")
        new_targets = [_scoped(t, "targets") for t in targets]
        for a in args or []:
            if not isinstance(a, ScopedValue):
                raise TypeError(f"For 'create_call_function', each of 'args' should be a 'ScopedValue', "
                                f"but got '{type(a).__name__}'.")
        for k, v in (kwargs or {}).items():
            if not isinstance(k, str) or not isinstance(v, ScopedValue):
                raise TypeError("For 'create_call_function', 'kwargs' should map str to 'ScopedValue', "
                                f"but got {type(k).__name__}: {type(v).__name__}.")
        name = function.__name__
        return Node(NodeImpl(NodeType.CallFunction, name, new_targets, list(args or []), dict(kwargs or {}),
                             ScopedValue.create_naming_value(name), function))

    @staticmethod
    def create_input(param_name: str, default: Optional[ScopedValue] = None) -> "Node":
        if not isinstance(param_name, str):
            raise TypeError(f"For 'create_input', the type of 'param_name' should be 'str', "
                            f"but got '{type(param_name).__name__}'.")
        node = NodeImpl(NodeType.Input, "input_" + param_name, [ScopedValue.create_naming_value(param_name)], [])
        node.default = None if default is None else default.value  # (MindSpore's: `z=None` without one)
        return Node(node)

    def get_handler(self) -> NodeImpl:
        return self._node

    def get_name(self) -> str:
        return self._node.name

    def get_node_type(self) -> NodeType:
        return self._node.node_type

    def get_instance_type(self) -> type:
        return type(self._node.instance)

    def get_instance(self) -> Any:
        return self._node.instance

    def get_targets(self) -> List[ScopedValue]:
        return list(self._node.targets)

    def get_args(self) -> List[ScopedValue]:
        return list(self._node.args)

    def get_kwargs(self) -> Dict[str, ScopedValue]:
        return dict(self._node.kwargs)

    def get_symbol_tree(self) -> Any:
        owner = self._node.owner
        return None if owner is None else SymbolTree(owner)

    def get_sub_tree(self) -> Any:
        if self._node.node_type != NodeType.Tree or self._node.symbol_tree is None:
            raise TypeError(f"For 'get_sub_tree', the node {self._node.name} is a {self._node.node_type.name} "
                            "node, not a Tree node")
        return SymbolTree(self._node.symbol_tree)

    def _tree(self, what: str) -> Any:
        if self._node.owner is None:
            raise RuntimeError(f"For '{what}', the node {self._node.name} is not in a SymbolTree")
        return self._node.owner

    def get_inputs(self) -> List["Node"]:
        return [Node(n) for n in self._tree("get_inputs").inputs_of(self._node)]

    def get_users(self) -> List["Node"]:
        return [Node(n) for n in self._tree("get_users").users_of(self._node)]

    def set_arg(self, index: int, arg: Union[ScopedValue, str]) -> None:
        if not 0 <= index < len(self._node.args):
            raise RuntimeError(f"For 'set_arg', index {index} is out of range of the node's "
                               f"{len(self._node.args)} arguments")
        self._node.args[index] = _scoped(arg, "arg")

    def set_arg_by_node(self, arg_idx: int, src_node: "Node", out_idx: Optional[int] = None) -> None:
        targets = src_node.get_handler().targets
        if not targets:
            raise RuntimeError(f"For 'set_arg_by_node', the node {src_node.get_name()} has no output")
        k = 0 if out_idx is None else out_idx
        if not 0 <= k < len(targets):
            raise RuntimeError(f"For 'set_arg_by_node', out_idx {k} is out of range of the node's "
                               f"{len(targets)} outputs")
        self.set_arg(arg_idx, targets[k])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and self._node is other._node

    def __hash__(self) -> int:
        return id(self._node)

    def __repr__(self) -> str:
        return repr(self._node)


class Position:
    """Where SymbolTree.insert puts a node: before or after one."""

    def __init__(self, tree: SymbolTreeImpl, node: NodeImpl, before: bool):
        self.symbol_tree = tree
        self.node = node
        self.before_node = before


class SymbolTree:
    """MindSpore's SymbolTree: `SymbolTree.create(net)`, then nodes / insert / erase / replace, get_code and
    get_network."""

    def __init__(self, handler: SymbolTreeImpl):
        if not isinstance(handler, SymbolTreeImpl):
            raise TypeError(f"For 'SymbolTree', the type of 'handler' should be 'SymbolTreeImpl', "
                            f"but got '{type(handler).__name__}'.")
        self._tree = handler

    @classmethod
    def create(cls, network: Any) -> "SymbolTree":
        return cls(SymbolTreeImpl(network))

    def get_handler(self) -> SymbolTreeImpl:
        return self._tree

    def _impl(self, node: Union[Node, str], what: str) -> NodeImpl:
        if isinstance(node, str):
            found = self._tree.get_node(node)
            if found is None:
                raise RuntimeError(f"For '{what}', there is no node named {node!r} in the SymbolTree")
            return found
        if isinstance(node, Node):
            return node.get_handler()
        raise TypeError(f"For '{what}', the type of 'node' should be 'Node' or 'str', "
                        f"but got '{type(node).__name__}'.")

    def nodes(self, all_nodes: bool = False) -> Iterator[Node]:
        if all_nodes:  # (MindSpore's: control-flow bodies and sub-trees too)
            trees: List[SymbolTreeImpl] = [self._tree]
            while trees:
                t = trees.pop(0)
                for n in t.walk():
                    yield Node(n)
                trees.extend(t.sub_trees())
            return
        for n in self._tree.nodes():
            yield Node(n)

    def get_node(self, node_name: str) -> Optional[Node]:
        if not isinstance(node_name, str):
            raise TypeError(f"For 'get_node', the type of 'node_name' should be 'str', "
                            f"but got '{type(node_name).__name__}'.")
        found = self._tree.get_node(node_name)
        return None if found is None else Node(found)

    def get_inputs(self) -> List[Node]:
        return [Node(n) for n in self._tree.get_inputs()]

    def before(self, node: Union[Node, str]) -> Position:
        return Position(self._tree, self._impl(node, "before"), True)

    def after(self, node: Union[Node, str]) -> Position:
        return Position(self._tree, self._impl(node, "after"), False)

    def insert(self, position: Position, node: Node) -> Node:
        if not isinstance(position, Position):
            raise TypeError(f"For 'insert', the type of 'position' should be 'Position', "
                            f"but got '{type(position).__name__}'.")
        if not isinstance(node, Node):
            raise TypeError(f"For 'insert', the type of 'node' should be 'Node', but got '{type(node).__name__}'.")
        position.symbol_tree.insert_node(node.get_handler(), position.node, position.before_node)
        return node

    def erase(self, node: Union[Node, str]) -> Optional[Node]:
        impl = self._impl(node, "erase")
        owner = impl.owner if impl.owner is not None else self._tree
        return Node(owner.erase_node(impl))

    def replace(self, old_node: Node, new_nodes: List[Node]) -> Node:
        if not isinstance(new_nodes, list) or not all(isinstance(n, Node) for n in new_nodes):
            raise TypeError("For 'replace', 'new_nodes' should be a list of Node")
        impl = self._impl(old_node, "replace")
        owner = impl.owner if impl.owner is not None else self._tree
        return Node(owner.replace(impl, [n.get_handler() for n in new_nodes]))

    def set_output(self, index: int, return_value: str) -> Node:
        return Node(self._tree.set_output(index, return_value))

    def unique_name(self, name: str = "output") -> str:
        return self._tree.unique_name(name)

    def get_code(self) -> str:
        return get_code(self._tree)

    def get_network(self) -> Any:
        return get_network(self._tree)

    def print_node_tabulate(self, all_nodes: bool = False) -> None:
        rows: List[Tuple[str, ...]] = [("node type", "name", "codes", "arg providers", "target users")]
        for n in self.nodes(all_nodes):
            rows.append((n.get_node_type().name, n.get_name(), ", ".join(map(str, n.get_targets())),
                         str([p.get_name() for p in n.get_inputs()]), str([u.get_name() for u in n.get_users()])))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)))


__all__ = ["Node", "SymbolTree", "Position"]
