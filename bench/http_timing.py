"""Timing GET requests against a local server, shared by the p95 benches (api_p95, pages_p95)."""

import contextlib
import http.client
import os
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed_get(port: int, path: str, headers: dict[str, str]) -> float:
    """Milliseconds for one GET on a fresh connection; a non-200 answer stops the bench."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - start
    conn.close()
    if response.status != 200:
        raise SystemExit(f"GET {path} answered {response.status}")
    return elapsed * 1000


def wait_until_up(port: int, path: str, headers: dict[str, str], seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            timed_get(port, path, headers)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer on port {port}")


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


@contextlib.contextmanager
def gunicorn(name: str, port: int, workers: int, **settings: str):
    """gunicorn serving the portal on 127.0.0.1:`port` with production settings over plain
    http (no Redis, warnings only; `settings` adds or overrides environment variables), its
    output in a temporary log file; stopped on leaving."""
    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    env.pop("REDIS_URL", None)
    bin_dir = ROOT / ".venv" / "bin"
    # static files as production serves them (whitenoise's manifest)
    subprocess.run(
        [bin_dir / "python", "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    with open(Path(tempfile.gettempdir()) / f"bench-{name}-gunicorn-{port}.log", "w") as log:
        server = subprocess.Popen(
            [bin_dir / "gunicorn", "portal.wsgi", "--workers", str(workers)]
            + ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            yield server
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
