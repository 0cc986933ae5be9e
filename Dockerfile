# seedgate as a Docker container action: the user's experiment runs in this image.
# The release workflow builds it from this file and publishes it to ghcr.io; action.yml uses
# that prebuilt image. BASE_IMAGE is the official python:3.11.14-slim-bookworm, pinned by its
# multi-platform manifest digest; tests build with a local stand-in (tests/container).
ARG BASE_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d
FROM ${BASE_IMAGE}

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore \
    SEEDGATE_EXAMPLE_DIR=/app/examples/mnist

WORKDIR /app

# Layers from the least to the most often changed: first everything that constraints.txt
# pins for the image (TensorFlow, NumPy, SciPy, ...; not the Ray extra's pins at its end),
# reused until that file changes.
# - The Fashion-MNIST files (/usr/share/datasets/fashion-mnist) let the bundled example
#   train with no download; Debian packages follow the pinned base image's release.
# - TensorFlow's C++ headers are for building custom ops, not for running them; the shared
#   libraries ship with their symbol tables (a quarter of their size), which only debuggers
#   read: both go, and binutils (for strip) leaves within the same layer. Only TensorFlow's
#   own libraries are stripped: the bundled *.libs of other wheels are patched by auditwheel
#   and break when stripped.
# - git stays: the push job commits main's history to a data branch (input history-branch).
COPY constraints.txt /app/constraints.txt
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends dataset-fashion-mnist binutils git \
    && sed -n '1,/^# --- not in the image/p' /app/constraints.txt > /tmp/image-packages.txt \
    && pip install --no-cache-dir -r /tmp/image-packages.txt \
    && rm /tmp/image-packages.txt \
    && site="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
    && rm -rf "$site/tensorflow/include" \
    && find "$site/tensorflow" -type f \( -name '*.so' -o -name '*.so.*' \) -exec strip --strip-unneeded {} + \
    && apt-get purge -y --auto-remove binutils \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*

# git: `missing-baseline: build` checks out the pull request's base commit as a worktree.
# Its own layer, so that the TensorFlow layer above stays cached.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*

# seedgate itself: only what the package build reads, built outside /app.
COPY pyproject.toml README.md /tmp/seedgate/
COPY src /tmp/seedgate/src
RUN pip install --no-cache-dir -c /app/constraints.txt /tmp/seedgate \
    && rm -rf /tmp/seedgate

COPY examples /app/examples
COPY entrypoint.py /app/entrypoint.py

# Named in every RunSet's environment fingerprint (the release passes the published name),
# so a report says when the baseline and the pull request ran in different images.
ARG SEEDGATE_IMAGE="seedgate-action (built from the Dockerfile)"
ENV SEEDGATE_IMAGE=${SEEDGATE_IMAGE}

# The runner starts the container as root with the workspace mounted at /github/workspace
# and file commands under /github/file_commands, both owned by the runner's user: a
# non-root user could not write GITHUB_OUTPUT, so there is no USER line. Files meant for
# the next steps are written 0644, so that the runner's own user can read them.
ENTRYPOINT ["python", "/app/entrypoint.py"]
