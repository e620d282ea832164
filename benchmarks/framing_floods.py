"""HTTP framing floods (reliab6 item 2) against a real server with its defaults (one cpu worker) while a second
client probes /v2/health/live every 50 ms: a body of N one-byte chunks (Transfer-Encoding: chunked) to
/v1/graphs and /v1/tensors/missing, and 200 K pipelined GETs on one connection whose answers are never read.
Prints each attack's outcome, the probes' worst latency and the server's peak RSS growth.

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/framing_floods.py [N]
"""
import socket, sys, tempfile, time
from pathlib import Path
from e2e.server import Server
from body_shape_attacks import attack

def send_chunked(port, n, route="/v1/graphs"):
    def go():
        s = socket.create_connection(("127.0.0.1", port), timeout=600)
        s.sendall(f"POST {route} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        one = b"1\r\n \r\n"
        block = one * 65536
        for _ in range(n // 65536):
            s.sendall(block)
        s.sendall(b"0\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            d = s.recv(65536)
            if not d: break
            data += d
        s.close()
        return data[:12].decode(errors="replace"), data[-160:].decode(errors="replace")
    return go

def pipelined(port, n):
    def go():
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        data = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n" * n
        sent = 0
        try:
            while sent < len(data):  # (never read: the server may stop reading too)
                sent += s.send(data[sent:sent + 65536])
        except (socket.timeout, OSError) as e:
            out = type(e).__name__
        else:
            out = "all sent"
            time.sleep(5)
        s.close()
        return out, f"{sent * n // len(data)} of {n} pipelined requests sent, none read"
    return go

s = Server(Path(tempfile.mkdtemp()) / "server.log", devices="cpu", base_env={}, env={"GRADSERVE_CPU_WORKERS": "1"})
try:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 20
    attack(s, f"{n} one-byte chunks to /v1/graphs", send_chunked(s.port, n))
    attack(s, f"{n} one-byte chunks to /v1/tensors/missing", send_chunked(s.port, n, "/v1/tensors/missing"))
    attack(s, "200K pipelined GETs, unread", pipelined(s.port, 200_000))
except Exception:
    print(s.output()[-3000:])
    raise
finally:
    s.stop()
