"""How bench/ceiling.py, bench/floors.py and bench/frozen_serve.py serve their app: granian's ASGI
server with ``workers`` processes, each building the app from ``target`` (``module:factory``), as
``inboxd serve`` runs inboxd's, so that what the benchmark compares differs only in the app."""

from __future__ import annotations

from granian import Granian
from granian.constants import Interfaces


def serve(target: str, host: str, port: int, workers: int) -> None:
    Granian(target, address=host, port=port, interface=Interfaces.ASGI, workers=workers, factory=True).serve()
