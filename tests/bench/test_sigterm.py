"""A SIGTERM ends a run the way an error does (`bench/_sigterm.py`): raised where the run is,
or, inside the event loop, as a cancellation that lets every coroutine clean up; one more
SIGTERM during the cleanup is ignored."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from _sigterm import Terminated, Termination


def sigterm() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


def test_a_sigterm_outside_the_loop_is_raised_where_the_run_is() -> None:
    before = signal.getsignal(signal.SIGTERM)
    cleaned = []

    def run() -> None:
        with Termination():
            try:
                sigterm()
                pytest.fail("the SIGTERM did not stop the run")
            finally:
                cleaned.append("stopped and purged")

    with pytest.raises(Terminated):
        run()
    assert cleaned == ["stopped and purged"]
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_sigterm_inside_the_loop_cancels_the_run_and_its_cleanup_runs() -> None:
    cleaned = []

    async def work() -> str:
        asyncio.get_running_loop().call_soon(sigterm)
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0)  # a coroutine's own cleanup may await
            cleaned.append("follower stopped")
        return "done"

    with pytest.raises(Terminated), Termination() as termination:
        termination.run(work())
    assert cleaned == ["follower stopped"]


def test_a_sigterm_whose_cancellation_is_swallowed_still_stops_the_run() -> None:
    async def work() -> str:
        asyncio.get_running_loop().call_soon(sigterm)
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            return "carried on"
        return "done"

    with pytest.raises(Terminated), Termination() as termination:
        termination.run(work())


def test_the_run_without_a_sigterm_returns_its_result() -> None:
    async def work() -> str:
        return "done"

    with Termination() as termination:
        assert termination.run(work()) == "done"


def test_a_sigterm_during_the_cleanup_is_ignored() -> None:
    with Termination() as termination:
        with termination.uninterrupted_after():
            pass
        sigterm()  # the cleanup goes on
        cleaned = True
    assert cleaned
