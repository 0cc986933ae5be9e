#!/usr/bin/env bash
# Builds the stand-in for the action's base image (python:3.11-slim-bookworm), which cannot be
# pulled here: Debian bookworm from debootstrap with Python 3.11 and pip, plus this machine's
# apt sources (and the keys and settings they need), CA bundle and pip settings, so that
# `apt-get` and `pip install` work inside `docker build --network host`.
# Built once and reused; SEEDGATE_REBUILD_BASE=1 rebuilds it.
set -euo pipefail
TAG=${1:-seedgate-test-base:bookworm}

if [ -z "${SEEDGATE_REBUILD_BASE:-}" ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  exit 0
fi
command -v debootstrap >/dev/null || { echo "ERROR: debootstrap is missing (Debian package debootstrap)" >&2; exit 1; }

ROOTFS=$(mktemp -d /var/tmp/seedgate-base.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT

# The first Debian mirror this machine's apt uses (deb822 or one-line format).
MIRROR=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
  awk '/^URIs:/ && $2 ~ /\/debian\/?$/ {print $2; exit}')
if [ -z "$MIRROR" ]; then
  MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" && $2 ~ /\/debian\/?$/ {print $2; exit}')
fi
MIRROR=${MIRROR:-http://deb.debian.org/debian}

echo "base: debootstrap bookworm from $MIRROR (a few minutes, once)" >&2
debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,python-is-python3,ca-certificates \
  bookworm "$ROOTFS" "$MIRROR" >/var/tmp/seedgate-debootstrap.log 2>&1 ||
  { tail -20 /var/tmp/seedgate-debootstrap.log >&2; exit 1; }

# apt: enabled sources, the keyrings they name, and Acquire settings without hooks.
rm -f "$ROOTFS/etc/apt/sources.list"
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$ROOTFS/etc/apt/"
for file in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$file" ] || continue
  cp "$file" "$ROOTFS/etc/apt/sources.list.d/"
  for key in $(grep -ohE '(Signed-By:|signed-by=)[^] ]+' "$file" | sed -E 's/^(Signed-By:|signed-by=)//'); do
    [ -f "$key" ] && install -D -m 0644 "$key" "$ROOTFS$key"
  done
done
[ -d /etc/apt/auth.conf.d ] && cp -r /etc/apt/auth.conf.d "$ROOTFS/etc/apt/"
for conf in /etc/apt/apt.conf.d/*; do
  if grep -q 'Acquire::' "$conf" && ! grep -q 'Invoke' "$conf"; then cp "$conf" "$ROOTFS/etc/apt/apt.conf.d/"; fi
done

# TLS: this machine's CA bundle (it may hold a proxy's CA).
cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
cp /usr/local/share/ca-certificates/*.crt "$ROOTFS/usr/local/share/ca-certificates/" 2>/dev/null || true

# pip: the settings this machine's pip uses, minus local paths that do not exist in the image.
python3 "$(dirname "$0")/pip_settings.py" >"$ROOTFS/etc/pip.conf"

# PEP 668: python:3.11-slim's pip installs system-wide; Debian marks its Python as
# externally managed. Removing the marker (as the PEP allows for container images) makes
# `pip install` behave as on the real base.
rm -f "$ROOTFS"/usr/lib/python3.*/EXTERNALLY-MANAGED
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*

tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["python3"]' - "$TAG" >/dev/null
echo "base: built $TAG" >&2
