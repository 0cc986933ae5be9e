"""Reading GitHub's answers: JSON bodies, bounded downloads, rate limits and errors that
name the call and the permission it needs (used by ``seedgate.github.client``)."""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

import requests
import urllib3

from seedgate.errors import GitHubError
from seedgate.log_text import one_line


def origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def decode(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):  # not JSON, or nested beyond reason
        raise GitHubError(
            f"GitHub API: {what} answered {response.status_code} with a body that is not JSON",
            status=response.status_code,
        ) from None


def read_limited(response: requests.Response, max_bytes: int, what: str, deadline: float) -> bytes:
    """The body, at most ``max_bytes``, all of it before ``deadline`` (``time.monotonic``).

    ``read1`` returns whatever arrived, so the deadline is checked after every trickle.
    """
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        response.close()
        raise GitHubError(f"{what}: {declared} bytes, more than the {max_bytes} bytes allowed")
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := response.raw.read1(65536, decode_content=True):
            size += len(chunk)
            if size > max_bytes:
                raise GitHubError(f"{what}: more than the {max_bytes} bytes allowed")
            if time.monotonic() > deadline:
                raise GitHubError(
                    f"{what}: the download did not finish in time ({size} bytes so far); "
                    "the server is too slow"
                )
            chunks.append(chunk)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise GitHubError(f"{what}: the download broke off ({type(exc).__name__})") from None
    finally:
        response.close()
    return b"".join(chunks)


def read_body(response: requests.Response, max_bytes: int, what: str, within_s: float) -> None:
    """Read the body of a streamed ``response`` into it (so ``.json()`` and ``.text`` work),
    at most ``max_bytes`` and within ``within_s`` seconds, or raise a GitHubError."""
    body = read_limited(response, max_bytes, what, time.monotonic() + within_s)
    response._content = body  # noqa: SLF001 - what requests itself fills when not streaming


def is_rate_limited(response: requests.Response) -> bool:
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    headers = response.headers
    if "retry-after" in headers or headers.get("x-ratelimit-remaining") == "0":
        return True
    return "rate limit" in error_message(response).lower()


def rate_limit_wait(response: requests.Response, previous: int, floor_s: float) -> float:
    """Seconds to wait, from ``retry-after``, else the reset time, else >= floor, doubling."""
    headers = response.headers
    retry_after = headers.get("retry-after", "").strip()
    if retry_after.isdigit():
        return float(retry_after)
    reset = headers.get("x-ratelimit-reset", "").strip()
    if headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
        return max(1.0, float(reset) - time.time() + 1.0)
    return floor_s * (2.0**previous)


def error_message(response: requests.Response) -> str:
    try:
        data = response.json()
    except (ValueError, RecursionError):
        return one_line(response.text[:200])
    if isinstance(data, dict):
        return one_line(str(data.get("message", "")), limit=500)
    return ""


def error(response: requests.Response, what: str, permission: str | None) -> GitHubError:
    status = response.status_code
    message = error_message(response)
    text = f"GitHub API: {what} answered HTTP {status}"
    if message:
        text += f" ({message})"
    if status in (401, 403, 404) and permission:
        text += (
            f"; the token needs the `{permission}` permission: add it under `permissions:` "
            "in the workflow or job"
        )
        if status == 404:
            text += " (GitHub answers 404 when the token may not see the resource)"
    return GitHubError(text, status=status)
