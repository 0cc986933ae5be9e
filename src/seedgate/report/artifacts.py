"""What the action says about the artifacts it uploads and downloads itself, or leaves to
a workflow step."""

from __future__ import annotations


def uploaded_text(what: str, name: str, artifact_id: int, size: int, *, replaced: bool) -> str:
    done = f"{what} uploaded as artifact {name!r} (id {artifact_id}, {size:,} bytes zipped)"
    if replaced:
        done += "; it replaces the one an earlier attempt of this workflow run uploaded"
    return done


def upload_it_yourself_text(what: str, path: str, name: str) -> str:
    return f"{what} written to {path}; upload it with actions/upload-artifact as {name!r}"


def no_service_text(what: str, path: str, name: str, reason: str) -> str:
    return (
        f"{what} is not uploaded: {reason}. Upload {path} as the artifact {name!r} with "
        "an actions/upload-artifact step (actions/upload-artifact@v3 on GitHub Enterprise "
        "Server), and set upload-artifacts: false to silence this warning."
    )


def fetched_shards_text(names: list[str], folder: str) -> str:
    if not names:
        return (
            f"{folder} holds no RunSet and this workflow run has no shard artifacts "
            "(seedgate-shard-*) to download: the run jobs (mode run) must finish first "
            "(needs:) and upload them"
        )
    shown = ", ".join(names)
    return f"downloaded {len(names)} shard artifact(s) of this workflow run into {folder}: {shown}"


def no_service_for_shards_text(folder: str, reason: str) -> str:
    return (
        f"{folder} holds no RunSet and the shards cannot be downloaded here: {reason}. "
        "Download them into runs-path with an actions/download-artifact step "
        "(pattern: seedgate-shard-*, merge-multiple: true)."
    )
