"""Timing GET requests against a local server, shared by the p95 benches (api_p95, pages_p95)."""

import http.client
import statistics
import time


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
