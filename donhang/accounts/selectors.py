from django.conf import settings
from django.db.models import F, QuerySet

from donhang.accounts.models import ApiKey, ShopProfile, User
from donhang.accounts.usernames import username_clean, username_key


def user_list() -> QuerySet[User]:
    """Staff for the staff page: active first, then by username; groups prefetched for `role`."""
    return User.objects.prefetch_related("groups").order_by("-is_active", "username")


def user_get(*, pk: int) -> User:
    return User.objects.prefetch_related("groups").get(pk=pk)


def user_by_username(username: str) -> User | None:
    """The one user whose name is `username` once both are normalised (NFKC, case-folded), as
    log-in and its throttle see names; None if nobody (or, from before this rule, two) match."""
    key = username_key(username)
    if not key:
        return None
    # iexact narrows it down in the database (PostgreSQL folds every letter, SQLite only ASCII);
    # the comparison that decides is ours.
    candidates = User.objects.filter(username__iexact=username_clean(username))
    matches = [user for user in candidates if username_key(user.username) == key]
    return matches[0] if len(matches) == 1 else None


def api_key_list() -> QuerySet[ApiKey]:
    """Keys for the API-key page: active first, newest first; creator and their role loaded."""
    return (
        ApiKey.objects.select_related("role", "created_by")
        .prefetch_related("created_by__groups")
        .order_by(F("revoked_at").asc(nulls_first=True), "-created_at")
    )


def shop_profile_get() -> ShopProfile:
    """The shop's profile for a page or a printed document: the saved one (province, ward
    loaded), else an unsaved one from the SHOP_NAME / SHOP_TAX_CODE settings (`is_saved` False).
    """
    profile = (
        ShopProfile.objects.select_related("province", "ward", "updated_by")
        .filter(pk=ShopProfile.SINGLETON_ID)
        .first()
    )
    if profile is None:
        profile = ShopProfile(
            name=settings.DONHANG_SHOP_NAME, tax_code=settings.DONHANG_SHOP_TAX_CODE
        )
    return profile
