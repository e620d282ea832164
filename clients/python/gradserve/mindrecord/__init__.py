"""`mindspore.mindrecord`: MindSpore's MindRecord data format (FileWriter / FileReader, converters from
TFRecord, CSV, ImageNet ...). gradserve has no data-format layer: a name written in a program is a placeholder
that raises NotImplementedError when used (ops/operations/_missing.py), so a file that imports them still runs
its other tests."""
from __future__ import annotations

from ..ops.operations._missing import module_getattr

__getattr__ = module_getattr("mindspore.mindrecord")
