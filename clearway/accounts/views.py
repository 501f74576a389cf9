from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator

from clearway.accounts.forms import SignInForm
from clearway.core.permissions import STAFF, roles_required


@method_decorator(login_not_required, name="dispatch")
class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.jinja"
    authentication_form = SignInForm
    redirect_authenticated_user = True


@roles_required(*STAFF)
class SignOutView(auth_views.LogoutView):
    pass
