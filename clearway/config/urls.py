from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView

urlpatterns = [
    path("", include("clearway.core.urls")),
    path("", include("clearway.accounts.urls")),
    path("", include("clearway.pathways.urls")),
    path("audit/", include("clearway.audit.urls")),
    path("validation/", include("clearway.intake.urls")),
    path("", include("clearway.contact.urls")),
    path("", include("clearway.documents.urls")),
    path("inbox/", include("clearway.inbox.urls")),
    # One way in: the admin's own sign-in page sends people to Clearway's.
    path(
        "admin/login/",
        login_not_required(
            RedirectView.as_view(url=reverse_lazy("accounts:sign-in"), query_string=True)
        ),
        name="admin-sign-in",
    ),
    path("admin/", admin.site.urls),
]

handler403 = "clearway.core.views.forbidden"
handler404 = "clearway.core.views.not_found"
