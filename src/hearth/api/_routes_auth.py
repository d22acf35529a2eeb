"""Login, sessions, first-run setup, users and API tokens."""

# Annotations stay evaluated here: FastAPI resolves the `current` user dependency from them.

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hearth.api._access import can_manage_users
from hearth.api._app import SESSION_COOKIE, ApiError, credentials_of
from hearth.api._users import Role, User, UserError, UserStore
from hearth.hub import Hub


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Login(_Body):
    """Credentials for a browser session."""

    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=512)


class NewUser(_Body):
    """A user to create."""

    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=512)
    role: Role = "adult"
    person: str | None = None


class NewToken(_Body):
    """A long-lived API token to create."""

    label: str = Field(default="token", min_length=1, max_length=64)
    user: str | None = None


class RoleChange(_Body):
    """A new role for a user."""

    role: Role


def _user_view(user: User) -> dict[str, Any]:
    return {"name": user.name, "role": user.role, "person": user.person}


def router(hub: Hub, users: UserStore, current: Any) -> APIRouter:
    """Routes under /api for authentication and user management."""
    api = APIRouter(prefix="/api", tags=["users"])

    def require_admin(user: User) -> None:
        if not can_manage_users(user):
            raise ApiError(403, "only an admin can manage users")

    def check_person(person: str | None) -> None:
        if person is not None and person not in hub.home.people:
            raise ApiError(422, f"person: no person {person!r} in this home")

    @api.get("/setup")
    async def setup_needed() -> dict[str, bool]:
        """Whether the first admin still has to be created."""
        return {"needed": users.is_empty()}

    @api.post("/setup", status_code=201)
    async def setup(body: NewUser, response: Response) -> dict[str, Any]:
        """First run: create the admin. Refused once any user exists."""
        if not users.is_empty():
            raise ApiError(409, "setup is done already; log in instead")
        check_person(body.person)
        try:
            user = await asyncio.to_thread(users.add, body.name, body.password, "admin", body.person)
        except UserError as exc:
            raise ApiError(422, str(exc)) from None
        _set_cookie(response, users.new_session(user.name))
        return _user_view(user)

    @api.post("/login")
    async def login(body: Login, response: Response) -> dict[str, Any]:
        """Start a browser session (HttpOnly cookie)."""
        # argon2 takes tens of milliseconds on purpose: hash in a worker thread, never on the hub's loop.
        user = await asyncio.to_thread(users.verify, body.name, body.password)
        if user is None:
            raise ApiError(401, "wrong name or password")
        _set_cookie(response, users.new_session(user.name))
        return _user_view(user)

    @api.post("/logout")
    async def logout(request: Request, response: Response) -> dict[str, bool]:
        """End the browser session."""
        users.revoke(credentials_of(request))
        response.delete_cookie(SESSION_COOKIE)
        return {"ok": True}

    @api.get("/me")
    async def me(user: current) -> dict[str, Any]:
        """Who is calling."""
        return _user_view(user)

    @api.get("/users")
    async def list_users(user: current) -> list[dict[str, Any]]:
        """Every user (admin only)."""
        require_admin(user)
        return [_user_view(u) for u in users.all()]

    @api.post("/users", status_code=201)
    async def add_user(body: NewUser, user: current) -> dict[str, Any]:
        """Create a user (admin only)."""
        require_admin(user)
        check_person(body.person)
        try:
            return _user_view(await asyncio.to_thread(users.add, body.name, body.password, body.role, body.person))
        except UserError as exc:
            raise ApiError(409 if "exists" in str(exc) else 422, str(exc)) from None

    @api.patch("/users/{name}")
    async def change_role(name: str, body: RoleChange, user: current) -> dict[str, Any]:
        """Change a user's role (admin only)."""
        require_admin(user)
        try:
            return _user_view(users.set_role(name, body.role))
        except UserError as exc:
            raise ApiError(404, str(exc)) from None

    @api.delete("/users/{name}")
    async def delete_user(name: str, user: current) -> dict[str, bool]:
        """Remove a user (admin only; not yourself)."""
        require_admin(user)
        if name == user.name:
            raise ApiError(409, "you cannot remove yourself")
        if not users.remove(name):
            raise ApiError(404, f"no user {name!r}")
        return {"ok": True}

    @api.get("/tokens")
    async def list_tokens(user: current) -> list[dict[str, Any]]:
        """Your API tokens (an admin sees all)."""
        owner = None if can_manage_users(user) else user.name
        return [{"label": t.label, "user": t.user, "created": t.created, "prefix": t.prefix}
                for t in users.tokens(owner)]

    @api.post("/tokens", status_code=201)
    async def new_token(body: NewToken, user: current) -> dict[str, str]:
        """Create a long-lived API token; the secret is shown only in this response."""
        owner = body.user or user.name
        if owner != user.name:
            require_admin(user)
        try:
            return {"token": users.new_token(owner, body.label), "user": owner, "label": body.label}
        except UserError as exc:
            raise ApiError(404, str(exc)) from None

    @api.delete("/tokens/{prefix}")
    async def revoke_token(prefix: str, user: current) -> dict[str, bool]:
        """Revoke one of your tokens by the prefix shown in the listing."""
        if len(prefix) < 6 or not users.revoke_token(user.name, prefix):
            raise ApiError(404, "no such token")
        return {"ok": True}

    return api


def _set_cookie(response: Response, secret: str) -> None:
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="strict", max_age=14 * 24 * 3600)
