"""What the gate says about who runs the user's commands, and what that protects."""

from __future__ import annotations

HOST_MODE = (
    "host mode: install and the runs start as this job's own user. They cannot inherit the "
    "token or read this process (it is non-dumpable), but root can: on GitHub-hosted "
    "runners the runs can use sudo. Give github-token only the permissions seedgate needs "
    "(actions: read, pull-requests: write) and gate untrusted code with the Docker action"
)

STAYS_ROOT = (
    "the workspace belongs to root, so install and the runs run as root in this container: "
    "they could reach the Docker socket, if one is mounted. On GitHub-hosted runners the "
    "workspace belongs to the runner's user and the runs start as that user"
)


def dropped(uid: int, gid: int) -> str:
    return (
        f"install and the runs start as the workspace's owner (uid {uid}, gid {gid}, no other "
        "groups) in a virtual environment over the image's packages; the token, this "
        "process and the Docker socket are out of their reach"
    )
