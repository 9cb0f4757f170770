"""Which event loop is running: what connections and locks opened by a task belong to."""

from __future__ import annotations

import sys
from asyncio import _get_running_loop

__all__ = ["current_event_loop"]


def current_event_loop() -> object:
    """What the running task's connections belong to: the asyncio loop, else trio's run.

    A connection opened under one event loop cannot be used under another (its socket
    is registered with the first loop); engines compare this with the loop that opened
    their pool and start a new pool when it differs.
    """
    loop = _get_running_loop()
    if loop is not None:
        return loop
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            return trio.lowlevel.current_trio_token()
        except RuntimeError:
            pass
    return None
