from django.urls import path

from . import views

app_name = "requests_app"

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("services/<int:pk>/", views.service_detail, name="service_detail"),
    path("my/requests/", views.my_requests, name="my_requests"),
    path("queues/<slug:slug>/", views.queue, name="queue"),
    path("requests/<str:reference>/", views.request_detail, name="request_detail"),
    path("requests/<str:reference>/reply/", views.request_reply, name="request_reply"),
    path("requests/<str:reference>/claim/", views.request_claim, name="request_claim"),
    path("requests/<str:reference>/assign/", views.request_assign, name="request_assign"),
    path("requests/<str:reference>/status/", views.request_status, name="request_status"),
    path("requests/<str:reference>/resolve/", views.request_resolve, name="request_resolve"),
    path("requests/<str:reference>/priority/", views.request_priority, name="request_priority"),
    path("requests/<str:reference>/cancel/", views.request_cancel, name="request_cancel"),
    path("requests/<str:reference>/promise/", views.request_promise, name="request_promise"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
]
