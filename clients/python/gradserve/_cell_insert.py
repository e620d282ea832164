"""A Cell's `apply`, `insert_child_to_cell` and `insert_param_to_cell` (MindSpore 2.10's, with its refusals and
their texts: a name that is empty or dotted, a child that is not a Cell, a param that is not a Parameter, a name
already taken by the other kind). Cell inherits them; a Cell is an instance of this class, which is how a
child is recognised here (this module sits below _cellbase)."""
from __future__ import annotations

from ._tensor import Parameter

_MISSING = object()


class InsertMethods:
    """Cell's apply / insert_child_to_cell / insert_param_to_cell (Cell inherits them)."""

    def apply(self, fn):
        """fn applied to every sub-cell, depth first, then to this cell (MindSpore's order); returns the cell."""
        for _, child in self._child_cells(registered=True):  # type: ignore[attr-defined]
            child.apply(fn)
        fn(self)
        return self

    def _taken(self, name: str, fits) -> bool:
        """Whether name is an attribute of the cell (or its class) whose value is not of the kind being inserted."""
        value = self.__dict__.get(name, _MISSING)
        if value is _MISSING:
            return hasattr(type(self), name)
        return value is not None and not fits(value)

    def insert_child_to_cell(self, child_name, child_cell) -> None:
        where = "For 'insert_child_to_cell',"
        if not isinstance(child_name, str):
            raise TypeError(f"{where} the type of parameter 'child_name' must be str, but got {type(child_name)}.")
        if not child_name or "." in child_name:
            raise KeyError(f"{where} the parameter 'child_name' can not be None and can not contain '.' ")
        if child_cell is not None and not isinstance(child_cell, InsertMethods):
            raise TypeError(f"{where} the argument 'child_cell' must be 'Cell' if not None, but got type "
                            f"{type(child_cell)}.")
        if self._taken(child_name, lambda v: isinstance(v, InsertMethods)):
            raise KeyError(f"{where} the {child_name} child cell already exists in the network.Cannot insert another "
                           "child cell with the same name.")
        setattr(self, child_name, child_cell)

    def insert_param_to_cell(self, param_name, param, check_name_contain_dot: bool = True) -> None:
        where = "For 'insert_param_to_cell',"
        if not isinstance(param_name, str):
            raise TypeError(f"{where} the argument 'param_name' must be str, but got {type(param_name)}.")
        if not param_name:
            raise KeyError(f"{where} the argument 'param_name' should not be None.")
        if check_name_contain_dot and "." in param_name:
            raise KeyError(f"{where} the argument 'param_name' should not contain'.' ")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{where} the argument 'param' must be 'Parameter' if not None, but got {type(param)}.")
        if self._taken(param_name, lambda v: isinstance(v, Parameter)):
            raise KeyError(f"{where} the {param_name} parameter already exists in the network.Cannot insert another "
                           "parameter with the same name.")
        if param is None:
            object.__setattr__(self, param_name, None)
            return
        setattr(self, param_name, param)
