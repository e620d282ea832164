"""`...analysis.viewer.ascend_memory_viewer`: memory_record.csv (GE's and the framework's memory records in time
order, each followed by a "MindSpore+GE" row of both sides' latest totals, then the application's reserved
memory) and npu_module_mem.csv (msprof's files joined), as MindSpore 2.10 writes them."""
from __future__ import annotations

import os
from decimal import Decimal
from typing import Any, List

from ...common.constant import ProfilerActivity
from ...common.file_manager import FileManager
from ...common.log import ProfilerLogger
from ...common.options import option
from .base_viewer import BaseViewer


class MemoryRecordBean:
    """One memory_record.csv row: sizes come in KB and go out divided by 1000 (MindSpore's "MB")."""
    KB_TO_MB = 1000
    HEADERS = ["Component", "Timestamp(us)", "Total Allocated(KB)", "Total Reserved(KB)", "Total Active(KB)",
               "Device Type"]

    def __init__(self, data: list):
        self._data = dict(zip(self.HEADERS, data))

    @property
    def row(self) -> list:
        return [self.component, self.time_us_str, self.total_allocated_mb, self.total_reserved_mb,
                self.total_active_mb, self.device_type]

    @property
    def component(self) -> Any:
        return self._data.get("Component", "")

    @property
    def time_us_str(self) -> str:
        return str(self._data.get("Timestamp(us)", 0))

    @property
    def time_us(self) -> Decimal:
        return Decimal(self._data.get("Timestamp(us)", 0))

    @property
    def device_type(self) -> Any:
        return self._data.get("Device Type", "")

    def _kb(self, header: str) -> float:
        return float(self._data.get(header, 0))

    @property
    def total_allocated_kb(self) -> float:
        return self._kb("Total Allocated(KB)")

    @property
    def total_reserved_kb(self) -> float:
        return self._kb("Total Reserved(KB)")

    @property
    def total_active_kb(self) -> float:
        return self._kb("Total Active(KB)")

    @property
    def total_allocated_mb(self) -> float:
        return self.total_allocated_kb / self.KB_TO_MB

    @property
    def total_reserved_mb(self) -> float:
        return self.total_reserved_kb / self.KB_TO_MB

    @property
    def total_active_mb(self) -> float:
        return self.total_active_kb / self.KB_TO_MB

    def is_ge_component(self) -> bool:
        return self.component == "GE"


class AscendMemoryViewer(BaseViewer):
    GE_MEMORY_RECORD_HEADERS = ["Device id", "Component", "Timestamp(us)", "Total Allocated(KB)",
                                "Total Reserved(KB)", "Device"]
    MS_MEMORY_RECORD_HEADERS = ["Timestamp(ns)", "Total Allocated(Byte)", "Total Reserved(Byte)",
                                "Total Active(Byte)"]
    TARGET_MEMORY_RECORD_HEADERS = ["Component", "Timestamp(us)", "Total Allocated(MB)", "Total Reserved(MB)",
                                    "Total Active(MB)", "Device Type"]

    def __init__(self, **kwargs: Any) -> None:
        self._enable_profile_memory = option(kwargs, "profile_memory", False)
        self._rank_id = option(kwargs, "rank_id", 0)
        self._output_path = option(kwargs, "ascend_profiler_output_path")
        self._framework_path = option(kwargs, "framework_path")
        self._msprof_profiler_output_path = option(kwargs, "msprof_profile_output_path")
        self._ascend_ms_dir = option(kwargs, "ascend_ms_dir")
        self._activities = option(kwargs, "activities")
        ProfilerLogger.init(self._ascend_ms_dir)
        self._logger = ProfilerLogger.get_instance()
        self._ge_memory_record: List[list] = []
        self._ms_memory_record: List[list] = []

    def save(self, data: Any = None) -> None:
        """Nothing without profile_memory; any failure is logged to the profiler log, not raised."""
        self._logger.info("AscendMemoryViewer start")
        if not self._enable_profile_memory:
            return
        try:
            self._copy_npu_module_mem_csv()
            self._parse_memory_record()
        except Exception as e:  # noqa: BLE001 -- MindSpore logs every failure here and goes on
            self._logger.error("Failed to save memory data: %s", e, exc_info=True)
        self._logger.info("AscendMemoryViewer end")

    def _msprof_csv_files(self, start_name: str) -> list:
        return FileManager.get_csv_file_list_by_start_name(self._msprof_profiler_output_path, start_name)

    def _copy_npu_module_mem_csv(self) -> None:
        target_file_path = os.path.join(self._output_path, "npu_module_mem.csv")
        FileManager.combine_csv_file(self._msprof_csv_files("npu_module_mem"), target_file_path)
        self._logger.info("npu_module_mem.csv saved to %s", target_file_path)

    def _parse_memory_record(self) -> None:
        self._parse_ge_memory_record()
        self._parse_ms_memory_record()
        target_file_path = os.path.join(self._output_path, "memory_record.csv")
        FileManager.create_csv_file(target_file_path, self._combine_ge_ms_memory_record(),
                                    self.TARGET_MEMORY_RECORD_HEADERS)
        self._logger.info("memory_record.csv saved to %s", target_file_path)

    def _parse_ge_memory_record(self) -> None:
        """msprof's memory_record*.csv rows, headers dropped."""
        for file in self._msprof_csv_files("memory_record"):
            data = FileManager.read_csv_file(file)
            if len(data) > 1:
                self._ge_memory_record.extend(data[1:])

    def _parse_ms_memory_record(self) -> None:
        """The framework's cpu_ms_memory_record_<rank>.txt rows (none without the CPU activity: not collected)."""
        if ProfilerActivity.CPU.value not in self._activities:
            return
        data = FileManager.read_csv_file(os.path.join(self._framework_path,
                                                      f"cpu_ms_memory_record_{self._rank_id}.txt"))
        if len(data) > 1:
            self._ms_memory_record.extend(data[1:])

    def _get_app_reserved_memory(self) -> list:
        """npu_mem*.csv's "APP" rows: reserved = column 4, time = the last column."""
        return [MemoryRecordBean([mem[1], mem[-1].rstrip("\t"), 0.0, float(mem[4]), 0.0, f"NPU:{self._rank_id}"]).row
                for file in self._msprof_csv_files("npu_mem")
                for mem in FileManager.read_csv_file(file) if mem[1] == "APP"]

    def _combine_ge_ms_memory_record(self) -> list:
        """GE rows (KB, us) and framework rows (bytes / 1024, ns / 1000) by time (stable); after each, the sum with
        the other side's latest record."""
        records = []
        for ge_memory in self._ge_memory_record:
            rec = dict(zip(self.GE_MEMORY_RECORD_HEADERS, ge_memory))
            records.append(MemoryRecordBean([rec.get("Component", "GE"), rec.get("Timestamp(us)"),
                                             rec.get("Total Allocated(KB)", 0), rec.get("Total Reserved(KB)", 0), 0,
                                             rec.get("Device")]))
        for ms_memory in self._ms_memory_record:
            rec = dict(zip(self.MS_MEMORY_RECORD_HEADERS, ms_memory))
            records.append(MemoryRecordBean([
                "MindSpore", Decimal(rec.get("Timestamp(ns)", 0)) / 1000,
                float(rec.get("Total Allocated(Byte)", 0)) / 1024, float(rec.get("Total Reserved(Byte)", 0)) / 1024,
                float(rec.get("Total Active(Byte)", 0)) / 1024, f"NPU:{self._rank_id}"]))
        records.sort(key=lambda x: x.time_us)
        last_ge, last_ms = MemoryRecordBean([0] * 6), MemoryRecordBean([0] * 6)
        rows = []
        for record in records:
            rows.append(record.row)
            other = last_ms if record.is_ge_component() else last_ge
            rows.append(MemoryRecordBean([
                "MindSpore+GE", record.time_us, record.total_allocated_kb + other.total_allocated_kb,
                record.total_reserved_kb + other.total_reserved_kb, record.total_active_kb + other.total_active_kb,
                f"NPU:{self._rank_id}"]).row)
            if record.is_ge_component():
                last_ge = record
            else:
                last_ms = record
        return rows + self._get_app_reserved_memory()
