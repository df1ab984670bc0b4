"""Filing a request: numbering, clocks, assignment rules, the first notification."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from departments.models import PRIORITY_RANK, Department, Priority, Service

from .. import notifications, sla_engine
from ..models import (
    EventKind,
    NotificationKind,
    ServiceRequest,
)
from ._common import record, save_attachments


def request_file(
    *,
    service: Service,
    requester: AbstractBaseUser,
    title: str,
    values: Mapping[str, Any],
    files: Iterable[tuple[str, UploadedFile]] = (),
    priority: str | None = None,
) -> ServiceRequest:
    """File a request against an active service; ``values`` are already validated by the service's form.

    The reference number comes from a conditional increment on the department
    row inside this transaction, so concurrent filings serialise on that row and
    never share a number.
    """
    if not service.is_active or not service.department.is_active:
        raise ValidationError("This service is not available any more.")
    priority = priority or service.default_priority
    if priority not in Priority.values:
        raise ValidationError({"priority": f"Unknown priority {priority!r}."})
    now = timezone.now()
    config = sla_engine.SLAConfig([service.pk])
    with transaction.atomic():
        Department.objects.filter(pk=service.department_id).update(last_request_number=F("last_request_number") + 1)
        department = Department.objects.only("reference_prefix", "last_request_number").get(pk=service.department_id)
        number = department.last_request_number
        service_request = ServiceRequest(
            service=service,
            department_id=service.department_id,
            number=number,
            reference=f"{department.reference_prefix}-{number}",
            requester=requester,
            title=title.strip(),
            values=dict(values),
            priority=priority,
            priority_rank=PRIORITY_RANK[priority],
            created_at=now,
            updated_at=now,
        )
        sla_engine.start_clocks(service_request, config, now)
        service_request.save(force_insert=True)
        save_attachments(service_request, files=files, uploaded_by=requester)
        record(service_request, actor=requester, kind=EventKind.FILED, to_value=service_request.reference)
        notifications.notification_create(request_id=service_request.pk, kind=NotificationKind.REQUEST_FILED, now=now)
    return service_request
