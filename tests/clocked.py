"""The desk driven at chosen instants, shared by the SLA-engine and feedback tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import time_machine


class ClockedDesk:
    """Acts at an instant on a stopped clock; every call commits, so on-commit deliveries run."""

    def __init__(self, world: Any, on_commit: Any) -> None:
        self.world = world
        self._on_commit = on_commit

    @contextmanager
    def at(self, moment: datetime) -> Iterator[None]:
        with time_machine.travel(moment, tick=False), self._on_commit(execute=True):
            yield
