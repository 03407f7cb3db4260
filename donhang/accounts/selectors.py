from django.db.models import F, QuerySet

from donhang.accounts.models import ApiKey, User


def user_list() -> QuerySet[User]:
    """Staff for the staff page: active first, then by username; groups prefetched for `role`."""
    return User.objects.prefetch_related("groups").order_by("-is_active", "username")


def user_get(*, pk: int) -> User:
    return User.objects.prefetch_related("groups").get(pk=pk)


def api_key_list() -> QuerySet[ApiKey]:
    """Keys for the API-key page: active first, newest first."""
    return ApiKey.objects.select_related("role", "created_by").order_by(
        F("revoked_at").asc(nulls_first=True), "-created_at"
    )
