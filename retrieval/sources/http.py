"""One polite HTTP client for every source: timeouts, retries with backoff, pacing, conditional requests.

- A clear User-Agent naming PaperBot and its version.
- 429 and 5xx, timeouts and refused connections are retried with exponential backoff; a Retry-After header
  (seconds or an HTTP date) is honoured, capped so that a fetch never sleeps for hours.
- `min_interval` spaces requests (arXiv asks for one every 3 seconds).
- ETag / Last-Modified validators of earlier answers are sent back (If-None-Match / If-Modified-Since): an
  unchanged page answers 304 and costs nothing.
- A body over `max_bytes` is abandoned while streaming, never held in memory.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping

import httpx
from pydantic import BaseModel, Field

from core import __version__

log = logging.getLogger(__name__)
USER_AGENT = f"PaperBot/{__version__} (research-digest bot; paper listings once a day)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(Exception):
    """A page that could not be fetched, with a one-line reason."""


class Validators(BaseModel):
    etag: str | None = None
    last_modified: str | None = None


class Page(BaseModel):
    """One fetched page: its body, or `not_modified` when the validators still hold."""

    key: str
    url: str
    body: bytes = b""
    not_modified: bool = False
    content_type: str = ""
    validators: Validators = Field(default_factory=Validators)
    name: str = ""  # the file it is stored under, set by its source


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    def __init__(self, *, timeout: float, retries: int, backoff: float, max_wait: float, max_bytes: int,
                 min_interval: float = 0.0, validators: Mapping[str, Validators] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = httpx.Client(timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT})
        self._retries = retries
        self._backoff = backoff
        self._max_wait = max_wait
        self._max_bytes = max_bytes
        self._min_interval = min_interval
        self._sleep = sleep
        self._last_request = 0.0
        self.validators: dict[str, Validators] = dict(validators or {})
        self.requests = 0

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _pace(self) -> None:
        wait = self._last_request + self._min_interval - time.monotonic()
        if wait > 0:
            self._sleep(wait)
        self._last_request = time.monotonic()

    def get(self, url: str, params: Mapping[str, str | int], key: str) -> Page:
        """The page at `url`; raises FetchError once retries are spent. `key` names it in validators and logs."""
        headers = {}
        known = self.validators.get(key)
        if known and known.etag:
            headers["If-None-Match"] = known.etag
        if known and known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        reason = ""
        for attempt in range(self._retries + 1):
            if attempt:
                log.info("retrying", extra={"page": key, "attempt": attempt, "reason": reason})
            self._pace()
            self.requests += 1
            try:
                page, wait, reason = self._once(url, params, headers, key)
            except httpx.TimeoutException:
                page, wait, reason = None, None, "timed out"
            except httpx.TransportError as exc:
                page, wait, reason = None, None, f"cannot connect ({type(exc).__name__})"
            if page is not None:
                return page
            if attempt < self._retries:
                self._sleep(min(self._max_wait, wait if wait is not None else self._backoff * 2 ** attempt))
        tries = self._retries + 1
        raise FetchError(f"{reason} after {tries} tr{'y' if tries == 1 else 'ies'}")

    def _once(self, url: str, params: Mapping[str, str | int], headers: dict[str, str], key: str
              ) -> tuple[Page | None, float | None, str]:
        """(page, None, "") on success; (None, wait, reason) for a retryable failure; raises FetchError."""
        with self._client.stream("GET", url, params=params, headers=headers) as response:
            status = response.status_code
            if status == 304:
                return Page(key=key, url=str(response.url), not_modified=True,
                            validators=self.validators.get(key, Validators())), None, ""
            if status in RETRY_STATUSES:
                return None, retry_after(response.headers.get("retry-after")), f"HTTP {status}"
            if status >= 400:
                raise FetchError(f"HTTP {status}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self._max_bytes:
                    raise FetchError(f"page larger than {self._max_bytes / 1e6:g} MB: abandoned, not stored")
            validators = Validators(etag=response.headers.get("etag"),
                                    last_modified=response.headers.get("last-modified"))
            if validators.etag or validators.last_modified:
                self.validators[key] = validators
            return Page(key=key, url=str(response.url), body=bytes(body), validators=validators,
                        content_type=response.headers.get("content-type", "")), None, ""
