"""The API describes itself: a valid OpenAPI 3 schema at ``/api/schema/`` that documents every address
under ``/api/v1/``, a documentation page that needs nothing from another host, and answers that keep
the schema's promises (checked by schemathesis, in-process through Django's WSGI application).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
import yaml
from django.contrib.staticfiles import finders
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from requests_app import services
from requests_app.api import urls as api_urls
from requests_app.models import Status

from .. import factories

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

API_PREFIX = "/api/v1/"
SCHEMA_URL = "/api/schema/"


@pytest.fixture
def schema(client: Any) -> dict[str, Any]:
    response = client.get(SCHEMA_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on anything the OpenAPI 3 meta-schema refuses


def test_the_schema_is_also_served_as_json(client, schema):
    response = client.get(SCHEMA_URL, {"format": "json"})

    assert response.status_code == 200
    assert response.json() == schema


def _openapi_path(route: str) -> str:
    """``requests/<str:reference>/`` → ``/api/v1/requests/{reference}/`` (drf-spectacular calls ``pk`` ``id``)."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route).replace("{pk}", "{id}")
    return API_PREFIX + path


def api_operations() -> set[tuple[str, str]]:
    """(path, method) for every endpoint under /api/v1/, read from its URL configuration."""
    operations = set()
    for pattern in api_urls.urlpatterns:
        view = pattern.callback.view_class
        if view.schema is None:  # the JSON 404 for any other address
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(view, method):
                operations.add((_openapi_path(str(pattern.pattern)), method))
    return operations


def test_the_schema_documents_every_endpoint_under_api_v1(schema):
    documented = {(path, method) for path, item in schema["paths"].items() for method in item}

    assert documented == api_operations()
    assert len(documented) == 12


def test_every_operation_says_who_may_call_it_and_how_it_fails(schema):
    error = {"$ref": "#/components/schemas/Error"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert {"personalToken": []} in operation["security"], where
            assert "401" in operation["responses"], where
            if "{" in path:
                assert "404" in operation["responses"], where
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    assert response["content"]["application/json"]["schema"] == error, f"{where} {status}"
    assert schema["components"]["securitySchemes"]["personalToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token from your profile page (sd_…).",
    }


def test_the_schema_and_the_docs_need_no_sign_in(client):
    assert client.get(SCHEMA_URL).status_code == 200
    assert client.get("/api/docs/").status_code == 200


ASSET_RE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
ANOTHER_HOST_RE = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", re.IGNORECASE)
DOCS_URL = "/api/docs/"


def test_the_docs_page_loads_everything_from_this_site(client):
    response = client.get(DOCS_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assets = ASSET_RE.findall(page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    assert not ANOTHER_HOST_RE.search(page), "the page must not reach another host"
    for asset in assets:
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/")), f"{asset} is not among the static files"
        else:
            assert asset.startswith(DOCS_URL + "?"), f"{asset} comes neither from static/ nor from the page itself"


def test_the_docs_start_up_script_is_served_by_the_page_and_reads_our_schema(client):
    page = client.get(DOCS_URL).content.decode()
    own_scripts = [a for a in ASSET_RE.findall(page) if a.startswith(DOCS_URL + "?")]
    assert own_scripts, "the start-up script is a URL of its own (no inline script under the CSP)"

    for url in own_scripts:
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/javascript")
        script = response.content.decode()
        assert f'url: "{SCHEMA_URL}"' in script
        assert not ANOTHER_HOST_RE.search(script)


def test_an_unknown_api_address_is_a_json_404(client):
    for path in (API_PREFIX + "nothing/", API_PREFIX, API_PREFIX + "requests/IT-1/delete/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "There is no such address in the API.", "errors": {}}


# --- schemathesis: every answer keeps the schema's promises -------------------------------------
#
# The schema is read from the app itself at collection (the schema view needs no database). Each operation
# becomes a test of its own; the data and an IT lead's token are made per test. Path parameters are mostly
# replaced by real references, slugs and service ids (drawn deterministically), so calls reach real
# objects and not only 404s; the rest keep what schemathesis generated. Likewise some JSON filings get a
# real service and its values, so filing is exercised beyond "no such service".

API_SCHEMA = schemathesis.openapi.from_wsgi(
    SCHEMA_URL,
    get_wsgi_application(),
    config=schemathesis.Config.from_dict({"generation": {"mode": "all"}, "phases": {"stateful": {"enabled": False}}}),
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def _wsgi_requests_share_the_test_transaction() -> Iterator[None]:
    """Django closes "old" database connections around each WSGI request; inside a test that would drop the
    test's transaction. Django's own test client switches this off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@dataclass
class ApiData:
    token: str
    path_values: dict[str, list[Any]]
    filing: dict[str, Any]


@pytest.fixture
def api_data(world: Any, _wsgi_requests_share_the_test_transaction: None) -> ApiData:
    """An IT lead's token, with data in place: IT requests in every status (one the lead's own), a
    conversation with an internal note, and an HR request the lead may not see."""
    filed = [
        factories.make_request(world.laptop, world.requester, title=f"Laptop {n}", asset_tag=f"LT-{n}", reason="Slow")
        for n in range(5)
    ]
    own = factories.make_request(world.laptop, world.lead, title="The lead's own", asset_tag="LT-9", reason="Broken")
    hidden = factories.make_request(world.certificate, world.requester, title="Not IT's", purpose="Bank")
    services.comment_add(service_request=filed[0], author=world.agent, body="Internal", internal=True)
    services.comment_add(service_request=filed[0], author=world.agent, body="On it")
    services.request_claim(service_request=filed[1], by=world.agent)
    services.request_change_status(service_request=filed[2], to_status=Status.WAITING, by=world.agent)
    services.request_resolve(service_request=filed[3], by=world.agent, resolution_note="Done")
    services.request_cancel(service_request=filed[4], by=world.requester)
    _, token = services.api_token_create(user=world.lead, name="schemathesis")
    return ApiData(
        token=token,
        path_values={
            "reference": [sr.reference for sr in [*filed, own, hidden]],
            "slug": [world.it.slug, world.it.slug, world.it.slug, world.hr.slug],
            "id": [world.laptop.pk, world.certificate.pk],
        },
        filing={"service": world.certificate.pk, "values": {"purpose": "Bank"}},
    )


@API_SCHEMA.parametrize()
@API_SCHEMA.given(pick=st.integers(min_value=0, max_value=9))
@settings(
    max_examples=20,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_matches_the_schema(case, pick, api_data):
    """No 5xx, and every answer's status, content type, headers and body are as documented."""
    for name, values in api_data.path_values.items():
        if case.path_parameters and name in case.path_parameters and pick < 8:
            case.path_parameters[name] = values[pick % len(values)]
    filing = case.method == "POST" and case.path == "/api/v1/requests/"
    if filing and case.media_type == "application/json" and isinstance(case.body, dict) and pick < 5:
        case.body.update(api_data.filing)  # a service that exists and its values; title and priority as generated

    case.call_and_validate(headers={"Authorization": f"Bearer {api_data.token}"}, checks=CHECKS)
