"""The Aircall simulator's contact endpoints: list, search, retrieve, create, update, delete.

As on the real API: creating needs ``phone_numbers`` (at most 20 entries per list, each with a
label and a value) and answers 201; duplicates are created, never merged. A phone number must be
in international (E.164) form and an email an address, else 400 ``Invalid payload`` (when
creating, adding or changing an entry). Updating is a POST that
applies first_name, last_name, company_name and information only; phone numbers and emails
change through the ``phone_details`` and ``email_details`` sub-resources. Search matches a phone
number or an email, never a name.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from .checks import is_email, is_phone
from .sim_api import Context, invalid, not_found, page_of
from .sim_phones import normalize

MAX_ENTRIES = 20
SCALARS = ("first_name", "last_name", "company_name", "information")
_LISTS = {"phone_details": "phone_numbers", "email_details": "emails"}


def _contact(ctx: Context) -> dict[str, Any]:
    contact_id = ctx.request.path_params["contact_id"]
    contact = ctx.data.contacts.get(contact_id)
    if contact is None:
        raise not_found("Contact", contact_id)
    return contact


def _page(ctx: Context, contacts: list[dict[str, Any]]) -> Response:
    order_by = ctx.param("order_by") or "created_at"
    if order_by not in ("created_at", "updated_at"):
        raise invalid(f"order_by must be created_at or updated_at, got {order_by!r}")
    return page_of(
        ctx,
        "contacts",
        contacts,
        created=lambda c: c["created_at"],
        sort_key=lambda c: (c[order_by], c["id"]),
    )


async def list_contacts(ctx: Context) -> Response:
    """``GET /v1/contacts``: the shared contacts, paged (there is no ``q``)."""
    return _page(ctx, list(ctx.data.contacts.values()))


async def search_contacts(ctx: Context) -> Response:
    """``GET /v1/contacts/search?phone_number=...|email=...``."""
    phone, email = ctx.param("phone_number"), ctx.param("email")
    if not phone and not email:
        raise invalid("Search needs a phone_number or an email")
    wanted_phone = normalize(phone) if phone else None
    wanted_email = email.strip().lower() if email else None

    def matches(contact: dict[str, Any]) -> bool:
        if wanted_phone is not None and not any(
            normalize(p["value"]) == wanted_phone for p in contact["phone_numbers"]
        ):
            return False
        return wanted_email is None or any(
            e["value"].lower() == wanted_email for e in contact["emails"]
        )

    return _page(ctx, [c for c in ctx.data.contacts.values() if matches(c)])


async def get_contact(ctx: Context) -> Response:
    """``GET /v1/contacts/{id}``."""
    return ctx.one("contact", _contact(ctx))


def _blank(value: object) -> bool:
    return not isinstance(value, str) or not value.strip()


def _checked(entry: object, where: str) -> dict[str, Any]:
    if not isinstance(entry, dict) or _blank(entry.get("label")) or _blank(entry.get("value")):
        raise invalid(f"Each entry of {where} needs a non-blank label and value")
    _check_value(entry["value"], where)
    return {"label": entry["label"], "value": entry["value"]}


def _check_value(value: object, where: str) -> None:
    """A phone number in international form, an email that is an address."""
    if where in ("phone_numbers", "phone_details") and not is_phone(value):
        raise invalid(
            f"{value!r} is not a valid phone number: use the international format, e.g. "
            "+33612345678"
        )
    if where in ("emails", "email_details") and not is_email(value):
        raise invalid(f"{value!r} is not a valid email address")


def _stored(ctx: Context, entry: dict[str, Any]) -> dict[str, Any]:
    """A checked entry with its new id (ids are handed out only once all is valid)."""
    return {"id": ctx.data.new_detail_id(), **entry}


def _entries(body: dict[str, Any], key: str, *, required: bool) -> list[object]:
    value = body.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value):
        raise invalid(f"{key} is required: a non-empty list of {{label, value}} objects")
    if len(value) > MAX_ENTRIES:
        raise invalid(f"{key} accepts at most {MAX_ENTRIES} entries, got {len(value)}")
    return value


async def create_contact(ctx: Context) -> Response:
    """``POST /v1/contacts`` -> 201."""
    body = await ctx.body()
    phones = _entries(body, "phone_numbers", required=True)
    emails = _entries(body, "emails", required=False)
    for key in SCALARS:
        if not isinstance(body.get(key), str | None):
            raise invalid(f"{key} must be a string")
    phone_entries = [_checked(p, "phone_numbers") for p in phones]
    email_entries = [_checked(e, "emails") for e in emails]
    contact_id = ctx.data.new_contact_id()
    contact = {
        "id": contact_id,
        "direct_link": f"/v1/contacts/{contact_id}",
        **{key: body.get(key) for key in SCALARS},
        "is_shared": True,
        "created_at": ctx.now,
        "updated_at": ctx.now,
        "phone_numbers": [_stored(ctx, p) for p in phone_entries],
        "emails": [_stored(ctx, e) for e in email_entries],
    }
    ctx.data.contacts[contact_id] = contact
    return ctx.one("contact", contact, 201)


def _touch(ctx: Context, contact: dict[str, Any]) -> None:
    contact["updated_at"] = max(ctx.now, contact["updated_at"])


async def update_contact(ctx: Context) -> Response:
    """``POST /v1/contacts/{id}``: the scalar fields only; anything else in the body is ignored."""
    contact = _contact(ctx)
    body = await ctx.body()
    changes = {key: body[key] for key in SCALARS if key in body}
    for key, value in changes.items():
        if _blank(value):
            raise invalid(f"{key} must not be blank")
    contact.update(changes)
    _touch(ctx, contact)
    return ctx.one("contact", contact)


async def delete_contact(ctx: Context) -> Response:
    """``DELETE /v1/contacts/{id}`` -> 204."""
    del ctx.data.contacts[_contact(ctx)["id"]]
    return Response(status_code=204)


def _details(ctx: Context) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    """The contact, the sub-resource's name, and the list it edits."""
    contact = _contact(ctx)
    kind = ctx.request.url.path.split("/")[4]  # /v1/contacts/{id}/<kind>[/{detail_id}]
    return contact, kind, contact[_LISTS[kind]]


def _detail(ctx: Context, kind: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    detail_id = ctx.request.path_params["detail_id"]
    found = next((e for e in entries if e["id"] == detail_id), None)
    if found is None:
        raise not_found("Phone detail" if kind == "phone_details" else "Email detail", detail_id)
    return found


async def add_detail(ctx: Context) -> Response:
    """``POST /v1/contacts/{id}/phone_details`` (or ``email_details``) ``{label, value}`` -> 201."""
    contact, kind, entries = _details(ctx)
    body = await ctx.body()
    if len(entries) >= MAX_ENTRIES:
        raise invalid(f"{_LISTS[kind]} accepts at most {MAX_ENTRIES} entries")
    entries.append(_stored(ctx, _checked(body, kind)))
    _touch(ctx, contact)
    return ctx.one("contact", contact, 201)


async def update_detail(ctx: Context) -> Response:
    """``PUT /v1/contacts/{id}/phone_details/{detail_id}`` (or ``email_details``) -> 200."""
    contact, kind, entries = _details(ctx)
    detail = _detail(ctx, kind, entries)
    body = await ctx.body()
    changes = {key: body[key] for key in ("label", "value") if key in body}
    if not changes or any(_blank(v) for v in changes.values()):
        raise invalid("Send a non-blank label, value, or both")
    if "value" in changes:
        _check_value(changes["value"], kind)
    detail.update(changes)
    _touch(ctx, contact)
    return ctx.one("contact", contact)


async def delete_detail(ctx: Context) -> Response:
    """``DELETE /v1/contacts/{id}/phone_details/{detail_id}`` (or ``email_details``) -> 204."""
    contact, kind, entries = _details(ctx)
    entries.remove(_detail(ctx, kind, entries))
    _touch(ctx, contact)
    return Response(status_code=204)
