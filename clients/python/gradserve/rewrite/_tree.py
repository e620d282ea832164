"""The symbol tree of a network (the internals behind `mindspore.rewrite.SymbolTree`): construct's source, parsed
with `ast` and flattened (_flatten), as a list of nodes (one a statement); edits change the list; `code()` writes
the class `<Net>Opt(<Net>, nn.Cell)` back out (MindSpore 2.10's shape: `__init__(self, obj)` copies the network's
attributes, then names the cells inserted since), and `network()` compiles that class into a new Cell of the SDK.

Only the user's own program is parsed and compiled, in the user's process (the source of the network's classes, as
`inspect` finds it); nothing here runs on a server. `if` / `for` / `while` are ControlFlow nodes holding their
bodies' nodes (an `if` with an `else`: two, if_node and else_node, as MindSpore); a statement of another kind is a
Python node, written back as it is."""
from __future__ import annotations

import ast
import inspect
import linecache
import os
import sys
import textwrap
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ._flatten import Flattener
from ._values import NodeType, ScopedValue, ValueType

_OWN_PACKAGES = ("gradserve", "mindspore")
_PREAMBLE = ("import sys\nimport mindspore\nfrom mindspore import nn\nfrom mindspore.nn import Cell\n"
             "from mindspore.ops import functional as F\n#\n#\n")


def _cell_types() -> Tuple[type, type, type]:
    from .. import nn
    from ..ops._primitives import Primitive
    return nn.Cell, Primitive, (nn.SequentialCell, nn.CellList)  # type: ignore[return-value]


def _is_user_class(cls: Any) -> bool:
    return cls.__module__.split(".")[0] not in _OWN_PACKAGES


def _construct_owner(cls: type) -> Optional[type]:
    """The class of the MRO whose own `construct` is the network's (None when that is the SDK's)."""
    for klass in cls.__mro__:
        if "construct" in vars(klass):
            return klass if _is_user_class(klass) else None
    return None


def _function_ast(func: Any) -> ast.FunctionDef:
    src = textwrap.dedent(inspect.getsource(func))
    tree = ast.parse(src)
    fn = tree.body[0]
    if not isinstance(fn, ast.FunctionDef):
        raise NotImplementedError(f"mindspore.rewrite: {func.__qualname__} is not a plain function definition")
    fn.decorator_list = []
    fn.returns = None
    for a in fn.args.args + fn.args.kwonlyargs + fn.args.posonlyargs:
        a.annotation = None
    return fn


def value_of(expr: ast.AST) -> ScopedValue:
    """The ScopedValue of an argument or target expression (after flattening: a name, a scoped name, a constant
    or a display of those; anything else is kept as its source text)."""
    if isinstance(expr, ast.Name):
        return ScopedValue.create_naming_value(expr.id)
    if isinstance(expr, ast.Attribute):
        return ScopedValue.create_naming_value(expr.attr, ast.unparse(expr.value))
    if isinstance(expr, ast.Constant):
        return ScopedValue(ValueType.ConstantValue, "", expr.value)
    if isinstance(expr, ast.Tuple):
        return ScopedValue(ValueType.TupleValue, "", tuple(value_of(e) for e in expr.elts))
    if isinstance(expr, ast.List):
        return ScopedValue(ValueType.ListValue, "", [value_of(e) for e in expr.elts])
    return ScopedValue(ValueType.UnsupportedValue, "", ast.unparse(expr))


class NodeImpl:
    """One statement of construct (or an input of it). args / kwargs / targets are ScopedValues; `func` the callee
    (`self.conv1`, `ops.abs`, `x.reshape`); `op` the operator's text of a MathOps node; `stmt` the statement of a
    Python node, written back as is."""

    def __init__(self, node_type: NodeType, name: str, targets: List[ScopedValue], args: List[ScopedValue],
                 kwargs: Optional[Dict[str, ScopedValue]] = None, func: Optional[ScopedValue] = None,
                 instance: Any = None, op: str = "", stmt: Optional[ast.stmt] = None):
        self.node_type = node_type
        self.name = name
        self.targets = targets
        self.args = args
        self.kwargs = dict(kwargs or {})
        self.func = func
        self.instance = instance
        self.op = op
        self.stmt = stmt
        self.default: Any = inspect.Parameter.empty  # an Input's default value
        self.symbol_tree: Optional["SymbolTreeImpl"] = None  # a Tree node's sub-tree
        self.owner: Optional["SymbolTreeImpl"] = None
        self.container: Optional[List["NodeImpl"]] = None  # the list holding it: the tree's, or a body's
        self.body: List["NodeImpl"] = []  # a ControlFlow node's (if_node: the if's, else_node: the else's)
        self.keyword = ""  # a ControlFlow node's: "if", "else", "for" or "while"

    def nodes(self) -> List["NodeImpl"]:
        """A ControlFlow node's body."""
        return list(self.body)

    def get_name(self) -> str:
        return self.name

    def get_node_type(self) -> NodeType:
        return self.node_type

    def get_targets(self) -> List[ScopedValue]:
        return self.targets

    def get_args(self) -> List[ScopedValue]:
        return self.args

    def get_kwargs(self) -> Dict[str, ScopedValue]:
        return self.kwargs

    def get_instance(self) -> Any:
        return self.instance

    def get_instance_type(self) -> type:
        return type(self.instance)

    def get_target_users(self, index: int = 0) -> List[Tuple["NodeImpl", int]]:
        if self.owner is None:
            raise RuntimeError(f"For 'get_target_users', the node {self.name} is not in a SymbolTree")
        return self.owner.target_users(self, index)

    def __repr__(self) -> str:
        return f"Node({self.name}, {self.node_type.name})"


class SymbolTreeImpl:
    """The nodes of one network's construct, in order, and what code generation needs of its class."""

    def __init__(self, network: Any):
        cell_t, _, _ = _cell_types()
        if not isinstance(network, cell_t):
            raise TypeError(f"For 'SymbolTree', the type of 'network' should be 'Cell', "  # (MindSpore 2.10's)
                            f"but got type '{type(network).__name__}'.")
        owner = _construct_owner(type(network))
        if owner is None:
            raise NotImplementedError(
                f"mindspore.rewrite: SymbolTree.create of {type(network).__name__}, a Cell of the SDK itself (its "
                "construct has no user source to parse); wrap it in a Cell of your own")
        self.origin = network
        self.cls = type(network)
        self._names: Dict[str, int] = {}  # variables (the flattener's names)
        self._node_names: Dict[str, int] = {}
        self._flattener = Flattener(self.unique_name)
        self.node_list: List[NodeImpl] = []
        self.new_fields: List[str] = []  # attributes set on origin by insertions, named in __init__
        self.new_globals: Dict[str, Any] = {}  # functions of nodes made by create_call_function
        fn = _function_ast(vars(owner)["construct"])
        self._arguments = fn.args
        self._flattener.body(fn.body)
        for name, default in self._inputs(fn):
            node = NodeImpl(NodeType.Input, self.node_name("input_" + name),
                            [ScopedValue.create_naming_value(name)], [])
            node.default = default
            self._append(node)
        for stmt in fn.body:
            for node in self._parse_all(stmt):
                self._append(node)

    # -- names ---------------------------------------------------------------------------------------------------
    def unique_name(self, name: str = "output") -> str:
        """`name`, or `name_k` with the first k free among this tree's variables (MindSpore's namer: the names it
        gave and the targets of the tree's nodes, inserted ones included)."""
        for n in self.walk():
            for t in n.targets:
                if t.type == ValueType.NamingValue and not t.scope and isinstance(t.value, str):
                    self._names.setdefault(t.value, 0)
        return _unique(self._names, name)

    def node_name(self, name: str) -> str:
        """The same among this tree's node names (a node and a variable may share a name)."""
        return _unique(self._node_names, name)

    # -- parsing ---------------------------------------------------------------------------------------------------
    def _inputs(self, fn: ast.FunctionDef) -> Iterator[Tuple[str, Any]]:
        a = fn.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
            raise NotImplementedError("mindspore.rewrite: construct with *args, **kwargs, keyword-only or "
                                      "positional-only parameters")
        params = a.args[1:]
        defaults = [inspect.Parameter.empty] * (len(params) - len(a.defaults)) + list(a.defaults)
        for p, d in zip(params, defaults):
            yield p.arg, d

    def _attr(self, expr: ast.AST) -> Any:
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
            return getattr(self.origin, expr.attr, None)
        return None

    def _parse_all(self, stmt: ast.stmt) -> List[NodeImpl]:
        """The nodes of one statement: an `if` with an `else` is two ControlFlow nodes (MindSpore's if_node and
        else_node), a `for` / `while` one; each holds its body's nodes."""
        if isinstance(stmt, ast.If):
            nodes = [self._control(stmt, "if", stmt.body, [value_of(stmt.test)])]
            if stmt.orelse:
                nodes.append(self._control(stmt, "else", stmt.orelse, [value_of(stmt.test)]))
            return nodes
        if isinstance(stmt, (ast.For, ast.While)):
            kind = "for" if isinstance(stmt, ast.For) else "while"
            args = [value_of(stmt.iter)] if isinstance(stmt, ast.For) else \
                [ScopedValue(ValueType.UnsupportedValue, "", ast.unparse(stmt.test))]
            nodes = [self._control(stmt, kind, stmt.body, args)]
            if stmt.orelse:
                nodes.append(self._control(stmt, "else", stmt.orelse, list(args), kind + "_else_node"))
            return nodes
        return [self._parse(stmt)]

    def _control(self, stmt: ast.stmt, keyword: str, body: List[ast.stmt], args: List[ScopedValue],
                 name: str = "") -> NodeImpl:
        node = NodeImpl(NodeType.ControlFlow, self.node_name(name or keyword + "_node"), [], args, stmt=stmt)
        node.keyword = keyword
        node.owner = self
        for s in body:
            for child in self._parse_all(s):
                child.owner, child.container = self, node.body
                node.body.append(child)
        return node

    def walk(self) -> Iterator[NodeImpl]:
        """The tree's nodes, those in control-flow bodies too (depth first, in program order)."""
        todo = list(reversed(self.node_list))
        while todo:
            n = todo.pop()
            yield n
            todo.extend(reversed(n.body))

    def _parse(self, stmt: ast.stmt) -> NodeImpl:
        if isinstance(stmt, ast.Return):
            args = [value_of(stmt.value)] if stmt.value is not None else []
            return NodeImpl(NodeType.Output, self.node_name("return"), [], args)
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
            return self._python(stmt)
        target = stmt.targets[0]
        elts = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        if not all(isinstance(e, (ast.Name, ast.Attribute)) for e in elts):
            return self._python(stmt)
        targets = [value_of(e) for e in elts]
        value = stmt.value
        if isinstance(value, ast.Call):
            return self._call(stmt, targets, value)
        if isinstance(value, ast.Name):
            return NodeImpl(NodeType.CallMethod, self.node_name("name_assign"), targets, [value_of(value)],
                            func=ScopedValue.create_naming_value("pass_through"))
        if isinstance(value, ast.Attribute):
            return NodeImpl(NodeType.CallMethod, self.node_name("attribute_assign"), targets, [value_of(value)],
                            func=ScopedValue.create_naming_value("pass_through"))
        if isinstance(value, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in value.elts):
            kind = "tuple" if isinstance(value, ast.Tuple) else "list"
            return NodeImpl(NodeType.CallMethod, self.node_name(kind), targets, [value_of(e) for e in value.elts],
                            func=ScopedValue.create_naming_value(kind))
        op = _math_op(value)
        if op is not None:
            kind, text, operands = op
            return NodeImpl(NodeType.MathOps, self.node_name(kind), targets, [value_of(o) for o in operands],
                            op=text, stmt=stmt)
        return self._python(stmt)

    def _python(self, stmt: ast.stmt) -> NodeImpl:
        return NodeImpl(NodeType.Python, self.node_name(type(stmt).__name__), [], [], stmt=stmt)

    def _call(self, stmt: ast.stmt, targets: List[ScopedValue], call: ast.Call) -> NodeImpl:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return self._python(stmt)
        args = [value_of(a) for a in call.args]
        kwargs = {k.arg: value_of(k.value) for k in call.keywords if k.arg is not None}
        func = value_of(call.func)
        cell_t, prim_t, containers = _cell_types()
        inst = self._attr(call.func)
        if isinstance(call.func, ast.Attribute):
            name = call.func.attr
        elif isinstance(call.func, ast.Name):
            name = call.func.id
        else:
            return self._python(stmt)
        if isinstance(inst, cell_t):
            node = NodeImpl(NodeType.CallCell, self.node_name(name), targets, args, kwargs, func, inst)
            if isinstance(inst, containers):
                node.node_type = NodeType.CellContainer
            elif _construct_owner(type(inst)) is not None:
                node.node_type = NodeType.Tree
                node.symbol_tree = SymbolTreeImpl(inst)
            return node
        if isinstance(inst, prim_t):
            return NodeImpl(NodeType.CallPrimitive, self.node_name(name), targets, args, kwargs, func, inst)
        if inst is None and isinstance(call.func, ast.Name):
            inst = self._global(call.func.id)
        return NodeImpl(NodeType.CallFunction, self.node_name(name), targets, args, kwargs, func, inst)

    def _global(self, name: str) -> Any:
        module = sys.modules.get(self.cls.__module__)
        return getattr(module, name, None) if module is not None else None

    def external_functions(self) -> List[Any]:
        """The module functions of the user's construct calls by name (get_code writes them out too)."""
        out: List[Any] = []
        for n in self.walk():
            f = n.instance if n.node_type == NodeType.CallFunction else None
            if inspect.isfunction(f) and _is_user_class(f) and f not in out:
                out.append(f)
        for f in out:  # (grows: the functions those call by name, as MindSpore writes them too)
            for callee in _called_functions(f):
                if callee not in out:
                    out.append(callee)
        return out

    # -- the list --------------------------------------------------------------------------------------------------
    def _append(self, node: NodeImpl) -> None:
        node.owner, node.container = self, self.node_list
        self.node_list.append(node)

    @property
    def _nodes(self) -> Dict[str, NodeImpl]:
        return {n.name: n for n in self.node_list}

    def nodes(self) -> List[NodeImpl]:
        return list(self.node_list)

    def get_node(self, name: str) -> Optional[NodeImpl]:
        for n in self.walk():
            if n.name == name:
                return n
        return None

    def get_inputs(self) -> List[NodeImpl]:
        return [n for n in self.node_list if n.node_type == NodeType.Input]

    def _index(self, node: NodeImpl, what: str) -> int:
        """node's place in its list (the tree's or a control-flow body's)."""
        if node.owner is self and node.container is not None:
            for i, n in enumerate(node.container):
                if n is node:
                    return i
        raise RuntimeError(f"For '{what}', the node {node.name} does not belong to this SymbolTree")

    def _list(self, node: NodeImpl) -> List[NodeImpl]:
        assert node.container is not None
        return node.container

    def insert_node(self, node: NodeImpl, base: NodeImpl, before: bool) -> NodeImpl:
        if node.owner is not None:
            raise RuntimeError(f"For 'insert', the node {node.name} is in a SymbolTree already")
        at = self._index(base, "insert") + (0 if before else 1)
        where = self._list(base)
        if not before and base.node_type == NodeType.ControlFlow and at < len(where) \
                and where[at].keyword == "else" and where[at].stmt is base.stmt:
            at += 1  # (after an if / for / while node: after its else node, which must follow it)
        if node.node_type != NodeType.Input and any(n.node_type == NodeType.Input for n in where[at:]):
            raise RuntimeError("For 'insert', only an Input node can be inserted among the inputs")
        node.name = self.node_name(node.name or _default_name(node))
        node.args = [self._own_value(a) for a in node.args]
        node.kwargs = {k: self._own_value(v) for k, v in node.kwargs.items()}
        if node.node_type in (NodeType.CallCell, NodeType.CallPrimitive, NodeType.Tree, NodeType.CellContainer) \
                and node.func is not None and node.func.scope == "self":
            field = self._field(node.name)
            node.func = ScopedValue.create_naming_value(field, "self")
            setattr(self.origin, field, node.instance)
            self.new_fields.append(field)
        if node.node_type == NodeType.CallFunction and node.func is not None and node.instance is not None:
            known = self.new_globals.get(node.func.value, node.instance)
            if known is not node.instance:
                raise RuntimeError(f"For 'insert', another function named {node.func.value} is in this SymbolTree")
            self.new_globals[node.func.value] = node.instance
        node.owner, node.container = self, where
        where.insert(at, node)
        return node

    def _field(self, name: str) -> str:
        """A name for a new attribute of the network that no attribute has yet."""
        field, k = name, 0
        while hasattr(self.origin, field):
            k += 1
            field = f"{name}_{k}"
        return field

    def _own_value(self, value: ScopedValue) -> ScopedValue:
        """An object argument (a Tensor...) becomes an attribute of the network, `self.arg_<Type>`."""
        if value.type != ValueType.CustomObjValue:
            return value
        field = self._field("arg_" + type(value.value).__name__)
        setattr(self.origin, field, value.value)
        self.new_fields.append(field)
        return ScopedValue.create_naming_value(field, "self")

    def erase_node(self, node: NodeImpl) -> NodeImpl:
        at = self._index(node, "erase")
        where = self._list(node)
        if node.node_type == NodeType.ControlFlow and node.keyword != "else" and at + 1 < len(where) \
                and where[at + 1].keyword == "else" and where[at + 1].stmt is node.stmt:
            node.body.clear()  # (its else stays: MindSpore writes `if test: pass`, and drops both with the else)
            node.keyword += "-erased"
            return node
        del where[at]
        node.owner = node.container = None
        if node.keyword == "else" and at > 0 and where[at - 1].keyword.endswith("-erased") \
                and where[at - 1].stmt is node.stmt:
            self.erase_node(where[at - 1])
        return node

    def replace(self, old: NodeImpl, new_nodes: List[NodeImpl]) -> NodeImpl:
        if not new_nodes:
            raise RuntimeError("For 'replace', 'new_nodes' is empty")
        at = self._index(old, "replace")
        where = self._list(old)
        base = where[at - 1] if at > 0 else None
        self.erase_node(old)
        for node in new_nodes:
            if base is None:
                node.name = self.node_name(node.name or _default_name(node))
                node.owner, node.container = self, where
                where.insert(0, node)
            else:
                self.insert_node(node, base, False)
            base = node
        return new_nodes[-1]

    def set_output(self, index: int, name: str) -> NodeImpl:
        outs = [n for n in self.node_list if n.node_type == NodeType.Output]
        if not outs:
            raise RuntimeError("For 'set_output', the SymbolTree has no return node")
        out = outs[-1]
        if not 0 <= index < len(out.args):
            raise RuntimeError(f"For 'set_output', index {index} is out of range of the return's "
                               f"{len(out.args)} values")
        out.args[index] = ScopedValue.create_naming_value(name)
        return out

    # -- data flow -------------------------------------------------------------------------------------------------
    def inputs_of(self, node: NodeImpl) -> List[NodeImpl]:
        """The nodes whose targets node's arguments read (the latest assignment before it)."""
        at = self._index(node, "get_inputs")
        found: List[NodeImpl] = []
        for v in _names_read(node):
            for prev in reversed(self._list(node)[:at]):
                if any(t.type == ValueType.NamingValue and not t.scope and t.value == v for t in prev.targets):
                    if prev not in found:
                        found.append(prev)
                    break
        return found

    def target_users(self, node: NodeImpl, index: int) -> List[Tuple[NodeImpl, int]]:
        """(user, argument index) of each later node reading node's target `index` before it is assigned again."""
        target = node.targets[index]
        out: List[Tuple[NodeImpl, int]] = []
        for n in self._list(node)[self._index(node, "get_target_users") + 1:]:
            out += [(n, i) for i, a in enumerate(n.args) if a == target]
            if any(t == target for t in n.targets):
                break
        return out

    def set_node_target(self, node: NodeImpl, index: int, target: ScopedValue) -> None:
        if not 0 <= index < len(node.targets):
            raise RuntimeError(f"For 'set_node_target', index {index} is out of range of the node's "
                               f"{len(node.targets)} targets")
        node.targets[index] = target

    def users_of(self, node: NodeImpl) -> List[NodeImpl]:
        return [n for n in self._list(node) if n is not node and node in self.inputs_of(n)]

    # -- code ------------------------------------------------------------------------------------------------------
    def class_name(self) -> str:
        return self.cls.__name__ + "Opt"

    def class_code(self, sub_names: Dict[int, str]) -> str:
        fathers = [f.__name__ + "Opt" for f in fathers_of(self.cls)]
        lines = [f"class {self.class_name()}({', '.join([self.cls.__name__] + (fathers or ['nn.Cell']))}):", "",
                 "    def __init__(self, obj):"]
        lines += [f"        {f}.__init__(self)" for f in fathers] or ["        nn.Cell.__init__(self)"]
        lines += ["        for key, value in obj.__dict__.items():", "            setattr(self, key, value)"]
        lines += [f"        self.__class__.{k} = obj.__class__.{k}" for k in _class_variables(self.cls)]
        subs = [(n.func.value, sub_names[id(n.symbol_tree)]) for n in self.walk()
                if n.node_type == NodeType.Tree and n.symbol_tree is not None and n.func is not None]
        # (a sub-tree inserted since is swapped in after the line naming its cell)
        lines += [f"        self.{f} = {c}(self.{f})" for f, c in subs if f not in self.new_fields]
        lines += [f"        self.{f} = obj.{f}" for f in self.new_fields]
        lines += [f"        self.{f} = {c}(self.{f})" for f, c in subs if f in self.new_fields]
        params = ["self"]
        for n in self.get_inputs():
            p = str(n.targets[0])
            params.append(p if n.default is inspect.Parameter.empty else f"{p}={_default_text(n.default)}")
        lines += ["", f"    def construct({', '.join(params)}):"]
        body = [_statement(n) for n in self.node_list if n.node_type != NodeType.Input]
        for text in body or ["pass"]:
            lines += ["        " + line for line in text.splitlines()]
        for name, member in vars(self.cls).items():
            if name in ("__init__", "construct") or not inspect.isfunction(member) \
                    or member.__qualname__ != f"{self.cls.__qualname__}.{name}":  # (a function held as a class variable)
                continue
            try:
                fn = _function_ast(member)
            except (OSError, TypeError, SyntaxError, NotImplementedError):
                continue
            lines += [""] + ["    " + line for line in ast.unparse(fn).splitlines()]
        return "\n".join(lines) + "\n"

    def sub_trees(self) -> Iterator["SymbolTreeImpl"]:
        for n in self.walk():
            if n.node_type == NodeType.Tree and n.symbol_tree is not None:
                yield n.symbol_tree


def _unique(taken: Dict[str, int], name: str) -> str:
    if name not in taken:
        taken[name] = 0
        return name
    while True:
        taken[name] += 1
        candidate = f"{name}_{taken[name]}"
        if candidate not in taken:
            taken[candidate] = 0
            return candidate


def _default_name(node: NodeImpl) -> str:
    if node.instance is not None:
        return type(node.instance).__name__.lower()
    return node.node_type.name.lower()


def _class_variables(cls: type) -> List[str]:
    """The names of cls's class variables (not its methods): MindSpore's generated __init__ copies them."""
    out = []
    for name, member in vars(cls).items():
        if name.startswith("__") or isinstance(member, (staticmethod, classmethod, property)):
            continue
        if inspect.isfunction(member) and member.__qualname__ == f"{cls.__qualname__}.{name}":
            continue
        out.append(name)
    return out


def fathers_of(cls: type) -> List[type]:
    """The user's own base classes of cls (MindSpore writes each as `<Base>Opt`, and the class's Opt derives
    from those)."""
    return [b for b in cls.__bases__ if b is not object and _is_user_class(b)]


def father_code(cls: type) -> str:
    """MindSpore 2.10's class for a base class of the user's: its own attributes copied onto `<Base>Opt`."""
    cell_t, _, _ = _cell_types()
    fathers = [f.__name__ + "Opt" for f in fathers_of(cls)]
    is_cell = issubclass(cls, cell_t)
    bases = [cls.__name__] + (fathers or (["nn.Cell"] if is_cell else []))
    lines = [f"class {cls.__name__}Opt({', '.join(bases)}):", "", "    def __init__(self):"]
    lines += [f"        {f}.__init__(self)" for f in fathers] or (["        nn.Cell.__init__(self)"] if is_cell else [])
    lines += [f"        for key, value in {cls.__name__}.__dict__.items():", "            if not key.startswith('__'):",
              f"                setattr({cls.__name__}Opt, key, value)"]
    return "\n".join(lines) + "\n"


def _default_text(value: Any) -> str:
    if isinstance(value, ast.AST):
        return ast.unparse(value)
    return repr(value)


def _math_op(value: ast.expr) -> Optional[Tuple[str, str, List[ast.expr]]]:
    """(node name, operator text, operands) of an operator expression."""
    if isinstance(value, ast.BinOp):
        text = _OP_TEXT.get(type(value.op))
        return None if text is None else ("binop_" + type(value.op).__name__.lower(), text, [value.left, value.right])
    if isinstance(value, ast.UnaryOp):
        text = _OP_TEXT.get(type(value.op))
        return None if text is None else ("unaryop_" + type(value.op).__name__.lower(), text, [value.operand])
    if isinstance(value, ast.BoolOp):
        text = "and" if isinstance(value.op, ast.And) else "or"
        return "boolop_" + text, text, list(value.values)
    if isinstance(value, ast.Compare) and len(value.ops) == 1:
        text = _OP_TEXT.get(type(value.ops[0]))
        return None if text is None else ("compare_" + type(value.ops[0]).__name__.lower(), text,
                                          [value.left, value.comparators[0]])
    return None


_OP_TEXT = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
    ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
    ast.USub: "-", ast.UAdd: "+", ast.Not: "not ", ast.Invert: "~",
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Is: "is",
    ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
}


def render(value: ScopedValue) -> str:
    """The source text of an argument."""
    if value.type == ValueType.ConstantValue:
        return repr(value.value)
    if value.type == ValueType.NamingValue:
        return str(value)
    if value.type == ValueType.TupleValue:
        items = [render(v) for v in value.value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if value.type == ValueType.ListValue:
        return "[" + ", ".join(render(v) for v in value.value) + "]"
    if value.type == ValueType.DictValue:
        return "{" + ", ".join(f"{render(k)}: {render(v)}" for k, v in value.value.items()) + "}"
    if value.type == ValueType.UnsupportedValue:
        return str(value.value)
    raise NotImplementedError(f"mindspore.rewrite: an argument object of {type(value.value).__name__} outside a "
                              "SymbolTree (insert the node first)")


def _names_read(node: NodeImpl) -> List[str]:
    out: List[str] = []

    def visit(v: ScopedValue) -> None:
        if v.type == ValueType.NamingValue and not v.scope:
            out.append(v.value)
        elif v.type in (ValueType.TupleValue, ValueType.ListValue):
            for e in v.value:
                visit(e)
    for v in list(node.args) + list(node.kwargs.values()):
        visit(v)
    if node.node_type == NodeType.Python and node.stmt is not None:
        out += [n.id for n in ast.walk(node.stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    return out


def _statement(node: NodeImpl) -> str:
    if node.node_type == NodeType.ControlFlow:
        stmt = node.stmt
        if node.keyword == "else":
            head = "else:"
        elif node.keyword.startswith("for"):
            assert isinstance(stmt, ast.For)
            head = f"for {ast.unparse(stmt.target)} in {render(node.args[0])}:"
        else:
            head = f"{node.keyword.split('-')[0]} {render(node.args[0])}:"
        body = [_statement(n) for n in node.body] or ["pass"]
        return "\n".join([head] + ["    " + line for text in body for line in text.splitlines()])
    if node.node_type == NodeType.Python:
        assert node.stmt is not None
        return ast.unparse(node.stmt)
    if node.node_type == NodeType.Output:
        return "return " + ", ".join(render(a) for a in node.args)
    targets = ", ".join(str(t) for t in node.targets)
    if node.node_type == NodeType.MathOps:
        a = [render(x) for x in node.args]
        if len(a) == 1:
            value = f"{node.op}{a[0]}"
        else:
            value = f" {node.op} ".join(a)
    elif node.node_type == NodeType.CallMethod and node.func is not None and node.func.value == "pass_through":
        value = render(node.args[0])
    elif node.node_type == NodeType.CallMethod and node.func is not None and node.func.value in ("tuple", "list"):
        items = [render(a) for a in node.args]
        value = ("(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")" if node.func.value == "tuple"
                 else "[" + ", ".join(items) + "]")
    else:
        assert node.func is not None
        parts = [render(a) for a in node.args] + [f"{k}={render(v)}" for k, v in node.kwargs.items()]
        value = f"{node.func}({', '.join(parts)})"
    return f"{targets} = {value}" if targets else value


def _ordered_trees(root: SymbolTreeImpl) -> List[SymbolTreeImpl]:
    """The sub-trees before the trees that use them, each once."""
    out: List[SymbolTreeImpl] = []

    def visit(t: SymbolTreeImpl) -> None:
        for s in t.sub_trees():
            visit(s)
        if t not in out:
            out.append(t)
    visit(root)
    return out


def _class_texts(root: SymbolTreeImpl) -> Tuple[List[Tuple[Any, str, str]], Dict[int, str]]:
    """(tree or base class, class name, class source) for the root, its sub-trees and the user's base classes of
    those (before the classes deriving from them); sub-trees of one class whose code is the
    same share one class, others get `<Net>Opt_1`..."""
    names: Dict[int, str] = {}
    seen: Dict[Tuple[type, str], str] = {}
    taken: Dict[str, int] = {}
    out: List[Tuple[Any, str, str]] = []
    fathers_done: List[type] = []

    def add_fathers(cls: type) -> None:
        for f in fathers_of(cls):
            if f not in fathers_done:
                add_fathers(f)
                fathers_done.append(f)
                out.append((f, f.__name__ + "Opt", father_code(f)))

    for t in _ordered_trees(root):
        add_fathers(t.cls)
        text = t.class_code(names)
        key = (t.cls, text)
        if key in seen:
            names[id(t)] = seen[key]
            continue
        base = t.class_name()
        k = taken.get(base, -1) + 1
        taken[base] = k
        name = base if k == 0 else f"{base}_{k}"
        if k:
            text = text.replace(f"class {base}(", f"class {name}(", 1)
        seen[key] = names[id(t)] = name
        out.append((t, name, text))
    return out, names


def _import_lines(cls: Any, functions: bool = False) -> str:
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    lines = []
    if path:
        lines.append(f"sys.path.insert(0, {os.path.dirname(os.path.abspath(path))!r})")
    if functions:
        return "\n".join(lines) + "\n\n"
    if cls.__module__ == "__main__" or "<locals>" in cls.__qualname__ or not path:
        lines.append(f"{cls.__name__} = getattr(sys.modules[{cls.__module__!r}], {cls.__name__!r})")
    else:
        lines.append(f"from {cls.__module__} import {cls.__name__}")
    return "\n".join(lines) + "\n\n"


def _called_functions(func: Any) -> List[Any]:
    """The user's module functions `func` calls by name."""
    try:
        fn = _function_ast(func)
    except (OSError, TypeError, SyntaxError, NotImplementedError):
        return []
    out = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            f = func.__globals__.get(node.func.id)
            if inspect.isfunction(f) and _is_user_class(f) and f not in out:
                out.append(f)
    return out


def _function_text(func: Any) -> str:
    try:
        return ast.unparse(_function_ast(func)) + "\n"
    except (OSError, TypeError, SyntaxError, NotImplementedError):
        return ""


def get_code(root: SymbolTreeImpl) -> str:
    classes, _ = _class_texts(root)
    parts, written = [_PREAMBLE], set()
    for t, _, text in classes:
        if isinstance(t, type):
            parts.append(_import_lines(t) + text + "#\n")
            continue
        for f in t.external_functions():
            if f not in written:
                written.add(f)
                parts.append(_import_lines(f, functions=True) + _function_text(f) + "#\n")
        parts.append(_import_lines(t.cls) + text + "#\n")
    return "".join(parts)[:-1]  # (MindSpore's text ends with the last "#", no newline)


def get_network(root: SymbolTreeImpl) -> Any:
    """The edited network: each class compiled in a namespace of its module's globals (the names construct
    reads) with its base class, instantiated from the original network (whose attributes it copies)."""
    from .. import nn
    classes, _ = _class_texts(root)
    made: Dict[str, type] = {}
    for tree, name, text in classes:
        cls = tree if isinstance(tree, type) else tree.cls
        module = sys.modules.get(cls.__module__)
        space: Dict[str, Any] = dict(vars(module)) if module is not None else {}
        if not isinstance(tree, type):
            space.update(tree.new_globals)
        space.update(made)
        space.update({"nn": nn, "sys": sys, cls.__name__: cls, "__name__": f"rewritten_{name}"})
        filename = f"<mindspore.rewrite {name} {id(root):x}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        exec(compile(text, filename, "exec"), space)  # noqa: S102 - the user's own class, edited, in their process
        made[name] = space[name]
    root_name = classes[-1][1]
    return made[root_name](root.origin)


__all__ = ["NodeImpl", "SymbolTreeImpl", "get_code", "get_network", "render", "value_of"]
