from django.urls import path

from clearway.core import views
from clearway.services import views as service_views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("service/", service_views.switch_service, name="switch-service"),
]
