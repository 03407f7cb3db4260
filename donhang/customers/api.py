"""Vietnam's administrative units over the API: provinces and their wards, with codes."""

from ninja import Query, Router, Schema

from donhang.customers.selectors import province_get, province_list, ward_list

router = Router(tags=["addresses"])


class ProvinceOut(Schema):
    code: int
    name: str


class WardOut(Schema):
    code: int
    name: str
    province: int


class SearchQuery(Schema):
    q: str = ""


@router.get(
    "/provinces",
    response=list[ProvinceOut],
    summary="List provinces",
    description="The 34 provinces and cities since 1 July 2025 with official codes; `q` searches "
    "names without diacritics.",
)
def provinces(request, query: Query[SearchQuery]):
    return [{"code": p.code, "name": p.name} for p in province_list(search=query.q)]


@router.get(
    "/provinces/{code}/wards",
    response=list[WardOut],
    summary="List wards of a province",
    description="Wards, communes and special zones of one province with official codes; `q` "
    "searches names without diacritics (`hoan kiem` finds Phường Hoàn Kiếm).",
)
def wards(request, code: int, query: Query[SearchQuery]):
    province = province_get(code=code)
    return [
        {"code": w.code, "name": w.name, "province": w.province_id}
        for w in ward_list(province_code=province.code, search=query.q)
    ]
