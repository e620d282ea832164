"""`...timeline_event.cpu_op_event`: CPU kernels' events (ts read in ns, dur in ms; both given in us to 3 places)
on the CPU-op lane (pid EventConstant.CPU_OP_PID)."""
from decimal import Decimal

from ....common.constant import EventConstant, TimeConstant
from .base_event import CompleteEvent, MetaEvent

_US = Decimal("0.000")


class CpuOpCompleteEvent(CompleteEvent):
    @property
    def ts(self) -> Decimal:
        return (Decimal(self._origin_data.get("ts", 0)) * Decimal(TimeConstant.NS_TO_US)).quantize(_US)

    @property
    def dur(self) -> Decimal:
        return (Decimal(self._origin_data.get("dur", 0)) * Decimal(TimeConstant.MS_TO_US)).quantize(_US)

    @property
    def pid(self) -> int:
        return int(EventConstant.CPU_OP_PID)


class CpuOpMetaEvent(MetaEvent):
    @property
    def pid(self) -> int:
        return int(EventConstant.CPU_OP_PID)
