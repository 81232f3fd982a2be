"""The child process that hosts the Sail Spark Connect server (``--engine sail``).

Run as a script (``python .../_sail_server.py``) by :mod:`dltflow.local.engines.sail`, not imported:
it needs nothing of dltflow, so it starts in a fraction of a second. It prints the port
it listens on (one line), then serves until its stdin closes, which happens when the
parent stops it or dies in any way (even ``kill -9``), so a server never outlives its run.
Ctrl-C is left to the parent, which then stops the child in order.

Why a child and not a thread of the caller: Sail checks the *server* Python's
``pyspark.__version__`` when a session is created and refuses versions it does not
know yet (pysail 0.7 knows PySpark up to 4.2; the PySpark 4.3 client works with it).
The child tells Sail the newest version it knows instead, without touching the
caller's own ``pyspark`` module.
"""

from __future__ import annotations

import signal
import sys

NEWEST_KNOWN = (4, 2)
"""The newest PySpark release line the pinned pysail (0.7) accepts."""


def _known_version() -> None:
    """Report a PySpark version Sail accepts, when the installed one is newer."""
    import pyspark

    parts = tuple(int(p) for p in pyspark.__version__.split(".")[:2] if p.isdigit())
    if parts > NEWEST_KNOWN:
        pyspark.__version__ = "{}.{}.0".format(*NEWEST_KNOWN)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _known_version()
    from pysail.spark import SparkConnectServer

    server = SparkConnectServer("127.0.0.1", 0)
    server.start(background=True)
    address = server.listening_address
    assert address is not None
    print(address[1], flush=True)
    try:
        sys.stdin.read()  # until the parent closes the pipe
    finally:
        server.stop()


if __name__ == "__main__":
    main()
