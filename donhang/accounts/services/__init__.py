"""Accounts writes: staff and roles, API keys, log-in throttling, the shop profile."""

from donhang.accounts.services.shop import SHOP_PROFILE_FIELDS, shop_profile_update
from donhang.accounts.services.staff import (
    API_KEY_PREFIX,
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
    login_failure_record,
    login_failures_clear,
    login_is_locked,
    login_lock_remaining,
    phone_normalize,
    role_group,
    roles_sync,
    user_create,
    user_set_active,
    user_set_password,
    user_set_role,
)

__all__ = [
    "API_KEY_PREFIX",
    "SHOP_PROFILE_FIELDS",
    "api_key_authenticate",
    "api_key_create",
    "api_key_revoke",
    "login_failure_record",
    "login_failures_clear",
    "login_is_locked",
    "login_lock_remaining",
    "phone_normalize",
    "role_group",
    "roles_sync",
    "shop_profile_update",
    "user_create",
    "user_set_active",
    "user_set_password",
    "user_set_role",
]
