"""`mindspore.profiler.common.tlv_decoder`: the framework's binary records, TLV encoded (type: u16, length: u32,
little-endian, then the value). A file is a list of records; a record is a fixed-size struct followed by TLV
fields of text. Truncated data stops the decoding with a warning, as MindSpore 2.10's."""
from __future__ import annotations

import struct
from typing import Any, Dict, List

from ... import log as logger
from .constant import FileConstant


class TLVDecoder:
    _TYPE_LEN = 2
    _LENGTH_LEN = 4

    @classmethod
    def decode(cls, all_bytes: bytes, fix_data_formats: str, fix_data_struct_size: int) -> List[Dict]:
        """Each record's text fields by type id, and its fixed struct unpacked under FIX_SIZE_DATA; a record
        shorter than the struct is skipped ("The collected data has been lost")."""
        result = []
        for record in cls.tlv_list_decode(all_bytes):
            if fix_data_struct_size > len(record):
                logger.warning("The collected data has been lost")
                continue
            fields = cls.tlv_list_decode(record[fix_data_struct_size:], is_field=True)
            fields[FileConstant.FIX_SIZE_DATA] = struct.unpack(fix_data_formats, record[:fix_data_struct_size])
            result.append(fields)
        return result

    @classmethod
    def tlv_list_decode(cls, tlv_bytes: bytes, is_field: bool = False) -> Any:
        """The values in order (is_field: {type id: the value as UTF-8 text, 'N/A' if it is not})."""
        fields: Dict = {}
        values: List = []
        index, size = 0, len(tlv_bytes)
        while index < size:
            if index + cls._TYPE_LEN > size:
                logger.warning(f"Failed to decode TLV: type field truncated at index {index}")
                break
            type_id = struct.unpack("<H", tlv_bytes[index: index + cls._TYPE_LEN])[0]
            index += cls._TYPE_LEN
            if index + cls._LENGTH_LEN > size:
                logger.warning(f"Failed to decode TLV: length field truncated at index {index}")
                break
            value_len = struct.unpack("<I", tlv_bytes[index: index + cls._LENGTH_LEN])[0]
            index += cls._LENGTH_LEN
            if index + value_len > size:
                logger.warning(f"Failed to decode TLV: value field truncated at index {index}")
                break
            value = tlv_bytes[index: index + value_len]
            index += value_len
            if not is_field:
                values.append(value)
                continue
            try:
                fields[type_id] = bytes.decode(value)
            except UnicodeDecodeError:
                logger.warning(f"The collected data can't decode by bytes.decode: {value!r}")
                fields[type_id] = "N/A"
        return fields if is_field else values
