"""Log in and out, own password, staff and API-key management, the shop profile. Views validate,
call one service or selector, and render; the rules (last owner, lock-outs) live in services."""

import math

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from donhang.accounts import selectors, services
from donhang.accounts.banks import KNOWN_BANKS
from donhang.accounts.decorators import permission_required_403
from donhang.accounts.forms import (
    ApiKeyCreateForm,
    LoginForm,
    PasswordChangeForm,
    SetPasswordForm,
    ShopProfileForm,
    StaffCreateForm,
    StaffRoleForm,
    add_domain_error,
)
from donhang.accounts.models import ApiKey, User
from donhang.accounts.roles import Role
from donhang.core.errors import DomainError

# The raw key of a just-created API key waits here for the one page that shows it.
NEW_API_KEY_SESSION_KEY = "accounts_new_api_key"


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client sends unless a trusted proxy
    # rewrites it, and a forged one would dodge the per-address limit.
    return request.META.get("REMOTE_ADDR") or None


def lock_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed log-in attempts. Wait %(minutes)d minute and try again.",
        "Too many failed log-in attempts. Wait %(minutes)d minutes and try again.",
        minutes,
    ) % {"minutes": minutes}


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "").strip()
        wait = services.login_lock_remaining(username=username, ip_address=client_ip(request))
        if wait:
            # Refused before the password is even checked, with the same words whether or not
            # the username exists; the attempt is not counted, so waiting is enough.
            form = self.form_class(request, initial={"username": username})
            context = self.get_context_data(form=form, lock_message=lock_message(wait))
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        services.login_failures_clear(username=form.get_user().get_username())
        return super().form_valid(form)

    def form_invalid(self, form):
        username = self.request.POST.get("username", "").strip()
        if username and self.request.POST.get("password"):
            services.login_failure_record(username=username, ip_address=client_ip(self.request))
        return super().form_invalid(form)


def admin_login(request):
    """/admin/login/: the Django admin logs in through our log-in page, so one door has one lock
    (the failed-login throttle, look-alike names included). It never checks a password itself."""
    wanted = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        wanted = ""
    wanted = wanted or reverse("admin:index")
    if request.user.is_authenticated:
        if not (request.user.is_active and request.user.is_staff):
            # Logged in without admin rights: sending them to log in again would go round in
            # circles (our log-in page sends a logged-in user on to `next`, the admin back here).
            raise PermissionDenied
        return HttpResponseRedirect(wanted)
    return redirect_to_login(wanted)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have logged out."))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form):
        user = self.request.user
        services.user_set_password(
            user=user, password=form.cleaned_data["new_password1"], actor=user
        )
        # Keep this session logged in; the user's other sessions end with the old password.
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password has been changed."))
        return HttpResponseRedirect(self.get_success_url())


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


# --- staff -------------------------------------------------------------------


@permission_required_403("accounts.change_user")
def staff_list(request):
    return render(
        request,
        "accounts/staff_list.html",
        {"staff": selectors.user_list(), "roles": Role.choices},
    )


@permission_required_403("accounts.change_user")
def staff_create(request):
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                username=data["username"],
                password=data["password1"],
                role=data["role"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=data["phone"],
                actor=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s can now log in as %(username)s.")
                % {"name": user.get_full_name() or user.username, "username": user.username},
            )
            return redirect("accounts:staff_list")
    return render(request, "accounts/staff_form.html", {"form": form})


@require_POST
@permission_required_403("accounts.change_user")
def staff_set_role(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    form = StaffRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles."))
        return redirect("accounts:staff_list")
    try:
        services.user_set_role(user=user, role=form.cleaned_data["role"], actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(username)s is now %(role)s.")
            % {"username": user.username, "role": Role(form.cleaned_data["role"]).label},
        )
    return redirect("accounts:staff_list")


@require_POST
@permission_required_403("accounts.change_user")
def staff_set_active(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    is_active = request.POST.get("is_active") == "1"
    try:
        services.user_set_active(user=user, is_active=is_active, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if is_active:
            text = _("%(username)s can log in again.")
        else:
            text = _("%(username)s is deactivated and can no longer log in.")
        messages.success(request, text % {"username": user.username})
    return redirect("accounts:staff_list")


@permission_required_403("accounts.change_user")
def staff_password_reset(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_set_password(
            user=user, password=form.cleaned_data["new_password1"], actor=request.user
        )
        services.login_failures_clear(username=user.username)
        messages.success(
            request,
            _("The password of %(username)s has been reset. Give them the new one.")
            % {"username": user.username},
        )
        return redirect("accounts:staff_list")
    return render(request, "accounts/staff_password_reset.html", {"form": form, "staff": user})


# --- API keys ------------------------------------------------------------------


@permission_required_403("accounts.view_apikey")
def api_key_list(request):
    return render(
        request,
        "accounts/api_key_list.html",
        {"api_keys": selectors.api_key_list(), "form": ApiKeyCreateForm()},
    )


@permission_required_403("accounts.add_apikey")
def api_key_create(request):
    form = ApiKeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            api_key, raw_key = services.api_key_create(
                name=form.cleaned_data["name"], role=form.cleaned_data["role"], actor=request.user
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            # Shown on the next page and removed from the session there (post/redirect/get, so
            # reloading does not create a second key).
            request.session[NEW_API_KEY_SESSION_KEY] = {"id": api_key.pk, "key": raw_key}
            return redirect("accounts:api_key_created", pk=api_key.pk)
    if request.method == "GET":
        return redirect("accounts:api_key_list")
    return render(
        request,
        "accounts/api_key_list.html",
        {"api_keys": selectors.api_key_list(), "form": form},
        status=422,
    )


@never_cache
@permission_required_403("accounts.add_apikey")
def api_key_created(request, pk: int):
    api_key = get_object_or_404(ApiKey.objects.select_related("role"), pk=pk)
    pending = request.session.get(NEW_API_KEY_SESSION_KEY)
    raw_key = None
    if pending and pending.get("id") == api_key.pk:
        raw_key = pending["key"]
        del request.session[NEW_API_KEY_SESSION_KEY]
    return render(
        request, "accounts/api_key_created.html", {"api_key": api_key, "raw_key": raw_key}
    )


@require_POST
@permission_required_403("accounts.change_apikey")
def api_key_revoke(request, pk: int):
    api_key = get_object_or_404(ApiKey, pk=pk)
    services.api_key_revoke(api_key=api_key, actor=request.user)
    messages.success(
        request,
        _("The key “%(name)s” is revoked; requests with it are now refused.")
        % {"name": api_key.name},
    )
    return redirect(reverse("accounts:api_key_list"))


# --- shop profile --------------------------------------------------------------------------------


@permission_required_403("accounts.change_shopprofile")
def shop_profile(request):
    """The shop's name, tax code, address, contacts, bank account and logo (owners)."""
    profile = selectors.shop_profile_get()
    form = ShopProfileForm(
        request.POST or None,
        request.FILES or None,
        initial=ShopProfileForm.initial_for(profile),
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.shop_profile_update(actor=request.user, **form.service_arguments())
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request, _("The shop profile is saved; documents printed from now show it.")
                )
                return redirect("accounts:shop_profile")
        status = 422
    else:
        status = 200
    return render(
        request,
        "accounts/shop_profile.html",
        {"form": form, "profile": profile, "known_banks": sorted(KNOWN_BANKS.items())},
        status=status,
    )
