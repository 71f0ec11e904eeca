"""The simulated agencies' systems as a process of their own (`--simulators process`).

By default the agency adapter runs the simulated systems inside its own process
(`LIENTHONG_ADAPTER_SIMULATORS=true`, each on a free port), so their CPU time is counted as
the adapter's. Here the very same systems (`EmbeddedSimulators`: behaviour, credentials,
result documents) are served by a process of their own, and the adapter is given the shipped
agencies file with every `{simulator:NAME}` endpoint pointing at them: the results then
separate the adapter's cost from the simulated agencies', as in production where the
agencies' systems are not ours.

    python bench/_agencies.py --delay 2.0 --ready-file URLS.json   (SIGTERM stops it)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from contextlib import AsyncExitStack
from pathlib import Path

from lienthong_agency_adapter.config import DEFAULT_AGENCIES_FILE, load_agencies
from lienthong_agency_adapter.simulators.embedded import EmbeddedSimulators
from lienthong_agency_adapter.simulators.server import serving


def announce(ready_file: Path, urls: dict[str, str]) -> None:
    """System name → base URL, written in one go (the bench waits for the file)."""
    partial = ready_file.with_suffix(".partial")
    partial.write_text(json.dumps(urls))
    partial.rename(ready_file)


async def serve(delay_s: float, ready_file: Path) -> None:
    simulators = EmbeddedSimulators(answer_delay_s=delay_s)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    async with AsyncExitStack() as stack:
        systems = (
            simulators.civil_status,
            simulators.residence,
            simulators.social_insurance,
            simulators.departments,
        )
        for system in systems:
            stack.push_async_callback(system.close)
        urls = {}
        for name, app in simulators._apps().items():  # the shipped systems, as the adapter's
            urls[name] = await stack.enter_async_context(serving(app, simulators.host, 0))
        announce(ready_file, urls)
        await stopping.wait()


def agencies_file(urls: dict[str, str], path: Path) -> Path:
    """The shipped agencies file with each `{simulator:NAME}` replaced by NAME's URL."""
    text = DEFAULT_AGENCIES_FILE.read_text(encoding="utf-8")
    for name, url in urls.items():
        text = text.replace(f"{{simulator:{name}}}", url.rstrip("/"))
    path.write_text(text, encoding="utf-8")
    load_agencies(path).check_simulators(None)  # raises if an endpoint still names one
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--delay", type=float, default=2.0, help="officer's answer delay (s)")
    parser.add_argument("--ready-file", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.delay, args.ready_file))
