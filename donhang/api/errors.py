from django.http import JsonResponse


def error_response(request, status: int, code: str, message: str, fields: dict | None = None):
    return JsonResponse(
        {"error": {"code": code, "message": str(message), "fields": fields or {}}}, status=status
    )


def validation_fields(errors: list[dict]) -> dict[str, str]:
    """Pydantic errors → {"lines.0.quantity": "reason"}; the location's first part (body,
    query, path) is dropped, so the field name is what the client sent."""
    fields: dict[str, str] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in {"body", "query", "path", "header", "form", "cookie"}:
            loc = loc[1:]
        # ninja nests the body under the parameter name ("payload"); drop it too.
        if len(loc) > 1 and loc[0] in {"payload", "data", "body"}:
            loc = loc[1:]
        key = ".".join(loc) or "__all__"
        msg = err.get("msg", "invalid")
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        fields.setdefault(key, msg)
    return fields
