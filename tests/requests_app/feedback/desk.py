"""The service desk driven at chosen instants, the way people and Celery beat drive it.

Every call travels to its instant on a stopped clock (``time_machine``, ``tick=False``), acts through the
real services and commits, so what was enqueued on commit (emails, feedback mail tasks) runs. Pages are
read by a client signed in at that instant (a session made in real time would have expired in 2027).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.test import Client
from django.urls import reverse

from requests_app import services
from requests_app.feedback import services as feedback_services
from requests_app.feedback.models import Feedback, Kudos, SummaryRun
from requests_app.feedback.services import deliveries as feedback_mail
from requests_app.feedback.services.summaries import summaries_refresh
from requests_app.feedback.services.sweep import FeedbackSweepResult, feedback_sweep
from requests_app.models import ServiceRequest
from requests_app.services.sweep import SweepResult, sla_sweep

from ...clocked import ClockedDesk

BERLIN = ZoneInfo("Europe/Berlin")

# Each service's required values, so filing through the service layer looks like filing through the form.
VALUES = {
    "laptop-replacement": {"asset_tag": "LT-1", "reason": "Slow"},
    "employment-certificate": {"purpose": "Bank"},
}


def berlin(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """That wall-clock time in Berlin (the office calendar's zone) on ``day``."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def fresh(sr: ServiceRequest) -> ServiceRequest:
    """The row as a new web request would load it."""
    return ServiceRequest.objects.get(pk=sr.pk)


class Desk(ClockedDesk):
    # --- people -------------------------------------------------------------------------------------

    def file(
        self, moment: datetime, *, service: Any = None, requester: Any = None, title: str = "Please help"
    ) -> ServiceRequest:
        service = service or self.world.laptop
        with self.at(moment):
            return services.request_file(
                service=service,
                requester=requester or self.world.requester,
                title=title,
                values=VALUES.get(service.slug, {}),
            )

    def reply(self, sr: ServiceRequest, moment: datetime, *, by: Any = None, body: str = "On it.") -> None:
        with self.at(moment):
            services.comment_add(service_request=fresh(sr), author=by or self.world.agent, body=body)

    def resolve(self, sr: ServiceRequest, moment: datetime, *, by: Any = None) -> None:
        with self.at(moment):
            services.request_resolve(service_request=fresh(sr), by=by or self.world.agent, resolution_note="Fixed.")

    def reopen(self, sr: ServiceRequest, moment: datetime, *, by: Any = None) -> None:
        with self.at(moment):
            services.request_change_status(service_request=fresh(sr), to_status="open", by=by or self.world.agent)

    def rate(self, sr: ServiceRequest, moment: datetime, rating: int, comment: str = "") -> Feedback:
        sr = fresh(sr)
        with self.at(moment):
            return feedback_services.feedback_give(service_request=sr, by=sr.requester, rating=rating, comment=comment)

    def thank(
        self, sr: ServiceRequest, moment: datetime, *, sender: Any, recipient: Any, message: str = "Thanks!"
    ) -> Kudos:
        with self.at(moment):
            return feedback_services.kudos_give(
                service_request=fresh(sr), sender=sender, recipient=recipient, message=message
            )

    def served(
        self,
        moment: datetime,
        *,
        reply: datetime,
        resolve: datetime | None = None,
        service: Any = None,
        requester: Any = None,
        by: Any = None,
    ) -> ServiceRequest:
        """File at ``moment``, first public reply by ``by`` (the IT agent) at ``reply``, resolve at ``resolve``."""
        sr = self.file(moment, service=service, requester=requester)
        self.reply(sr, reply, by=by)
        if resolve is not None:
            self.resolve(sr, resolve, by=by)
        return fresh(sr)

    # --- Celery beat and workers --------------------------------------------------------------------

    def sla_sweep(self, moment: datetime) -> SweepResult:
        with self.at(moment):
            return sla_sweep(now=moment)

    def feedback_sweep(self, moment: datetime) -> FeedbackSweepResult:
        with self.at(moment):
            return feedback_sweep(now=moment)

    def deliver(self, moment: datetime, kind: str, object_id: int, number: int = 0) -> bool:
        """A (duplicated) delivery task running at ``moment``."""
        with self.at(moment):
            return feedback_mail.deliver(kind, object_id, number)

    def refresh(self, moment: datetime, first: date, last: date | None = None) -> SummaryRun:
        with self.at(moment):
            return summaries_refresh(days=days(first, last or first), now=moment)

    # --- pages --------------------------------------------------------------------------------------

    def client(self, user: Any, moment: datetime) -> Client:
        with time_machine.travel(moment, tick=False):
            client = Client()
            client.force_login(user)
        return client

    def get(self, user: Any, path: str, moment: datetime, **extra: Any) -> Any:
        client = self.client(user, moment)
        with time_machine.travel(moment, tick=False):
            return client.get(path, **extra)

    def post(self, user: Any, path: str, moment: datetime, data: dict[str, Any] | None = None) -> Any:
        client = self.client(user, moment)
        with self.at(moment):
            return client.post(path, data or {})


def url(name: str, *args: Any) -> str:
    """A feedback-loop page's address by its URL name."""
    return reverse(f"feedback:{name}", args=args)
