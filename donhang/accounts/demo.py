"""Demo staff: one user per role, password `donhang-demo`. Safe to run again."""

from django.db import transaction

from donhang.accounts.models import User
from donhang.accounts.roles import Role
from donhang.accounts.services import user_create, user_set_role

DEMO_PASSWORD = "donhang-demo"

# (username, role, family name, given name, email, phone)
DEMO_USERS = [
    ("owner", Role.OWNER, "Nguyễn", "Thị Lan", "lan.nguyen@example.vn", "0912345678"),
    ("manager", Role.MANAGER, "Trần", "Văn Minh", "minh.tran@example.vn", "0987654321"),
    ("sales", Role.SALES, "Lê", "Thu Hà", "ha.le@example.vn", "0903123456"),
    ("warehouse", Role.WAREHOUSE, "Phạm", "Quốc Huy", "huy.pham@example.vn", "0977888999"),
    ("accountant", Role.ACCOUNTANT, "Võ", "Ngọc Ánh", "anh.vo@example.vn", "0935111222"),
]


@transaction.atomic
def load_demo_users() -> User:
    """Create the demo staff (existing ones keep their password) and return the owner."""
    owner = None
    for username, role, last_name, first_name, email, phone in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                first_name=first_name,
                last_name=last_name,
                email=email,
                phone=phone,
            )
        elif user.role != role:
            user_set_role(user=user, role=role)
        if role == Role.OWNER:
            # So the Django admin works for the demo owner.
            if not (user.is_staff and user.is_superuser):
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
            owner = user
    return owner
