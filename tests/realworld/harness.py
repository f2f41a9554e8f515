"""Real components for the real-world tests and the benchmarks: a webhook receiver, a private redis-server,
and Celery worker and beat subprocesses on the test database.

Nothing here touches the shared Redis or anyone else's database: every broker is a redis-server started on a
free port for the occasion, and the subprocesses get DATABASE_URL pointing at the database given.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"Timed out after {timeout:.0f} s waiting for {message}")


# --- the webhook receiver ---------------------------------------------------------------------------------


@dataclass
class Delivery:
    delivery_id: str
    body: dict
    signature_ok: bool
    received_at: float  # time.time()


@dataclass
class WebhookReceiver:
    """An http.server on 127.0.0.1 that records every POST, checks its signature and dedupes by the
    X-Watchkeeper-Delivery header, as a well-behaved receiver would. `slow_first` seconds of delay on the
    first request of each delivery id lets a test kill the sender mid-delivery; `fail_with` answers that
    status instead of 200 (to exercise retries)."""

    secret: str = ""
    slow_first: float = 0.0
    fail_with: int | None = None
    requests: list[Delivery] = field(default_factory=list)
    unique: dict[str, Delivery] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Event = field(default_factory=threading.Event)

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's API)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                delivery_id = self.headers.get("X-Watchkeeper-Delivery", "")
                expected = "sha256=" + hmac.new(receiver.secret.encode(), raw, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(expected, self.headers.get("X-Watchkeeper-Signature", ""))
                record = Delivery(delivery_id, json.loads(raw or b"{}"), ok, time.time())
                with receiver.lock:
                    first = delivery_id not in receiver.unique
                    receiver.requests.append(record)
                    # The dedupe: a repeat is answered, not acted on.
                    receiver.unique.setdefault(delivery_id, record)
                receiver.arrived.set()
                if first and receiver.slow_first:
                    time.sleep(receiver.slow_first)
                try:
                    self.send_response(receiver.fail_with or 200)
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender died mid-delivery

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self) -> tuple[int, int]:
        with self.lock:
            return len(self.requests), len(self.unique)


# --- a private redis-server ---------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of our own on a free port (never the shared one), which a test may stop and restart."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=10, message=f"redis-server on port {self.port}")
        return self

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


# --- Celery worker and beat -----------------------------------------------------------------------------------


def component_env(*, database_url: str, broker_url: str, **extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


class CeleryProcess:
    """`celery -A config worker|beat` in its own process group, logging to a file; stop() or kill()."""

    def __init__(self, kind: str, *, env: dict, args: list[str] | None = None, ready_text: str = "",
                 scratch: str | None = None):
        self.kind = kind
        self.scratch = scratch
        self.env = env
        self.args = args or []
        self.ready_text = ready_text
        self.log = Path(tempfile.mkstemp(prefix=f"wk-{kind}-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def start(self, *, timeout: float = 30) -> CeleryProcess:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [CELERY, "-A", "config", self.kind, *self.args], cwd=REPO, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        if self.ready_text:
            wait_for(lambda: self.ready_text in self.output() or self._died(), timeout=timeout,
                     message=f"celery {self.kind} to start")
            if self._died():
                raise RuntimeError(f"celery {self.kind} exited:\n{self.output()[-4000:]}")
        return self

    def _died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool children die mid-whatever."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, *, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def cleanup(self) -> None:
        """Remove the log file (and beat's schedule directory); call after stop()."""
        self.log.unlink(missing_ok=True)
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


def worker(env: dict, *, concurrency: int = 1, name: str = "w1") -> CeleryProcess:
    return CeleryProcess(
        "worker",
        env=env,
        args=["-l", "info", "-P", "prefork", "-c", str(concurrency), "-n", f"{name}@%h",
              "--without-gossip", "--without-mingle", "--without-heartbeat"],
        ready_text="ready.",
    )


def beat(env: dict) -> CeleryProcess:
    schedule_dir = tempfile.mkdtemp(prefix="wk-beat-")
    return CeleryProcess(
        "beat",
        env=env,
        args=["-l", "info", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
              "--pidfile=", f"--schedule={schedule_dir}/beat-schedule"],
        ready_text="beat: Starting",
        scratch=schedule_dir,
    )


def use_broker(url: str | None) -> None:
    """Point what this process publishes (the services' hand-overs to the broker) at `url`; None: back to the
    configured broker. broker_write_url, because a CELERY_BROKER_URL in the environment beats broker_url."""
    from config.celery import app

    app.conf.broker_write_url = url
    # Forget the pools (kombu keeps one per broker URL); the next publish builds them for the new URL.
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
