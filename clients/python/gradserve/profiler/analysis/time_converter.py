"""`mindspore.profiler.analysis.time_converter`: a device's system counter (syscnt) to a timestamp in microseconds."""
from decimal import Decimal


class TimeConverter:
    """Class-level state set by init_parameters (the counter's frequency in MHz, the counter at collection start,
    that start's local time in ns); us = ((syscnt - cntvct) * 1000 / freq + localtime_diff) / 1000, to 3 places."""
    _freq = 100.0
    _cntvct = 0
    _localtime_diff = 0
    _is_loaded = False

    @classmethod
    def init_parameters(cls, freq: float, cntvct: int, localtime_diff: int) -> None:
        cls._freq, cls._cntvct, cls._localtime_diff = freq, cntvct, localtime_diff
        cls._is_loaded = True

    @classmethod
    def convert_syscnt_to_timestamp_us(cls, syscnt: int) -> Decimal:
        if not cls._is_loaded:
            raise RuntimeError("init_parameters must be called first")
        # the float division first, as MindSpore: Decimal of that float, then the integer offset
        ns = Decimal((syscnt - cls._cntvct) * 1000 / cls._freq) + Decimal(cls._localtime_diff)
        return (ns * Decimal("1e-3")).quantize(Decimal("0.000"))
