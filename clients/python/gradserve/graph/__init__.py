"""`mindspore.graph` (MindSpore 2.9+, where `mindspore.common.api` moved): its api and mutable modules."""
from . import api, mutable  # noqa: F401

__all__: list[str] = []
