"""`mindspore._extends`: `cell_attr_register` (MindSpore records __init__ arguments for
serialisation; nothing to record here, so the decorator returns __init__ as it is)."""


def cell_attr_register(fn=None, attrs=None):
    if fn is None or not callable(fn):
        return lambda f: f
    return fn


__all__ = ["cell_attr_register"]
