"""The HTTP app over a Core whose `run` is replaced (no pools started): for tests of the HTTP layer alone."""
from __future__ import annotations

from service.core import Core
from service.http_app import create_app
from service.settings import Settings


def fake_app(run, **settings):
    """(Settings, app): `run(req)` answers every job; an admission place taken for it is released first."""
    s = Settings(**settings)
    core = Core(s)

    async def fake_run(req, admission=None):
        if admission is not None:
            admission.release()
        return await run(req)

    core.run = fake_run  # type: ignore[method-assign]
    return s, create_app(s, core)
