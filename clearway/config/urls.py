from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("clearway.core.urls")),
    path("", include("clearway.accounts.urls")),
    path("", include("clearway.pathways.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "clearway.core.views.forbidden"
handler404 = "clearway.core.views.not_found"
