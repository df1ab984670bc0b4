"""What operations need to know about the workers: when each periodic job last ran."""

from __future__ import annotations

from django.db import models

# The heartbeat the SLA sweep writes and /healthz reads.
SWEEP_HEARTBEAT = "sla_sweep"


class Heartbeat(models.Model):
    """The last time a periodic job finished (one row per job, overwritten): ``/healthz`` reads it."""

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
