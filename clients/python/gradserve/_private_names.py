"""Private names in a method (`self.__x`, `__v`) as Python's compiler spells them in a class body: `_Class__x`.
The rewrite (_rewrite) compiles a method's source outside its class, where Python would leave them as written
and `self.__x` would miss the attribute `__init__` stored as `_Class__x`; so it mangles them first, as Python does:
names, attributes, parameters and nested definitions, not call keywords."""
from __future__ import annotations

import ast
import types


def owner_class(f: types.FunctionType) -> "str | None":
    """The innermost class f is written in, from its qualified name (a segment followed by another that is not
    `<locals>` is a class: `t.<locals>.Net.construct` -> Net; `Net.f.<locals>.g` -> Net); None outside one."""
    parts = f.__qualname__.split(".")
    classes = [p for p, after in zip(parts, parts[1:]) if p != "<locals>" and after != "<locals>"]
    return classes[-1] if classes else None


def _private(name: object) -> bool:
    return isinstance(name, str) and name.startswith("__") and not name.endswith("__")


def mangle(fdef: ast.FunctionDef, f: types.FunctionType) -> None:
    """Rename fdef's private names in place as Python's compiler does in f's class (nothing outside a class, or
    for a class named only with underscores)."""
    cls = (owner_class(f) or "").lstrip("_")
    if not cls:
        return
    for node in ast.walk(fdef):
        field = {ast.Name: "id", ast.Attribute: "attr", ast.arg: "arg"}.get(type(node))
        if field is None and isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node is not fdef:
            field = "name"
        if field and _private(getattr(node, field)):
            setattr(node, field, f"_{cls}{getattr(node, field)}")
