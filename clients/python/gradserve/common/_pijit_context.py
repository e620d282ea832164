"""`mindspore.common._pijit_context`: MindSpore's bytecode-capture (pi_jit) context. gradserve has no bytecode
capture; MindSpore's test helpers import `PIJitCaptureContext` from here at load time, so a name written in a
program is a placeholder that raises NotImplementedError when used (ops/operations/_missing.py), and the tests
of that helper's file that do not capture bytecode still run."""
from __future__ import annotations

from ..ops.operations._missing import module_getattr

__getattr__ = module_getattr("mindspore.common._pijit_context")
