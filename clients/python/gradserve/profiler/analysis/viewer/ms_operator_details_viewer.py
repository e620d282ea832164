"""`...analysis.viewer.ms_operator_details_viewer`: operator_details.csv (each framework op's name and input
shapes, from the framework's `mindspore.record_shapes` TLV file), as MindSpore 2.10 writes it."""
from __future__ import annotations

import os
import struct
from enum import Enum
from typing import Any, Dict, List

from ...common.file_manager import FileManager
from ...common.log import ProfilerLogger
from ...common.tlv_decoder import TLVDecoder
from ...common.options import option
from .base_viewer import BaseViewer


class OperatorDetailsIndexEnum(Enum):
    """The TLV field type ids of a record_shapes record."""
    NAME = 0
    INPUT_SHAPES = 1
    INPUT_TYPE = 2


class OperatorDetailsEvent:
    """One decoded record (no fixed-size part); absent fields read as ""."""
    FIX_DATA_FORMAT = ""
    FIX_DATA_SIZE = struct.calcsize(FIX_DATA_FORMAT)

    def __init__(self, data: Dict):
        if not isinstance(data, dict):
            raise TypeError("Input data must be dict.")
        self._origin_data = data

    @property
    def name(self) -> Any:
        return self._origin_data.get(OperatorDetailsIndexEnum.NAME.value, "")

    @property
    def input_shapes(self) -> Any:
        return self._origin_data.get(OperatorDetailsIndexEnum.INPUT_SHAPES.value, "")

    @property
    def input_type(self) -> Any:
        return self._origin_data.get(OperatorDetailsIndexEnum.INPUT_TYPE.value, "")


class MsOperatorDetailsViewer(BaseViewer):
    FWK_BINARY_FILE_NAME = "mindspore.record_shapes"
    _OPERATOR_DETAILS_FILE_NAME = "operator_details.csv"
    _COL_NAMES = ["Name", "Input Shapes"]

    def __init__(self, **kwargs: Any) -> None:
        self._save_path = os.path.join(option(kwargs, "ascend_profiler_output_path"), self._OPERATOR_DETAILS_FILE_NAME)
        self._ascend_ms_dir = option(kwargs, "ascend_ms_dir")
        self._framework_path = option(kwargs, "framework_path")
        ProfilerLogger.init(self._ascend_ms_dir)
        self._logger = ProfilerLogger.get_instance()
        self._operator_details_events: List[OperatorDetailsEvent] = []
        self._operator_details_data: List[list] = []

    def save(self, data: Dict[str, Any]) -> None:
        """No record_shapes file: nothing (a warning); any failure is logged to the profiler log, not raised."""
        self._logger.info("MsOperatorDetailsViewer start")
        try:
            if not self._read_fwk_binary_file():
                return
            self._calculate_operator_details_data()
            self._write_data()
        except Exception as e:  # noqa: BLE001 -- MindSpore logs every failure here and goes on
            self._logger.error("Failed to save operator_details.csv: %s", e, exc_info=True)
        self._logger.info("MsOperatorDetailsViewer end")

    def _read_fwk_binary_file(self) -> bool:
        self._logger.info("Read fwk binary file start")
        fwk_file_path = os.path.join(self._framework_path, self.FWK_BINARY_FILE_NAME)
        if not os.path.isfile(fwk_file_path):
            self._logger.warning("Fwk binary file %s does not exist.", fwk_file_path)
            return False
        raw = FileManager.read_file_content(fwk_file_path, mode="rb")
        records = TLVDecoder.decode(raw, OperatorDetailsEvent.FIX_DATA_FORMAT, OperatorDetailsEvent.FIX_DATA_SIZE)
        self._operator_details_events = [OperatorDetailsEvent(record) for record in records]
        self._logger.info("Read fwk binary file done, %d events", len(self._operator_details_events))
        return True

    def _calculate_operator_details_data(self) -> None:
        self._operator_details_data = [[event.name, event.input_shapes] for event in self._operator_details_events]

    def _write_data(self) -> None:
        """No records: no file."""
        if not self._operator_details_data:
            return
        self._logger.info("Save operator statistics start")
        FileManager.create_csv_file(self._save_path, self._operator_details_data, self._COL_NAMES)
        self._logger.info("Save operator statistics done")
