"""MindRecord files as MindSpore 2.10 writes them (read back from its files, probe /work/ms_suite_dataset6/probe/w1.py,
w2.py): an 8-byte little-endian length and the JSON header (sorted keys) in the first header_size bytes, then pages of
page_size bytes. RAW_DATA pages hold each row's scalar fields as an 8-byte length and a MessagePack map (sorted keys);
BLOB_DATA pages hold each row's array / bytes fields (sorted) as an 8-byte length, then per field an 8-byte big-endian
length and its bytes: int32 / int64 arrays compressed (a big-endian count, 2 bits a value naming its width 1 / 2 / 4 /
8 bytes, the first value in the top bits, then the values little-endian in those widths), others as stored. Beside
each file a SQLite index (`.db`) of each row's page offsets and index fields, as MindSpore's reader needs it."""
from __future__ import annotations

import json
import os
import sqlite3
import struct
from typing import Any

import numpy as np

TYPES: dict[str, Any] = {"int32": np.int32, "int64": np.int64, "float32": np.float32, "float64": np.float64,
         "string": np.str_, "bytes": np.bytes_}


class FormatError(RuntimeError):
    pass


# --- MessagePack, the subset nlohmann::json writes for a row of scalars --------------------------------------------

def _pack(value, out: bytearray) -> None:
    if isinstance(value, dict):
        _pack_len(len(value), 0x80, 0xDE, out, small=16)
        for k in sorted(value):
            _pack(k, out)
            _pack(value[k], out)
    elif isinstance(value, (bool, np.bool_)) or value is None:
        out.append(0xC0 if value is None else 0xC3 if value else 0xC2)
    elif isinstance(value, (int, np.integer)):
        v = int(value)
        if 0 <= v < 128 or -32 <= v < 0:
            out += struct.pack("b" if v < 0 else "B", v)
        elif v >= 0:
            for code, fmt in ((0xCC, ">B"), (0xCD, ">H"), (0xCE, ">I"), (0xCF, ">Q")):
                if v < 1 << (8 * struct.calcsize(fmt)):
                    out.append(code)
                    out += struct.pack(fmt, v)
                    break
        else:
            for code, fmt in ((0xD0, ">b"), (0xD1, ">h"), (0xD2, ">i"), (0xD3, ">q")):
                if v >= -(1 << (8 * struct.calcsize(fmt) - 1)):
                    out.append(code)
                    out += struct.pack(fmt, v)
                    break
    elif isinstance(value, (float, np.floating)):
        f = float(value)
        if abs(f) <= 3.4028234663852886e38 and float(np.float32(f)) == f or f != f:
            out.append(0xCA)
            out += struct.pack(">f", f)
        else:
            out.append(0xCB)
            out += struct.pack(">d", f)
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        n = len(raw)
        if n < 32:
            out.append(0xA0 | n)
        else:
            for code, fmt in ((0xD9, ">B"), (0xDA, ">H"), (0xDB, ">I")):
                if n < 1 << (8 * struct.calcsize(fmt)):
                    out.append(code)
                    out += struct.pack(fmt, n)
                    break
        out += raw
    else:
        raise FormatError(f"mindrecord: cannot store a value of type {type(value).__name__}")


def _pack_len(n: int, fix: int, code16: int, out: bytearray, small: int) -> None:
    if n < small:
        out.append(fix | n)
    elif n < 1 << 16:
        out.append(code16)
        out += struct.pack(">H", n)
    else:
        out.append(code16 + 1)
        out += struct.pack(">I", n)


def _unpack(buf: bytes, at: int):
    c = buf[at]
    at += 1
    if c < 0x80:
        return c, at
    if c >= 0xE0:
        return c - 0x100, at
    if 0x80 <= c <= 0x8F or c in (0xDE, 0xDF):
        n, at = (c & 0x0F, at) if c <= 0x8F else _count(buf, at, ">H" if c == 0xDE else ">I")
        d = {}
        for _ in range(n):
            k, at = _unpack(buf, at)
            d[k], at = _unpack(buf, at)
        return d, at
    if 0x90 <= c <= 0x9F or c in (0xDC, 0xDD):
        n, at = (c & 0x0F, at) if c <= 0x9F else _count(buf, at, ">H" if c == 0xDC else ">I")
        items = []
        for _ in range(n):
            v, at = _unpack(buf, at)
            items.append(v)
        return items, at
    if 0xA0 <= c <= 0xBF or c in (0xD9, 0xDA, 0xDB):
        n, at = (c & 0x1F, at) if c <= 0xBF else _count(buf, at, {0xD9: ">B", 0xDA: ">H", 0xDB: ">I"}[c])
        return buf[at:at + n].decode("utf-8"), at + n
    if c in (0xC0, 0xC2, 0xC3):
        return {0xC0: None, 0xC2: False, 0xC3: True}[c], at
    fmt = {0xCA: ">f", 0xCB: ">d", 0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q",
           0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q"}.get(c)
    if fmt is None:
        raise FormatError(f"mindrecord: unreadable raw data (MessagePack code {c:#x})")
    return struct.unpack_from(fmt, buf, at)[0], at + struct.calcsize(fmt)


def _count(buf: bytes, at: int, fmt: str):
    return struct.unpack_from(fmt, buf, at)[0], at + struct.calcsize(fmt)


# --- int array compression --------------------------------------------------------------------------------------

_WIDTHS = ((np.int8, 0), (np.int16, 1), (np.int32, 2), (np.int64, 3))


def compress_ints(values: np.ndarray) -> bytes:
    flat = [int(v) for v in values.reshape(-1)]
    codes, body = bytearray((len(flat) + 3) // 4), bytearray()
    for i, v in enumerate(flat):
        for dt, code in _WIDTHS:
            info = np.iinfo(dt)
            if info.min <= v <= info.max:
                codes[i // 4] |= code << (6 - 2 * (i % 4))
                body += np.array(v, dt).astype(np.dtype(dt).newbyteorder("<")).tobytes()
                break
    return struct.pack(">I", len(flat)) + bytes(codes) + bytes(body)


def decompress_ints(raw: bytes, dtype) -> np.ndarray:
    n = struct.unpack_from(">I", raw, 0)[0]
    at, out = 4 + (n + 3) // 4, np.empty(n, dtype)
    for i in range(n):
        code = (raw[4 + i // 4] >> (6 - 2 * (i % 4))) & 3
        width = 1 << code
        out[i] = int.from_bytes(raw[at:at + width], "little", signed=True)
        at += width
    return out


# --- rows <-> pages ---------------------------------------------------------------------------------------------

def blob_fields(schema: dict) -> list[str]:
    """The fields held in blob pages: bytes and those with a shape (sorted, as MindSpore's)."""
    return sorted(k for k, v in schema.items() if v["type"] == "bytes" or "shape" in v)


def encode_blob(schema: dict, name: str, value) -> bytes:
    spec = schema[name]
    if spec["type"] == "bytes":
        return bytes(value)
    arr = np.asarray(value, TYPES[spec["type"]])
    if spec["type"] in ("int32", "int64"):
        return compress_ints(arr)
    return arr.astype(arr.dtype.newbyteorder("<")).tobytes()


def decode_blob(spec: dict, raw: bytes, compressed: bool) -> np.ndarray:
    if spec["type"] == "bytes":
        return np.array([raw], np.bytes_)
    dtype = np.dtype(TYPES[spec["type"]])
    if spec["type"] in ("int32", "int64") and compressed:
        flat = decompress_ints(raw, dtype)
    else:
        flat = np.frombuffer(raw, dtype.newbyteorder("<")).astype(dtype)
    return flat.reshape(spec["shape"])


def decode_raw(spec: dict, value) -> np.ndarray:
    return np.array(value, TYPES[spec["type"]])


def write_shard(path: str, shard_id: int, addresses: list[str], schema: dict, desc: str, index_fields: list[str],
                rows: list[dict], header_size: int, page_size: int) -> None:
    """One shard file of rows (each already checked against schema) and its `.db` index."""
    blobs = blob_fields(schema)
    raw_recs, blob_recs, saved = [], [], 0
    for row in rows:
        raw = bytearray()
        _pack({k: row[k] for k in schema if k not in blobs and k in row}, raw)
        raw_recs.append(struct.pack("<Q", len(raw)) + bytes(raw))
        body = b"".join(struct.pack(">Q", len(b)) + b for b in (encode_blob(schema, k, row[k]) for k in blobs))
        blob_recs.append(struct.pack("<Q", len(body)) + body)
        saved += sum(np.asarray(row[k]).size * np.dtype(TYPES[schema[k]["type"]]).itemsize - len(encode_blob(schema, k, row[k]))
                     for k in blobs if schema[k]["type"] in ("int32", "int64"))
    pages: list[dict] = []
    contents: list[bytes] = []
    where: dict[str, list[tuple[int, int, int]]] = {"raw": [], "blob": []}
    for kind, recs in (("BLOB_DATA", blob_recs), ("RAW_DATA", raw_recs)):
        start, used, type_id, buf = 0, 0, 0, bytearray()
        for i, rec in enumerate(recs + [None]):
            if rec is None or (buf and used + len(rec) > page_size):
                pages.append({"end_row_id": i if kind == "BLOB_DATA" else 0, "page_id": len(pages), "page_size": used,
                              "page_type": kind, "page_type_id": type_id,
                              "row_group_ids": [{"id": type_id, "offset": 0}], "shard_id": shard_id,
                              "start_row_id": start if kind == "BLOB_DATA" else 0})
                contents.append(bytes(buf))
                start, used, type_id, buf = i, 0, type_id + 1, bytearray()
            if rec is not None:
                if len(rec) > page_size:
                    raise FormatError(f"mindrecord: a row of {len(rec)} bytes is larger than the page size "
                                      f"{page_size}; set_page_size to a larger one")
                where["blob" if kind == "BLOB_DATA" else "raw"].append((len(pages), used, used + len(rec)))
                buf += rec
                used += len(rec)
    header = {"header_size": header_size, "index_fields": [{"index_field": f, "schema_id": 0} for f in index_fields],
              "page": pages, "page_size": page_size, "compression_size": saved,
              "schema": [{"blob_fields": blobs, "desc": desc, "schema": schema}],
              "shard_addresses": addresses, "shard_id": shard_id, "statistics": None, "version": "3.0"}
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    if 8 + len(text) > header_size:
        raise FormatError(f"mindrecord: the header ({8 + len(text)} bytes) is larger than the header size "
                          f"{header_size}; set_header_size to a larger one")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for page, content in zip(pages, contents):
            f.seek(header_size + page["page_id"] * page_size)
            f.write(content)
    _write_index(path + ".db", os.path.basename(path), index_fields, schema, rows, where)


def _write_index(path: str, name: str, index_fields: list[str], schema: dict, rows: list[dict], where: dict) -> None:
    if os.path.exists(path):
        os.remove(path)
    cols = "".join(f",INC_{i} INT, {f}_0 {'TEXT' if schema[f]['type'] == 'string' else 'INTEGER' if 'int' in schema[f]['type'] else 'NUMERIC'}"
                   for i, f in enumerate(index_fields))
    keys = "".join(f",INC_{i}" for i in range(len(index_fields)))
    con = sqlite3.connect(path)
    try:
        con.execute("CREATE TABLE INDEXES(  ROW_ID               INT  NOT NULL, PAGE_ID_RAW          INT  NOT NULL, "
                    "PAGE_OFFSET_RAW      INT  NOT NULL, PAGE_OFFSET_RAW_END  INT  NOT NULL, ROW_GROUP_ID         INT  "
                    "NOT NULL, PAGE_ID_BLOB         INT  NOT NULL, PAGE_OFFSET_BLOB     INT  NOT NULL, "
                    f"PAGE_OFFSET_BLOB_END INT  NOT NULL{cols}, PRIMARY KEY(ROW_ID{keys}))")
        con.execute("CREATE TABLE SHARD_NAME(NAME TEXT NOT NULL)")
        con.execute("INSERT INTO SHARD_NAME VALUES (?)", (name,))
        for i, row in enumerate(rows):
            (rp, ro, re_), (bp, bo, be) = where["raw"][i], where["blob"][i]
            extra = [v for f in index_fields for v in (0, row[f])]
            con.execute(f"INSERT INTO INDEXES VALUES ({','.join('?' * (8 + len(extra)))})",
                        (i, rp, ro, re_, 0, bp, bo, be, *extra))
        con.commit()
    finally:
        con.close()


def read_header(path: str) -> dict:
    """A MindRecord file's header (its errors with MindSpore 2.10's opening words)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise FormatError(f"Invalid file, the size of mindrecord file: {size} is less than the header size. "
                              f"Please check file path: {path}.")
        n = struct.unpack("<Q", head)[0]
        text = f.read(n) if n < size else b""
    try:
        return json.loads(text)
    except ValueError:
        raise FormatError(f"Invalid file, failed to parse the header of mindrecord file: {path}.") from None


def read_rows(path: str, header: dict) -> list[dict]:
    """The rows of one shard file as {field: numpy value} (its schema's fields)."""
    schema = header["schema"][0]["schema"]
    blobs = header["schema"][0].get("blob_fields", blob_fields(schema))
    compressed = header.get("version", "2.0") != "2.0" or "compression_size" in header
    hs, ps = header["header_size"], header["page_size"]
    raws, blob_rows = [], []
    with open(path, "rb") as f:
        for page in sorted(header["page"], key=lambda p: (p["page_type"], p["page_type_id"])):
            f.seek(hs + page["page_id"] * ps)
            buf, at = f.read(page["page_size"]), 0
            while at < len(buf):
                n = struct.unpack_from("<Q", buf, at)[0]
                rec = buf[at + 8:at + 8 + n]
                at += 8 + n
                if page["page_type"] == "RAW_DATA":
                    raws.append(_unpack(rec, 0)[0])
                else:
                    fields, k = {}, 0
                    for name in blobs:
                        m = struct.unpack_from(">Q", rec, k)[0]
                        fields[name] = decode_blob(schema[name], rec[k + 8:k + 8 + m], compressed)
                        k += 8 + m
                    blob_rows.append(fields)
    if not blobs:
        blob_rows = [{} for _ in raws]
    rows = []
    for raw, blob in zip(raws, blob_rows):
        row = {k: decode_raw(schema[k], v) for k, v in raw.items() if k in schema}
        row.update(blob)
        rows.append(row)
    return rows


def open_shards(file_name: str) -> tuple[list[str], list[dict]]:
    """The shard files a MindRecord file names (its header's shard_addresses, beside it) and their headers."""
    header = read_header(file_name)
    folder = os.path.dirname(file_name)
    paths = [os.path.join(folder, a) for a in header["shard_addresses"]]
    return paths, [read_header(p) if os.path.basename(p) != os.path.basename(file_name) else header for p in paths]
