from ninja import Router, Schema

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str | None
    role: str | None
    via: str


@router.get("/me", response=MeOut, summary="Who is calling")
def me(request):
    """The caller as the API sees it: the key's role, or the logged-in user's."""
    principal = request.principal
    if principal.api_key is not None:
        creator = principal.api_key.created_by
        return {
            "username": creator.get_username() if creator else None,
            "role": principal.api_key.role.name,
            "via": "api_key",
        }
    return {
        "username": principal.user.get_username(),
        "role": principal.user.role,
        "via": "session",
    }
