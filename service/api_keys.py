"""API keys: the one reading of `Authorization: Bearer <key>` (HTTP header or gRPC metadata) that both the
auth checks and the client identity (jobs.client_of) use, so every spelling the check lets in is one client."""
from __future__ import annotations

import hmac


def bearer_token(authorization: str | None) -> str | None:
    """The key of a `Bearer <key>` value (scheme in any case, the key stripped), or None for another scheme."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def key_ok(authorization: str | None, keys: list[bytes]) -> bool:
    """`Authorization: Bearer <key>` names one of `keys` (each compared in constant time)."""
    token = bearer_token(authorization)
    if token is None:
        return False
    t = token.encode()
    return any([hmac.compare_digest(t, k) for k in keys])  # a list, not any(genexpr): every key is compared


def metadata_authorization(metadata) -> str:
    """gRPC call metadata's authorization: its first value, as HTTP's first Authorization header ("" for none).
    The key check and the client identity (jobs.client_of) both read this one: the check read the first and the
    identity the last (dict(metadata)), so a valid key followed by any other value made each call a client of its
    own, past every per-client share (fair dispatch, unsent answers, caches)."""
    for k, val in metadata or ():
        if k == "authorization":
            return val if isinstance(val, str) else val.decode(errors="replace")
    return ""
