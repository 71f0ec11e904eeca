"""Processes the end-to-end bench starts, watches and always stops; CPU time from /proc.

Every child runs in its own session (Ctrl-C in the terminal reaches only the bench, which then
stops the children in order) and gets SIGTERM from the kernel if the bench itself dies
(PR_SET_PDEATHSIG), so no run leaves services behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from _infra import SHARED_INFRA_DIR

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the bench goes away, however it goes."""
    with contextlib.suppress(OSError):  # not glibc: the bench's own cleanup still stops them
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # the fields after "pid (comm) ", from state


def cpu_seconds(pid: int, waited_children: bool = False) -> float | None:
    """User + system CPU seconds of a live process (None if it is gone); with
    `waited_children`, plus those of its children that have exited."""
    fields = _stat(pid)
    if fields is None:
        return None
    ticks = int(fields[11]) + int(fields[12])
    if waited_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def tree_cpu(pid: int) -> float:
    """A server and its worker processes (PostgreSQL's backends come and go: the live ones
    are counted directly, the exited ones through the postmaster's waited-children time)."""
    own = cpu_seconds(pid, waited_children=True)
    if own is None:
        return 0.0
    return own + sum(s for child in _children(pid) if (s := cpu_seconds(child)) is not None)


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


@dataclass
class Child:
    """One process the bench started."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None
    stop_timeout_s: float = 20.0
    exit_code: int | None = field(default=None, init=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL to its whole process group, as a crash would; waits until it is gone."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)  # its own session: pgid = pid
            self.popen.wait(10)
        self.exit_code = self.popen.returncode

    def stop(self) -> None:
        """SIGTERM (a graceful stop commits offsets and writes profiles), then SIGKILL."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self.exit_code = self.popen.returncode


def spawn(
    name: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    log_dir: Path,
    port: int | None = None,
    cwd: Path | None = None,
    stop_timeout_s: float = 20.0,
    append: bool = False,
) -> Child:
    """Start `argv` in a session of its own, its output in `<log_dir>/<name>.log` (appended
    to with `append`, as a restarted process's is)."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab" if append else "wb") as log:
        popen = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # only prctl: safe between fork and exec
        )
    return Child(name, popen, log_path, port, stop_timeout_s)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Cleanup that a second Ctrl-C (or SIGTERM) must not cut short; it is bounded anyway."""
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stop_all(children: Sequence[Child]) -> None:
    """SIGTERM to all at once, then wait for each (SIGKILL after its timeout)."""
    with shielded():
        for child in children:
            if child.alive():
                child.popen.send_signal(signal.SIGTERM)
        for child in children:
            child.stop()


def wait_healthy(child: Child, path: str = "/healthz", timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{child.name} exited while starting:\n{child.log_tail()}")
        try:
            if httpx.get(child.url + path, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{child.name} not healthy after {timeout_s:.0f}s:\n{child.log_tail()}")


# --- the infrastructure's processes (started by deploy/local/infra, never by us) ------------


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def _pid_file(path: Path, marker: str) -> int | None:
    """The pid on the file's first line, if that process is still the one named."""
    try:
        pid = int(path.read_text().split("\n", 1)[0].strip())
    except (OSError, ValueError):
        return None
    return pid if marker in _cmdline(pid) else None


def _scan(marker: str) -> list[int]:
    pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
    return [pid for pid in pids if marker in _cmdline(pid) and pid != os.getpid()]


def infra_processes(state: Path = SHARED_INFRA_DIR) -> dict[str, int]:
    """Kafka, FerretDB and PostgreSQL (the postmaster) of `deploy/local/infra`: from the pid
    files of its state dir; if there are none, a /proc scan, which holds only when a single
    instance runs on the machine."""
    files = {
        "kafka": (state / "kafka/kafka.pid", "kafka.Kafka"),
        "ferretdb": (state / "ferretdb/ferretdb.pid", "ferretdb"),
        "postgres": (state / "postgres/data/postmaster.pid", "bin/postgres"),
    }
    found: dict[str, int] = {}
    for name, (path, marker) in files.items():
        pid = _pid_file(path, marker)
        if pid is None:
            candidates = _scan(marker)
            pid = candidates[0] if len(candidates) == 1 else None
        if pid is not None:
            found[name] = pid
    return found
