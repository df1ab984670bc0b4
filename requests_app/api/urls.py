"""``/api/v1/``: every endpoint signs in by session or personal token; the login-page redirect of the
web pages does not apply here (an API caller gets a 401 JSON answer instead)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path

from . import views

app_name = "api"


def _api(view_class: type) -> object:
    return login_not_required(view_class.as_view())


urlpatterns = [
    path("me/", _api(views.MeView), name="me"),
    path("catalog/", _api(views.CatalogView), name="catalog"),
    path("services/<int:pk>/", _api(views.ServiceView), name="service"),
    path("requests/", _api(views.MyRequestsView), name="requests"),
    path("requests/<str:reference>/", _api(views.RequestView), name="request"),
    path("requests/<str:reference>/comments/", _api(views.CommentView), name="request_comments"),
    path("requests/<str:reference>/cancel/", _api(views.CancelView), name="request_cancel"),
    path("requests/<str:reference>/assign/", _api(views.AssignView), name="request_assign"),
    path("requests/<str:reference>/status/", _api(views.StatusView), name="request_status"),
    path("requests/<str:reference>/priority/", _api(views.PriorityView), name="request_priority"),
    path("queues/<slug:slug>/requests/", _api(views.QueueView), name="queue"),
    # Last: any other address is a JSON 404 (one without its trailing slash is redirected here first).
    re_path(r"^(.*/)?$", _api(views.NotFoundView), name="not_found"),
]
