"""What every benchmark shares: a sandbox in its own process (so its CPU never competes with the client's for
the GIL), its control routes, configs generated from its state, and timing of the real CLI.

Benchmarks print figures; they never assert on time.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret-0c4f9e"  # a sandbox credential, not a real one
ACCOUNT = 41902
HEADER = (
    "version: 1\nprovider: abtasty\naccount:\n  id: 41902\n  credentials:\n"
    "    client_id: ${ABTASTY_CLIENT_ID}\n    client_secret: ${ABTASTY_CLIENT_SECRET}\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Sandbox:
    """A sandbox process and a client for its ``/_sandbox`` control routes."""

    url: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def control(self, method: str, path: str, json: Any = None) -> Any:
        response = httpx.request(method, f"{self.url}/_sandbox/{path}", json=json, timeout=120)
        response.raise_for_status()
        return response.json() if response.content else None

    def state(self) -> dict[str, Any]:
        return dict(self.control("GET", "state"))

    def requests(self) -> list[dict[str, Any]]:
        return list(self.control("GET", "requests"))

    def service(self) -> list[float]:
        """Per logged request, the ms it spent in the sandbox beyond its injected latency."""
        return [float(ms) for ms in self.control("GET", "service")]

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def set_faults(self, **faults: Any) -> None:
        self.control("POST", "faults", faults)

    def env(self) -> dict[str, str]:
        """The environment that points the CLI at this sandbox."""
        return {
            **os.environ,
            "ABTASTY_API_URL": self.url,
            "ABTASTY_API2_URL": self.url,
            "ABTASTY_AUTH_URL": f"{self.url}/oauth/v2/token",
            "ABTASTY_CLIENT_ID": CLIENT_ID,
            "ABTASTY_CLIENT_SECRET": CLIENT_SECRET,
        }


@contextlib.contextmanager
def sandbox(
    seed: str,
    latency_ms: float = 0,
    page_cap: int = 100,
    state: Path | None = None,
    page_cache: bool = True,
) -> Iterator[Sandbox]:
    """``reconciler sandbox serve`` in a child process, stopped on exit; ``page_cache`` serves unchanged list
    pages pre-serialised (``serve --page-cache``), so the sandbox is not what a benchmark measures."""
    port = free_port()
    argv = [sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", str(port), "--seed", seed]
    argv += ["--page-cap", str(page_cap), "--latency", str(latency_ms)]
    if state is not None:
        argv += ["--state", str(state)]
    if page_cache:
        argv.append("--page-cache")
    env = {**os.environ, "ABTASTY_CLIENT_ID": CLIENT_ID, "ABTASTY_CLIENT_SECRET": CLIENT_SECRET}
    # stderr to a file, not a pipe: nobody drains a pipe while the benchmark runs, and a full one blocks.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log)
        box = Sandbox(f"http://127.0.0.1:{port}", process, log)
        try:
            _wait_ready(box)
            yield box
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_ready(box: Sandbox) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if box.process.poll() is not None:
            raise SystemExit(
                f"sandbox exited: {box.process.stderr.read().decode() if box.process.stderr else ''}"
            )
        with contextlib.suppress(httpx.HTTPError):
            box.control("GET", "faults")
            return
        time.sleep(0.05)
    raise SystemExit("sandbox did not start within 60 s")


def test_entry(test: dict[str, Any]) -> str:
    """A config entry that declares a test exactly as it is (so the plan has no changes)."""
    state = test["state"]
    line = f"  - id: {test['id']}\n    state: {state}\n"
    if state == "play":
        line += f"    mode: {'preprod' if test.get('preprod') else 'prod'}\n"
    return line


def member_entry(member: dict[str, Any]) -> str:
    return f"  - email: {member['email']}\n    role: {member['role']}\n"


def write_config(
    path: Path, tests: Sequence[dict[str, Any]], members: Sequence[dict[str, Any]] | None
) -> Path:
    """A config declaring ``tests`` (and ``members``, when given) as they are."""
    parts = [HEADER, "tests:\n", *(test_entry(t) for t in tests)]
    if members is not None:
        parts += ["memberships:\n  prune: false\n  members:\n", *(member_entry(m) for m in members)]
    path.write_text("".join(parts))
    return path


@dataclass
class Run:
    """One timed CLI run; ``sandbox_cpu``: the CPU seconds the sandbox process spent meanwhile (Linux)."""

    code: int
    wall: float
    requests: int
    stdout: str
    sandbox_cpu: float | None = None
    service_ms: list[float] | None = None  # per request, the sandbox's time beyond its injected latency
    cpu: float | None = None  # the CLI process's own CPU seconds
    rss_mb: float | None = None  # and its peak resident memory


def reconciler_argv() -> list[str]:
    """The ``reconciler`` console script next to this interpreter (what a user runs), else ``-m``."""
    script = Path(sys.executable).with_name("reconciler")
    return [str(script)] if script.exists() else [sys.executable, "-m", "reconciler"]


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` so far, from ``/proc`` (None where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_cli(box: Sandbox, *args: str) -> Run:
    """``reconciler ARGS`` as a user runs it (a fresh process), against ``box``; requests from its log."""
    box.clear_requests()
    cpu_before = process_cpu(box.process.pid)
    done = timed_process([*reconciler_argv(), *args], box.env())
    cpu_after = process_cpu(box.process.pid)
    if done.code not in (0, 2):
        raise SystemExit(f"reconciler {' '.join(args)} exited {done.code}:\n{done.stderr}")
    cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    run = Run(done.code, done.wall, len(box.requests()), done.stdout, cpu, box.service())
    run.cpu, run.rss_mb = done.cpu, done.rss_mb
    return run


@dataclass
class Finished:
    """A finished process: exit code, wall seconds, its own CPU seconds and peak RSS (from ``wait4``)."""

    code: int
    wall: float
    cpu: float
    rss_mb: float
    stdout: str
    stderr: str


def timed_process(argv: Sequence[str], env: dict[str, str] | None = None) -> Finished:
    """Run ``argv`` to its end; the kernel's accounting of that one child (not of the harness's others)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Finished(
            process.returncode,
            wall,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024,  # KiB on Linux
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


def median_run(box: Sandbox, repeats: int, *args: str, warm_up: bool = False) -> Run:
    """The run with the median wall time of ``repeats``; ``warm_up`` first makes one run that is not counted
    (it fills the sandbox's page cache and the OS's file cache)."""
    if warm_up:
        run_cli(box, *args)
    runs = sorted((run_cli(box, *args) for _ in range(repeats)), key=lambda r: r.wall)
    return runs[len(runs) // 2]


def timed_seconds(argv: Sequence[str], repeats: int, env: dict[str, str] | None = None) -> float:
    """The median wall time of ``repeats`` runs of ``argv`` (after one run that is not counted)."""
    times = []
    for i in range(repeats + 1):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, env=env)
        if i:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def startup_seconds(repeats: int = 5) -> float:
    """Interpreter start plus our imports: the fixed cost of any ``reconciler`` command."""
    return timed_seconds([*reconciler_argv(), "--version"], repeats)


def machine() -> str:
    """One line naming the machine the figures come from."""
    cores = os.cpu_count()
    return f"{platform.system()} {platform.machine()}, {cores} cores, Python {platform.python_version()}"
