"""Prints a pip.conf for the stand-in base image: this machine's pip settings that work there.

Index URLs, trusted hosts, time-outs, retries and a proxy are kept; anything that names a
path on this machine (a ``file://`` index, ``find-links``, a constraints file) is left out,
since it does not exist inside the image, and the CA bundle is the image's own copy.
"""

from __future__ import annotations

import subprocess
import sys

KEPT = {
    "index-url",
    "extra-index-url",
    "trusted-host",
    "timeout",
    "default-timeout",
    "retries",
    "proxy",
}
URL_LISTS = {"index-url", "extra-index-url"}


def machine_settings() -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    listing = done.stdout if done.returncode == 0 else ""  # no pip here: pip's defaults
    settings: dict[str, str] = {}
    for line in listing.splitlines():
        key, _, value = line.partition("=")
        name = key.rsplit(".", 1)[-1]
        if name in KEPT:
            settings[name] = value.strip().strip("'\"")
    return settings


def portable(settings: dict[str, str]) -> dict[str, str]:
    kept = {}
    for name, value in settings.items():
        urls = value.split() if name in URL_LISTS else [value]
        kept_value = " ".join(url for url in urls if not url.startswith("file:"))
        if kept_value:
            kept[name] = kept_value
    return kept


def main() -> None:
    print("[global]")
    print("cert = /etc/ssl/certs/ca-certificates.crt")
    for name, value in sorted(portable(machine_settings()).items()):
        print(f"{name} = {value}")


if __name__ == "__main__":
    main()
