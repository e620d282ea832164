"""`mindspore.common._pijit_context`: MindSpore's bytecode-capture (pi_jit) context. gradserve has no bytecode
capture; as `jit(capture_mode="bytecode")` (_jit.bytecode_capture), `PIJitCaptureContext(jit_config, fullgraph)(fn)`
runs fn as it is: Python's (PyNative's) semantics, as MindSpore 2.10's capture on Python 3.11 gives. Any other
name of the module raises NotImplementedError when used (ops/operations/_missing.py)."""
from __future__ import annotations

from .._jit import bytecode_capture
from ..ops.operations._missing import module_getattr

__getattr__ = module_getattr("mindspore.common._pijit_context")


class PIJitCaptureContext:
    """See the module's doc (MindSpore's arguments: fullgraph=False, jit_config=None)."""

    def __init__(self, fullgraph: bool = False, jit_config=None):
        self.fullgraph, self.jit_config = fullgraph, jit_config

    def __call__(self, fn):
        return bytecode_capture(fn)
