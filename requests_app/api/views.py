"""The JSON API (``/api/v1/``): the same permission helpers, forms, selectors and services as the web
pages, so a rule holds everywhere or nowhere. Views stay thin: look up, validate, one service call."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from departments.models import Department, FieldType, Service
from departments.permissions import user_memberships

from .. import selectors, services
from ..forms import QueueFilterForm, ServiceRequestForm
from ..models import ServiceRequest
from ..permissions import can_work_on, get_queue_department_for_user, get_request_for_user
from ..selectors.queue import QUEUE_SORTS, SLA_STATES
from . import serializers as s
from .pagination import keyset_response_data, paginate, paginated_serializer

User = get_user_model()

ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="Invalid input: `errors` says which field and why."),
    401: OpenApiResponse(s.ErrorSerializer, description="Not signed in, or an unknown or revoked token."),
    403: OpenApiResponse(s.ErrorSerializer, description="Signed in, but not allowed to do this."),
    404: OpenApiResponse(s.ErrorSerializer, description="No such object, or not one you may see."),
}
PAGINATED_REQUESTS = paginated_serializer("PaginatedRequestList", s.RequestSerializer(many=True))
CONFLICT = {
    409: OpenApiResponse(s.ErrorSerializer, description="Not allowed by the workflow now, or changed meanwhile.")
}


class ApiView(APIView):
    permission_classes = [IsAuthenticated]


def _request_queryset() -> Any:
    return ServiceRequest.objects.select_related("service", "department", "requester", "assignee")


def _load(request: Request, reference: str) -> ServiceRequest:
    return get_request_for_user(request.user, reference, _request_queryset())


def _detail(request: Request, sr: ServiceRequest, *, status_code: int = 200, just_filed: bool = False) -> Response:
    """A request with its clocks, messages and history as ``request.user`` may see them.

    ``just_filed``: ``sr`` is what ``request_file`` returned, read with its service's SLA joins; it has
    no messages yet and its history is the events filing recorded, so nothing is read back (the hottest
    write path).
    """
    if just_filed:
        context = {
            "sla": selectors.sla_views([sr], services=[sr.service]),
            "comments": [],
            "events": [e for e in sr.recorded_events if not e.internal or can_work_on(request.user, sr)],
        }
    else:
        staff = can_work_on(request.user, sr)
        context = {
            "sla": selectors.sla_views([sr]),
            "comments": selectors.conversation(sr, include_internal=staff),
            "events": selectors.history(sr, include_internal=staff),
        }
    return Response(s.RequestDetailSerializer(sr, context=context).data, status=status_code)


def _list(request: Request, qs: Any, *, sort: str, cap: int = selectors.COUNT_CAP) -> Response:
    page = paginate(request, qs, sort=sort, cap=cap)
    data = s.RequestSerializer(page.rows, many=True, context={"sla": selectors.sla_views(page.rows)}).data
    return Response(keyset_response_data(request, page, data))


class MeView(ApiView):
    @extend_schema(
        summary="Who the caller is, and the queues they work",
        responses={
            200: inline_serializer(
                "Me",
                {
                    "id": serializers.IntegerField(),
                    "username": serializers.CharField(),
                    "name": serializers.CharField(),
                    "email": serializers.EmailField(),
                    "queues": inline_serializer(
                        "QueueMembership",
                        {"department": serializers.SlugField(), "role": serializers.CharField()},
                        many=True,
                    ),
                },
            ),
            401: ERRORS[401],
        },
    )
    def get(self, request: Request) -> Response:
        user = request.user
        return Response(
            {
                "id": user.pk,
                "username": user.get_username(),
                "name": user.get_full_name() or user.get_username(),
                "email": user.email,
                "queues": [{"department": m.department.slug, "role": m.role} for m in user_memberships(user)],
            }
        )


class CatalogView(ApiView):
    @extend_schema(
        summary="The catalog: active departments and their active services",
        responses={200: s.DepartmentSerializer(many=True), 401: ERRORS[401]},
    )
    def get(self, request: Request) -> Response:
        return Response(s.DepartmentSerializer(selectors.catalog_departments(), many=True).data)


class ServiceView(ApiView):
    @extend_schema(
        summary="A service: its standard, its form fields and its time commitments",
        responses={200: s.ServiceSerializer, 401: ERRORS[401], 404: ERRORS[404]},
    )
    def get(self, request: Request, pk: int) -> Response:
        try:
            service = selectors.service_for_filing(pk)
        except Service.DoesNotExist:
            raise Http404(_("No such service in the catalog.")) from None
        return Response(s.ServiceSerializer(service).data)


def _form_input(request: Request, service: Service, data: dict[str, Any]) -> tuple[QueryDict | dict, dict]:
    """The web form's input from the API's: ``values.<name>`` become the form's ``f_<name>``."""
    values = data.get("values") or {}
    if isinstance(values, str):
        try:
            values = json.loads(values)
        except json.JSONDecodeError:
            raise ValidationError({"values": [_("Send the field values as a JSON object.")]}) from None
    if not isinstance(values, dict):
        raise ValidationError({"values": [_("Send the field values as a JSON object keyed by field name.")]})
    definitions = {f.name: f for f in service.fields.all()}
    unknown = sorted(set(values) - set(definitions))
    if unknown:
        no_such_field = _("This service has no such field.")
        raise ValidationError({f"values.{name}": [no_such_field] for name in unknown})
    text_for_files = sorted(
        name for name, value in values.items() if definitions[name].field_type == FieldType.FILE and value
    )
    if text_for_files:
        raise ValidationError(
            {
                f"values.{name}": [
                    # Translators: "multipart/form-data" and "files.<name>" are literal API terms (not translated).
                    _("A file field takes a file: send multipart/form-data with files.%(name)s.") % {"name": name}
                ]
                for name in text_for_files
            }
        )
    form_data: dict[str, Any] = {"title": data.get("title", "")}
    for name, value in values.items():
        if value is None or value is False:
            continue  # an absent optional value; a checkbox left unticked
        form_data[ServiceRequestForm.FIELD_PREFIX + name] = value
    files = {
        ServiceRequestForm.FIELD_PREFIX + key.removeprefix("files."): upload
        for key, upload in request.FILES.items()
        if key.startswith("files.")
    }
    return form_data, files


def _form_errors(form: ServiceRequestForm) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, messages in form.errors.items():
        if field == "__all__":
            name = "non_field_errors"
        elif field.startswith(ServiceRequestForm.FIELD_PREFIX):
            name = "values." + field.removeprefix(ServiceRequestForm.FIELD_PREFIX)
        else:
            name = field
        errors[name] = list(messages)
    return errors


class MyRequestsView(ApiView):
    counts_as_filing = True  # a POST here counts against the filing limit too (requests_app.throttle)

    @extend_schema(
        operation_id="my_requests_list",
        summary="Requests I filed, most recently updated first",
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From a `next` or `previous` link."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 100; default 25."),
        ],
        responses={200: PAGINATED_REQUESTS, 400: ERRORS[400], 401: ERRORS[401]},
    )
    def get(self, request: Request) -> Response:
        # Rows show their requester too (the web page does not), so join it: one query for any number of rows.
        return _list(request, selectors.my_requests(request.user).select_related("requester"), sort="updated")

    @extend_schema(
        summary="File a request",
        description=(
            "Field values are checked exactly as the web form checks them. For file fields send "
            "`multipart/form-data`, with `values` as a JSON string and each file as `files.<field name>`."
        ),
        request=s.FileRequestSerializer,
        responses={201: s.RequestDetailSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        incoming = s.FileRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        filing = selectors.filing_configuration(incoming.validated_data["service"])
        if filing is None:
            raise ValidationError({"service": [_("No active service has this id.")]})
        service = filing.service
        form_data, files = _form_input(request, service, request.data)
        form = ServiceRequestForm(form_data, files, service=service)
        if not form.is_valid():
            raise ValidationError(_form_errors(form))
        sr = services.request_file(
            service=service,
            requester=request.user,
            title=form.cleaned_data["title"],
            values=form.cleaned_values(),
            files=form.cleaned_files(),
            urgency=incoming.validated_data.get("priority"),
            config=filing.sla,
        )
        response = _detail(request, sr, status_code=status.HTTP_201_CREATED, just_filed=True)
        response["Location"] = reverse("api:request", kwargs={"reference": sr.reference})
        return response


class RequestView(ApiView):
    @extend_schema(
        summary="A request with its conversation and history",
        description="Agents and leads of the department also see internal notes and internal history.",
        responses={200: s.RequestDetailSerializer, 401: ERRORS[401], 404: ERRORS[404]},
    )
    def get(self, request: Request, reference: str) -> Response:
        return _detail(request, _load(request, reference))


class RequestAction(ApiView):
    """POST on a request: validate ``input``, call one service, answer with the request as it is now."""

    input: type[serializers.Serializer] | None = None

    def act(self, request: Request, sr: ServiceRequest, data: dict[str, Any]) -> int:
        raise NotImplementedError

    def post(self, request: Request, reference: str) -> Response:
        sr = _load(request, reference)
        data: dict[str, Any] = {}
        if self.input is not None:
            incoming = self.input(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = incoming.validated_data
        code = self.act(request, sr, data)
        return _detail(request, _load(request, reference), status_code=code)


def _action_schema(summary: str, input_serializer: Any, created: bool = False) -> Any:
    return extend_schema(
        summary=summary,
        request=input_serializer,
        responses={201 if created else 200: s.RequestDetailSerializer, **ERRORS, **CONFLICT},
    )


class CommentView(RequestAction):
    input = s.CommentInputSerializer
    counts_as_reply = True  # a POST here counts against the reply limit too (requests_app.throttle)

    @_action_schema("Reply, or (agents and leads) add an internal note", s.CommentInputSerializer, created=True)
    def post(self, request: Request, reference: str) -> Response:
        return super().post(request, reference)

    def act(self, request: Request, sr: ServiceRequest, data: dict[str, Any]) -> int:
        services.comment_add(service_request=sr, author=request.user, body=data["body"], internal=data["internal"])
        return status.HTTP_201_CREATED


class CancelView(RequestAction):
    @_action_schema("Cancel a request (its requester, or the department)", None)
    def post(self, request: Request, reference: str) -> Response:
        return super().post(request, reference)

    def act(self, request: Request, sr: ServiceRequest, data: dict[str, Any]) -> int:
        services.request_cancel(service_request=sr, by=request.user)
        return status.HTTP_200_OK


class AssignView(RequestAction):
    input = s.AssignInputSerializer

    @_action_schema("Assign (agents take requests themselves; leads assign anyone)", s.AssignInputSerializer)
    def post(self, request: Request, reference: str) -> Response:
        return super().post(request, reference)

    def act(self, request: Request, sr: ServiceRequest, data: dict[str, Any]) -> int:
        assignee = None
        if data["assignee"] is not None:
            assignee = User.objects.filter(pk=data["assignee"], is_active=True).first()
            if assignee is None:
                raise ValidationError({"assignee": [_("No active person has this id.")]})
        services.request_assign(service_request=sr, assignee=assignee, by=request.user)
        return status.HTTP_200_OK


class StatusView(RequestAction):
    input = s.StatusInputSerializer

    @_action_schema("Change the status along the workflow (resolving needs a note)", s.StatusInputSerializer)
    def post(self, request: Request, reference: str) -> Response:
        return super().post(request, reference)

    def act(self, request: Request, sr: ServiceRequest, data: dict[str, Any]) -> int:
        services.request_change_status(service_request=sr, to_status=data["status"], by=request.user, note=data["note"])
        return status.HTTP_200_OK


class PriorityView(RequestAction):
    input = s.PriorityInputSerializer

    @_action_schema("Change the priority (the SLA targets follow)", s.PriorityInputSerializer)
    def post(self, request: Request, reference: str) -> Response:
        return super().post(request, reference)

    def act(self, request: Request, sr: ServiceRequest, data: dict[str, Any]) -> int:
        services.request_change_priority(service_request=sr, priority=data["priority"], by=request.user)
        return status.HTTP_200_OK


QUEUE_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Words in the reference, title, answers or public messages."),
    OpenApiParameter("status", OpenApiTypes.STR, description="Empty: all active; `all`; or one status."),
    OpenApiParameter("priority", OpenApiTypes.STR, enum=["low", "normal", "high", "critical"]),
    OpenApiParameter("sla", OpenApiTypes.STR, enum=list(SLA_STATES)),
    OpenApiParameter("assignee", OpenApiTypes.STR, description="`unassigned`, `mine` or a user id."),
    OpenApiParameter("service", OpenApiTypes.INT),
    OpenApiParameter("requester_department", OpenApiTypes.INT),
    OpenApiParameter("created_from", OpenApiTypes.DATE),
    OpenApiParameter("created_to", OpenApiTypes.DATE),
    OpenApiParameter("due_from", OpenApiTypes.DATE),
    OpenApiParameter("due_to", OpenApiTypes.DATE),
    OpenApiParameter("sort", OpenApiTypes.STR, enum=list(QUEUE_SORTS), description="Default `due`."),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From a `next` or `previous` link."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 100; default 25."),
]


class QueueView(ApiView):
    @extend_schema(
        operation_id="queue_requests_list",
        summary="A department's queue, with the web queue's filters and sorts",
        parameters=QUEUE_PARAMETERS,
        responses={
            200: PAGINATED_REQUESTS,
            400: ERRORS[400],
            401: ERRORS[401],
            404: ERRORS[404],
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        department = get_queue_department_for_user(request.user, slug)
        form = QueueFilterForm(
            request.query_params,
            services=list(department.services.order_by("name")),
            members=list(selectors.department_members(department)),
            departments=list(Department.objects.filter(is_active=True)),
        )
        if not form.is_valid():
            raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
        filters = form.filters()
        qs = selectors.queue_requests(department_ids=[department.pk], filters=filters, user=request.user)
        return _list(request, qs, sort=filters.sort, cap=selectors.count_cap(filters))


class NotFoundView(APIView):
    """Any other address under ``/api/v1/``: a JSON 404 like every other API error, not the site's HTML page."""

    permission_classes: list[Any] = []
    schema = None  # not an endpoint: left out of the OpenAPI schema

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise Http404(_("There is no such address in the API."))
