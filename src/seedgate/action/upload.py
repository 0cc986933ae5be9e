"""The action uploads what later jobs need (the baseline, a shard's runs) itself, through
the runner's v4 artifact service, so a workflow needs no upload-artifact step. Where the
runner has no such service (GitHub Enterprise Server) a warning says which file to upload.
"""

from __future__ import annotations

from pathlib import Path

from seedgate.action.services import Services
from seedgate.action.settings import ActionSettings
from seedgate.report.artifacts import no_service_text, upload_it_yourself_text, uploaded_text

SHARD_ARTIFACT_PREFIX = "seedgate-shard-"  # the gate job downloads pattern seedgate-shard-*


def upload_step(
    settings: ActionSettings, services: Services, *, what: str, name: str, path: Path
) -> None:
    """Upload ``path`` (its file name kept in the zip) as the artifact ``name``."""
    shown = settings.relative(path)
    if not settings.upload_artifacts:
        services.say(upload_it_yourself_text(what, shown, name))
        return
    if settings.artifact_service_missing is not None:
        services.warn(
            no_service_text(what, shown, name, settings.artifact_service_missing),
            title="not uploaded",
        )
        return
    uploaded = services.github.uploader().upload(name, {path.name: path.read_bytes()})
    services.say(uploaded_text(what, name, uploaded.artifact_id, uploaded.size))


def shard_artifact_name(settings: ActionSettings) -> str:
    shard = settings.shard
    suffix = "all" if shard is None else f"{shard.index}-of-{shard.count}"
    return SHARD_ARTIFACT_PREFIX + suffix
