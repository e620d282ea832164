"""`mindspore._extends.parse`: MindSpore's graph-compiler front end. Programs reach in for `compile_config`,
a bag of compiler switches (e.g. CHECK_BPROP) they set and reset; gradserve has no such compiler, so the
switches are recorded and have no effect. A switch programs read before setting starts at MindSpore 2.10's
default ('' : unset): FALLBACK_SUPPORT_LIST_DICT_INPLACE (gradserve's graph-mode lists and dicts are Python's,
changed in place either way)."""
from types import SimpleNamespace

compile_config = SimpleNamespace(FALLBACK_SUPPORT_LIST_DICT_INPLACE="")

__all__ = ["compile_config"]
