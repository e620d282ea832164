"""Routing: which pool (and which device of it) a job's `device` names.

`auto` prefers a ready accelerator pool, then cpu; `cpu`, `gpu:1`... name a pool and optionally one
device of it. A pool the server does not run, or a device it does not have, is device_unavailable (503,
not worth retrying); a name no server could run is the caller's mistake (400).
"""
from __future__ import annotations

from .errors import InvalidRequest, Unavailable
from .pools import ACCELERATORS, Pool
from .settings import KNOWN_POOLS

# longer than any pool name and device index ("torchcpu:65535"): a longer name is refused before it is
# parsed (an index of 10^5 digits was int() past Python's digit limit: a 500) or echoed in full
MAX_DEVICE_CHARS = 32


def route(pools: dict, device: str) -> tuple[Pool, int | None]:
    dev = (device or "cpu").strip().lower()
    if dev == "auto":
        for name in ACCELERATORS:
            if name in pools and pools[name].ready:
                return pools[name], None
        if "cpu" in pools:
            return pools["cpu"], None
        return next(iter(pools.values())), None
    if len(dev) > MAX_DEVICE_CHARS:
        raise InvalidRequest(f"device name of {len(dev)} characters, {device[:MAX_DEVICE_CHARS]!r}...: no server "
                             f"has such a device; this server has: {', '.join(device_names(pools))} (or auto)",
                             path="$.device", available=device_names(pools))
    kind, _, idx = dev.partition(":")
    if kind not in KNOWN_POOLS:
        raise InvalidRequest(f"unknown device {device!r}; this server has: {', '.join(device_names(pools))} "
                             "(or auto)", path="$.device", available=device_names(pools))
    if kind not in pools:
        raise Unavailable(f"device {kind!r} is not configured on this server; it has: "
                          f"{', '.join(device_names(pools))}", device=device, available=device_names(pools),
                          retryable=False)
    index = None
    if idx:
        if not (idx.isascii() and idx.isdigit()):  # ('²'.isdigit(), but int('²') fails)
            raise InvalidRequest(f"device index in {device!r} is not an integer", path="$.device")
        index = int(idx)
        if index not in pools[kind].device_indices():
            raise Unavailable(f"device {device!r} does not exist; this server has: "
                              f"{', '.join(device_names(pools))}", device=device,
                              available=device_names(pools), retryable=False)
    return pools[kind], index


def device_names(pools: dict) -> list[str]:
    out = []
    for name, p in pools.items():
        out.append(name)
        out.extend(s.label for s in p.specs)
    return out
