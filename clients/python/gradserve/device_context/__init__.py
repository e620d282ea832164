"""`mindspore.device_context` (MindSpore 2.5+): per-backend settings (CPU kernel threads, GPU / Ascend
precision and tuning switches). gradserve's kernels run on the service, so none of these changes a value:
the setters check their arguments as MindSpore does and record them (`_settings.recorded()`)."""
from __future__ import annotations

from . import ascend, cpu, gpu

__all__ = ["cpu", "gpu", "ascend"]
