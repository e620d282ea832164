"""`mindspore.rewrite.SymbolTree`: a network's construct as nodes, to edit and regenerate (see .._tree)."""
from __future__ import annotations

from typing import Any, Iterator, List, Optional, Tuple, Union

from .._tree import NodeImpl, SymbolTreeImpl, get_code, get_network
from .node import Node


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
        if all_nodes:
            trees: List[SymbolTreeImpl] = [self._tree]
            while trees:
                t = trees.pop(0)
                for n in t.nodes():
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


__all__ = ["SymbolTree", "Position"]
