"""Django admin: where admins configure departments and the catalog, and may only look at requests."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from departments.models import FieldType, Service, ServiceField
from requests_app.models import ServiceRequest

from .. import factories

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

CONFIGURED_MODELS = [
    "departments_department",
    "departments_service",
    "departments_membership",
    "departments_slapolicy",
    "requests_app_servicerequest",
]


@pytest.fixture
def admin_client_(world: Any, client_for: Any) -> Any:
    return client_for(world.admin)


@pytest.fixture
def sr(world: Any) -> ServiceRequest:
    return factories.make_request(world.laptop, world.requester, title="Original title", asset_tag="A", reason="Slow")


@pytest.mark.parametrize("model", CONFIGURED_MODELS)
def test_admin_opens_the_changelist(world, admin_client_, sr, model):
    response = admin_client_.get(reverse(f"admin:{model}_changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", CONFIGURED_MODELS[:4])
def test_admin_opens_the_add_page(world, admin_client_, model):
    response = admin_client_.get(reverse(f"admin:{model}_add"))

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("model", "obj"),
    [
        ("departments_department", lambda w, sr: w.it),
        ("departments_service", lambda w, sr: w.laptop),
        ("departments_membership", lambda w, sr: w.agent.memberships.get()),
        ("departments_slapolicy", lambda w, sr: w.it.default_sla_policy),
        ("requests_app_servicerequest", lambda w, sr: sr),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_admin_opens_the_change_page(world, admin_client_, sr, model, obj):
    response = admin_client_.get(reverse(f"admin:{model}_change", args=[obj(world, sr).pk]))

    assert response.status_code == 200


def test_people_without_staff_status_cannot_open_admin(world, client_for):
    for person in (world.requester, world.agent, world.lead):
        response = client_for(person).get(reverse("admin:departments_department_changelist"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


# Requests are read-only in admin: the history must stay the truth.


def test_requests_cannot_be_added_in_admin(world, admin_client_):
    assert admin_client_.get(reverse("admin:requests_app_servicerequest_add")).status_code == 403


def test_requests_cannot_be_deleted_in_admin(world, admin_client_, sr):
    response = admin_client_.post(reverse("admin:requests_app_servicerequest_delete", args=[sr.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert ServiceRequest.objects.filter(pk=sr.pk).exists()


def test_request_change_page_has_no_editable_fields(world, admin_client_, sr):
    page = admin_client_.get(reverse("admin:requests_app_servicerequest_change", args=[sr.pk])).content.decode()

    assert "Original title" in page
    assert 'name="title"' not in page
    assert 'name="status"' not in page


def test_posting_to_a_request_change_page_changes_nothing(world, admin_client_, sr):
    admin_client_.post(
        reverse("admin:requests_app_servicerequest_change", args=[sr.pk]),
        {"title": "Tampered", "status": "closed", "_save": "Save"},
    )

    sr.refresh_from_db()
    assert (sr.title, sr.status) == ("Original title", "new")


# Service form fields are validated where the admin edits them.


def service_add_data(world: Any, *fields: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "department": world.it.pk,
        "name": "Monitor",
        "slug": "monitor",
        "description": "A second screen.",
        "what_you_get": "",
        "what_to_provide": "",
        "default_priority": "normal",
        "sla_policy": "",
        "is_active": "on",
        "fields-TOTAL_FORMS": str(len(fields)),
        "fields-INITIAL_FORMS": "0",
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for i, field in enumerate(fields):
        row = {
            "position": i,
            "name": "",
            "label": "",
            "field_type": FieldType.SHORT_TEXT,
            "help_text": "",
            "choices": "",
        }
        row.update(field)
        if row.pop("required", False):
            data[f"fields-{i}-required"] = "on"
        data.update({f"fields-{i}-{key}": value for key, value in row.items()})
    return data


def post_service(admin_client_: Any, data: dict[str, Any]) -> Any:
    return admin_client_.post(reverse("admin:departments_service_add"), data)


def test_service_with_valid_fields_is_saved_with_them(world, admin_client_):
    data = service_add_data(
        world,
        {"name": "size", "label": "Size", "field_type": FieldType.CHOICE, "choices": "24 inch\n27 inch"},
        {"name": "desk", "label": "Desk number", "required": True},
    )

    response = post_service(admin_client_, data)

    assert response.status_code == 302
    service = Service.objects.get(slug="monitor")
    assert [(f.name, f.choice_list, f.required) for f in service.fields.all()] == [
        ("size", ["24 inch", "27 inch"], False),
        ("desk", [], True),
    ]


def test_choice_field_without_choices_is_refused_at_the_field(world, admin_client_):
    fields_before = ServiceField.objects.count()
    data = service_add_data(world, {"name": "size", "label": "Size", "field_type": FieldType.CHOICE})

    response = post_service(admin_client_, data)

    assert response.status_code == 200
    assert "A choice field needs at least one choice (one per line)." in response.content.decode()
    assert not Service.objects.filter(slug="monitor").exists()
    assert ServiceField.objects.count() == fields_before


def test_choices_on_a_field_that_is_not_a_choice_are_refused(world, admin_client_):
    fields_before = ServiceField.objects.count()
    data = service_add_data(world, {"name": "desk", "label": "Desk", "choices": "A\nB"})

    response = post_service(admin_client_, data)

    assert response.status_code == 200
    assert "Only choice fields take choices; clear this box." in response.content.decode()
    assert ServiceField.objects.count() == fields_before


def test_two_fields_with_the_same_name_in_one_service_are_refused(world, admin_client_):
    fields_before = ServiceField.objects.count()
    data = service_add_data(
        world,
        {"name": "desk", "label": "Desk"},
        {"name": "desk", "label": "Desk again"},
    )

    response = post_service(admin_client_, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Another field of this service is already named “desk”." in page
    assert not Service.objects.filter(slug="monitor").exists()
    assert ServiceField.objects.count() == fields_before


def test_field_name_that_is_not_a_machine_name_is_refused(world, admin_client_):
    fields_before = ServiceField.objects.count()
    data = service_add_data(world, {"name": "Desk Number", "label": "Desk"})

    response = post_service(admin_client_, data)

    assert response.status_code == 200
    assert "Lower-case letters, digits and _; start with a letter." in response.content.decode()
    assert ServiceField.objects.count() == fields_before


def test_adding_a_field_named_like_an_existing_one_on_the_change_page_is_refused(world, admin_client_):
    existing = world.laptop.fields.get(name="asset_tag")
    rows = list(world.laptop.fields.all())
    data: dict[str, Any] = {
        "department": world.it.pk,
        "name": world.laptop.name,
        "slug": world.laptop.slug,
        "description": world.laptop.description,
        "default_priority": "normal",
        "is_active": "on",
        "fields-TOTAL_FORMS": str(len(rows) + 1),
        "fields-INITIAL_FORMS": str(len(rows)),
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for i, field in enumerate([*rows, None]):
        values = {
            "id": field.pk if field else "",
            "service": world.laptop.pk,
            "position": field.position if field else 9,
            "name": field.name if field else existing.name,
            "label": field.label if field else "Asset tag again",
            "field_type": field.field_type if field else FieldType.SHORT_TEXT,
            "help_text": "",
            "choices": field.choices if field else "",
        }
        if field and field.required:
            data[f"fields-{i}-required"] = "on"
        data.update({f"fields-{i}-{key}": value for key, value in values.items()})
    fields_before = ServiceField.objects.count()

    response = admin_client_.post(reverse("admin:departments_service_change", args=[world.laptop.pk]), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Another field of this service is already named “asset_tag”." in page
    assert ServiceField.objects.count() == fields_before
