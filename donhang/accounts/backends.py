"""Log-in resolves a username the way its throttle counts it (see accounts/usernames.py)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from donhang.accounts.selectors import user_by_username


class UsernameBackend(ModelBackend):
    """Django's model backend (permissions included), but `Manager` and `ｍａｎａｇｅｒ` find the
    user `manager`: the name the throttle counted is the name that logs in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = user_by_username(username)
        if user is None:
            # Hash anyway, so that a missing user takes as long as a wrong password.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
