"""A small loopback fake of Discord's REST API and gateway, for wire-level tests of the real client.

It answers just enough of the API for a bot to log in, connect, sync its application commands and reply to
interactions and direct messages, and it speaks the gateway the way Discord does: ``compress=zlib-stream``
frames deflated by one compressor per connection and ended with ``Z_SYNC_FLUSH``, so discord.py's own
decompression, heartbeat, ready and dispatch code runs unmodified.

    async with FakeDiscord(token="...") as fake:   # then point discord.py at fake.api_base / fake.gateway_url
        await fake.dispatch("INTERACTION_CREATE", fake.slash_command("ask", question="..."))
        [call] = await fake.wait_for_call("PATCH", r"/webhooks/\\d+/[^/]+/messages/@original")

Every REST call is recorded (`FakeDiscord.calls`). `rate_limit_next` makes the next call to a route answer
``429`` the way Discord does (``Via`` header, ``retry_after`` in the body), which is what discord.py needs to
wait and retry instead of failing. Routes the fake does not know answer ``404`` and are recorded too, so a
failing test shows what the bot tried.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import itertools
import json
import re
import socket
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import discord
import pytest
import yarl
from aiohttp import WSMsgType, web

JSON = dict[str, Any]

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
# Discord's usual interval: long enough that only the heartbeat sent on HELLO happens during a test.
HEARTBEAT_INTERVAL_MS = 41_250

# Gateway opcodes (https://discord.com/developers/docs/topics/opcodes-and-status-codes)
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_RESUME = 0, 1, 2, 6
OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 9, 10, 11
# Interaction callback types
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE = 4, 5

# What a bot invited with the permissions the README asks for has in the channel.
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    add_reactions=True,
    use_application_commands=True,
)


def _snowflakes() -> Iterator[int]:
    # Real-looking snowflakes: discord.py derives timestamps from them (message age, for instance).
    return itertools.count((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22)


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


@dataclass(frozen=True)
class Call:
    """One REST request the client made, as the fake saw it."""

    method: str
    path: str  # without the /api/v10 prefix, e.g. "/channels/123/messages"
    query: dict[str, str]
    body: Any  # decoded JSON, or None
    status: int  # what the fake answered
    authorization: str | None
    at: float  # time.monotonic() when the request arrived


@dataclass
class _RateLimit:
    method: str
    pattern: re.Pattern[str]
    retry_after: float
    remaining: int


@dataclass
class _GatewaySession:
    ws: web.WebSocketResponse
    compressor: Any = field(default_factory=zlib.compressobj)  # shared by every frame of the connection
    sequence: int = 0
    identified: bool = False

    async def send(self, payload: JSON) -> None:
        raw = json.dumps(payload).encode()
        await self.ws.send_bytes(self.compressor.compress(raw) + self.compressor.flush(zlib.Z_SYNC_FLUSH))

    async def dispatch(self, event: str, data: Any) -> None:
        self.sequence += 1
        await self.send({"op": OP_DISPATCH, "t": event, "s": self.sequence, "d": data})


class FakeDiscord:
    """Discord on 127.0.0.1: one guild with one text channel, one human user who also DMs the bot."""

    def __init__(self, *, token: str) -> None:
        self.token = token
        self._ids = _snowflakes()
        self.application_id = self.new_id()  # also the bot user's id, as on Discord
        self.guild_id = self.new_id()
        self.channel_id = self.new_id()
        self.dm_channel_id = self.new_id()
        self.bot_user: JSON = {
            "id": str(self.application_id),
            "username": "PaperBot",
            "global_name": None,
            "discriminator": "0",
            "avatar": None,
            "bot": True,
            "flags": 0,
        }
        self.user: JSON = {
            "id": str(self.new_id()),
            "username": "ada",
            "global_name": "Ada",
            "discriminator": "0",
            "avatar": None,
        }

        self.calls: list[Call] = []
        self.gateway_received: list[JSON] = []  # every frame the client sent, decoded
        self.gateway_close_codes: list[int | None] = []  # one per finished gateway connection
        self.heartbeats_acked = 0
        self.commands: dict[str, list[JSON]] = {}  # "global" or a guild id -> the last synced commands
        self.messages: dict[int, JSON] = {}  # every message the bot created, as last edited

        self._originals: dict[str, int] = {}  # interaction token -> its original response message id
        self._rate_limits: list[_RateLimit] = []
        self._sessions: list[_GatewaySession] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # lifecycle ---------------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for session in self._sessions:
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        """The value for `discord.http.Route.BASE`."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> yarl.URL:
        """The value for `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`."""
        return yarl.URL(f"ws://127.0.0.1:{self.port}/gateway")

    def new_id(self) -> int:
        return next(self._ids)

    # test controls -----------------------------------------------------------------------------------

    def rate_limit_next(self, method: str, path_pattern: str, *, retry_after: float = 0.3, times: int = 1) -> None:
        """Answer the next `times` calls matching `method` and the `path_pattern` regex with a 429."""
        self._rate_limits.append(_RateLimit(method, re.compile(path_pattern), retry_after, times))

    def calls_to(self, method: str, path_pattern: str, *, status: int | None = None) -> list[Call]:
        """Recorded calls whose method and path fully match the given regexes (and status, if given)."""
        return [
            c
            for c in self.calls
            if re.fullmatch(method, c.method)
            and re.fullmatch(path_pattern, c.path)
            and (status is None or c.status == status)
        ]

    async def wait_for_call(
        self, method: str, path_pattern: str, *, status: int = 200, count: int = 1, timeout: float = 15.0
    ) -> list[Call]:
        """Wait until `count` calls to the route got `status`; return all such calls."""
        try:
            await self._wait_until(lambda: len(self.calls_to(method, path_pattern, status=status)) >= count, timeout)
        except TimeoutError:
            seen = "\n".join(f"  {c.method} {c.path} -> {c.status}" for c in self.calls)
            raise AssertionError(
                f"no {count}x {method} {path_pattern} -> {status} within {timeout}s; calls:\n{seen}"
            ) from None
        return self.calls_to(method, path_pattern, status=status)

    async def wait_identified(self, timeout: float = 15.0) -> None:
        try:
            await self._wait_until(lambda: any(s.identified for s in self._sessions), timeout)
        except TimeoutError:
            raise AssertionError(f"the client did not IDENTIFY within {timeout}s") from None

    async def dispatch(self, event: str, data: JSON) -> None:
        """Send a DISPATCH event to the connected client."""
        live = [s for s in self._sessions if s.identified and not s.ws.closed]
        if not live:
            raise AssertionError("no identified gateway session to dispatch to")
        await live[-1].dispatch(event, data)

    # payload builders --------------------------------------------------------------------------------

    def slash_command(self, name: str, **options: str | int | float | bool) -> JSON:
        """An INTERACTION_CREATE payload: the human user runs `/name` in the guild's text channel."""
        synced = {c["name"]: c for commands in self.commands.values() for c in commands}
        command = synced.get(name, {"id": str(self.new_id()), "options": []})
        declared = {o["name"]: o["type"] for o in command.get("options", [])}
        option_types = {bool: 5, int: 4, float: 10, str: 3}
        return {
            "id": str(self.new_id()),
            "application_id": str(self.application_id),
            "type": 2,
            "token": f"interaction-token-{self.new_id()}",
            "version": 1,
            "data": {
                "id": command["id"],
                "name": name,
                "type": 1,
                "options": [
                    {"name": k, "type": declared.get(k, option_types[type(v)]), "value": v} for k, v in options.items()
                ],
            },
            "guild_id": str(self.guild_id),
            "guild": {"id": str(self.guild_id), "locale": "en-US", "features": []},
            "channel_id": str(self.channel_id),
            "channel": self._text_channel(),
            "member": {
                "user": self.user,
                "roles": [],
                "joined_at": _now_iso(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(BOT_PERMISSIONS.value),
            },
            "app_permissions": str(BOT_PERMISSIONS.value),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }

    def direct_message(self, content: str) -> JSON:
        """A MESSAGE_CREATE payload: the human user sends the bot a direct message."""
        return {
            "id": str(self.new_id()),
            "channel_id": str(self.dm_channel_id),
            "author": self.user,
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }

    # gateway -----------------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        wanted = {"v": "10", "encoding": "json", "compress": "zlib-stream"}
        asked = {k: request.query.get(k, "") for k in wanted}
        if asked != wanted:
            # discord.py asks for zstd-stream when `zstandard` is installed; this fake only speaks zlib.
            raise web.HTTPBadRequest(text=f"fake gateway speaks {wanted}, the client asked for {asked}")
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        session = _GatewaySession(ws)
        self._sessions.append(session)
        await session.send({"op": OP_HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": None})
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                frame = json.loads(msg.data)
                self.gateway_received.append(frame)
                await self._on_frame(session, frame)
        self.gateway_close_codes.append(ws.close_code)
        await self._notify()
        return ws

    async def _on_frame(self, session: _GatewaySession, frame: JSON) -> None:
        op, data = frame.get("op"), frame.get("d") or {}
        if op == OP_HEARTBEAT:
            await session.send({"op": OP_HEARTBEAT_ACK, "d": None})
            self.heartbeats_acked += 1
        elif op == OP_IDENTIFY:
            if data.get("token") != self.token:
                await session.ws.close(code=4004, message=b"Authentication failed.")
                return
            await session.dispatch("READY", self._ready(data))
            session.identified = True
            await session.dispatch("GUILD_CREATE", self._guild())
        elif op == OP_RESUME:
            # No session history is kept: the client must identify afresh, as Discord may demand.
            await session.send({"op": OP_INVALID_SESSION, "d": False})
        await self._notify()

    def _ready(self, identify: JSON) -> JSON:
        ready: JSON = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],  # GUILD_CREATE follows
            "session_id": f"session-{self.new_id()}",
            "resume_gateway_url": str(self.gateway_url),
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
        }
        if "shard" in identify:
            ready["shard"] = identify["shard"]
        return ready

    def _text_channel(self) -> JSON:
        return {
            "id": str(self.channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": "papers",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    def _guild(self) -> JSON:
        everyone = {
            "id": str(self.guild_id),
            "name": "@everyone",
            "position": 0,
            "permissions": str(BOT_PERMISSIONS.value),
        }
        me = {"user": self.bot_user, "roles": [], "joined_at": _now_iso(), "deaf": False, "mute": False, "flags": 0}
        return {
            "id": str(self.guild_id),
            "name": "Reading Group",
            "icon": None,
            "owner_id": self.user["id"],
            "unavailable": False,
            "member_count": 2,
            "large": False,
            "features": [],
            "roles": [everyone],
            "channels": [self._text_channel()],
            "threads": [],
            "members": [me],
            "emojis": [],
            "stickers": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "preferred_locale": "en-US",
            "joined_at": _now_iso(),
            "premium_tier": 0,
            "mfa_level": 0,
            "verification_level": 0,
            "explicit_content_filter": 0,
            "default_message_notifications": 0,
            "system_channel_flags": 0,
        }

    # REST --------------------------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)  # the gateway records its own traffic
        arrived = time.monotonic()
        path = request.path.removeprefix(API_PREFIX)
        response = self._take_rate_limit(request.method, path)
        if response is None:
            response = await handler(request)
        call = Call(
            method=request.method,
            path=path,
            query=dict(request.query),
            body=await _json_body(request),
            status=response.status,
            authorization=request.headers.get("Authorization"),
            at=arrived,
        )
        self.calls.append(call)
        await self._notify()
        return response

    def _take_rate_limit(self, method: str, path: str) -> web.Response | None:
        for limit in self._rate_limits:
            if limit.remaining > 0 and limit.method == method and limit.pattern.fullmatch(path):
                limit.remaining -= 1
                body = {"message": "You are being rate limited.", "retry_after": limit.retry_after, "global": False}
                # discord.py takes a 429 without `Via` for a Cloudflare ban and gives up instead of retrying.
                headers = {"Via": "1.1 google", "Retry-After": str(limit.retry_after), "X-RateLimit-Scope": "user"}
                return _json_response(body, status=429, headers=headers)
        return None

    async def _rest(self, request: web.Request) -> web.Response:
        method, path = request.method, request.path.removeprefix(API_PREFIX)
        body: Any = await _json_body(request)
        # Interaction callbacks and webhooks authenticate with the token in their URL, as on Discord.
        if not path.startswith(("/interactions/", "/webhooks/")) and (
            request.headers.get("Authorization") != f"Bot {self.token}"
        ):
            return _json_response({"message": "401: Unauthorized", "code": 0}, status=401)

        app = self.application_id
        routes: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", r"/gateway(?:/bot)?", self._gateway_info),
            ("GET", r"/users/@me", lambda: self.bot_user),
            ("GET", r"/(?:oauth2/)?applications/@me", self._application),
            ("PUT", rf"/applications/{app}/commands", lambda: self._sync("global", body)),
            ("GET", rf"/applications/{app}/commands", lambda: self.commands.get("global", [])),
            ("PUT", rf"/applications/{app}/guilds/(\d+)/commands", lambda guild: self._sync(guild, body)),
            ("GET", rf"/applications/{app}/guilds/(\d+)/commands", lambda guild: self.commands.get(guild, [])),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", lambda i, token: self._callback(i, token, body)),
            ("POST", rf"/webhooks/{app}/[^/]+", lambda: self._message(self.channel_id, body, webhook=True)),
            ("PATCH", rf"/webhooks/{app}/([^/]+)/messages/@original", lambda token: self._edit_original(token, body)),
            ("POST", r"/channels/(\d+)/messages", lambda channel: self._message(int(channel), body)),
            ("POST", r"/channels/(\d+)/typing", lambda channel: None),
            ("POST", r"/users/@me/channels", self._dm_channel),
        ]
        for route_method, pattern, answer in routes:
            match = re.fullmatch(pattern, path)
            if route_method == method and match:
                result = answer(*match.groups())
                if isinstance(result, web.Response):
                    return result
                return web.Response(status=204) if result is None else _json_response(result)
        return _json_response({"message": f"404: Not Found (the fake has no {method} {path})", "code": 0}, status=404)

    def _gateway_info(self) -> JSON:
        return {
            "url": str(self.gateway_url),
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }

    def _application(self) -> JSON:
        return {
            "id": str(self.application_id),
            "name": "PaperBot",
            "icon": None,
            "description": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": self.user,
            "flags": 0,
            "bot": self.bot_user,
        }

    def _sync(self, scope: str, commands: list[JSON]) -> list[JSON]:
        where = {} if scope == "global" else {"guild_id": scope}
        synced = [
            {**c, **where, "id": str(self.new_id()), "application_id": str(self.application_id), "version": "1"}
            for c in commands
        ]
        self.commands[scope] = synced
        return synced

    def _message(self, channel_id: int, body: JSON, *, webhook: bool = False) -> JSON:
        message: JSON = {
            "id": str(self.new_id()),
            "channel_id": str(channel_id),
            "author": self.bot_user,
            "content": body.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags") or 0,
        }
        if channel_id == self.channel_id:
            message["guild_id"] = str(self.guild_id)
        if webhook:
            message["webhook_id"] = str(self.application_id)
        if body.get("message_reference"):
            message["message_reference"] = body["message_reference"]
        self.messages[int(message["id"])] = message
        return message

    def _callback(self, interaction_id: str, token: str, body: JSON) -> JSON:
        kind, data = body["type"], body.get("data") or {}
        result: JSON = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
            },
            "resource": {"type": kind},
        }
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):  # both create the original response message
            message = self._message(self.channel_id, data, webhook=True)
            self._originals[token] = int(message["id"])
            result["interaction"]["response_message_id"] = message["id"]
            result["resource"]["message"] = message
        return result

    def _edit_original(self, token: str, body: JSON) -> JSON | web.Response:
        original = self._originals.get(token)
        if original is None:
            return _json_response({"message": "Unknown Message", "code": 10008}, status=404)
        message = self.messages[original]
        message.update({k: body[k] for k in ("content", "embeds", "components", "flags") if k in body})
        message["edited_timestamp"] = _now_iso()
        return message

    def original_response(self, interaction_token: str) -> JSON | None:
        """The interaction's original response message as users see it now (after any edits)."""
        original = self._originals.get(interaction_token)
        return None if original is None else self.messages[original]

    def _dm_channel(self) -> JSON:
        return {"id": str(self.dm_channel_id), "type": 1, "recipients": [self.user], "last_message_id": None}

    # waiting -----------------------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()  # aiohttp keeps the bytes, so the middleware and the handler can both read
    return json.loads(raw) if raw and request.content_type == "application/json" else None


def _json_response(body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json", no charset: discord.py decodes a body as JSON only for that header.
    headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=json.dumps(body).encode(), status=status, headers=headers)


def guard_loopback(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refuse, and remember, every lookup or connection that would leave the machine (not 127.0.0.1 / ::1)."""
    escapes: list[str] = []
    real_getaddrinfo = socket.getaddrinfo
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(target: object) -> None:
        escapes.append(repr(target))
        raise ConnectionRefusedError(f"test network guard: {target!r} is not loopback")

    def is_loopback(host: object) -> bool:
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(str(host)).is_loopback
        except ValueError:
            return False

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_loopback(host):
            refuse(host)
        return real_getaddrinfo(host, *args, **kwargs)

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            refuse(address)

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return escapes
