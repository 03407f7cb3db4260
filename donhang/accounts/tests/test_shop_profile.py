"""The shop profile: one row saved by owners, else the settings; checked on every save."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from donhang.accounts.demo import DEMO_SHOP, load_demo_shop_profile, load_demo_users
from donhang.accounts.models import ShopProfile
from donhang.accounts.selectors import shop_profile_get
from donhang.accounts.services import api_key_create, shop_profile_update
from donhang.core.errors import ValidationFailed
from donhang.core.models import AuditEntry

pytestmark = pytest.mark.django_db

HA_NOI, HOAN_KIEM = 1, 70  # Thành phố Hà Nội, Phường Hoàn Kiếm
HO_CHI_MINH, BEN_THANH = 79, 26743  # Thành phố Hồ Chí Minh, Phường Bến Thành
VALID_TAX_CODE = "0107654326"
BAD_TAX_CODE = "0107654321"  # right length, wrong check digit
TAX_CODE_REASON = (
    "A tax code has 10 digits, or 10 digits, “-” and 3 digits for a branch. Check the digits."
)


@pytest.fixture(autouse=True)
def _english():
    # Service errors in the source language, so assertions read the strings in the code; pages
    # follow the language cookie of each request.
    with translation.override("en"):
        yield


def _image(fmt="PNG", size=(64, 32), mode="RGB", color=(200, 30, 60)) -> bytes:
    out = BytesIO()
    Image.new(mode, size, color).save(out, format=fmt)
    return out.getvalue()


def _upload(data: bytes, name="logo.png", content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _page_data(**overrides) -> dict:
    data = {
        "name": "Công ty TNHH Thời trang Lan Nguyễn",
        "tax_code": VALID_TAX_CODE,
        "address_line": "18 Hàng Bài",
        "province": str(HA_NOI),
        "ward": str(HOAN_KIEM),
        "phone": "024 3825 1234",
        "email": "lienhe@example.vn",
        "bank_bin": "970436",
        "bank_name": "",
        "bank_account_number": "1023 456 789",
        "bank_account_holder": "Công ty TNHH Thời trang Lan Nguyễn",
    }
    data.update(overrides)
    return data


# --- selector and service ------------------------------------------------------------------------


def test_before_any_save_the_profile_comes_from_the_settings(settings):
    settings.DONHANG_SHOP_NAME = "Shop Hoa Mai"
    settings.DONHANG_SHOP_TAX_CODE = "0109351729"

    profile = shop_profile_get()

    assert not profile.is_saved
    assert profile.name == "Shop Hoa Mai" and profile.tax_code == "0109351729"
    assert not ShopProfile.objects.exists()


def test_saving_checks_and_normalises_every_field(owner):
    profile = shop_profile_update(
        actor=owner,
        name="  Công ty TNHH   Thời trang Lan Nguyễn ",
        tax_code="0107 654 326",
        address_line="18 Hàng Bài",
        ward=HOAN_KIEM,  # the province follows from the ward
        phone="024 3825 1234",
        email="lienhe@example.vn",
        bank_bin="970436",
        bank_account_number="1023.456-789",
        bank_account_holder="Công ty TNHH Thời trang Lan Nguyễn",
    )

    saved = shop_profile_get()
    assert saved.is_saved and saved.pk == profile.pk == ShopProfile.SINGLETON_ID
    assert saved.name == "Công ty TNHH Thời trang Lan Nguyễn"
    assert saved.tax_code == VALID_TAX_CODE
    assert saved.province_id == HA_NOI and saved.ward_id == HOAN_KIEM
    assert saved.address_display == "18 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội"
    assert saved.phone == "+842438251234" and saved.phone_display == "024 3825 1234"
    assert saved.bank_name == "Vietcombank"  # from the known BIN
    assert saved.bank_account_number == "1023456789"
    assert saved.bank_account_holder == "CONG TY TNHH THOI TRANG LAN NGUYEN"
    assert saved.has_bank_account
    assert saved.updated_by == owner
    entry = AuditEntry.objects.get(action="shop_profile.update")
    assert entry.actor == owner and entry.object_id == str(ShopProfile.SINGLETON_ID)
    assert "tax_code" in entry.data["changed"]


def test_only_the_fields_given_change_and_there_is_one_row(owner):
    shop_profile_update(actor=owner, name="Shop Lan", tax_code=VALID_TAX_CODE, ward=HOAN_KIEM)

    shop_profile_update(actor=owner, phone="0912 345 678")

    assert ShopProfile.objects.count() == 1
    profile = shop_profile_get()
    assert profile.name == "Shop Lan" and profile.tax_code == VALID_TAX_CODE
    assert profile.ward_id == HOAN_KIEM and profile.phone == "+84912345678"


def test_a_province_alone_keeps_the_ward_only_if_it_is_in_that_province(owner):
    shop_profile_update(actor=owner, name="Shop Lan", ward=HOAN_KIEM)

    shop_profile_update(actor=owner, province=HA_NOI)
    assert shop_profile_get().ward_id == HOAN_KIEM

    shop_profile_update(actor=owner, province=HO_CHI_MINH)
    profile = shop_profile_get()
    assert profile.province_id == HO_CHI_MINH and profile.ward_id is None


def test_every_wrong_field_is_named_at_once_and_nothing_is_saved(owner):
    with pytest.raises(ValidationFailed) as caught:
        shop_profile_update(
            actor=owner,
            name="",
            tax_code=BAD_TAX_CODE,
            province=HO_CHI_MINH,
            ward=HOAN_KIEM,
            phone="12345",
            email="not-an-email",
            bank_bin="9704",
            bank_account_number="1023456789",
        )

    fields = caught.value.fields
    assert set(fields) == {"name", "tax_code", "ward", "phone", "email", "bank_bin"}
    assert fields["tax_code"] == TAX_CODE_REASON
    assert "Phường Hoàn Kiếm is not in Thành phố Hồ Chí Minh" in fields["ward"]
    assert not ShopProfile.objects.exists()
    assert not AuditEntry.objects.filter(action="shop_profile.update").exists()


def test_a_branch_tax_code_is_accepted_and_a_personal_id_is_not(owner):
    profile = shop_profile_update(actor=owner, name="Shop Lan", tax_code="0107654326-001")
    assert profile.tax_code == "0107654326-001"

    with pytest.raises(ValidationFailed) as caught:
        shop_profile_update(actor=owner, tax_code="001234567890")  # 12 digits: a person's ID
    assert "tax_code" in caught.value.fields


def test_a_bank_account_needs_both_the_bin_and_the_number(owner):
    with pytest.raises(ValidationFailed) as caught:
        shop_profile_update(actor=owner, name="Shop Lan", bank_account_number="1023456789")
    assert set(caught.value.fields) == {"bank_bin"}

    with pytest.raises(ValidationFailed) as caught:
        shop_profile_update(actor=owner, name="Shop Lan", bank_bin="970436")
    assert set(caught.value.fields) == {"bank_account_number"}


def test_a_bank_name_typed_by_the_owner_is_kept(owner):
    profile = shop_profile_update(
        actor=owner,
        name="Shop Lan",
        bank_bin="970999",
        bank_name="Ngân hàng Mới",
        bank_account_number="123",
    )
    assert profile.bank_name == "Ngân hàng Mới"


def test_a_bank_name_filled_in_from_the_bin_follows_a_new_bin(owner):
    shop_profile_update(
        actor=owner, name="Shop Lan", bank_bin="970436", bank_account_number="1023456789"
    )

    # The page sends the name shown (Vietcombank) with the new BIN.
    profile = shop_profile_update(actor=owner, bank_bin="970415", bank_name="Vietcombank")

    assert profile.bank_name == "VietinBank"


def test_unknown_fields_are_a_programming_error(owner):
    with pytest.raises(TypeError):
        shop_profile_update(actor=owner, name="Shop Lan", website="https://example.vn")


# --- logo ------------------------------------------------------------------------------------------


def test_a_logo_is_redrawn_as_a_png_under_a_name_we_choose(owner):
    jpeg = _image("JPEG", size=(2000, 1000))

    profile = shop_profile_update(
        actor=owner, name="Shop Lan", logo=_upload(jpeg, name="<script>.html.jpg")
    )

    assert profile.logo.name.startswith("shop/logo-") and profile.logo.name.endswith(".png")
    assert "script" not in profile.logo.name
    with profile.logo.open("rb") as stored:
        data = stored.read()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data != jpeg
    with Image.open(BytesIO(data)) as img:
        assert img.format == "PNG" and img.size == (800, 400)  # scaled to 800 px at most


def test_a_payload_after_the_image_is_not_kept(owner):
    polyglot = _image("GIF") + b"<html><script>alert(1)</script></html>"

    profile = shop_profile_update(actor=owner, name="Shop Lan", logo=_upload(polyglot))

    with profile.logo.open("rb") as stored:
        assert b"<script>" not in stored.read()


def test_transparency_survives(owner):
    png = _image("PNG", mode="RGBA", color=(0, 0, 0, 0))

    profile = shop_profile_update(actor=owner, name="Shop Lan", logo=_upload(png))

    with profile.logo.open("rb") as stored, Image.open(stored) as img:
        assert img.mode == "RGBA" and img.getpixel((0, 0))[3] == 0


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body>not an image</body></html>",
        b"%PDF-1.4 not an image",
        b"",
    ],
)
def test_what_is_not_an_image_is_refused_on_the_logo_field(owner, data):
    with pytest.raises(ValidationFailed) as caught:
        shop_profile_update(actor=owner, name="Shop Lan", logo=_upload(data, name="logo.png"))
    assert set(caught.value.fields) == {"logo"}


def test_a_logo_over_the_size_limit_is_refused(owner):
    big = _upload(b"\x89PNG" + b"0" * (2 * 1024 * 1024 + 1))

    with pytest.raises(ValidationFailed) as caught:
        shop_profile_update(actor=owner, name="Shop Lan", logo=big)
    assert "2 MB" in caught.value.fields["logo"]


def test_an_image_declaring_too_many_pixels_is_refused_before_decoding(owner):
    # A tiny file that declares 10,000 × 10,000 pixels (compresses to almost nothing).
    huge = _image("PNG", size=(10_000, 10_000), mode="1", color=0)
    assert len(huge) < 2 * 1024 * 1024

    with pytest.raises(ValidationFailed) as caught:
        shop_profile_update(actor=owner, name="Shop Lan", logo=_upload(huge))
    assert "too many pixels" in caught.value.fields["logo"]


def test_replacing_and_removing_the_logo_deletes_the_old_file(
    owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = shop_profile_update(actor=owner, name="Shop Lan", logo=_upload(_image()))
    first_name = first.logo.name
    storage = first.logo.storage

    with django_capture_on_commit_callbacks(execute=True):
        second = shop_profile_update(actor=owner, logo=_upload(_image("JPEG")))
    assert second.logo.name != first_name
    assert not storage.exists(first_name) and storage.exists(second.logo.name)

    with django_capture_on_commit_callbacks(execute=True):
        shop_profile_update(actor=owner, remove_logo=True)
    assert not shop_profile_get().logo
    assert not storage.exists(second.logo.name)


# --- page --------------------------------------------------------------------------------------------


def test_owner_saves_the_profile_on_the_page(owner_client):
    url = reverse("accounts:shop_profile")
    logo = _upload(_image("WEBP"), name="logo.webp", content_type="image/webp")

    response = owner_client.post(url, {**_page_data(), "logo": logo})

    assert response.status_code == 302 and response["Location"] == url
    profile = shop_profile_get()
    assert profile.name == "Công ty TNHH Thời trang Lan Nguyễn"
    assert profile.ward_id == HOAN_KIEM and profile.bank_name == "Vietcombank"
    assert profile.logo.name.endswith(".png")
    page = owner_client.get(url).content.decode()
    assert "The shop profile is saved" in page
    assert 'value="Công ty TNHH Thời trang Lan Nguyễn"' in page
    assert 'value="024 3825 1234"' in page
    assert profile.logo.url in page


def test_the_page_starts_from_the_settings(owner_client, settings):
    settings.DONHANG_SHOP_NAME = "Shop Hoa Mai"
    settings.DONHANG_SHOP_TAX_CODE = "0109351729"

    page = owner_client.get(reverse("accounts:shop_profile")).content.decode()

    assert 'value="Shop Hoa Mai"' in page and 'value="0109351729"' in page
    assert 'id="shop-profile-unsaved"' in page


def test_the_ward_select_lists_only_the_wards_of_the_province(owner_client, owner):
    shop_profile_update(actor=owner, name="Shop Lan", ward=HOAN_KIEM)

    page = owner_client.get(reverse("accounts:shop_profile")).content.decode()

    ward_select = page[
        page.index('name="ward"') : page.index("</select>", page.index('name="ward"'))
    ]
    assert f'<option value="{HOAN_KIEM}" selected>Phường Hoàn Kiếm</option>' in ward_select
    assert "Phường Bến Thành" not in ward_select
    assert 'hx-get="/customers/wards/"' in page and 'hx-target="#id_ward"' in page


@pytest.mark.parametrize("language", ["vi", "en", "ja"])
def test_a_bad_tax_code_is_shown_on_its_field_in_the_users_language(owner_client, language):
    owner_client.cookies["donhang_language"] = language

    response = owner_client.post(
        reverse("accounts:shop_profile"), _page_data(tax_code=BAD_TAX_CODE)
    )

    assert response.status_code == 422
    page = response.content.decode()
    with translation.override(language):
        reason = gettext(TAX_CODE_REASON)
        label = gettext("Tax code")
    # The reason sits under the tax code field, not only at the top of the form.
    assert f'<div class="invalid-feedback d-block" id="id_tax_code_error">{reason}</div>' in page
    assert label in page
    assert not ShopProfile.objects.exists()


def test_the_tax_code_error_reads_vietnamese_by_default(owner_client):
    owner_client.cookies.pop("donhang_language")

    page = owner_client.post(
        reverse("accounts:shop_profile"), _page_data(tax_code=BAD_TAX_CODE)
    ).content.decode()

    assert "Mã số thuế" in page  # the field's label in the default language


def test_a_ward_of_another_province_is_named_on_the_ward_field(owner_client):
    response = owner_client.post(
        reverse("accounts:shop_profile"), _page_data(province=str(HO_CHI_MINH))
    )

    assert response.status_code == 422
    assert 'id="id_ward_error"' in response.content.decode()
    assert not ShopProfile.objects.exists()


@pytest.mark.parametrize("role", ["manager", "sales", "warehouse", "accountant"])
def test_only_owners_open_the_page(client, make_user, role):
    client.force_login(make_user(f"staff-{role}", role))

    assert client.get(reverse("accounts:shop_profile")).status_code == 403
    assert client.post(reverse("accounts:shop_profile"), _page_data()).status_code == 403
    assert not ShopProfile.objects.exists()
    assert "Shop profile" not in client.get(reverse("accounts:password_change")).content.decode()


def test_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("accounts:shop_profile"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_owners_find_the_page_in_the_user_menu(owner_client):
    page = owner_client.get(reverse("accounts:password_change")).content.decode()
    assert f'href="{reverse("accounts:shop_profile")}">Shop profile</a>' in page


# --- API ---------------------------------------------------------------------------------------------


@pytest.fixture
def owner_api(client, owner):
    _key, raw = api_key_create(name="Website", role="owner", actor=owner)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def _put(client, body):
    return client.put("/api/v1/shop", body, content_type="application/json")


def test_api_reads_the_settings_before_any_save(owner_api, settings):
    settings.DONHANG_SHOP_NAME = "Shop Hoa Mai"

    body = owner_api.get("/api/v1/shop").json()

    assert body["name"] == "Shop Hoa Mai" and body["saved"] is False
    assert body["updated_at"] is None and body["logo_url"] is None


def test_api_put_saves_and_get_reads_it_back(owner_api):
    response = _put(
        owner_api,
        {
            "name": "Công ty TNHH Thời trang Lan Nguyễn",
            "tax_code": VALID_TAX_CODE,
            "address": {"line": "18 Hàng Bài", "province": HA_NOI, "ward": HOAN_KIEM},
            "phone": "024 3825 1234",
            "email": "lienhe@example.vn",
            "bank": {"bin": "970436", "account_number": "1023456789", "account_holder": "Lan"},
        },
    )

    assert response.status_code == 200, response.content
    body = owner_api.get("/api/v1/shop").json()
    assert body["saved"] is True and body["tax_code"] == VALID_TAX_CODE
    assert body["address"] == {
        "line": "18 Hàng Bài",
        "province": HA_NOI,
        "province_name": "Thành phố Hà Nội",
        "ward": HOAN_KIEM,
        "ward_name": "Phường Hoàn Kiếm",
        "full": "18 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội",
    }
    assert body["phone"] == "+842438251234"
    assert body["bank"] == {
        "bin": "970436",
        "name": "Vietcombank",
        "account_number": "1023456789",
        "account_holder": "LAN",
    }
    assert AuditEntry.objects.get(action="shop_profile.update").actor_label == "API key Website"


def test_api_put_changes_only_what_is_sent(owner_api, owner):
    shop_profile_update(actor=owner, name="Shop Lan", tax_code=VALID_TAX_CODE, ward=HOAN_KIEM)

    response = _put(owner_api, {"email": "moi@example.vn", "address": {"line": "20 Hàng Bài"}})

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Shop Lan" and body["tax_code"] == VALID_TAX_CODE
    assert body["email"] == "moi@example.vn"
    assert body["address"]["line"] == "20 Hàng Bài" and body["address"]["ward"] == HOAN_KIEM


def test_api_a_bad_tax_code_is_422_naming_tax_code(owner_api):
    response = _put(owner_api, {"name": "Shop Lan", "tax_code": BAD_TAX_CODE})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"] == {"tax_code": TAX_CODE_REASON}
    assert not ShopProfile.objects.exists()


def test_api_names_nested_fields_as_sent(owner_api):
    response = _put(
        owner_api,
        {
            "name": "Shop Lan",
            "address": {"province": HO_CHI_MINH, "ward": HOAN_KIEM},
            "bank": {"bin": "12", "account_number": "1023456789"},
        },
    )

    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"address.ward", "bank.bin"}


def test_api_other_roles_may_neither_read_nor_change(client, owner):
    _key, raw = api_key_create(name="Kho", role="manager", actor=owner)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"

    assert client.get("/api/v1/shop").status_code == 403
    assert _put(client, {"name": "Shop khác"}).status_code == 403
    assert not ShopProfile.objects.exists()


# --- demo ----------------------------------------------------------------------------------------------


def test_the_demo_shop_has_a_profile_and_keeps_an_owners_edits():
    load_demo_users()

    profile = shop_profile_get()
    assert profile.is_saved and profile.name == DEMO_SHOP["name"]
    assert profile.tax_code == DEMO_SHOP["tax_code"]
    assert profile.address_display == "18 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội"
    assert profile.has_bank_account and profile.logo.name.endswith(".png")

    shop_profile_update(actor=None, name="Tên mới")
    load_demo_shop_profile()
    assert shop_profile_get().name == "Tên mới"
