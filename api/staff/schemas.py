"""Wire schemas of the staff API (pydantic). Unknown fields are refused, types are strict."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from api.schemas import Email
from domain.companies import ApiKey, Company, CompanyProfile, normalize_allowlist
from domain.errors import InvalidCommand
from domain.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, check_new_password
from domain.staff import Locale, Role, StaffUser

_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_PRINTABLE)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
RegistrationNumber = Annotated[str, StringConstraints(max_length=64, pattern=_PRINTABLE)]
Address = Annotated[str, StringConstraints(max_length=500, pattern=_PRINTABLE)]
Cidr = Annotated[str, StringConstraints(min_length=1, max_length=49)]
Allowlist = Annotated[list[Cidr], Field(max_length=100, description="CIDRs; empty: any address")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _allowlist(value: list[str]) -> list[str]:
    try:
        return list(normalize_allowlist(value))
    except InvalidCommand as exc:
        raise ValueError(exc.detail) from None


class LoginIn(_Strict):
    email: Annotated[str, StringConstraints(min_length=1, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


class SessionOut(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer qs_…' to the staff API.")
    csrf_token: str = Field(description="Send as X-CSRF-Token with cookie-authenticated changes.")
    expires_at: datetime


LocaleName = Literal["en", "ru"]  # the values of domain.staff.Locale (a test holds them equal)
NewPassword = Annotated[
    str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
]


def _strong_enough(value: str) -> str:
    try:
        return check_new_password(value)
    except InvalidCommand as exc:
        raise ValueError(exc.detail) from None


class MeOut(BaseModel):
    id: str
    email: str
    name: str
    role: str
    locale: LocaleName
    permissions: list[str]

    @classmethod
    def from_user(cls, user: StaffUser) -> MeOut:
        return cls(
            id=user.id, email=user.email, name=user.name, role=user.role.value,
            locale=user.locale.value, permissions=sorted(p.value for p in user.permissions),
        )  # fmt: skip


class MePatch(_Strict):
    """What a staff user may change on their own account (the rest is an admin's job)."""

    locale: LocaleName

    @property
    def locale_value(self) -> Locale:
        return Locale(self.locale)


class PasswordChange(_Strict):
    current_password: Annotated[
        str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    ]
    new_password: NewPassword

    @field_validator("new_password")
    @classmethod
    def _strong_and_new(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("current_password"):
            raise ValueError("must differ from current_password")
        return _strong_enough(value)


class CompanyCreate(_Strict):
    name: Name
    legal_name: Name
    country: Country
    contact_email: Email
    notification_email: Email | None = Field(None, description="Defaults to contact_email.")
    registration_number: RegistrationNumber = ""
    address: Address = ""
    ip_allowlist: Allowlist = Field(default_factory=list)

    _check_allowlist = field_validator("ip_allowlist")(_allowlist)

    def profile(self) -> CompanyProfile:
        return CompanyProfile(
            name=self.name, legal_name=self.legal_name, country=self.country,
            contact_email=self.contact_email,
            notification_email=self.notification_email or self.contact_email,
            registration_number=self.registration_number, address=self.address,
            ip_allowlist=tuple(self.ip_allowlist),
        )  # fmt: skip


class CompanyPatch(_Strict):
    """Only the fields given change; at least one is required."""

    name: Name | None = None
    legal_name: Name | None = None
    country: Country | None = None
    contact_email: Email | None = None
    notification_email: Email | None = None
    registration_number: RegistrationNumber | None = None
    address: Address | None = None
    ip_allowlist: Allowlist | None = None

    @field_validator("*")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Runs only for fields that were sent: an explicit null would erase a required field.
        if value is None:
            raise ValueError("must not be null; leave the field out to keep it")
        return value

    _check_allowlist = field_validator("ip_allowlist")(_allowlist)

    @model_validator(mode="after")
    def _something(self) -> CompanyPatch:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class CompanyOut(BaseModel):
    id: str
    object: Literal["company"] = "company"
    name: str
    legal_name: str
    registration_number: str
    country: str
    address: str
    contact_email: str
    notification_email: str
    ip_allowlist: list[str]
    status: Literal["active", "inactive"]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_company(cls, c: Company) -> CompanyOut:
        p = c.profile
        return cls(
            id=c.id, name=p.name, legal_name=p.legal_name,
            registration_number=p.registration_number, country=p.country, address=p.address,
            contact_email=p.contact_email, notification_email=p.notification_email,
            ip_allowlist=list(p.ip_allowlist), status=c.status.value, created_at=c.created_at,
            updated_at=c.updated_at,
        )  # fmt: skip


class CompanyList(BaseModel):
    object: Literal["list"] = "list"
    data: list[CompanyOut]


class ApiKeyCreate(_Strict):
    mode: Literal["test", "live"] = Field(description="test: sandbox, no money; live: real payouts")


class ApiKeyOut(BaseModel):
    prefix: str
    object: Literal["api_key"] = "api_key"
    mode: Literal["test", "live"]
    created_at: datetime | None
    revoked: bool
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="Updated at most once a minute.")

    @classmethod
    def fields_of(cls, k: ApiKey) -> dict[str, Any]:
        return {
            "prefix": k.key_prefix, "mode": k.mode.value, "created_at": k.created_at,
            "revoked": k.revoked, "revoked_at": k.revoked_at, "last_used_at": k.last_used_at,
        }  # fmt: skip

    @classmethod
    def from_key(cls, k: ApiKey) -> ApiKeyOut:
        return cls(**cls.fields_of(k))


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret. Shown this once: store it now.")


class ApiKeyList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ApiKeyOut]


RoleName = Literal["admin", "finance", "risk", "support", "read_only"]


class StaffUserCreate(_Strict):
    email: Email
    name: Name
    role: RoleName
    password: NewPassword

    _check_password = field_validator("password")(_strong_enough)


class StaffUserPatch(_Strict):
    name: Name | None = None
    role: RoleName | None = None
    active: bool | None = None
    locale: LocaleName | None = None

    @model_validator(mode="after")
    def _something(self) -> StaffUserPatch:
        if not any(getattr(self, f) is not None for f in ("name", "role", "active", "locale")):
            raise ValueError("give at least one of name, role, active, locale")
        return self

    @property
    def role_value(self) -> Role | None:
        return Role(self.role) if self.role else None

    @property
    def locale_value(self) -> Locale | None:
        return Locale(self.locale) if self.locale else None


class StaffUserOut(BaseModel):
    id: str
    object: Literal["staff_user"] = "staff_user"
    email: str
    name: str
    role: str
    active: bool
    locale: LocaleName
    locked_until: datetime | None
    created_at: datetime

    @classmethod
    def from_user(cls, u: StaffUser) -> StaffUserOut:
        return cls(
            id=u.id, email=u.email, name=u.name, role=u.role.value, active=u.active,
            locale=u.locale.value, locked_until=u.locked_until, created_at=u.created_at,
        )  # fmt: skip


class StaffUserList(BaseModel):
    object: Literal["list"] = "list"
    data: list[StaffUserOut]
