"""Shared by the wrk benchmarks (files starting with "_" are not benchmarks; run_all.py skips them): gunicorn
servers started and stopped by pid, wrk runs whose Lua `done()` prints the figures, and CPU accounting."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

DONE_LUA = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT requests=%d status_errors=%d socket_errors=%d duration_us=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d\n", summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def lua_script(template: str, **values) -> str:
    """Write a wrk script (a %-template given `values` and DONE_LUA as `done`) to a temporary file; its path."""
    path = Path(tempfile.mkstemp(prefix="wk-bench-", suffix=".lua")[1])
    path.write_text(template % {**values, "done": DONE_LUA})
    return str(path)


class Gunicorn:
    """gunicorn with `workers` sync workers in its own process group; stopped by its pid."""

    def __init__(self, app: str, *, env: dict, chdir: Path, workers: int):
        self.port = free_port()
        self.log = Path(tempfile.mkstemp(prefix="wk-gunicorn-", suffix=".log")[1])
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [GUNICORN, app, "--workers", str(workers), "--worker-class", "sync", "--bind",
                 f"127.0.0.1:{self.port}", "--chdir", str(chdir), "--backlog", "2048", "--graceful-timeout", "5"],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while len(self.workers()) < workers or not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)  # noqa: S310
        except urllib.error.HTTPError:
            return True  # the bare project has no /healthz: any HTTP answer means it is up
        except OSError:
            return False
        return True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def workers(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def peak_rss_mb(self) -> list[float]:
        peaks = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024)
        return peaks

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.log.unlink(missing_ok=True)


def free_port() -> int:
    from tests.realworld.harness import free_port as harness_free_port

    return harness_free_port()


def wrk(url: str, script: str, seconds: int, *, connections: int) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script, url],
        capture_output=True, text=True, check=True,
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    match = re.search(r"WRK_RESULT (.*)", out)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    result = {k: int(v) for k, v in (pair.split("=") for pair in match[1].split())}
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["ok"] = result["requests"] - result["status_errors"]
    result["cpu_wrk_us"] = wrk_cpu / max(result["requests"], 1) * 1e6
    return result


def fmt(result: dict) -> str:
    return (f"{result['rps']:>8,.0f} req/s  p50 {result['p50_us'] / 1000:>6.1f} ms"
            f"  p99 {result['p99_us'] / 1000:>6.1f} ms  max {result['max_us'] / 1000:>6.1f} ms"
            f"  non-2xx {result['status_errors']:>5}"
            f"  socket errors {result['socket_errors']}")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time consumed so far by these processes."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")
