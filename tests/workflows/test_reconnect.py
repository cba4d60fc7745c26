"""The serve process's parts are started again when they stop (workflows/reconnect.py), with delays that
grow while they keep failing and stay bounded."""

from __future__ import annotations

import asyncio
import logging

import pytest

from workflows.reconnect import Backoff, keep_serving


def test_the_delay_doubles_up_to_its_bound_and_starts_over_after_a_reset():
    backoff = Backoff(first=1, most=8)

    delays = [backoff.next() for _ in range(6)]
    backoff.reset()

    for delay, expected in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert expected * 0.8 <= delay <= expected * 1.2
    assert 0.8 <= backoff.next() <= 1.2


def test_a_part_that_fails_is_started_again_until_it_runs(caplog):
    caplog.set_level(logging.WARNING, logger="workflows.reconnect")
    starts = []

    async def part() -> None:
        starts.append(1)
        if len(starts) < 3:
            raise OSError("timed out during opening handshake")
        await asyncio.sleep(3600)  # now it serves

    async def main() -> None:
        serving = asyncio.create_task(keep_serving("task worker", part, backoff=Backoff(first=0.01, most=0.02)))
        while len(starts) < 3:
            await asyncio.sleep(0.01)
        serving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await serving

    asyncio.run(main())

    assert len(starts) == 3
    assert caplog.text.count("the task worker stopped (OSError: timed out during opening handshake); "
                             "starting it again in") == 2
