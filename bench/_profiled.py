"""`lienthong ...` under cProfile, switched on and off from outside: SIGUSR1 starts profiling,
SIGUSR2 stops it and writes the stats. The bench brackets exactly its measured window, so the
profile shows the load, not the imports at start-up; the timer is the process's CPU time, so
waiting (the event loop's epoll) costs nothing and the numbers are where CPU went.

    python bench/_profiled.py OUT.prof run SERVICE --port ...   (the `lienthong` arguments)
"""

from __future__ import annotations

import cProfile
import signal
import sys
import time
from types import FrameType


def main(out: str, arguments: list[str]) -> None:
    profile = cProfile.Profile(time.process_time)

    def start(_signum: int, _frame: FrameType | None) -> None:
        profile.enable()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        profile.disable()
        profile.dump_stats(out)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    from lienthong.cli.main import app

    sys.argv = ["lienthong", *arguments]
    app()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
