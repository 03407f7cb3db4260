"""The 2025 national list of provinces and wards, read from the repository's CSV by path.

Both emulators derive their own carrier IDs from it (deterministically, and differently per
carrier). The file is read directly; ``emulators`` never imports ``donhang``.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from emulators.common import fold

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = REPO_ROOT / "donhang" / "customers" / "data" / "vn_admin_units_2025.csv"

PROVINCE_PREFIXES = ("Thành phố ", "Tỉnh ")
WARD_PREFIXES = ("Phường ", "Xã ", "Đặc khu ", "Thị trấn ")


@dataclass(frozen=True)
class Ward:
    code: int  # national code
    name: str
    province_code: int


@dataclass(frozen=True)
class Province:
    code: int  # national code
    name: str
    wards: tuple[Ward, ...]

    @property
    def short_name(self) -> str:
        return strip_prefix(self.name, PROVINCE_PREFIXES)

    @property
    def region(self) -> str:
        """N(orth), C(entral) or S(outh) by national code (Ninh Bình and north; up to Lâm Đồng)."""
        if self.code <= 37:
            return "N"
        if self.code <= 68:
            return "C"
        return "S"


def strip_prefix(name: str, prefixes: tuple[str, ...]) -> str:
    for p in prefixes:
        if name.startswith(p):
            return name[len(p) :]
    return name


def zone(a: Province, b: Province) -> str:
    """``intra`` (same province), ``region`` (same part of the country) or ``national``."""
    if a.code == b.code:
        return "intra"
    return "region" if a.region == b.region else "national"


class Catalogue:
    def __init__(self, provinces: list[Province]):
        self.provinces = provinces
        self.by_code = {p.code: p for p in provinces}
        self.wards = {w.code: w for p in provinces for w in p.wards}

    def find_province(self, name: str) -> Province | None:
        key = fold(name)
        if not key:
            return None
        for p in self.provinces:
            if key in (fold(p.name), fold(p.short_name)):
                return p
        return None

    def find_ward(self, province: Province, name: str) -> Ward | None:
        key = fold(name)
        if not key:
            return None
        exact = [w for w in province.wards if fold(w.name) == key]
        if exact:
            return exact[0]
        loose = [w for w in province.wards if fold(strip_prefix(w.name, WARD_PREFIXES)) == key]
        return loose[0] if len(loose) == 1 else None


@functools.lru_cache(maxsize=4)
def load_catalogue(path: str | Path | None = None) -> Catalogue:
    path = Path(path) if path else DEFAULT_CSV
    if not path.is_absolute():
        path = REPO_ROOT / path
    rows: dict[int, tuple[str, list[Ward]]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            pcode = int(row["province_code"])
            entry = rows.setdefault(pcode, (row["province_name"].strip(), []))
            entry[1].append(Ward(int(row["ward_code"]), row["ward_name"].strip(), pcode))
    provinces = [
        Province(code, name, tuple(sorted(wards, key=lambda w: w.code)))
        for code, (name, wards) in sorted(rows.items())
    ]
    return Catalogue(provinces)
