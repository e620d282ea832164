"""`mindspore.train.summary.summary_record`: not implemented (see the package)."""
from . import SummaryRecord, refusing  # noqa: F401

__getattr__ = refusing("mindspore.train.summary.summary_record")
