"""`python -m app`: serve jobrank with uvicorn, configured by JOBRANK_* variables (the container's CMD).

JOBRANK_HOST (0.0.0.0), JOBRANK_PORT (8000), JOBRANK_WORKERS (1) and JOBRANK_SHUTDOWN_GRACE_S (20:
seconds SIGTERM waits for in-flight requests before closing what is left) go to uvicorn; every other
JOBRANK_* variable is read by the app's settings (app/config.py).
"""

from __future__ import annotations

import os
import sys


def _int_env(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw.strip() else default
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        print(f"error: {name}={raw!r}: must be a whole number from {low} to {high}", file=sys.stderr)
        raise SystemExit(2)
    return value


def main() -> None:
    """Run uvicorn on app.main:app with the JOBRANK_* server settings."""
    import uvicorn

    uvicorn.run(
        "app.main:app",
        host=os.environ.get("JOBRANK_HOST", "0.0.0.0"),
        port=_int_env("JOBRANK_PORT", 8000, 1, 65535),
        workers=_int_env("JOBRANK_WORKERS", 1, 1, 64),
        timeout_graceful_shutdown=_int_env("JOBRANK_SHUTDOWN_GRACE_S", 20, 1, 3600),
        timeout_keep_alive=5,
        access_log=False,
    )


if __name__ == "__main__":
    main()
