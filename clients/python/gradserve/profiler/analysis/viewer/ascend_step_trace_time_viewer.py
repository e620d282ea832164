"""`...analysis.viewer.ascend_step_trace_time_viewer`: step_trace_time.csv, per step the computing /
communication / free time of the timeline's overlap-analysis lane, the pipeline stage and bubble (HCCL send /
receive) time and the host's preparing time, as MindSpore 2.10 computes them (Decimal microseconds, 3 places)."""
from __future__ import annotations

import os
import re
from decimal import Decimal
from enum import Enum
from typing import Any, List, Optional, Tuple

import numpy as np

from .... import log as logger
from ...common.constant import OverlapAnalysisTidName, ProfilerActivity, ProfilerLevel, TimelineLayerName
from ...common.file_manager import FileManager
from ...common.log import ProfilerLogger
from ...common.options import option
from .base_viewer import BaseViewer

_MS = Decimal("0.000")


class StepTraceTimeHeaders(Enum):
    STEP = "Step"
    COMPUTING = "Computing"
    COMMUNICATION_NOT_OVERLAPPED = "Communication(Not Overlapped)"
    OVERLAPPED = "Overlapped"
    COMMUNICATION = "Communication"
    FREE = "Free"
    STAGE = "Stage"
    BUBBLE = "Bubble"
    COMMUNICATION_NOT_OVERLAPPED_EXCLUDE_RECEIVE = "Communication(Not Overlapped and Exclude Receive)"
    PREPARING = "Preparing"


class AscendStepTraceTimeViewer(BaseViewer):
    STEP_TRACE_TIME_FILE_NAME = "step_trace_time.csv"
    STEP_TRACE_TIME_HEADERS = [header.value for header in StepTraceTimeHeaders]
    # HCCL's pipeline send / receive ops (their time is the bubble): matched from the name's start
    PP_OP_PATTERN = (
        re.compile(r"^hcom_\w+SendRecv__\d+"),
        re.compile(r"hcom_send__\d+"),
        re.compile(r"hcom_receive__\d+"),
        re.compile(r"Receive-op"),
        re.compile(r"Send-op"),
    )
    OVERLAP_DTYPE = np.dtype([("ts", object), ("dur", object)])
    HCCL_DTYPE = np.dtype([("name", object), ("ts", object), ("dur", object)])

    def __init__(self, **kwargs: Any) -> None:
        self._save_path = os.path.join(option(kwargs, "ascend_profiler_output_path"), self.STEP_TRACE_TIME_FILE_NAME)
        self._profiler_level = option(kwargs, "profiler_level")
        self._ascend_ms_dir = option(kwargs, "ascend_ms_dir")
        self._activities = option(kwargs, "activities")
        ProfilerLogger.init(self._ascend_ms_dir)
        self._logger = ProfilerLogger.get_instance()
        self.step_trace_time_data_list: List[dict] = []
        self.trace_container: Any = None
        self.hccl_pool: Any = None
        self.overlap_pool: Any = None
        self.hccl_events: Optional[list] = None
        self.computing_events: Optional[list] = None
        self.communication_events: Optional[list] = None
        self.communication_not_overlapped_events: Optional[list] = None
        self.free_events: Optional[list] = None
        self.computing_np: Any = None
        self.communication_np: Any = None
        self.communication_not_overlapped_np: Any = None
        self.free_np: Any = None
        self.hccl_events_np: Any = None

    def save(self, data: Any) -> None:
        """Nothing at LevelNone; any failure is logged to the profiler log, not raised."""
        self._logger.info("AscendStepTraceTimeViewer start")
        if self._profiler_level == ProfilerLevel.LevelNone.value:
            return
        try:
            self._check_input_data(data)
            self._convert_events_to_numpy()
            self._calculate_step_trace_time()
            self._write_data()
        except Exception as e:  # noqa: BLE001 -- MindSpore logs every failure here and goes on
            self._logger.error("Failed to save step trace time data, error: %s", str(e), exc_info=True)
        self._logger.info("AscendStepTraceTimeViewer end")

    def _write_data(self) -> None:
        self._logger.info("Write step trace time data start")
        data = [[str(item.get(header, "")) for header in self.STEP_TRACE_TIME_HEADERS]
                for item in self.step_trace_time_data_list]
        FileManager.create_csv_file(self._save_path, data, self.STEP_TRACE_TIME_HEADERS)
        self._logger.info("Write step trace time data done, %d rows saved, save path: %s", len(data), self._save_path)

    def _check_input_data(self, data: Any) -> None:
        self.trace_container = data.get("trace_view_container", None)
        if self.trace_container is None:
            raise ValueError("trace is empty")
        self.overlap_pool = self.trace_container.get_pool_by_name(TimelineLayerName.OVERLAP_ANALYSIS.value)
        self.hccl_pool = self.trace_container.get_pool_by_name(TimelineLayerName.HCCL.value)
        if self.overlap_pool is None:
            raise ValueError("overlap pool is empty")
        by_name = self.overlap_pool.get_events_by_name
        self.computing_events = by_name(OverlapAnalysisTidName.COMPUTING.value)
        self.communication_events = by_name(OverlapAnalysisTidName.COMMUNICATION.value)
        self.communication_not_overlapped_events = by_name(OverlapAnalysisTidName.COMMUNICATION_NOT_OVERLAP.value)
        self.free_events = by_name(OverlapAnalysisTidName.FREE.value)
        if self.hccl_pool is not None:
            self.hccl_events = self.hccl_pool.get_complete_events()

    def _convert_overlap_events_to_numpy(self, events: list, dtype: np.dtype) -> np.ndarray:
        return np.array([(event.ts, event.dur) for event in events], dtype=dtype)

    def _convert_events_to_numpy(self) -> None:
        """The overlap lanes' (ts, dur) and HCCL's (name, ts, dur), each sorted by ts."""
        def sorted_spans(events: Any) -> np.ndarray:
            return np.sort(self._convert_overlap_events_to_numpy(events, self.OVERLAP_DTYPE), order="ts")
        self.computing_np = sorted_spans(self.computing_events)
        self.communication_np = sorted_spans(self.communication_events)
        self.communication_not_overlapped_np = sorted_spans(self.communication_not_overlapped_events)
        self.free_np = sorted_spans(self.free_events)
        if self.hccl_events is not None:
            self.hccl_events_np = np.sort(np.array([(e.name, e.ts, e.dur) for e in self.hccl_events],
                                                   dtype=self.HCCL_DTYPE), order="ts")

    def _calculate_step_trace_time(self) -> None:
        self.generate_step_trace_time_data(self._init_step_dict())

    def _init_step_dict(self) -> dict:
        """The timeline's steps; none: one step 0 over all time."""
        return self.trace_container.get_step_id_time_dict() or {0: (Decimal("0"), Decimal("Infinity"))}

    def generate_step_trace_time_data(self, step_id_to_time_dict: dict) -> None:
        for step_id, (start_time, end_time) in step_id_to_time_dict.items():
            row = {
                StepTraceTimeHeaders.STEP.value: step_id,
                StepTraceTimeHeaders.COMPUTING.value:
                    self._calculate_event_total_time_by_step(self.computing_np, start_time, end_time),
                StepTraceTimeHeaders.COMMUNICATION.value:
                    self._calculate_event_total_time_by_step(self.communication_np, start_time, end_time),
                StepTraceTimeHeaders.COMMUNICATION_NOT_OVERLAPPED.value:
                    self._calculate_event_total_time_by_step(self.communication_not_overlapped_np, start_time,
                                                             end_time),
                StepTraceTimeHeaders.FREE.value:
                    self._calculate_free_event_total_time_by_step(self.free_np, start_time, end_time),
            }
            not_overlapped = row[StepTraceTimeHeaders.COMMUNICATION_NOT_OVERLAPPED.value]
            row[StepTraceTimeHeaders.OVERLAPPED.value] = row[StepTraceTimeHeaders.COMMUNICATION.value] - not_overlapped
            stage, bubble = self._calculate_stage_bubble(start_time, end_time)
            row[StepTraceTimeHeaders.STAGE.value] = stage
            row[StepTraceTimeHeaders.BUBBLE.value] = bubble
            row[StepTraceTimeHeaders.COMMUNICATION_NOT_OVERLAPPED_EXCLUDE_RECEIVE.value] = not_overlapped - bubble
            row[StepTraceTimeHeaders.PREPARING.value] = self._calculate_prepare_time_by_step(
                self.computing_np, self.communication_np, start_time, step_id)
            self.step_trace_time_data_list.append(row)

    def _calculate_event_total_time_by_step(self, times: np.ndarray, ts: Decimal, es: Decimal) -> Decimal:
        """The durations of the spans starting in [ts, es] (whole, even past es)."""
        starts = times["ts"]
        return Decimal(str(times[(starts >= ts) & (starts <= es)]["dur"].sum())).quantize(_MS)

    def _calculate_free_event_total_time_by_step(self, times: np.ndarray, ts: Any, es: Any) -> Decimal:
        """The free spans clipped to [ts, es]."""
        starts: Any = times["ts"]
        zero: Any = _MS  # object arrays of Decimals: numpy's stubs take no Decimal operand
        clipped = np.maximum(np.minimum(starts + times["dur"], es) - np.maximum(starts, ts), zero)
        return Decimal(sum(clipped)).quantize(_MS)

    def _calculate_event_first_time_by_step(self, times: np.ndarray, ts: Any) -> Optional[Decimal]:
        """The first start at or after ts (the spans sorted by start); none: None."""
        starts: Any = times["ts"]
        idx = np.searchsorted(starts, ts)
        if idx >= len(times):
            return None
        return Decimal(str(times["ts"][idx])).quantize(_MS)

    def _calculate_prepare_time_by_step(self, computing_np: np.ndarray, communication_np: np.ndarray,
                                        ts: Decimal, step_id: Any) -> Decimal:
        """The first device task's start less the step's start (step 0 at 0, no Profiler.step(): the first
        framework op's start); 0 without the CPU activity (no framework data) or without device tasks."""
        if ProfilerActivity.CPU.value not in self._activities:  # no framework data collected
            return _MS
        computing_first = self._calculate_event_first_time_by_step(computing_np, ts)
        communication_first = self._calculate_event_first_time_by_step(communication_np, ts)
        first_device_task: Optional[Decimal]
        if computing_first and communication_first:
            first_device_task = min(computing_first, communication_first)
        else:
            first_device_task = computing_first or communication_first
        if first_device_task:
            host_start: Any
            if ts == Decimal("0"):
                fwk_events = self.trace_container.get_pool_by_name(TimelineLayerName.MINDSPORE.value)
                host_start = min(event.ts for event in fwk_events.get_complete_events())
            else:
                host_start = ts
            return (first_device_task - host_start).quantize(_MS)
        logger.warning(f"Failed to find device task in step {step_id}, set prepare time to 0")
        return _MS

    def _calculate_stage_bubble(self, ts: Decimal, es: Decimal) -> Tuple[Any, Any]:
        """HCCL ops starting in [ts, es]: stage = their span less the bubble, bubble = the send / receive ops'
        time; no HCCL data: 0, 0."""
        if self.hccl_events is None:
            logger.info("HCCL events is empty, skip calculate stage and bubble")
            return Decimal(0), Decimal(0)
        starts = self.hccl_events_np["ts"]
        events = self.hccl_events_np[(starts >= ts) & (starts <= es)]
        if events.size == 0:
            logger.info("No HCCL events in the given time range, skip calculate stage and bubble")
            return Decimal(0), Decimal(0)
        total_hccl_time = events["ts"][-1] - events["ts"][0] + events["dur"][-1]
        bubble_time = np.sum(events["dur"][np.array([self._is_send_recv_op(name) for name in events["name"]])])
        return total_hccl_time - bubble_time, bubble_time

    def _is_send_recv_op(self, op_name: str) -> bool:
        return any(pattern.match(op_name) for pattern in self.PP_OP_PATTERN)
