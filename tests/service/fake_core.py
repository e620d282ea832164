"""The HTTP app over a Core whose `run` is replaced (no pools started): for tests of the HTTP layer alone."""
from __future__ import annotations

from service.core import Core
from service.http_app import create_app
from service.settings import Settings


def fake_app(run, **settings):
    """(Settings, app): `run(req)` answers every job; an admission place taken for it is released first."""
    s = Settings(**settings)
    core = Core(s)
    replace_run(core, run)
    return s, create_app(s, core)


def replace_run(core: Core, run) -> None:
    """`core`'s job entries (run; run_now and run_rest, the HTTP runner's two halves) answered by `run(req)`."""

    async def fake_run(req, admission=None):
        if admission is not None:
            admission.release()
        return await run(req)

    core.run = fake_run  # type: ignore[method-assign]
    core.run_now = lambda req: ()  # type: ignore[method-assign]  # (nothing answered before a wait)
    core.run_rest = lambda req, front, admission=None: fake_run(req, admission)  # type: ignore[method-assign]
