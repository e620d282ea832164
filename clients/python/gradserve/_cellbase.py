"""`nn.Cell`, the base class of networks (its own module so that `_training`'s optimizers and losses,
which are Cells that `nn` re-exports, sit below `nn` and not beside it in a cycle)."""
from __future__ import annotations

import collections
import inspect
from typing import Any

from . import _amp_cast, _hooks, _param_state, _pyguard, context
from ._bprop import call_with_bprop, has_bprop
from ._cell_buffers import BufferMethods, _Buffer, buffers_of
from ._cell_insert import InsertMethods
from ._jit import _with_keywords
from ._jit_forbidden import refuse
from ._late import late
from ._state_dict import StateDictMethods
from ._switch_layer import SwitchedCell
from ._tensor import Parameter, ParameterTuple, Tensor
from ._trace import TraceCache, attribute_written, cast, current, graph_semantics, mode_epoch, run_program, \
    top_level_aliases


def names_prefix(cell: "Cell") -> str:
    """What the cell's Parameters' names carry before their paths from it ('layers.' for a CellList put
    under `layers`), read off its first Parameter as MindSpore's containers do; '' if none."""
    for path, p in cell._parameters_and_names("", True, True):  # (the Parameters update_parameters_name names)
        return p.name[:-len(path)] if p.name.endswith("." + path) else ""
    return ""


def _strict_outputs(out: Any) -> Any:
    """A GRAPH_MODE Cell's output under jit_syntax_level=STRICT: its dicts, at any depth, become the tuples of
    their values (MindSpore 2.10's graph has no dict output at that level); otherwise the output as it is."""
    if context.get_context("mode") != context.GRAPH_MODE or context.syntax_level() != context.STRICT:
        return out

    def walk(v):
        if isinstance(v, dict):
            return tuple(walk(e) for e in v.values())
        if isinstance(v, (tuple, list)) and not hasattr(v, "_fields"):
            return type(v)(walk(e) for e in v)
        return v
    return walk(out)


def _check_self(construct: Any, n_args: int, cls: type) -> None:
    """A construct written without `self` (its one parameter takes the arguments) in GRAPH_MODE: MindSpore 2.10's
    TypeError; PyNative's is Python's own (the call's positional count). A staticmethod construct: its graph
    parser's RuntimeError (PyNative runs it)."""
    code = getattr(construct, "__code__", None)
    if code is None or context.get_context("mode") != context.GRAPH_MODE or code.co_flags & inspect.CO_VARARGS:
        return
    if isinstance(inspect.getattr_static(cls, "construct", None), staticmethod):
        raise RuntimeError("Parse Resolve convert failed.")
    if code.co_argcount == n_args and code.co_varnames[:1] != ("self",):
        raise TypeError("For 'Cell', the method 'construct' must have parameter 'self'. ")


def _unexpected_keywords(construct: Any, cls: str, kwargs: dict) -> None:
    """A keyword construct has no parameter for: MindSpore 2.10's texts, PyNative's Python's TypeError naming the
    method, a call inside a graph's RuntimeError (a GRAPH_MODE call's own is the binding's, as MindSpore's)."""
    params = inspect.signature(construct).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    for k in kwargs:
        if k not in params or params[k].kind is inspect.Parameter.POSITIONAL_ONLY:
            if current() is not None and graph_semantics():
                raise RuntimeError(f"Got an unexpected keyword argument '{k}'")
            if context.get_context("mode") != context.GRAPH_MODE:
                raise TypeError(f"{cls}.construct() got an unexpected keyword argument '{k}'")


class _CellTuple(tuple):
    """A Cell's tuple of Cells (`self.layers = (nn.ReLU(), nn.Tanh())`): indexed by a Tensor out of range in
    GRAPH_MODE, MindSpore 2.10's switch_layer error; otherwise a tuple."""

    def __getitem__(self, index):  # type: ignore[override]  # a Cell or a switched cell, not a tuple
        if isinstance(index, Tensor) and context.get_context("mode") == context.GRAPH_MODE:
            return switch_layer(tuple(self), index)
        return tuple.__getitem__(self, index)


def switch_layer(cells: tuple, index: Tensor):
    """cells[index] of a Tensor index in GRAPH_MODE (a Cell's tuple, an nn.CellList): MindSpore 2.10's switch_layer,
    its out-of-range IndexError (a CellList's too: /work/scratch_left35/p4.py)."""
    i, n = index.__index__(), len(cells)
    if not -n <= i < n:
        raise IndexError(f"Given index {i} out of range. Please make sure the value of index in [{-n}, {n}), "
                         f"and the type is {str(index.dtype).lower()}.")
    if current() is not None and n > 1:  # (switch_layer: every Cell's output must join)
        return SwitchedCell(cells, cells[i])
    return cells[i]


class Cell(BufferMethods, StateDictMethods, InsertMethods):
    """Base class of networks: define `construct(self, *inputs)`; a subclass's own `__init__` calls
    `super().__init__()` (a cell made without it cannot be called, take a Parameter attribute or list its
    Parameters: MindSpore 2.10's AttributeErrors)."""

    __module__ = "gradserve.nn"  # its public home (repr, pickling), as before the move

    def __init__(self, auto_prefix: bool = True, flags=None):
        object.__setattr__(self, "_gs_programs", TraceCache())
        if not auto_prefix:  # MindSpore's wrappers (TrainOneStepCell ...): sub-cells' Parameters keep their names
            object.__setattr__(self, "_gs_no_prefix", True)

    def __setattr__(self, name, value):
        if isinstance(value, Parameter) and "_gs_programs" not in self.__dict__:  # (MindSpore 2.10's refusal)
            raise AttributeError("For 'insert_param_to_cell', please call Cell.__init__() firstly.")
        old = self.__dict__.get(name)
        if current() is not None:
            if isinstance(old, Parameter) and not isinstance(value, Parameter):
                _param_state.assign(old, value)  # `self.w = v` in a traced construct updates w (MindSpore)
                return
            if not name.startswith("_gs_"):
                attribute_written(self, name, value)  # (`self.calls += 1` in construct: run each call)
        elif isinstance(old, Parameter) and isinstance(value, Tensor) and not isinstance(value, Parameter):
            # MindSpore 2.10 PyNative: `self.w = t` (`self.w += 2` in a construct run as Python) keeps w a Parameter
            # and sets its data, cast to its dtype (Parameter(-4) then 2.7: 2, Int32); it was replaced by a Tensor
            old.set_data(value)
            return
        if isinstance(value, Parameter) and value._auto_name:
            value.name = name
            value._auto_name = False
        elif isinstance(value, Cell) and not name.startswith("_gs_"):
            if not self.__dict__.get("_gs_no_prefix"):
                value.update_parameters_name(name + ".")
        elif isinstance(value, _Buffer):
            buffers_of(self)[name] = value  # `self.b = _Buffer(t)` registers b (MindSpore)
        elif type(value) is tuple and value and all(isinstance(v, Cell) for v in value):
            value = _CellTuple(value)
        elif isinstance(value, (tuple, list)) and value and all(isinstance(v, Parameter) for v in value):
            if isinstance(value, ParameterTuple):  # its unnamed items: "Parameter$<k>", k counted per cell from 1
                n = self.__dict__.get("_gs_tuple_unnamed", 0)
                for p in value:
                    if p._auto_name:
                        n += 1
                        p.name, p._auto_name = f"Parameter${n}", False
                object.__setattr__(self, "_gs_tuple_unnamed", n)
            # a ParameterTuple's items enter paths under the names they have now (MindSpore keys them so)
            keys = dict(self.__dict__.get("_gs_tuple_keys", {}), **{name: tuple(p.name for p in value)})
            object.__setattr__(self, "_gs_tuple_keys", keys)
        object.__setattr__(self, name, value)

    def construct(self, *inputs: Any, **kwargs: Any) -> Any:  # (*Any, **Any): any override fits
        raise AttributeError("For 'Cell', the method 'construct' is not defined.")  # (MindSpore 2.10's, either mode)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if "_gs_amp" in self.__dict__:  # (mindspore.amp: the cell's ops in its precision)
            return _amp_cast.call(self, lambda: self._gs_hooked_call(args, kwargs), cast)
        return self._gs_hooked_call(args, kwargs)

    def _gs_hooked_call(self, args: tuple, kwargs: dict) -> Any:
        if self.__dict__.get("_gs_hooks"):  # register_forward_hook & co. (PyNative)
            return _hooks.call_cell(self, args, kwargs, lambda a, k: self._gs_call(a, k))
        return self._gs_call(args, kwargs)

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """MindSpore's Cell.compile(*inputs): construct traced for these inputs and its program kept for the
        calls that follow, without running it."""
        self._gs_call(args, kwargs, compile_only=True)

    def _gs_call(self, args: tuple, kwargs: dict, compile_only: bool = False) -> Any:
        programs = self.__dict__.get("_gs_programs")
        if programs is None:  # (Cell.__init__ not run)
            raise AttributeError(f"The '{type(self).__name__}' object does not inherit attribute from 'cell'. Please "
                                 "use 'super().__init__()'.")
        construct = self.construct
        _check_self(type(self).construct, len(args), type(self))
        if kwargs:
            _unexpected_keywords(construct, type(self).__name__, kwargs)
            bound = inspect.signature(construct).bind(*args, **kwargs)
            args, kwargs = bound.args, bound.kwargs  # kwargs left: keyword-only and **kwargs parameters
        if kwargs:
            construct, args = _with_keywords(late.loops(construct), args, kwargs)  # (loops: call is ours)
        if current() is not None:
            if has_bprop(self):
                return call_with_bprop(self, args)
            return late.loops(construct)(*args)
        spec = self.__dict__.get("_gs_input_spec")
        if spec is not None:
            check_inputs(spec, args, type(self).__name__)
        eager = context.get_context("mode") == context.PYNATIVE_MODE and not getattr(self.construct, "_gs_jit", False) \
            and not getattr(type(self), "_gs_jit_class", False)  # (a @jit construct's inputs are two, as GRAPH_MODE's)
        with top_level_aliases(eager):
            out = run_program(late.loops(construct), args, cache=programs, label=type(self).__name__,
                              compile_only=compile_only or (context.precompile_only()
                                                            and context.get_context("mode") == context.GRAPH_MODE))
        return _strict_outputs(out)

    @property
    def cls_name(self) -> str:
        """The Cell's class name (MindSpore's; its optimizers' argument checks name it)."""
        return self.__dict__.get("_gs_cls_name", type(self).__name__)

    @cls_name.setter
    def cls_name(self, value: str) -> None:
        object.__setattr__(self, "_gs_cls_name", value)

    def trace_cache_info(self):
        """(hits, misses, maxsize, currsize, evictions) of this Cell's traces (_trace.TraceCache)."""
        return self.__dict__.get("_gs_programs", TraceCache()).info()

    # -- hooks (PyNative; see _hooks) --------------------------------------------------------------
    def register_forward_pre_hook(self, hook_fn, with_kwargs=False):
        return _hooks.register_cell_hook(self, "fwd_pre", hook_fn, with_kwargs)

    def register_forward_hook(self, hook_fn, with_kwargs=False):
        return _hooks.register_cell_hook(self, "fwd", hook_fn, with_kwargs)

    def register_backward_pre_hook(self, hook_fn):
        return _hooks.register_cell_hook(self, "bwd_pre", hook_fn)

    def register_backward_hook(self, hook_fn):
        return _hooks.register_cell_hook(self, "bwd", hook_fn)

    # -- parameters ------------------------------------------------------------------------------
    def _own_params(self, registered: bool = False) -> list:
        """(key, Parameter) of the cell's own Parameters, MindSpore's: a Parameter attribute under the
        attribute's name, a ParameterTuple's (or a list's, a dict's) items under their names when set.
        registered: only those MindSpore registers (not a plain list's, tuple's or dict's). MindSpore keeps the
        registered ones in one dict by key, so a ParameterTuple item whose name an earlier one has replaces it in
        place (checked in 2.10, both modes: two ParameterTuples of a 'name_a' list the later one once)."""
        out: list = []
        tuple_keys = self.__dict__.get("_gs_tuple_keys", {})
        at: dict = {}  # a registered key -> its place in out
        for k, v in vars(self).items():
            if k.startswith("_gs_") or (registered and isinstance(v, (list, tuple, dict))
                                        and not isinstance(v, (ParameterTuple, Cell))):
                continue
            if isinstance(v, Parameter):
                at.setdefault(k, len(out))
                out.append((k, v))
            elif isinstance(v, ParameterTuple):
                keys = tuple_keys.get(k, ())
                for i, x in enumerate(v):
                    key = keys[i] if i < len(keys) else x.name
                    if key in at:
                        out[at[key]] = (key, x)
                    else:
                        at[key] = len(out)
                        out.append((key, x))
            elif isinstance(v, (list, tuple)) and not isinstance(v, (Tensor, Cell)):
                keys = tuple_keys.get(k, ())
                out += [(keys[i] if i < len(keys) else x.name, x) for i, x in enumerate(v) if isinstance(x, Parameter)]
            elif isinstance(v, dict):
                out += [(x.name, x) for x in v.values() if isinstance(x, Parameter)]
        return out

    def _child_cells(self, registered: bool = False) -> list:
        """(attribute path, Cell) of the cell's direct sub-cells: attributes, a CellList's items, and the items
        of a tuple, list or dict attribute of Cells (gradserve also counts those, unless `registered`: MindSpore
        does not)."""
        out = []
        for k, v in vars(self).items():
            if k.startswith("_gs_") or (registered and not isinstance(v, Cell)):
                continue
            if isinstance(v, Cell):
                out.append((k, v))
            elif isinstance(v, (list, tuple)) and not isinstance(v, Tensor):
                out += [(f"{k}.{i}", x) for i, x in enumerate(v) if isinstance(x, Cell)]
            elif isinstance(v, dict):
                out += [(f"{k}.{i}", x) for i, x in v.items() if isinstance(x, Cell)]
        if isinstance(self, list):  # a CellList's cells are its items
            out += [(str(i), x) for i, x in enumerate(self) if isinstance(x, Cell)]
        return out

    def name_cells(self):
        """OrderedDict of the cell's direct sub-cells MindSpore registers, by attribute name (MindSpore's)."""
        return collections.OrderedDict(self._child_cells(registered=True))

    def cells_and_names(self, cells=None, name_prefix: str = ""):
        """(path, Cell) of this cell and every cell inside it, once each, depth first (MindSpore's)."""
        return self._cells_and_names(set() if cells is None else cells, name_prefix, False)

    def _cells_and_names(self, cells: set, name_prefix: str, registered: bool):
        if id(self) in cells:
            return
        cells.add(id(self))
        yield name_prefix, self
        for k, c in self._child_cells(registered):
            yield from c._cells_and_names(cells, f"{name_prefix}.{k}" if name_prefix else k, registered)

    def parameters_and_names(self, name_prefix: str = "", expand: bool = True):
        """(path, Parameter) of each Parameter once: its attribute path from this cell ('block.fc.weight'),
        which need not be its name (MindSpore's)."""
        return self._parameters_and_names(name_prefix, expand, False)

    def _parameters_and_names(self, name_prefix: str, expand: bool, registered: bool):
        seen: set = set()
        cells = self._cells_and_names(set(), name_prefix, registered) if expand else [(name_prefix, self)]
        for path, cell in cells:
            for k, p in cell._own_params(registered):
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{path}.{k}" if path else k), p

    def update_parameters_name(self, prefix: str = "", recurse: bool = True) -> None:
        """Names each Parameter `prefix` + its path from this cell: what assigning the cell to attribute `a` of
        a cell does with 'a.' (MindSpore's; given names too, so the last parent names a shared Parameter).
        Parameters and cells held in plain lists, tuples or dicts, which MindSpore does not register, keep
        their names (an imported model's, say)."""
        if not isinstance(prefix, str):
            raise TypeError(f"update_parameters_name: prefix must be a str, got {type(prefix).__name__}")
        for path, p in list(self._parameters_and_names("", recurse, True)):
            p.name = prefix + path

    def _own_and_child_params(self):
        if "_gs_programs" not in self.__dict__:  # (Cell.__init__ not run: MindSpore 2.10's error, its Cell's _params)
            raise AttributeError(f"The '{type(self).__name__}' object has no attribute '_params'.")
        return [p for _, p in self.parameters_and_names()]

    def get_parameters(self, expand: bool = True):
        refuse("function", "mindspore.nn.cell.Cell.get_parameters")  # (in a program's graph: MindSpore's refusal)
        return iter(self._own_and_child_params())

    def trainable_params(self, recurse: bool = True) -> list[Parameter]:
        refuse("function", "mindspore.nn.cell.Cell.trainable_params")
        return [p for p in self._own_and_child_params() if p.requires_grad]

    def untrainable_params(self, recurse: bool = True) -> list[Parameter]:
        refuse("function", "mindspore.nn.cell.Cell.untrainable_params")
        return [p for p in self._own_and_child_params() if not p.requires_grad]

    def flatten_weights(self, fusion_size: int = 0) -> None:
        """MindSpore packs the trainable Parameters into contiguous buffers (a memory layout for its fused
        optimizers); gradserve's Parameters are separate arrays sent with each run, so there is nothing to pack
        and every value and update stays the same."""
        if isinstance(fusion_size, bool) or not isinstance(fusion_size, int) or fusion_size < 0:
            raise TypeError(f"flatten_weights: fusion_size must be an int >= 0, got {fusion_size!r}")

    def parameters_dict(self, recurse: bool = True) -> dict:
        """{Parameter's name: Parameter} (MindSpore's OrderedDict: keyed by the names the Parameters carry)."""
        return {p.name: p for p in self._own_and_child_params()}

    def cells(self):
        return [v for v in vars(self).values() if isinstance(v, Cell)]

    def set_inputs(self, *inputs, **kwargs) -> None:
        """Declare the inputs' dtypes and shapes (None / -1 where a dimension varies). Calls are
        checked against them; each concrete shape signature is traced once and cached. By keyword
        (`set_inputs(y=...)`, MindSpore's incremental mode) only the named inputs are declared."""
        spec: tuple | dict = _keyword_spec(self.construct, inputs, kwargs) if kwargs else inputs
        object.__setattr__(self, "_gs_input_spec", spec)

    def get_inputs(self):
        return self.__dict__.get("_gs_input_spec")

    @property
    def _dynamic_shape_inputs(self):
        """MindSpore's attribute for what set_inputs declared (None before); its test helpers read it."""
        return self.__dict__.get("_gs_input_spec")

    def init_parameters_data(self, auto_parallel_mode: bool = False) -> dict:
        """Parameters hold their values from creation: nothing to initialise later."""
        return {p: p for p in self._own_and_child_params()}

    training = False  # MindSpore's Cells start in inference mode

    def to_float(self, dst_type) -> "Cell":
        """The cell's ops (its children's too) take their floating inputs, Parameters included, as dst_type
        (float16, bfloat16 or float32; MindSpore's to_float; the results keep that dtype)."""
        name = str(getattr(dst_type, "name", dst_type))
        if name not in ("float16", "bfloat16", "float32"):
            raise ValueError(f"{type(self).__name__}.to_float: dst_type must be float16, bfloat16 or float32, got {name}")
        _amp_cast.mark(self, (name, None, None))
        return self

    def set_train(self, mode: bool = True) -> "Cell":
        """Training mode for this cell and its sub-cells (BatchNorm uses batch statistics)."""
        if bool(mode) != self.training:
            mode_epoch[0] += 1  # every cached trace may hold this cell in its old mode (run_program drops them)
            self.__dict__.get("_gs_programs", {}).clear()  # traces made in the other mode are stale
        # (the same mode again, `net.set_train()` at each epoch: its traces stand)
        object.__setattr__(self, "training", bool(mode))
        for c in self.cells():
            c.set_train(mode)
        return self

    def recompute(self, **kwargs) -> None:
        """MindSpore's recompute (keep no activations, recompute them in backward) trades memory for time;
        the values and gradients are the same, and the service plans memory itself: only the mark stays,
        on this cell and every cell inside it (get_scope() is 'recompute_' then, as MindSpore 2.10's)."""
        object.__setattr__(self, "_gs_scope", "recompute_")
        for c in self.cells():
            c.recompute(**kwargs)

    def get_scope(self):
        """MindSpore's scope mark: 'recompute_' after recompute() on this cell or one enclosing it, else None."""
        return self.__dict__.get("_gs_scope")

    def set_grad(self, requires_grad: bool = True) -> "Cell":
        return self

    def set_jit_config(self, jit_config) -> None:
        """MindSpore's compile options (gradserve._jit_config: none changes a value), kept as MindSpore keeps
        them: the first setting only."""
        if not self.__dict__.get("_jit_config_dict"):
            object.__setattr__(self, "_jit_config_dict", dict(jit_config.jit_config_dict))

    def extend_repr(self) -> str:
        """The cell's own settings in its repr (MindSpore's hook for subclasses): none by default."""
        return ""

    def __repr__(self) -> str:
        """MindSpore 2.10's form: `Name(settings)`, or its sub-cells one per line as `(name): repr`."""
        extra, children = self.extend_repr(), self.name_cells()
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = ([extra] if extra else []) + [f"({key}): {cell!r}" for key, cell in children.items()]
        return f"{type(self).__name__}(\n  " + "\n".join(lines).replace("\n", "\n  ") + "\n)"


def _keyword_spec(construct, inputs: tuple, kwargs: dict) -> dict:
    """set_inputs by keyword: MindSpore 2.10's dict form of what it declares (get_inputs gives it), its texts."""
    if inputs:
        raise ValueError(f"For Cell, set_inputs should only set inputs or kwargs(inputs: {inputs}, kwargs: {kwargs})!")
    names = [p.name for p in inspect.signature(construct).parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for k in kwargs:
        if k not in names:
            raise ValueError(f"For dict mode, valid key is {names}, but got {k}!")
    return {"arg_specified_infos": [[names.index(k), v] for k, v in kwargs.items()], "total_arg_length": len(names)}


def check_inputs(spec, args, where: str) -> None:
    """Arguments against a `set_inputs` declaration: count, rank, dtype and every fixed dimension; by keyword
    only the declared ones (an input the call leaves to its default is not checked); none: nothing (MindSpore)."""
    if isinstance(spec, dict):
        pairs = [(args[i], s, i) for i, s in spec["arg_specified_infos"] if i < len(args)]
    elif not spec:
        return
    elif len(spec) != len(args):
        raise ValueError(f"{where}: set_inputs declared {len(spec)} input(s), the call gives {len(args)}")
    else:
        pairs = [(a, s, i) for i, (s, a) in enumerate(zip(spec, args))]
    for a, s, i in pairs:
        if not isinstance(s, Tensor):
            continue
        if not isinstance(a, Tensor):
            raise TypeError(f"{where}: input {i} must be a Tensor (set_inputs), got {type(a).__name__}")
        if a._dtype != s._dtype:
            raise TypeError(f"{where}: input {i} is {a.dtype}, set_inputs declared {s.dtype}")
        if tuple(s.shape) == (-2,):  # a dynamic-rank declaration: any shape
            continue
        if not a.shape and all(d < 0 for d in s.shape):  # a 0-d input to [None, ...]: MindSpore 2.10 takes it
            continue
        if len(a.shape) != len(s.shape) or any(d >= 0 and d != e for d, e in zip(s.shape, a.shape)):
            raise ValueError(f"{where}: input {i} has shape {list(a.shape)}, set_inputs declared "
                             f"{[None if d < 0 else d for d in s.shape]}")


_pyguard.cell_types[0] = Cell  # (a PyNative trace's guards read Cells' attributes: _pyguard)


def recompute(block, *args, use_reentrant=True, output_recompute=False, early_stop=True, context_fn=None, **kwargs):
    """mindspore.recompute(block, *args): block(*args) whose activations MindSpore recomputes in backward rather
    than keeps; the values and gradients are the same, and the service plans memory itself (Cell.recompute). Its
    argument checks are MindSpore 2.10's."""
    if output_recompute:
        use_reentrant = False
    if use_reentrant and not isinstance(block, Cell):
        raise TypeError("Recompute function now only support block which inherited from Cell when use_reentrant=True!")
    if use_reentrant and context_fn is not None:
        raise ValueError("context_fn is only supported when use_reentrant=False.")
    return block(*args, **kwargs)
