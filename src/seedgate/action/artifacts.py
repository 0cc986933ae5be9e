"""The action moves what later jobs need through the runner's v4 artifact service itself:
it uploads the baseline and a shard's runs, and mode compare downloads this run's shards,
so a workflow needs no upload-artifact or download-artifact step. Where the runner has no
such service (GitHub Enterprise Server) a message says which step to add instead.
"""

from __future__ import annotations

import re
from pathlib import Path

from seedgate.action.services import Services
from seedgate.action.settings import ActionSettings
from seedgate.report.artifacts import (
    fetched_shards_text,
    no_service_for_shards_text,
    no_service_text,
    upload_it_yourself_text,
    uploaded_text,
)
from seedgate.runset.codec import write_runset
from seedgate.store.github_artifact import MAX_ZIP_BYTES, extract_runset

SHARD_ARTIFACT_PREFIX = "seedgate-shard-"  # a download step's pattern: seedgate-shard-*
_SHARD_ARTIFACT = re.compile(
    re.escape(SHARD_ARTIFACT_PREFIX) + r"(all|[1-9][0-9]{0,3}-of-[1-9][0-9]{0,3})"
)


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
    uploaded = services.github.artifacts().upload(name, {path.name: path.read_bytes()})
    services.say(
        uploaded_text(what, name, uploaded.artifact_id, uploaded.size, replaced=uploaded.replaced)
    )


def shard_artifact_name(settings: ActionSettings) -> str:
    shard = settings.shard
    suffix = "all" if shard is None else f"{shard.index}-of-{shard.count}"
    return SHARD_ARTIFACT_PREFIX + suffix


def shard_file_name(artifact_name: str) -> str | None:
    """The RunSet file a shard artifact holds (as ``settings.shard_file`` names it), or
    None for a name that is not one of the action's shard artifacts."""
    match = _SHARD_ARTIFACT.fullmatch(artifact_name)
    if match is None:
        return None
    suffix = match.group(1)
    return "runset.json" if suffix == "all" else f"runset-{suffix}.json"


def fetch_shards_step(settings: ActionSettings, services: Services) -> None:
    """Mode compare: when runs-path holds no RunSet yet (no download step put the shards
    there), download this workflow run's shard artifacts into it."""
    folder = settings.runs_path
    shown = settings.relative(folder)
    if not settings.upload_artifacts or (folder.is_dir() and any(folder.rglob("*.json"))):
        return
    if settings.artifact_service_missing is not None:
        services.say(no_service_for_shards_text(shown, settings.artifact_service_missing))
        return
    service = services.github.artifacts()
    newest = {}
    for artifact in sorted(service.artifacts(), key=lambda a: a.database_id):
        if shard_file_name(artifact.name) is not None:
            newest[artifact.name] = artifact
    for name, artifact in sorted(newest.items()):
        file_name = str(shard_file_name(name))
        data = service.download(artifact, max_bytes=MAX_ZIP_BYTES)
        write_runset(extract_runset(data, file_name, f"artifact {name!r}"), folder / file_name)
    services.say(fetched_shards_text(sorted(newest), shown))
