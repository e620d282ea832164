"""`mindspore._extends.parse`: MindSpore's graph-compiler front end. Programs reach in for `compile_config`,
a bag of compiler switches (e.g. CHECK_BPROP) they set and reset; gradserve has no such compiler, so the
switches are recorded and have no effect."""
from types import SimpleNamespace

compile_config = SimpleNamespace()

__all__ = ["compile_config"]
