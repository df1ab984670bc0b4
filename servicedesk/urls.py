from django.apps import apps
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from requests_app.health import healthz

admin.site.site_header = "servicedesk administration"
admin.site.site_title = "servicedesk admin"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # The language switch of the sign-in page: anyone may choose a language before signing in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("api/v1/", include("requests_app.api.urls")),
    path("api/schema/", login_not_required(SpectacularAPIView.as_view()), name="api-schema"),
    path("api/docs/", login_not_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("", include("requests_app.urls")),
]
if apps.is_installed("requests_app.feedback"):
    urlpatterns.append(path("", include("requests_app.feedback.urls")))
