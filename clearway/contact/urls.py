from django.urls import URLPattern, URLResolver

from clearway.contact import message_views, template_views, views

app_name = "contact"
urlpatterns: list[URLPattern | URLResolver] = [
    *views.urlpatterns,
    *message_views.urlpatterns,
    *template_views.urlpatterns,
]
