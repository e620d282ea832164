"""MindSpore's training idioms: optimizers, losses, WithLossCell, TrainOneStepCell (re-exported by `nn`).

Optimizers update Parameters here, in the client, on NumPy (the weights live where the loop
runs; only the gradient is asked of the service), with MindSpore's update formulas (its
`nn.SGD`, `nn.Momentum`, `nn.Adam` documentation). A trained Parameter is data, not part of
the graph (see `_trace._frozen`), so new weights never make a new graph on the service.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import _graph_steps
from . import ops as _ops
from ._tensor import Parameter, ParameterTuple, Tensor
from ._cellbase import Cell
from ._late import late
from ._misc import current_trace
from .ops._hypermap import HyperMap, Map


def _array(x) -> np.ndarray:
    return x._data if isinstance(x, Tensor) and x._data is not None else np.asarray(x)


def _scalar(v, name: str) -> float:
    if isinstance(v, Tensor) and v.size == 1:
        return float(v.item())
    if not isinstance(v, (int, float, np.floating, np.integer)) or isinstance(v, bool):
        raise TypeError(f"{name} must be a number, got {type(v).__name__}")
    return float(v)


def _is_seq(v) -> bool:
    return isinstance(v, (list, tuple, np.ndarray)) or (isinstance(v, Tensor) and v.size != 1)


def _lr_parameter(v, name: str) -> Parameter | None:
    """MindSpore's form of a fixed or per-step rate: a float32 Parameter named `name` (0-d, or the per-step
    values: a number stays 0-d beside another group's sequence, as in MindSpore 2.10). None for a schedule."""
    if callable(v) and not isinstance(v, Tensor):
        return None
    if _is_seq(v):
        arr = np.asarray(_array(v) if isinstance(v, Tensor) else v, dtype=np.float32).reshape(-1)
        if arr.size == 0:
            raise ValueError(f"{name}: an empty learning-rate sequence")
    else:
        arr = np.array(_scalar(v, name), np.float32)
    return Parameter(Tensor(arr), name=name, requires_grad=False)


def _schedule(v, name: str, lr_param: Parameter | None = None):
    """step (0-based) -> learning rate: read from its Parameter (a value, or a per-step sequence:
    MindSpore's dynamic learning rate, step t uses lr[t], the last value after the end; assigning the
    Parameter changes the next steps, as ReduceLROnPlateau does) or a callable of the step."""
    if lr_param is not None:
        def rate(t):
            a = lr_param._data
            return float(a) if a.ndim == 0 else float(a[min(t, a.size - 1)])
        return rate
    if callable(v) and not isinstance(v, Tensor):
        # a Cell (a LearningRateSchedule) runs its construct eagerly, on NumPy here: its call was a program of its
        # own, a request every step beside the gradient's; the eager kernels are the engine's (_eager)
        f = v.construct if isinstance(v, Cell) else v
        return lambda t: float(np.asarray(_array(f(Tensor(np.array(t, np.int32))))).reshape(-1)[0])
    c = _scalar(v, name)
    return lambda t: c


def _order_params(items: list) -> list | None:
    """The `{'order_params': [...]}` group of MindSpore's grouped form: the order the optimizer keeps its
    Parameters (and takes their gradients) in, whatever the groups' order; None without one."""
    orders = [it["order_params"] for it in items if isinstance(it, dict) and "order_params" in it]
    for it in items:
        if isinstance(it, dict) and "params" not in it and "order_params" not in it:
            raise KeyError(f"an optimizer's group needs 'params' or 'order_params', got keys {sorted(it)}")
    return list(orders[-1]) if orders else None


def _reordered(params: list, groups: list, order: list) -> tuple[list, list]:
    """params and their groups in `order` (the same Parameters, as MindSpore requires: else ValueError)."""
    at = {id(p): i for i, p in enumerate(params)}
    if len(order) != len(params) or any(id(p) not in at for p in order):
        raise ValueError("The value of 'order_params' must be the same Parameters as those of the groups' 'params'")
    return [params[at[id(p)]] for p in order], [groups[at[id(p)]] for p in order]


def _dynamic_lr(learning_rate, items: list) -> int | None:
    """The length of the per-step rates where some rate is a sequence (they must share it: MindSpore's
    ValueError), 0 where one is a schedule, else None."""
    rates = [learning_rate, *(it["lr"] for it in items if isinstance(it, dict) and "lr" in it)]
    lens = {len(r) if not isinstance(r, Tensor) else r.size for r in rates if _is_seq(r)}
    if len(lens) > 1:
        raise ValueError("the dynamic learning rates of an optimizer's groups must have the same length")
    if lens:
        return lens.pop()
    return 0 if any(callable(r) and not isinstance(r, Tensor) for r in rates) else None


def _decay(v, name: str):
    """A weight decay: a number, or (MindSpore's dynamic weight decay) a Cell / callable of the 0-based
    global step, asked once a step. A Tensor or Parameter is MindSpore 2.10's TypeError (it takes int, float or
    Cell only: a decay that changes is a Cell)."""
    if isinstance(v, Tensor):
        raise TypeError(f"For 'Optimizer', the argument 'Weight_decay' must be int, float or Cell.but got {type(v)}")
    if callable(v):
        return _schedule(v, name)
    return _scalar(v, name)


def _plain_rule(params, groups) -> tuple | None:
    """(the learning-rate schedule, the dtype) where every parameter's update may take the plain step
    (`Optimizer._plain_step`): one floating dtype, one learning-rate schedule, no weight decay; else None."""
    dts = {p._data.dtype for p in params}
    lrs = {id(g["lr"]) for g in groups}
    if len(dts) != 1 or len(lrs) != 1 or any(callable(g["weight_decay"]) or g["weight_decay"] for g in groups):
        return None
    dt = dts.pop()
    return (groups[0]["lr"], dt) if dt.kind == "f" else None


def _decay_exempt(p: Any) -> bool:
    """MindSpore's default for parameters not in a group: weight decay skips those whose name holds 'beta'
    or 'gamma' (the norm layers' shift and scale); a group's weight_decay applies to all of its parameters."""
    name = getattr(p, "name", None) or ""
    return "beta" in name or "gamma" in name


class _RateCell(Cell):
    """A dynamic learning rate's holder (MindSpore's _IteratorLearningRate / _ConvertToCell): `.learning_rate`
    is the rate's Parameter."""

    def __init__(self, learning_rate: Parameter):
        super().__init__(auto_prefix=False)
        self.learning_rate = learning_rate

    def construct(self, global_step):
        a = self.learning_rate
        return a if a.ndim == 0 else a[_ops.minimum(global_step, a.shape[0] - 1)]


_BF16 = np.dtype("bfloat16")  # (ml_dtypes', registered by gradserve.dtype)


def _widen_state(st: Any) -> Any:
    """An optimizer state (None, an array, or a tuple / list of them) with its bfloat16 arrays as float32."""
    if isinstance(st, (tuple, list)):
        return type(st)(_widen_state(x) for x in st)
    return st.astype(np.float32) if isinstance(st, np.ndarray) and st.dtype == _BF16 else st


def _round_state(new: Any, old: Any) -> Any:
    """`new` with each array that was bfloat16 in `old` rounded back to bfloat16."""
    if isinstance(new, (tuple, list)) and isinstance(old, (tuple, list)) and len(new) == len(old):
        return type(new)(_round_state(n, o) for n, o in zip(new, old))
    return np.asarray(new).astype(_BF16) if isinstance(old, np.ndarray) and old.dtype == _BF16 else new


class _Slot:
    """A state array kept in the SDK only (a slot MindSpore does not make, e.g. RMSProp's mean_grad uncentered)."""
    __slots__ = ("_data",)

    def __init__(self, a: np.ndarray):
        self._data = a

    def _bump(self) -> None:
        pass


class _StateSlots:
    """An optimizer's state held as MindSpore holds it, one Parameter per slot and parameter (`moment1.fc.weight`):
    state[i] reads parameter i's state from them (its one array, or a tuple of one per slot) and state[i] = st
    writes it back, so a checkpoint holds the state and a loaded one is what the next step reads."""
    __slots__ = ("slots", "single", "rows")

    def __init__(self, slots: list, single: bool):
        self.slots, self.single = slots, single
        self.rows = list(zip(*slots))  # (each parameter's holders, one per slot: what a step reads and writes)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> Any:
        if self.single:
            return self.rows[i][0]._data
        return tuple([p._data for p in self.rows[i]])  # (a list first: ~2x faster than a generator's tuple)

    def __setitem__(self, i: int, st: Any) -> None:
        for p, a in zip(self.rows[i], (st,) if self.single else st):
            if a is not p._data:  # (a slot the step left as it was: no new version)
                p._data = a if type(a) is np.ndarray else np.asarray(a, p._data.dtype)
                p._bump()

    def __iter__(self):
        return (self[i] for i in range(len(self)))


def _slot_name(prefix: str, key: str) -> str:
    """A state Parameter's name: `prefix.key` (ParameterTuple.clone's), or prefix's '{}' filled (ASGD's 'mu_{}')."""
    return prefix.format(key) if "{}" in prefix else f"{prefix}.{key}"


def _state_slots(state: list, params: list, keys: tuple, prefixes: tuple) -> tuple[_StateSlots, list]:
    """The state of `_init_state` as Parameters `<prefix>.<parameter's name>` (a None prefix: an SDK-side slot),
    float state in each Parameter's dtype (MindSpore's clone); and (key, Parameter) of the named slots."""
    single = not isinstance(state[0], tuple)
    rows = [(st,) if single else st for st in state]
    slots: list[Any] = []  # (a ParameterTuple, or a list of _Slot, per slot)
    named: list = []
    for k, prefix in enumerate(prefixes):
        if prefix is None:
            slots.append([_Slot(r[k]) for r in rows])
            continue
        tup = ParameterTuple(Parameter(Tensor(np.asarray(r[k])), name=_slot_name(prefix, key),
                                       requires_grad=p.requires_grad) for r, p, key in zip(rows, params, keys))
        slots.append(tup)
        named.append((prefix, tup))
    return _StateSlots(slots, single), named


class Optimizer(Cell):
    """Base of the optimizers: `opt(grads)` updates `opt.parameters` in place, grads in the same order.

    `params` is a list of Parameters, or of groups `{"params": [...], "lr": ..., "weight_decay": ...}`
    (MindSpore's grouped form; a group's keys override the optimizer's arguments). A learning rate is
    a number, a per-step sequence or a callable of the step (see `_schedule`)."""

    def __init__(self, learning_rate, parameters, weight_decay: float = 0.0, loss_scale: float = 1.0):
        super().__init__(auto_prefix=False)
        params, self._group = [], []
        plain: dict | None = None
        undecayed: dict | None = None
        items = list(parameters)
        if not items:
            raise ValueError("For 'Optimizer', the argument parameters must not be empty.")  # (MindSpore 2.10's text)
        order = _order_params(items)
        items = [it for it in items if not (isinstance(it, dict) and "params" not in it)]
        self.is_group = any(isinstance(it, dict) for it in items)
        self.is_group_lr = any(isinstance(it, dict) and "lr" in it for it in items)
        n_steps = _dynamic_lr(learning_rate, items)
        self.dynamic_lr = n_steps is not None
        self.is_group_params_ordered = order is not None
        default_lr = _lr_parameter(learning_rate, "learning_rate")
        default_rate = _schedule(learning_rate, "learning_rate", default_lr)
        self._gs_lr_of: list = []  # each parameter's learning-rate Parameter (or schedule), as `_group`
        for gi, it in enumerate(items):
            if isinstance(it, dict):
                lr_p = _lr_parameter(it["lr"], f"learning_rate_group_{gi}") if "lr" in it else default_lr
                group = {"lr": _schedule(it["lr"], "lr", lr_p) if "lr" in it else default_rate,
                         "weight_decay": _decay(it.get("weight_decay", weight_decay), "weight_decay")}
                for p in it["params"]:
                    params.append(p)
                    self._group.append(group)
                    self._gs_lr_of.append(lr_p if lr_p is not None else it.get("lr", learning_rate))
            else:  # the optimizer's own arguments: one group for all such parameters (its rate asked once a step)
                if plain is None:
                    plain = {"lr": default_rate, "weight_decay": _decay(weight_decay, "weight_decay")}
                    undecayed = {"lr": plain["lr"], "weight_decay": 0.0}
                params.append(it)
                self._group.append(undecayed if undecayed is not None and _decay_exempt(it) else plain)
                self._gs_lr_of.append(default_lr if default_lr is not None else learning_rate)
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(f"optimizers update Parameters, got {type(p).__name__}")
        if len({id(p) for p in params}) != len(params):
            raise RuntimeError(f"{type(self).__name__}: a Parameter is in more than one group (MindSpore's error)")
        if order is not None:
            _, self._gs_lr_of = _reordered(params, self._gs_lr_of, order)
            params, self._group = _reordered(params, self._group, order)
        self._gs_params = ParameterTuple(params)  # (clone: how MindSpore's optimizers make their moments)
        self._gs_param_keys = tuple(p.name for p in params)
        self._gs_wd_arg = weight_decay
        self.loss_scale = _scalar(loss_scale, "loss_scale")
        self._gs_state: Any = [self._init_state(p._data) for p in params]  # (a list, or _StateSlots below)
        self._gs_slot_params: list = []  # (key, ParameterTuple) of the state's Parameters, MindSpore's order
        if self._state_prefixes:
            self._gs_state, self._gs_slot_params = _state_slots(self._gs_state, params, self._gs_param_keys,
                                                                self._state_prefixes)
        self._gs_extra: list = []  # (key, Parameter) of hyper-parameters MindSpore keeps as Parameters (momentum)
        # the steps taken: MindSpore's int32 Parameter of shape (1,), saved and loaded with the checkpoint
        object.__setattr__(self, "global_step", Parameter(Tensor(np.zeros(1, np.int32)), name="global_step"))
        self._gs_plain = _plain_rule(params, self._group)

    @property
    def parameters(self) -> tuple:
        return self._gs_params

    def _own_params(self, registered: bool = False) -> list:
        """MindSpore's order: global_step, a fixed learning rate, the network's Parameters it updates (under
        their names when it was built: a cell that puts it under attribute `a` renames them `a.<that name>`),
        the hyper-parameters and state Parameters, then a per-step rate's (held by a cell `learning_rate`)."""
        rates = {id(x): x for x in self._gs_lr_of if isinstance(x, Parameter)}
        fixed = [(x.name if self.is_group_lr else "learning_rate", x) for x in rates.values() if not self.dynamic_lr]
        steps = [("learning_rate.learning_rate" if len(rates) == 1 else f"learning_rate.{i}.learning_rate", x)
                 for i, x in enumerate(rates.values()) if self.dynamic_lr]
        slots = [(_slot_name(k, key), p) for k, tup in self._gs_slot_params for key, p in zip(self._gs_param_keys, tup)]
        out = [("global_step", self.global_step), *fixed, *zip(self._gs_param_keys, self._gs_params),
               *self._gs_extra, *slots, *steps]
        seen = {id(p) for _, p in out}
        return out + [(k, p) for k, p in super()._own_params(registered) if id(p) not in seen]

    def _steps_done(self) -> int:
        """The steps taken (global_step's value: a loaded checkpoint's, too; the memo holds the array it wrote)."""
        a, memo = self.global_step._data, self.__dict__.get("_gs_steps_memo")
        return memo[1] if memo is not None and memo[0] is a else int(a.reshape(-1)[0])

    def _set_steps(self, n: int) -> None:
        """global_step = n, in place in the array the last step wrote (no one else holds it: asnumpy hands out
        a copy it puts in its place), else in a new one (a loaded or handed-out array keeps its value)."""
        gs, memo = self.global_step, self.__dict__.get("_gs_steps_memo")
        if memo is not None and memo[0] is gs._data:
            memo[0][0] = memo[1] = n
        else:
            a = gs._data = np.empty(1, np.int32)
            a[0] = n
            self.__dict__["_gs_steps_memo"] = [a, n]
        gs._bump()

    def _next_step(self) -> int:
        """global_step += 1 (as _set_steps: one call a step on the loop's path); the new value."""
        memo = self.__dict__.get("_gs_steps_memo")
        if memo is None or memo[0] is not self.global_step._data:
            self._set_steps(self._steps_done() + 1)
            return self.__dict__["_gs_steps_memo"][1]
        n = memo[1] = memo[1] + 1
        memo[0][0] = n
        self.global_step._bump()
        return n

    def _hyper_parameter(self, name: str, value: float) -> Parameter:
        """A hyper-parameter MindSpore keeps as a float32 0-d Parameter `name` (Momentum's momentum): its value is
        read at each step, so a loaded checkpoint's is the one used."""
        p = Parameter(Tensor(np.array(value, np.float32)), name=name)
        self._gs_extra.append((name, p))
        return p

    @property
    def learning_rate(self):
        """MindSpore's form: the rate's float32 Parameter; with a dynamic rate a Cell holding it as
        `.learning_rate` (the schedule Cell for a schedule); with groups' rates a tuple of each parameter's."""
        rates = [_RateCell(x) if self.dynamic_lr and isinstance(x, Parameter) else x for x in self._gs_lr_of]
        if self.is_group_lr:
            return ParameterTuple(rates) if all(isinstance(x, Parameter) for x in rates) else tuple(rates)
        return rates[0]

    @property
    def weight_decay(self):
        """MindSpore's form: with groups a tuple of each parameter's (a float32 Tensor, or its schedule);
        else the optimizer's, a float32 Tensor (or the schedule)."""
        if not self.is_group:
            wd = self._gs_wd_arg
            return wd if callable(wd) and not isinstance(wd, Tensor) else Tensor(np.array(_scalar(wd, "weight_decay"),
                                                                                           np.float32))
        return tuple(g["weight_decay"] if callable(g["weight_decay"]) else
                     Tensor(np.array(g["weight_decay"], np.float32)) for g in self._group)

    @property
    def decay_flags(self) -> tuple:
        """Whether each parameter's update decays it: with groups, its group's weight decay is > 0 (or a
        schedule); else its name holds neither 'beta' nor 'gamma'."""
        if not self.is_group:
            return tuple(not _decay_exempt(p) for p in self._gs_params)
        return tuple(callable(g["weight_decay"]) or g["weight_decay"] > 0 for g in self._group)

    def get_lr_parameter(self, param):
        """The learning-rate Parameter of a parameter of this optimizer (a list of them for a list)."""
        if isinstance(param, list):
            return [self.get_lr_parameter(p) for p in param]
        if not isinstance(param, Parameter):
            raise TypeError(f"For 'get_lr_parameter', the 'param' must be a Parameter or a list of Parameters, "
                            f"but got {type(param).__name__}.")
        for p, lr in zip(self._gs_params, self._gs_lr_of):
            if p is param:
                return lr
        raise ValueError(f"For 'get_lr_parameter', the parameter {param.name!r} is not one of the optimizer's")

    def get_lr(self) -> Any:
        """The learning rate the next step uses; with groups' own rates a tuple of each parameter's (MindSpore's)."""
        if self.is_group_lr:
            return tuple(g["lr"](self._steps_done()) for g in self._group)
        return self._group[0]["lr"](self._steps_done())

    def _init_state(self, p: np.ndarray, /) -> Any:
        return None

    global_step: Parameter  # (set by __init__; declared: __getattr__'s type is not its)

    # MindSpore's names for the state (one Tensor per parameter), e.g. Adam's `moment1`; an optimizer whose
    # _init_state returns one array (not a tuple) names it with a 1-tuple
    _state_names: tuple = ()
    # the prefixes of the Parameters MindSpore holds that state in (`moment1` -> 'moment1.fc.weight'), one per slot
    # of _init_state's tuple (None: a slot kept in the SDK only); () keeps the whole state in the SDK
    _state_prefixes: tuple = ()

    def __getattr__(self, name):
        names = getattr(type(self), "_state_names", ())  # (a class attribute: never this __getattr__ again)
        state = self.__dict__.get("_gs_state")
        if name in names and isinstance(state, _StateSlots):  # MindSpore's: the ParameterTuple itself
            k = names.index(name)
            if k < len(state.slots) and isinstance(state.slots[k], ParameterTuple):
                return state.slots[k]
        elif name in names and state is not None:
            k = names.index(name)
            if all(isinstance(s, tuple) and k < len(s) for s in state):
                return tuple(Tensor(np.array(s[k])) for s in state)
            if len(names) == 1 and all(isinstance(s, np.ndarray) for s in state):
                return tuple(Tensor(np.array(s)) for s in state)
        getter = getattr(super(), "__getattr__", None)  # (a mixin's, if any)
        if getter is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        return getter(name)

    def __call__(self, gradients):
        if type(self).construct is not Optimizer.construct:
            return self._user_step(gradients)
        if current_trace[0]() is not None and _graph_steps.deferred(self, gradients):
            return True  # (taken after the run of the traced function)
        grads = gradients if type(gradients) is tuple or type(gradients) is list else \
            list(gradients) if isinstance(gradients, (tuple, list)) else [gradients]
        params = self._gs_params
        if len(grads) != len(params):
            raise ValueError(f"{type(self).__name__}: {len(grads)} gradient(s) for {len(params)} parameter(s)")
        step = self._next_step()
        if self._gs_plain is not None and self._plain_now() and self._plain_step(grads, step):
            return True
        lrs: dict = {}  # the step's learning rate per rate and dtype (a schedule is asked once a step, also when
        # it serves two groups: the decayed parameters' and the gamma / beta ones')
        decays: dict = {}  # the step's weight decay per group, where it is a schedule
        decoupled = self._decoupled_decay
        scale, state, update = self.loss_scale, self._gs_state, self._update
        for i, (p, g, grp) in enumerate(zip(params, grads, self._group)):
            g = g._data if type(g) is Tensor and g._data is not None else _array(g)  # (Tensors: the common case)
            w, st = p._data, state[i]
            dt = stored = w.dtype
            if stored == _BF16:  # the update in float32, its results rounded once (the engine's bfloat16 rule)
                w, st, dt = w.astype(np.float32), _widen_state(st), np.dtype(np.float32)
            if g.shape != w.shape:
                raise ValueError(f"{type(self).__name__}: gradient {i} has shape {list(g.shape)}, "
                                 f"parameter {p.name!r} {list(p.shape)}")
            if g.dtype != dt:
                g = g.astype(dt)
            if scale != 1.0:
                g = g / dt.type(scale)
            wd = grp["weight_decay"]
            if callable(wd):
                wd = decays[id(grp)] if id(grp) in decays else decays.setdefault(id(grp), wd(step - 1))
            if wd and not decoupled:
                g = g + dt.type(wd) * w
            lr = lrs.get((id(grp["lr"]), dt))
            if lr is None:
                lr = lrs[(id(grp["lr"]), dt)] = np.array(grp["lr"](step - 1), dt) if self._lr_0d else \
                    dt.type(grp["lr"](step - 1))
            st, new = self._update_decayed(w, g, st, lr, dt.type(wd)) if decoupled else update(w, g, st, lr)
            if stored == _BF16:  # (the state too, as torch keeps an optimizer's state in the parameter's dtype)
                new, st = new.astype(_BF16), _round_state(st, state[i])
            state[i] = st
            p._assign(new)
        return True

    def _plain_now(self) -> bool:
        """Whether this step's update is `_plain_update` (one formula without state) for every parameter;
        False by default."""
        return False

    def _plain_step(self, grads, step: int) -> bool:
        """The step for a plain update (`_plain_update`: one formula, no state, one rate, no weight decay),
        parameter by parameter without the general loop's per-parameter lookups (~40% of its instructions
        on L1's step: benchmarks/LOOPS_REPORT.md). False (nothing done) where a gradient's dtype differs
        from its parameter's (the loop casts it)."""
        params = self._gs_params
        lr_of, dt = self._gs_plain  # type: ignore[misc]
        if dt == _BF16:
            return False  # (the general loop computes bfloat16 in float32)
        gl = []
        for i, (p, g) in enumerate(zip(params, grads)):
            g = g._data if type(g) is Tensor and g._data is not None else _array(g)
            if g.shape != p._shape:
                raise ValueError(f"{type(self).__name__}: gradient {i} has shape {list(g.shape)}, "
                                 f"parameter {p.name!r} {list(p.shape)}")
            if g.dtype is not dt and g.dtype != dt:  # (one dtype object: the common case, no comparison)
                return False
            gl.append(g)
        v, memo = lr_of(step - 1), self.__dict__.get("_gs_lr_memo")
        # (the last step's rate again: a nonzero float equal to it has its bits (no -0.0, no NaN))
        if memo is not None and type(v) is float and v and memo[0] == v and memo[1] is dt:
            lr = memo[2]
        else:  # (a 0-d array of our own: the ufuncs read it, nothing writes it)
            lr = np.array(v, dt)
            self.__dict__["_gs_lr_memo"] = (v, dt, lr)
        update = self._plain_update
        for p, g in zip(params, gl):
            p._data = update(p._data, g, lr)  # (shape and dtype checked above: Parameter._assign without them)
            p._bump()
        return True

    def _plain_update(self, w: np.ndarray, g: np.ndarray, lr: np.ndarray, /) -> np.ndarray:
        """The new weights of a plain update (a fresh array: never in place, users may hold w)."""
        raise NotImplementedError

    _decoupled_decay = False  # True: the weight decay goes to _update_decayed (w, g, state, lr, wd), not into g
    _lr_0d = False  # the rate as a 0-d array instead of a NumPy scalar (a ufunc converts a scalar on every call)

    def _update(self, w: Any, g: Any, state: Any, lr: Any, /) -> tuple[Any, Any]:
        raise NotImplementedError

    def _update_decayed(self, w: Any, g: Any, state: Any, lr: Any, wd: Any, /) -> tuple[Any, Any]:
        raise NotImplementedError

    beta1: float  # (declared for _adam_moments; set by the Adam family's constructors)
    beta2: float

    def _adam_moments(self, g: Any, state: Any, t: Any, /) -> tuple[Any, Any]:
        """Adam's moments (Adam, AdamWeightDecay, Lamb): m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2, with the
        betas and 1 - beta in the parameter's dtype `t`, as MindSpore computes them."""
        m, v = state
        b1, b2 = t(self.beta1), t(self.beta2)
        return b1 * m + (t(1) - b1) * g, b2 * v + (t(1) - b2) * g * g

    def construct(self, *args):
        raise TypeError("optimizers update Parameters in the client: call them outside a traced construct")

    # a subclass's own construct(gradients) maps MindSpore's update primitives over the parameters with these
    hyper_map = HyperMap()
    map_ = Map()
    map_reverse = Map(None, True)

    def _user_step(self, gradients):
        """A subclass's own construct (MindSpore's way of writing an optimizer: primitive updates, assign on
        Parameters), run as a Cell is: traced, its Parameter writes taken back."""
        self._next_step()
        return Cell.__call__(self, gradients)


class SGD(Optimizer):
    """v = momentum * v + (1 - dampening) * g (v = g on the first step); p -= lr * v, or with
    nesterov p -= lr * (g + momentum * v). momentum 0: p -= lr * g."""

    _lr_0d = True  # (~0.7 us less per parameter and step)
    # MindSpore's: `accum` (the momentum buffer v) and `stat` (1 until a parameter's first step with momentum)
    _state_names = _state_prefixes = ("accum", "stat")

    def __init__(self, params, learning_rate=0.1, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, loss_scale: float = 1.0):
        if momentum < 0 or dampening < 0:
            raise ValueError("momentum and dampening must be >= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov needs momentum > 0 and dampening = 0")
        self.momentum, self.dampening, self.nesterov = float(momentum), float(dampening), bool(nesterov)
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self._gs_momentum = self._hyper_parameter("momentum", momentum)

    def _init_state(self, p):
        return np.zeros_like(p), np.ones_like(p)

    def _plain_now(self) -> bool:
        return self.momentum == 0 and self.loss_scale == 1.0

    def _plain_update(self, w, g, lr):
        new = np.multiply(g, lr)  # w - lr * g, as _update computes it (out positional: NumPy parses no keyword)
        return np.subtract(w, new, new) if type(new) is np.ndarray else np.asarray(w - new)

    def _update(self, w, g, state, lr):
        if self.momentum == 0:  # w - lr * g into one fresh array (never in place: users may hold w)
            new = np.multiply(g, lr)  # (accum and stat stay as they are: MindSpore 2.10's SGD without momentum)
            if type(new) is not np.ndarray:  # a 0-d parameter: NumPy gave a scalar
                return state, np.asarray(w - new)
            return state, np.subtract(w, new, new)
        t = w.dtype.type
        v, stat = state
        m = t(self._gs_momentum._data)
        first = stat != 0  # (per element, as MindSpore's kernel: a loaded checkpoint's stat decides)
        later = m * v + t(1 - self.dampening) * g
        v = later if not first.any() else g.copy() if first.all() else np.where(first, g, later)
        if first.any():
            stat = np.zeros_like(stat)
        step = g + m * v if self.nesterov else v
        return (v, stat), w - lr * step


class Momentum(Optimizer):
    """v = momentum * v + g; p -= lr * v, or with use_nesterov p -= lr * g + lr * momentum * v."""

    def __init__(self, params, learning_rate, momentum: float, weight_decay: float = 0.0, loss_scale: float = 1.0,
                 use_nesterov: bool = False):
        if momentum < 0:
            raise ValueError("momentum must be >= 0")
        self.momentum, self.use_nesterov = float(momentum), bool(use_nesterov)
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self._gs_momentum = self._hyper_parameter("momentum", momentum)

    _state_names = _state_prefixes = ("moments",)

    def _init_state(self, p):
        return np.zeros_like(p)

    def _update(self, w, g, v, lr):
        m = w.dtype.type(self._gs_momentum._data)
        v = v * m + g
        return v, (w - (g * lr + v * m * lr) if self.use_nesterov else w - lr * v)


class Adam(Optimizer):
    """m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; l = lr sqrt(1-b2^t) / (1-b1^t);
    p -= l m / (sqrt(v) + eps) (with use_nesterov: l (b1 m + (1-b1) g) / (sqrt(v) + eps); with use_amsgrad:
    l m / (sqrt(vhat) + eps), vhat = max(vhat, v))."""

    def __init__(self, params, learning_rate=1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 use_locking: bool = False, use_nesterov: bool = False, weight_decay: float = 0.0,
                 loss_scale: float = 1.0, use_amsgrad: bool = False, **kwargs):
        # use_lazy (update only the rows a sparse gradient names) and use_offload (run the update on the host)
        # change nothing for the dense gradients computed here: MindSpore 2.10's dense LazyAdam / AdamOffload
        # step is Adam's (its test_adam_op: the same losses)
        unknown = set(kwargs) - {"use_lazy", "use_offload"}
        if unknown:
            raise TypeError(f"Adam.__init__() got unexpected keyword argument(s) {sorted(unknown)}")
        if not isinstance(use_amsgrad, bool):
            raise TypeError(f"For 'Adam', 'use_amsgrad' must be a bool, got {type(use_amsgrad).__name__}")
        if kwargs.get("use_lazy") and kwargs.get("use_offload"):
            raise ValueError("For 'Adam', 'use_lazy' and 'use_offload' can not both be True."  # (MindSpore's text)
                             f"But got use_lazy={kwargs['use_lazy']}, use_offload={kwargs['use_offload']}.")
        if use_amsgrad and (kwargs.get("use_lazy") or kwargs.get("use_offload")):
            raise ValueError("For lazy Adam and Adam with offload, there is no parameter named 'use_amsgrad'."
                             f"but got 'use_amsgrad'={use_amsgrad}.")  # (ditto)
        self.use_amsgrad = use_amsgrad  # (before Optimizer.__init__: _init_state reads it)
        if not (0 < beta1 < 1 and 0 < beta2 < 1) or eps <= 0:
            raise ValueError("Adam needs 0 < beta1, beta2 < 1 and eps > 0")
        self.beta1, self.beta2, self.eps, self.use_nesterov = float(beta1), float(beta2), float(eps), bool(use_nesterov)
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self._gs_beta_p = (self._hyper_parameter("beta1_power", 1.0), self._hyper_parameter("beta2_power", 1.0))

    _state_names = ("moment1", "moment2", "vhat")  # (vhat: with use_amsgrad only, as MindSpore's)

    @property
    def _state_prefixes(self) -> tuple:  # type: ignore[override]
        return self._state_names if self.use_amsgrad else self._state_names[:2]

    def _init_state(self, p):
        return (np.zeros_like(p),) * (3 if self.use_amsgrad else 2)  # m, v (and vhat): never written in place

    def _beta_powers(self, t):
        """beta1 ** step and beta2 ** step as MindSpore 2.10 keeps them: float32 Parameters `beta1_power` and
        `beta2_power` multiplied by the betas once a step, so 1 - beta2 ** step carries float32's rounding
        (1 - float32(0.999) = 0.00099998713: the bias correction 6e-6 off the exact one, which its test_adam_op's
        losses show). Once a step: the memo holds the step and the array it wrote (a loaded one is not it)."""
        b1p, b2p = self._gs_beta_p
        n, memo = self._steps_done(), self.__dict__.get("_gs_beta_memo")
        if memo is None or memo[0] != n or memo[1] is not b1p._data:
            for p, b in ((b1p, self.beta1), (b2p, self.beta2)):
                p._data = np.asarray(p._data * np.float32(b), np.float32)
                p._bump()
            memo = self.__dict__["_gs_beta_memo"] = (n, b1p._data, b1p._data[()], b2p._data[()])
        return (memo[2], memo[3]) if t is np.float32 else (t(memo[2]), t(memo[3]))  # (float32's: no conversion)

    def _update(self, w, g, state, lr):
        t = w.dtype.type
        b1 = t(self.beta1)
        m, v = self._adam_moments(g, state[:2], t)
        b1p, b2p = self._beta_powers(t)
        lr_t = lr * (np.sqrt(t(1) - b2p) / (t(1) - b1p))
        if self.use_amsgrad:  # P.ApplyAdamWithAmsgradV2: the largest v so far in the denominator, no Nesterov
            vhat = np.maximum(state[2], v)
            return (m, v, vhat), w - lr_t * m / (np.sqrt(vhat) + t(self.eps))
        num = b1 * m + (t(1) - b1) * g if self.use_nesterov else m
        return (m, v), w - lr_t * num / (np.sqrt(v) + t(self.eps))



class AdamOffload(Adam):
    """MindSpore 2.10's deprecated nn.AdamOffload: Adam's update run on the host (the same step here, where
    every update is computed from dense gradients)."""

    def __init__(self, params, learning_rate=1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 use_locking: bool = False, use_nesterov: bool = False, weight_decay: float = 0.0,
                 loss_scale: float = 1.0):
        super().__init__(params, learning_rate, beta1, beta2, eps, use_locking, use_nesterov, weight_decay,
                         loss_scale, use_offload=True)

# -- losses ---------------------------------------------------------------------------------------
class LossBase(Cell):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction

    def get_loss(self, x, weights=1.0):
        if not (isinstance(weights, float) and weights == 1.0):
            x = x * weights
        if self.reduction == "mean":
            return _ops.mean(x)
        if self.reduction == "sum":
            return _ops.sum(x)
        return x


class MSELoss(LossBase):
    """mean((logits - labels)^2) (reduction 'mean' | 'sum' | 'none')."""

    def construct(self, logits, labels):
        return self.get_loss(_ops.square(logits - labels))


class L1Loss(LossBase):
    """mean(|logits - labels|)."""

    def construct(self, logits, labels):
        return self.get_loss(_ops.abs(logits - labels))


class CrossEntropyLoss(LossBase):
    """Cross entropy of logits (N, C) or (N, C, d1, ...) against class indices (N, d1, ...) or class probabilities
    of the logits' shape, with optional class `weight`, `ignore_index` and `label_smoothing` (MindSpore's /
    PyTorch's definition: a weighted mean divides by the summed weights of the counted targets)."""

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(reduction)
        self.weight = None if weight is None else Tensor(_array(weight))
        self.ignore_index = int(ignore_index)
        self.label_smoothing = float(label_smoothing)

    def construct(self, logits, labels):
        if logits.ndim > 2:  # (N, C, d1, ...): the class axis is 1 (MindSpore's, torch's); moved last here
            perm = (0, *range(2, logits.ndim), 1)
            logits = _ops.transpose(logits, perm)
            labels = labels if labels._dtype.startswith("int") else _ops.transpose(labels, perm)
        n_cls = logits.shape[-1]
        logp = _ops.log_softmax(logits, axis=-1)
        w = self.weight if self.weight is not None else Tensor(np.ones(n_cls, logits._dtype))
        w = _ops.cast(w, logits._dtype)
        if labels._dtype.startswith("int"):  # class indices: one-hot, ignored targets masked
            onehot = _ops.cast(_ops.expand_dims(labels, -1) == Tensor(np.arange(n_cls, dtype=labels._dtype)),
                               logits._dtype)
            keep = _ops.cast(labels != self.ignore_index, logits._dtype)
            target = onehot
            if self.label_smoothing:
                target = onehot * (1.0 - self.label_smoothing) + self.label_smoothing / n_cls
            per = -_ops.sum(target * logp * w, axis=-1) * keep
            denom = _ops.sum(_ops.sum(onehot * w, axis=-1) * keep)
        else:
            target = labels
            if self.label_smoothing:
                target = labels * (1.0 - self.label_smoothing) + self.label_smoothing / n_cls
            per = -_ops.sum(target * logp * w, axis=-1)
            denom = float(np.prod(labels.shape[:-1])) if labels.ndim > 1 else 1.0  # the rows, N * d1 * ...
        if self.reduction == "mean":
            from .ops._losses_ms import mean_over_weights  # every target ignored: NaN, gradient 0 (MindSpore's)
            return mean_over_weights(_ops.sum(per), denom) if isinstance(denom, Tensor) else _ops.sum(per) / denom
        if self.reduction == "sum":
            return _ops.sum(per)
        return per


# -- training cells -----------------------------------------------------------------------------------
class WithLossCell(Cell):
    """loss_fn(backbone(data), label)."""

    def __init__(self, backbone, loss_fn):
        super().__init__(auto_prefix=False)
        self._backbone = backbone
        self._loss_fn = loss_fn

    def construct(self, data, label):
        return self._loss_fn(self._backbone(data), label)

    @property
    def backbone_network(self):
        return self._backbone


class TrainOneStepCell(Cell):
    """One step: loss and gradients w.r.t. the optimizer's parameters in one request
    (`ops.value_and_grad`), then the optimizer's update here. Returns the loss (before the update).
    `sens` scales the gradients (MindSpore's sens: the cotangent of the loss)."""

    def __init__(self, network, optimizer: Optimizer, sens: float = 1.0, return_grad: bool = False):
        super().__init__(auto_prefix=False)
        self.network = network
        self.optimizer = optimizer
        self.weights = optimizer.parameters
        self.sens = float(sens)
        self.return_grad = bool(return_grad)  # (loss, {parameter name: its gradient}), as MindSpore's
        self._gs_grad = _ops.value_and_grad(network, None, self.weights)

    def __call__(self, *inputs):
        loss, grads = self._gs_grad(*inputs)
        if self.sens != 1.0:
            grads = tuple(g * self.sens for g in grads)
        self.optimizer(grads)
        if self.return_grad:
            return loss, {w.name: g for w, g in zip(self.weights, grads)}
        return loss

    def construct(self, *inputs):
        raise TypeError("TrainOneStepCell runs its optimizer in the client: call it, do not trace it")

    def _gs_compiled_part(self):
        """What compiling this step builds (`_cell_graph_executor.compile`): the network's graph, of which the
        service takes the gradient; the optimizer's update is client code, nothing to compile."""
        return self.network


__all__ = ["Optimizer", "SGD", "Momentum", "Adam", "LossBase", "MSELoss", "L1Loss", "CrossEntropyLoss",
           "WithLossCell", "TrainOneStepCell"]

late.bind(CrossEntropyLoss=CrossEntropyLoss)  # ops.cross_entropy (a lower layer) computes its value
