import pytest
from django.contrib.auth.models import Group, Permission

from donhang.accounts.demo import DEMO_PASSWORD, load_demo_users
from donhang.accounts.models import User
from donhang.accounts.roles import ROLE_PERMISSIONS, Role
from donhang.accounts.services import roles_sync

pytestmark = pytest.mark.django_db


def group_perms(role: str) -> set[str]:
    return {
        f"{app}.{code}"
        for app, code in Permission.objects.filter(group__name=role).values_list(
            "content_type__app_label", "codename"
        )
    }


def all_perms() -> set[str]:
    return {
        f"{app}.{code}"
        for app, code in Permission.objects.values_list("content_type__app_label", "codename")
    }


def test_every_configured_permission_exists():
    # A typo in ROLE_PERMISSIONS would silently give a role less than intended.
    configured = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms if perm != "*"}

    assert configured - all_perms() == set()


def test_roles_sync_gives_each_group_exactly_its_permissions():
    sales = Group.objects.get(name=Role.SALES)
    sales.permissions.add(Permission.objects.get(codename="change_user"))

    roles_sync()
    roles_sync()

    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)
    assert group_perms(Role.OWNER) == all_perms()
    for role in [Role.MANAGER, Role.SALES, Role.WAREHOUSE, Role.ACCOUNTANT]:
        assert group_perms(role) == set(ROLE_PERMISSIONS[role]), role
    assert "accounts.change_user" not in group_perms(Role.SALES)


def test_only_owners_manage_staff_and_keys():
    for role in Role:
        allowed = role == Role.OWNER
        perms = group_perms(role)
        assert ("accounts.change_user" in perms) is allowed
        assert ("accounts.add_apikey" in perms) is allowed


def test_demo_users_one_per_role_and_idempotent():
    owner = load_demo_users()
    again = load_demo_users()

    assert owner.pk == again.pk
    assert owner.username == "owner"
    assert owner.is_staff and owner.is_superuser
    assert owner.get_full_name() == "Nguyễn Thị Lan"
    users = {user.username: user for user in User.objects.prefetch_related("groups")}
    assert set(users) == {"owner", "manager", "sales", "warehouse", "accountant"}
    for username, user in users.items():
        assert user.role == username
        assert user.check_password(DEMO_PASSWORD)
        assert user.phone.startswith("+84")
    assert not users["sales"].is_superuser
