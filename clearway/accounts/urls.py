from django.urls import path

from clearway.accounts import views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-out/", views.SignOutView.as_view(), name="sign-out"),
    path("sign-in/sso/", views.SingleSignOnStartView.as_view(), name="sso-start"),
    path("sign-in/sso/callback/", views.SingleSignOnCallbackView.as_view(), name="oidc-callback"),
]
