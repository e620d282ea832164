"""`mindspore.JitConfig`: MindSpore's compile options for a Cell (`Cell.set_jit_config`) or a jit.

They choose how MindSpore compiles and runs a graph (optimisation level, sinking to the device, the
syntax level of its parser, debug records); gradserve traces construct and the service plans the run,
so no option changes a value. The options are checked as MindSpore 2.10 checks them (a misspelt level
is a ValueError there too) and kept in `jit_config_dict`, the attribute programs read."""
from __future__ import annotations

_CHOICES = {"jit_level": ("", "O0", "O1", "O2"), "exc_mode": ("auto", "sink", "no_sink"),
            "jit_syntax_level": ("", "STRICT", "COMPATIBLE", "LAX"), "debug_level": ("RELEASE", "DEBUG"),
            "infer_boost": ("", "on", "off")}


class JitConfig:
    """JitConfig(jit_level="", exc_mode="auto", jit_syntax_level="", debug_level="RELEASE", infer_boost="off",
    **kwargs): MindSpore's signature; every option is recorded and none changes a result."""

    def __init__(self, jit_level: str = "", exc_mode: str = "auto", jit_syntax_level: str = "",
                 debug_level: str = "RELEASE", infer_boost: str = "off", **kwargs) -> None:
        kwargs.pop("suppress_infer_boost_warning", None)
        given = {"jit_level": jit_level, "exc_mode": exc_mode, "jit_syntax_level": jit_syntax_level,
                 "debug_level": debug_level, "infer_boost": infer_boost}
        for name, value in given.items():
            if value not in _CHOICES[name]:
                allowed = [c for c in _CHOICES[name] if c]
                raise ValueError(f"For '{name}' must be one of {allowed}, but got {value!r}.")
        self.jit_config_dict = {**kwargs, **given}
        if "backend" not in self.jit_config_dict and jit_level:
            self.jit_config_dict["backend"] = "GE" if jit_level == "O2" else "ms_backend"

    def __repr__(self) -> str:
        return f"JitConfig({self.jit_config_dict})"
