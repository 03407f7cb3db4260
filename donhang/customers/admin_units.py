"""Vietnam's administrative units since 1 July 2025, from the CSV shipped in data/."""

import csv
from pathlib import Path

from donhang.core.text import fold

DATA_FILE = Path(__file__).parent / "data" / "vn_admin_units_2025.csv"


def read_units() -> tuple[dict[int, str], list[tuple[int, int, str]]]:
    """Return ({province code: name}, [(ward code, province code, ward name)])."""
    provinces: dict[int, str] = {}
    wards: list[tuple[int, int, str]] = []
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            province_code = int(row["province_code"])
            provinces[province_code] = row["province_name"].strip()
            wards.append((int(row["ward_code"]), province_code, row["ward_name"].strip()))
    return provinces, wards


def load_units(province_model, ward_model) -> int:
    """Insert or update every unit; safe to run again. Returns the number of wards."""
    provinces, wards = read_units()
    existing_p = set(province_model.objects.values_list("code", flat=True))
    province_model.objects.bulk_create(
        [
            province_model(code=c, name=n, search_name=fold(n))
            for c, n in provinces.items()
            if c not in existing_p
        ]
    )
    existing_w = set(ward_model.objects.values_list("code", flat=True))
    ward_model.objects.bulk_create(
        [
            ward_model(code=c, province_id=p, name=n, search_name=fold(n))
            for c, p, n in wards
            if c not in existing_w
        ],
        batch_size=500,
    )
    return len(wards)
