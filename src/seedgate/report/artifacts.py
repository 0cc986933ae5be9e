"""What the action says about the artifacts it uploads itself, or leaves to a workflow step."""

from __future__ import annotations


def uploaded_text(what: str, name: str, artifact_id: int, size: int) -> str:
    return f"{what} uploaded as artifact {name!r} (id {artifact_id}, {size:,} bytes zipped)"


def upload_it_yourself_text(what: str, path: str, name: str) -> str:
    return f"{what} written to {path}; upload it with actions/upload-artifact as {name!r}"


def no_service_text(what: str, path: str, name: str, reason: str) -> str:
    return (
        f"{what} is not uploaded: {reason}. Upload {path} as the artifact {name!r} with "
        "an actions/upload-artifact step (actions/upload-artifact@v3 on GitHub Enterprise "
        "Server), and set upload-artifacts: false to silence this warning."
    )
