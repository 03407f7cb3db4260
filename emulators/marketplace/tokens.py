"""Authorization codes and token pairs that expire and rotate, per platform rules."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

# --------------------------------------------------------------------------- tokens


class TokenError(Exception):
    """``kind``: unknown, expired, used, revoked, mismatch."""

    def __init__(self, kind: str, message: str = ""):
        super().__init__(message or kind)
        self.kind = kind


@dataclass
class AuthCode:
    code: str
    subject: str  # shop id / seller id the seller logged in as
    created: float
    used: bool = False


@dataclass
class TokenPair:
    subject: str
    access_token: str
    refresh_token: str
    access_expires: float
    refresh_expires: float
    created: float
    authorization_expires: float
    revoked: bool = False
    refresh_used: bool = False
    access_grace_until: float | None = None  # set when refreshed: old access lives until then


class TokenStore:
    """Authorization codes and token pairs, on the emulator's clock (Unix seconds)."""

    def __init__(
        self,
        rng: Random,
        *,
        code_ttl: float,
        access_ttl: float,
        refresh_ttl: float,
        authorization_ttl: float = 365 * 86400,
        refresh_single_use: bool = True,
        rotate_refresh: bool = True,
        extend_refresh: bool = True,
        old_access_grace: float | None = 0,
        prefix: str = "",
    ):
        """``refresh_single_use``: a refresh token works once (Shopee). ``rotate_refresh``: a
        refresh answers a new refresh token (else the same one). ``extend_refresh``: the new
        refresh token gets a fresh ``refresh_ttl`` (else the first one's expiry is kept).
        ``old_access_grace``: seconds the replaced access token keeps working (None: until its
        own expiry)."""
        self.rng = rng
        self.code_ttl = code_ttl
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.authorization_ttl = authorization_ttl
        self.refresh_single_use = refresh_single_use
        self.rotate_refresh = rotate_refresh
        self.extend_refresh = extend_refresh
        self.old_access_grace = old_access_grace
        self.prefix = prefix
        self.codes: dict[str, AuthCode] = {}
        self.by_access: dict[str, TokenPair] = {}
        self.by_refresh: dict[str, TokenPair] = {}

    def _random(self, n: int = 32) -> str:
        return self.prefix + "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def issue_code(self, subject: str, now: float) -> str:
        code = self._random(32)
        self.codes[code] = AuthCode(code, str(subject), now)
        return code

    def take_code(self, code: str, now: float) -> str:
        entry = self.codes.get(str(code or ""))
        if entry is None:
            raise TokenError("unknown", "invalid code")
        if entry.used:
            raise TokenError("used", "code already used")
        if now > entry.created + self.code_ttl:
            raise TokenError("expired", "code expired")
        entry.used = True
        return entry.subject

    def issue(self, subject: str, now: float, authorization_expires: float | None = None):
        pair = TokenPair(
            subject=str(subject),
            access_token=self._random(32),
            refresh_token=self._random(32),
            access_expires=now + self.access_ttl,
            refresh_expires=now + self.refresh_ttl,
            created=now,
            authorization_expires=authorization_expires or now + self.authorization_ttl,
        )
        self.by_access[pair.access_token] = pair
        self.by_refresh[pair.refresh_token] = pair
        return pair

    def check_access(self, token: str, now: float) -> TokenPair:
        pair = self.by_access.get(str(token or ""))
        if pair is None:
            raise TokenError("unknown", "invalid access token")
        if pair.revoked:
            raise TokenError("revoked", "authorization cancelled")
        limit = pair.access_expires
        if pair.access_grace_until is not None:
            limit = min(limit, pair.access_grace_until)
        if now >= limit:
            raise TokenError("expired", "access token expired")
        return pair

    def refresh(self, refresh_token: str, now: float) -> TokenPair:
        pair = self.by_refresh.get(str(refresh_token or ""))
        if pair is None:
            raise TokenError("unknown", "invalid refresh token")
        if pair.revoked:
            raise TokenError("revoked", "authorization cancelled")
        if pair.refresh_used and self.refresh_single_use:
            raise TokenError("used", "refresh token already used")
        if now >= pair.refresh_expires:
            raise TokenError("expired", "refresh token expired")
        if now >= pair.authorization_expires:
            raise TokenError("authorization_expired", "authorization expired")
        pair.refresh_used = True
        if self.old_access_grace is not None:
            grace = now + self.old_access_grace
            if pair.access_grace_until is None or grace < pair.access_grace_until:
                pair.access_grace_until = grace
        new = TokenPair(
            subject=pair.subject,
            access_token=self._random(32),
            refresh_token=self._random(32) if self.rotate_refresh else pair.refresh_token,
            access_expires=now + self.access_ttl,
            refresh_expires=now + self.refresh_ttl if self.extend_refresh else pair.refresh_expires,
            created=now,
            authorization_expires=pair.authorization_expires,
        )
        self.by_access[new.access_token] = new
        self.by_refresh[new.refresh_token] = new
        return new

    def revoke(self, subject: str) -> int:
        n = 0
        for pair in self.by_access.values():
            if pair.subject == str(subject) and not pair.revoked:
                pair.revoked = True
                n += 1
        return n

    def expire_access(self, subject: str | None, now: float) -> int:
        """Control: every live access token of ``subject`` (or of everyone) expires now."""
        n = 0
        for pair in self.by_access.values():
            if (subject is None or pair.subject == str(subject)) and pair.access_expires > now:
                pair.access_expires = now
                n += 1
        return n
