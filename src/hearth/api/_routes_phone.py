"""Phones post where they are: OwnTracks HTTP mode and a location webhook (Home Assistant mobile-app shape too).

Each request must prove it may speak for the phone: the phone's own `token` from its home-file binding (HTTP
basic password, bearer token or `?token=`), or a Hearth API token of an admin or of the person who carries it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from hearth.adapters.phone import PayloadError, PhoneTracker, owntracks_identity, parse_owntracks, parse_webhook
from hearth.api._app import ApiError
from hearth.api._users import UserStore
from hearth.hub import Hub

MAX_BODY_BYTES = 64 * 1024
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Hearth phones"'}


def _basic(request: Request) -> tuple[str, str] | None:
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(auth[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def _secrets(request: Request) -> list[str]:
    found = []
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        found.append(auth[7:].strip())
    basic = _basic(request)
    if basic is not None:
        found.append(basic[1])
    if request.query_params.get("token"):
        found.append(request.query_params["token"])
    return [s for s in found if s]


async def _json_body(request: Request) -> Any:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise ApiError(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(body)
    except ValueError:
        raise ApiError(400, "the body must be JSON") from None


def _owntracks_identity(request: Request, data: Any) -> str | None:
    user = request.headers.get("x-limit-u") or (_basic(request) or ("", ""))[0]
    device = request.headers.get("x-limit-d")
    if user and device:
        return f"{user}/{device}"
    topic = data.get("topic") if isinstance(data, dict) else None
    return owntracks_identity(topic) if isinstance(topic, str) else None


def router(hub: Hub, users: UserStore) -> APIRouter:
    """Routes under /api/phone."""
    api = APIRouter(prefix="/api/phone", tags=["phones"])

    def tracker() -> PhoneTracker:
        service = hub.services.get("phone")
        if not isinstance(service, PhoneTracker):
            raise ApiError(404, "no phone is bound to this hub (give a phone `adapter: phone` in the home file)")
        return service

    def authorize(request: Request, phones: PhoneTracker, device_id: str | None, who: str) -> str:
        secrets = _secrets(request)
        if device_id is not None:
            if any(phones.token_matches(device_id, s) for s in secrets):
                return device_id
            for secret in secrets:
                user = users.authenticate(secret)
                if user is not None and (user.role == "admin" or user.person == phones.owner(device_id)):
                    return device_id
        raise HTTPException(401, f"no phone {who} is bound here, or the credentials do not fit it",
                            headers=_CHALLENGE)

    @api.post("/owntracks")
    async def owntracks(request: Request) -> list[Any]:
        """OwnTracks HTTP mode: `location`, `transition` and `waypoint(s)` messages from a bound phone."""
        phones = tracker()
        data = await _json_body(request)
        who = _owntracks_identity(request, data)
        if who is None:
            raise ApiError(400, "say which phone this is: set the user and device ID in OwnTracks "
                                "(sent as X-Limit-U / X-Limit-D)")
        device_id = authorize(request, phones, phones.by_owntracks.get(who), repr(who))
        try:
            phones.handle(device_id, parse_owntracks(data), "owntracks")
        except PayloadError as exc:
            raise ApiError(422, str(exc)) from None
        return []  # OwnTracks reads a list of messages for the phone; Hearth sends none

    @api.post("/{device_id}")
    async def location(device_id: str, request: Request) -> dict[str, Any]:
        """Location webhook: `{latitude, longitude, accuracy?, battery?, charging?, timestamp?}`, or `update_location`
        as the Home Assistant mobile app sends it."""
        phones = tracker()
        known = device_id if device_id in phones.phones else None
        authorize(request, phones, known, repr(device_id))
        data = await _json_body(request)
        try:
            report = phones.locate(device_id, parse_webhook(data), "phone-webhook")
        except PayloadError as exc:
            raise ApiError(422, str(exc)) from None
        return {"status": report.status, "zone": report.zone, "reason": report.reason}

    return api
