from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator

from clearway.accounts.forms import SignInForm, locked_message
from clearway.core.permissions import STAFF, roles_required


@method_decorator(login_not_required, name="dispatch")
class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.jinja"
    authentication_form = SignInForm
    redirect_authenticated_user = True


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
    response = TemplateResponse(request, SignInView.template_name, {"form": form}, status=429)
    return response.render()
