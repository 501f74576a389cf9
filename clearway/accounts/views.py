import logging
from typing import Any

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from clearway.accounts.forms import SignInForm, locked_message
from clearway.accounts.oidc import failed_message, oidc_setting
from clearway.core.permissions import STAFF, roles_required


def sign_in_options() -> dict[str, Any]:
    """Which ways to sign in the sign-in page offers."""
    return {
        "sso_provider": settings.OIDC_PROVIDER_NAME if settings.OIDC_ENABLED else "",
        "local_sign_in": not settings.OIDC_ONLY,
    }


@method_decorator(login_not_required, name="dispatch")
class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.jinja"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **sign_in_options()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.OIDC_ONLY:  # no local sign-in at all, not merely a hidden form
            return HttpResponseNotAllowed(["GET"])
        return super().post(request, *args, **kwargs)


logger = logging.getLogger(__name__)


@method_decorator(login_not_required, name="dispatch")
class SingleSignOnStartView(OIDCAuthenticationRequestView):
    """Send the person to the OpenID provider to sign in (a redirect, not a form: the Content
    Security Policy's form-action 'self' does not apply to it)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # settings are read per request, in get()

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not set up.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (requests.RequestException, ValueError, KeyError, ImproperlyConfigured) as error:
            logger.warning("Single sign-on discovery failed: %s", type(error).__name__)
            messages.error(request, failed_message())
            return redirect("accounts:sign-in")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


@method_decorator(login_not_required, name="dispatch")
class SingleSignOnCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the person back with a code: the backend
    (clearway.accounts.oidc) checks it, and Django's login() rotates the session key and
    starts the session clocks as for a local sign-in."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not set up.")
        return super().dispatch(request, *args, **kwargs)

    def login_failure(self) -> HttpResponse:
        refusal = getattr(self.request, "sign_in_refusal", None)
        messages.error(self.request, refusal.message if refusal else failed_message())
        return redirect("accounts:sign-in")


@roles_required(*STAFF)
class SignOutView(auth_views.LogoutView):
    pass


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer to a locked account: the sign-in page, saying so.

    SignInForm has already put the lockout message in the error summary of the page the sign-in
    view rendered; this keeps that page and answers 429 Too Many Requests.
    """
    if original_response is not None and original_response.status_code == 200:
        original_response.status_code = 429
        return original_response
    # Locked out somewhere other than the sign-in form: show the sign-in page, unfilled.
    form = SignInForm(request)
    form.full_clean()  # an unbound form: no checks, no sign-in attempt, just empty errors
    form.cleaned_data = {}
    form.add_error(None, locked_message())
    response = TemplateResponse(
        request, SignInView.template_name, {"form": form, **sign_in_options()}, status=429
    )
    return response.render()
