"""Constants: fill, literal tensors, zeros_like / ones_like (no derivative flows through them)."""
from __future__ import annotations

from ._infer import rule_infer
from .registry import Attr, defop, impl_rules

defop("fill", 0, rule_infer("fill"),
      attrs={"shape": Attr("shape"), "value": Attr("float"), "dtype": Attr("dtype")},
      nondiff=True, doc="tensor of `shape` filled with `value`")
impl_rules["fill"] = lambda xp, shape, value, dtype: xp.full(shape, value, dtype=getattr(xp, dtype))


defop("const", 0, rule_infer("const"), attrs={"value": Attr("any")}, nondiff=True, doc="a literal tensor")
impl_rules["const"] = lambda xp, value: xp.asarray(value)

for _name, _v in (("zeros_like", 0.0), ("ones_like", 1.0)):
    defop(_name, 1, rule_infer(_name), nondiff=True, doc=f"{_name}(x)")
    impl_rules[_name] = (lambda xp, x, _v=_v: xp.full(x.shape, _v, dtype=x.dtype))
