"""The FastAPI application: errors, authentication and the router wiring."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from hearth.api._users import User, UserStore
from hearth.errors import (
    AdapterError,
    CommandRejected,
    ConfirmationRequired,
    HearthError,
    HomeFileError,
    PermissionDenied,
    RuleError,
    SpecError,
    UnknownDevice,
)
from hearth.hub import Hub

SESSION_COOKIE = "hearth_session"


class ApiError(HearthError):
    """An API error with its HTTP status."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra


class ErrorBody(BaseModel):
    """The body of every error response: a clear message, sometimes with details beside it."""

    model_config = ConfigDict(extra="allow")
    error: str


# Published in the OpenAPI document for every operation, so clients (and schema checkers) know the shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (400, "Malformed request"),
        (401, "Login required"),
        (403, "Not allowed for this user's role or permissions"),
        (404, "No such thing (or not visible to this user)"),
        (409, "Conflict, or a risky command that needs `confirm: true`"),
        (413, "Body too large"),
        (422, "Invalid input"),
        (502, "A device or adapter failed"),
        (503, "The subsystem is not running on this hub"),
    )
}


def _status_for(exc: HearthError) -> int:
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, ConfirmationRequired):
        return 409
    if isinstance(exc, UnknownDevice):
        return 404
    if isinstance(exc, AdapterError):
        return 502
    if isinstance(exc, CommandRejected | SpecError | RuleError | HomeFileError):
        return 422
    return 400


def _error_body(message: str, **extra: Any) -> dict[str, Any]:
    return {"error": message, **extra}


def install_error_handlers(app: FastAPI) -> None:
    """Every error is JSON with a clear message and the right status; bad input never becomes a 500."""

    async def hearth_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, HearthError)
        extra = exc.extra if isinstance(exc, ApiError) else {}
        if isinstance(exc, ConfirmationRequired):
            extra = {**extra, "needs_confirmation": True}
        return JSONResponse(_error_body(str(exc), **extra), status_code=_status_for(exc))

    async def validation_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid body"))
        return JSONResponse(_error_body(message), status_code=422)

    async def http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return JSONResponse(_error_body(str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(HearthError, hearth_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


def credentials_of(request: Request) -> str:
    """The bearer token or session cookie sent with a request."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.cookies.get(SESSION_COOKIE, "")


def make_current_user(users: UserStore) -> Callable[[Request], Awaitable[User]]:
    """A FastAPI dependency resolving the caller, or 401."""

    async def current_user(request: Request) -> User:
        user = users.authenticate(credentials_of(request))
        if user is None:
            raise HTTPException(401, "login required (session cookie or 'Authorization: Bearer <token>')")
        return user

    return current_user


def create_app(hub: Hub, users: UserStore, data_dir: Path | None = None) -> FastAPI:
    """Build the HTTP application for a running hub."""
    from hearth.api import (
        _routes_auth,
        _routes_camera,
        _routes_home,
        _routes_more,
        _routes_phone,
        _routes_rules,
        _ws,
    )

    app = FastAPI(
        title="Hearth",
        version="0.1.0",
        description="Local-first hub for people, cars and homes: REST, WebSocket and MCP.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        responses=ERROR_RESPONSES,
    )
    install_error_handlers(app)
    current = make_current_user(users)
    CurrentUser = Annotated[User, Depends(current)]
    app.include_router(_routes_auth.router(hub, users, CurrentUser))
    app.include_router(_routes_home.router(hub, CurrentUser))
    app.include_router(_routes_more.router(hub, users, CurrentUser))
    app.include_router(_routes_rules.router(hub, CurrentUser, data_dir))
    app.include_router(_routes_camera.router(hub, CurrentUser))
    app.include_router(_ws.router(hub, users))
    app.include_router(_routes_phone.router(hub, users))
    static = resources.files("hearth.api").joinpath("static")

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        return FileResponse(str(static.joinpath("index.html")), media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    async def static_file(name: str) -> Response:
        if "/" in name or name.startswith("."):
            raise HTTPException(404, "not found")
        path = static.joinpath(name)
        if not path.is_file():
            raise HTTPException(404, "not found")
        media = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}.get(name.rsplit(".", 1)[-1])
        return FileResponse(str(path), media_type=media)

    return app


class WithMcp:
    """ASGI front: `/mcp` goes to the MCP server (after a token check), everything else to the API."""

    def __init__(self, api: Any, mcp_app: Any, users: UserStore) -> None:
        self.api = api
        self.mcp = mcp_app
        self.users = users

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Dispatch one ASGI connection."""
        if scope["type"] == "http" and scope["path"].rstrip("/") == "/mcp":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            auth = headers.get("authorization", "")
            token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
            if self.users.authenticate(token) is None:
                response = JSONResponse(_error_body("MCP needs 'Authorization: Bearer <Hearth API token>'"), 401)
                await response(scope, receive, send)
                return
            scope = {**scope, "path": "/mcp"}
            await self.mcp(scope, receive, send)
            return
        await self.api(scope, receive, send)
