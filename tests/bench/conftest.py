"""The bench's modules import each other by name (they are scripts' modules, not a package):
their directory goes on the path, as `tests/system/test_faults.py` does."""

from __future__ import annotations

import sys

from tests.conftest import ROOT

if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))
