"""The top functions of a service run under cProfile, for the results file."""

from __future__ import annotations

import pstats
import sys
from pathlib import Path
from typing import Any

_PREFIXES = sorted({str(Path(p)) + "/" for p in sys.path if p}, key=len, reverse=True)


def _where(file: str, line: int, function: str) -> str:
    for prefix in _PREFIXES:
        if file.startswith(prefix):
            file = file[len(prefix) :]
            break
    return f"{file}:{line}({function})" if line else function


def top_functions(path: Path, count: int = 25) -> dict[str, Any]:
    """Top `count` functions by own time and by cumulative time (seconds, calls)."""
    try:
        stats = pstats.Stats(str(path))
    except (OSError, TypeError, EOFError) as exc:  # the process was killed before writing
        return {"error": f"no profile: {type(exc).__name__}"}
    table = stats.stats  # type: ignore[attr-defined]
    rows = [
        {
            "function": _where(*key),
            "calls": calls,
            "own_s": round(own, 3),
            "cumulative_s": round(cumulative, 3),
        }
        for key, (_primitive, calls, own, cumulative, _callers) in table.items()
    ]
    total = stats.total_tt  # type: ignore[attr-defined]
    return {
        "file": str(path),
        "total_s": round(total, 2),
        "by_own_time": sorted(rows, key=lambda r: -r["own_s"])[:count],
        "by_cumulative_time": sorted(rows, key=lambda r: -r["cumulative_s"])[:count],
        "note": "cProfile over the measured window only, timer = the process's CPU time (waits "
        "cost nothing); the main thread (the event loop); profiling slows the service, so read "
        "shares of total_s rather than absolute times",
    }
