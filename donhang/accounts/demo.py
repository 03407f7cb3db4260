"""Demo staff: one user per role, password `donhang-demo`; the demo shop's profile. Safe to run
again."""

from io import BytesIO

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw

from donhang.accounts.models import ShopProfile, User
from donhang.accounts.roles import Role
from donhang.accounts.services import shop_profile_update, user_create, user_set_role

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
    # Here rather than in load_demo so that every document of the demo shows the shop, not a
    # person, whichever part of the demo is loaded.
    load_demo_shop_profile(actor=owner)
    return owner


# A shop, not a person: labels, picking lists and purchase orders print this.
DEMO_SHOP = {
    "name": "Công ty TNHH Thời trang Lan Nguyễn",
    "tax_code": "0107654326",
    "address_line": "18 Hàng Bài",
    "province": 1,  # Thành phố Hà Nội
    "ward": 70,  # Phường Hoàn Kiếm
    "phone": "024 3825 1234",
    "email": "lienhe@thoitranglan.example.vn",
    "bank_bin": "970436",  # Vietcombank
    "bank_account_number": "1023456789",
    "bank_account_holder": "Công ty TNHH Thời trang Lan Nguyễn",
}


def _demo_logo() -> ContentFile:
    """A plain badge drawn here (no font needed), uploaded like any logo."""
    image = Image.new("RGB", (240, 240), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 230, 230), fill=(176, 42, 84))
    white = (255, 255, 255)
    draw.rectangle((50, 60, 72, 180), fill=white)  # L
    draw.rectangle((50, 158, 110, 180), fill=white)
    draw.rectangle((125, 60, 147, 180), fill=white)  # N
    draw.polygon([(125, 60), (147, 60), (195, 180), (173, 180)], fill=white)
    draw.rectangle((173, 60, 195, 180), fill=white)
    out = BytesIO()
    image.save(out, format="JPEG", quality=90)
    return ContentFile(out.getvalue(), name="logo.jpg")


@transaction.atomic
def load_demo_shop_profile(*, actor=None) -> ShopProfile:
    """The demo shop's profile, unless one is saved already (an owner's edits are kept)."""
    existing = ShopProfile.objects.filter(pk=ShopProfile.SINGLETON_ID).first()
    if existing is not None:
        return existing
    return shop_profile_update(actor=actor, **DEMO_SHOP, logo=_demo_logo())
