from django.urls import path

from clearway.documents import views

app_name = "documents"
urlpatterns = [
    path("referrals/<int:pk>/documents/new/", views.upload, name="upload"),
    path("documents/<int:pk>/", views.download, name="download"),
    path("documents/<int:pk>/filed-in-error/", views.file_in_error, name="file-in-error"),
]
