"""`python -m app`: serve jobrank with uvicorn, configured by JOBRANK_* variables (the container's CMD).

JOBRANK_HOST, JOBRANK_PORT, JOBRANK_WORKERS, JOBRANK_SHUTDOWN_GRACE_S and JOBRANK_KEEP_ALIVE_S go to
uvicorn (app/api/server.py); every setting is described in app/config.py. A bad value stops here with
one line naming the variable.
"""

from __future__ import annotations

import sys

from app.config import Settings, SettingsError


def main() -> None:
    """Run uvicorn on app.main:app with the JOBRANK_* server settings."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    from app.api.server import serve

    serve(settings)


if __name__ == "__main__":
    main()
