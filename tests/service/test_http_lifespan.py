"""The app's lifespan freezes what startup built out of the cyclic collector's sight once the pools are
up (a full collection no longer walks it) and gives it back when the app ends (an app ending before its
process, as in tests, leaves nothing uncollectable)."""
from __future__ import annotations

import asyncio
import gc

from service.core import Core
from service.http_app import create_app
from service.settings import Settings


def test_startup_objects_are_frozen_while_the_app_runs_and_released_after():
    s = Settings()
    core = Core(s)
    seen = []

    async def start():
        seen.append(("start", gc.get_freeze_count()))

    async def stop():
        seen.append(("stop", gc.get_freeze_count()))

    core.start, core.stop = start, stop  # type: ignore[method-assign]  (no pools)
    app = create_app(s, core)

    async def main():
        async with app.router.lifespan_context(app):
            seen.append(("running", gc.get_freeze_count()))

    gc.unfreeze()
    asyncio.run(main())
    assert seen[0] == ("start", 0) and seen[1][1] > 1000 and seen[2] == ("stop", 0), seen
    assert gc.get_freeze_count() == 0
