from django.urls import path

from clearway.pathways import views

app_name = "pathways"
urlpatterns = [
    path("children/", views.waiting_list, name="list"),
    path("children/new/", views.add_referral, name="add-referral"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral"),
    path(
        "referrals/<int:pk>/requirements/<slug:kind>/received/",
        views.receive_requirement,
        name="receive-requirement",
    ),
    path(
        "referrals/<int:pk>/requirements/<slug:kind>/received/undo/",
        views.reverse_requirement,
        name="reverse-requirement",
    ),
    path("referrals/<int:pk>/discharge/", views.discharge, name="discharge"),
    path(
        "referrals/<int:pk>/reverse-discharge/", views.reverse_discharge, name="reverse-discharge"
    ),
    path("records/retention/", views.retention, name="retention"),
]
