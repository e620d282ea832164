"""A job body's Content-Type, named when the body cannot be read (POST /v1/eval, /v1/grad, ...). Those routes read
JSON, or the binary tensor extension (application/octet-stream: a JSON header of Inference-Header-Content-Length
bytes, then raw tensors); the Content-Type is not otherwise looked at, so a JSON body sent under another type
(`curl -d` sends application/x-www-form-urlencoded) is answered as before. A body that does not parse, sent as
something else (multipart/form-data, a form, msgpack, ...), is a 415 naming its Content-Type: it was a 400 "the
body is not valid JSON: Expecting value" that did not say why."""
from __future__ import annotations

from .codec import HEADER_LENGTH
from .errors import NotJson, ServiceError, UnsupportedMediaType

_READ = ("application/json", "application/octet-stream")  # (and any +json type, and none)


def read_as_json(content_type: str | None) -> bool:
    """Whether a Content-Type is one the job routes read (none, JSON, a +json type, the binary extension's)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return not media or media in _READ or media.endswith("+json")


def named(err: NotJson, content_type: str | None, route: str) -> ServiceError:
    """`err` (the body did not parse), or a 415 naming the Content-Type that says why."""
    if read_as_json(content_type):
        return err
    media = (content_type or "").split(";", 1)[0].strip()[:80]
    return UnsupportedMediaType(
        f"Content-Type {media} is not read by POST {route}: send the body as application/json (or "
        f"application/octet-stream with {HEADER_LENGTH}, the binary tensor extension)",
        content_type=media)
