from django.urls import path

from clearway.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.home, name="home"),
    path("list/upload/", views.upload_list, name="upload-list"),
    path("list/<int:upload>/", views.check_list, name="check-list"),
    path("imports/<int:batch>/", views.import_detail, name="import"),
    path("validate/", views.validate, name="validate"),
    path("runs/<int:run>/", views.run_detail, name="run"),
    path("runs/<int:run>/proposals/<int:proposal>/", views.proposal_detail, name="proposal"),
    path("runs/<int:run>/proposals/<int:proposal>/decide/", views.decide, name="decide"),
    path("runs/<int:run>/groups/<slug:group>/", views.confirm_group, name="confirm-group"),
    path("uploads/<int:upload>/download/", views.download, name="download"),
]
