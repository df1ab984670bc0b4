from django.urls import path

from . import views

app_name = "requests_app"

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("services/<int:pk>/", views.service_detail, name="service_detail"),
    path("my/requests/", views.my_requests, name="my_requests"),
    path("my/profile/", views.profile, name="profile"),
    path("my/profile/reading/", views.reading_set, name="reading_set"),
    path("my/tokens/", views.api_token_create, name="api_token_create"),
    path("my/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("queues/<slug:slug>/", views.queue, name="queue"),
    path("queues/<slug:slug>/bulk/", views.queue_bulk, name="queue_bulk"),
    path("queues/<slug:slug>/views/", views.saved_view_create, name="saved_view_create"),
    path("queues/<slug:slug>/views/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("queues/<slug:slug>/availability/", views.availability, name="availability"),
    path("requests/<str:reference>/", views.request_detail, name="request_detail"),
    path("requests/<str:reference>/reply/", views.request_reply, name="request_reply"),
    path("requests/<str:reference>/claim/", views.request_claim, name="request_claim"),
    path("requests/<str:reference>/assign/", views.request_assign, name="request_assign"),
    path("requests/<str:reference>/status/", views.request_status, name="request_status"),
    path("requests/<str:reference>/resolve/", views.request_resolve, name="request_resolve"),
    path("requests/<str:reference>/priority/", views.request_priority, name="request_priority"),
    path("requests/<str:reference>/cancel/", views.request_cancel, name="request_cancel"),
    path("requests/<str:reference>/promise/", views.request_promise, name="request_promise"),
    path("requests/<str:reference>/transfer/", views.request_transfer, name="request_transfer"),
    path("requests/<str:reference>/watchers/", views.request_watcher_add, name="request_watcher_add"),
    path(
        "requests/<str:reference>/watchers/<int:user_id>/remove/",
        views.request_watcher_remove,
        name="request_watcher_remove",
    ),
    path("requests/<str:reference>/canned/<int:pk>/", views.canned_response_text, name="canned_response_text"),
    path("requests/<str:reference>/canned/", views.canned_response_list, name="canned_response_list"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
]
