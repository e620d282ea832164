"""`...timeline_event.fwk_event`: the MindSpore lane's events from the framework's op-range TLV records (a record:
its fixed-size fields under FileConstant.FIX_SIZE_DATA, in OpRangeStructField's order, and its strings under
the field numbers NAME ... CUSTOM_INFO). Times are system counts, given in us through TimeConverter."""
from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any, Dict, Type

from ..... import log as logger
from ....common.constant import EventConstant, FileConstant
from ...time_converter import TimeConverter
from .base_event import CompleteEvent, InstantEvent, LinkedSpan, MetaEvent
from .fwk_names import ProfilerEvent, ProfilerModule, ProfilerStage

__all__ = ["ProfilerStage", "ProfilerModule", "ProfilerEvent", "FwkFixSizeFormat", "OpRangeStructField",
           "FwkProfileDataField", "FwkCompleteEvent", "FwkInstantEvent", "FwkMetaEvent"]


class FwkFixSizeFormat:
    """struct format of an op-range record's fixed-size part (little endian)."""
    OpRangeStruct = "<5Qi3Hb3?"


class OpRangeStructField(Enum):
    THREAD_ID = 0
    FLOW_ID = 1
    STEP = 2
    START_TIME_NS = 3
    END_TIME_NS = 4
    PROCESS_ID = 5
    MODULE_INDEX = 6
    EVENT_INDEX = 7
    STAGE_INDEX = 8
    LEVEL = 9
    IS_GRAPH_DATA = 10
    IS_STAGE = 11
    IS_STACK = 12
    NAME = 13
    FULL_NAME = 14
    MODULE_GRAPH = 15
    EVENT_GRAPH = 16
    CUSTOM_INFO = 17


class FwkProfileDataField:
    """An index's name in a name table; an index past the end is logged and read as the table's DEFAULT."""

    @staticmethod
    def _lookup(table: Type[Enum], index: int, what: str) -> str:
        members = list(table)
        try:
            return members[index].value
        except IndexError:
            logger.warning(f"Invalid {what} index: {index}")
            return table["DEFAULT"].value

    @staticmethod
    def get_stage_value(index: int) -> str:
        return FwkProfileDataField._lookup(ProfilerStage, index, "stage")

    @staticmethod
    def get_module_value(index: int) -> str:
        return FwkProfileDataField._lookup(ProfilerModule, index, "module")

    @staticmethod
    def get_event_value(index: int) -> str:
        return FwkProfileDataField._lookup(ProfilerEvent, index, "event")


class FwkEventMixin:
    """The name and custom info of a record (shared by its span and point events)."""
    _origin_data: Dict
    fix_size_data: Any

    def _text(self, field: OpRangeStructField) -> str:
        return self._origin_data.get(field.value, "")

    def _fixed(self, field: OpRangeStructField) -> Any:
        return self.fix_size_data[field.value]

    def get_name(self) -> str:
        """A stack frame: its name; graph data: module::event::name; a stage: the stage's name; a flow record:
        its full name; otherwise module::event::full name from the index tables."""
        if self._fixed(OpRangeStructField.IS_STACK):
            return self._text(OpRangeStructField.NAME)
        if self._fixed(OpRangeStructField.IS_GRAPH_DATA):
            return "::".join((self._text(OpRangeStructField.MODULE_GRAPH), self._text(OpRangeStructField.EVENT_GRAPH),
                              self._text(OpRangeStructField.NAME)))
        if self._fixed(OpRangeStructField.IS_STAGE):
            return FwkProfileDataField.get_stage_value(self._fixed(OpRangeStructField.STAGE_INDEX))
        if self._text(OpRangeStructField.NAME) == EventConstant.FLOW_OP:
            return self._text(OpRangeStructField.FULL_NAME)
        module = FwkProfileDataField.get_module_value(self._fixed(OpRangeStructField.MODULE_INDEX))
        event = FwkProfileDataField.get_event_value(self._fixed(OpRangeStructField.EVENT_INDEX))
        return f"{module}::{event}::{self._text(OpRangeStructField.FULL_NAME)}"

    def get_custom_info(self) -> str:
        """"k1:v1;k2:v2;..." -> the str of a dict of its first two pairs (MindSpore 2.10 keeps two; under two pairs:
        "{}"; one of those two without exactly one ':' is its ValueError); no info: ""."""
        value = self._origin_data.get(OpRangeStructField.CUSTOM_INFO.value)
        if value is None:
            return ""
        pairs = [item.split(":") for item in value.split(";") if item]
        kept = {key: val for key, val in pairs[:2]}
        return str(kept if len(pairs) >= 2 else {})

    @property
    def custom_info(self) -> str:
        return self.get_custom_info()

    @property
    def pid(self) -> int:
        return int(EventConstant.MINDSPORE_PID)

    @property
    def tid(self) -> int:
        return int(self._fixed(OpRangeStructField.THREAD_ID))

    @property
    def step(self) -> int:
        return int(self._fixed(OpRangeStructField.STEP))

    @property
    def level(self) -> int:
        return int(self._fixed(OpRangeStructField.LEVEL))

    @property
    def ts_raw(self) -> int:
        return self._fixed(OpRangeStructField.START_TIME_NS)

    def _us(self, field: OpRangeStructField) -> Decimal:
        return TimeConverter.convert_syscnt_to_timestamp_us(self._fixed(field))


class _FwkTimed(FwkEventMixin):
    """Conversions kept once they give a non-zero value (a zero is converted again on the next read, as
    MindSpore's caches do)."""
    _cache: Dict[str, Any]

    def _cached(self, key: str, make: Any) -> Any:
        if not self._cache.get(key):
            self._cache[key] = make()
        return self._cache[key]

    @property
    def ts(self) -> Decimal:
        return self._cached("ts", lambda: self._us(OpRangeStructField.START_TIME_NS))

    @property
    def name(self) -> str:
        return self._cached("name", self.get_name)


class FwkCompleteEvent(LinkedSpan, _FwkTimed, CompleteEvent):  # type: ignore[misc]
    """A record with a duration; holds its parent and children (set by the assembler)."""

    def __init__(self, data: Dict) -> None:
        super().__init__(data)
        self.fix_size_data = self._origin_data[FileConstant.FIX_SIZE_DATA]
        self._cache: Dict[str, Any] = {}
        self._init_links()

    @property
    def te(self) -> Decimal:
        return self._cached("te", lambda: self._us(OpRangeStructField.END_TIME_NS))

    @property
    def dur(self) -> Decimal:
        return self._cached("dur", lambda: self.te - self.ts)

    @property
    def id(self) -> int:
        return int(self._fixed(OpRangeStructField.FLOW_ID))

    @property
    def is_stack(self) -> bool:
        return bool(self._fixed(OpRangeStructField.IS_STACK))

    @property
    def cat(self) -> str:
        return EventConstant.STACK_EVENT_CAT if self.is_stack else ""


class FwkInstantEvent(_FwkTimed, InstantEvent):  # type: ignore[misc]
    """A record whose start and end are the same time."""

    def __init__(self, data: Dict) -> None:
        super().__init__(data)
        self.fix_size_data = self._origin_data[FileConstant.FIX_SIZE_DATA]
        self._cache: Dict[str, Any] = {}


class FwkMetaEvent(MetaEvent):
    @property
    def pid(self) -> int:
        return int(EventConstant.MINDSPORE_PID)
