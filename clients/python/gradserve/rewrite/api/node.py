"""`mindspore.rewrite.Node`: a node of a SymbolTree (a statement of construct, or an input of it)."""
from __future__ import annotations

import inspect
import types
from typing import Any, Dict, List, Optional, Sequence, Union

from .._tree import NodeImpl
from .._values import NodeType, ScopedValue, ValueType


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
        if is_sub_net:
            raise NotImplementedError("mindspore.rewrite: Node.create_call_cell(..., is_sub_net=True) (a sub-tree "
                                      "node made from a cell)")
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
        return Node(NodeImpl(kind, node_name, new_targets, new_args, new_kwargs,
                             ScopedValue.create_naming_value(node_name, "self"), cell))

    @staticmethod
    def create_call_function(function: Any, targets: Sequence[Union[ScopedValue, str]],
                             args: Optional[Sequence[ScopedValue]] = None,
                             kwargs: Optional[Dict[str, ScopedValue]] = None) -> "Node":
        """A node calling a function (by its name: get_network resolves the name to this very function)."""
        if not isinstance(function, (types.FunctionType, types.BuiltinFunctionType)):
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
        if default is not None:
            node.default = default.value
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
        from .symbol_tree import SymbolTree
        owner = self._node.owner
        return None if owner is None else SymbolTree(owner)

    def get_sub_tree(self) -> Any:
        from .symbol_tree import SymbolTree
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


__all__ = ["Node", "NodeType", "ScopedValue", "ValueType"]
