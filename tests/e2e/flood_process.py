"""A flooding client in a process of its own: a test's flood must not share the test's interpreter (its GIL),
or the victim's latency measures the test's own threads, not the server (tests/e2e/test_attacks_fairness.py).

    python flood_process.py URL KEY BODY_FILE HEADERS_JSON STOP_FILE CONNECTIONS

Posts the body (already encoded, binary) to URL on CONNECTIONS connections, each on a thread, until STOP_FILE
exists; prints one line per answer: "200 <compute_ms>" or "<status>". Stdlib only: it starts fast."""
from __future__ import annotations

import http.client
import json
import os
import sys
import threading
import time
from urllib.parse import urlsplit

HEADER_LENGTH = "Inference-Header-Content-Length"  # service.codec.HEADER_LENGTH


def flood(url: str, key: str, body: bytes, headers: dict, stop_file: str, out: threading.Lock) -> None:
    u = urlsplit(url)
    headers = {**headers, "Authorization": f"Bearer {key}", "Connection": "close"}
    while not os.path.exists(stop_file):
        try:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
            conn.request("POST", "/v1/eval", body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            conn.close()
        except OSError:
            time.sleep(0.05)
            continue
        if r.status == 200:
            n = int(r.getheader(HEADER_LENGTH) or len(data))
            line = f"200 {json.loads(data[:n])['timing']['compute_ms']}"
        else:
            line = str(r.status)
            time.sleep(0.05)  # a 429: try again soon, as a flooding client would
        with out:
            print(line, flush=True)


def main(url: str, key: str, body_file: str, headers_json: str, stop_file: str, connections: str) -> None:
    with open(body_file, "rb") as f:
        body = f.read()
    headers = json.loads(headers_json)
    out = threading.Lock()
    threads = [threading.Thread(target=flood, args=(url, key, body, headers, stop_file, out), daemon=True)
               for _ in range(int(connections))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main(*sys.argv[1:])
