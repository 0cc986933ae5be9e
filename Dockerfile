# seedgate as a Docker container action: the user's experiment runs in this image.
FROM python:3.11-slim

# The Fashion-MNIST files (/usr/share/datasets/fashion-mnist) let the bundled example
# train with no download; Debian packages follow the base image, so they are not pinned.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends dataset-fashion-mnist \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SEEDGATE_EXAMPLE_DIR=/app/examples/mnist

WORKDIR /app

# Installed the way the README installs it: TensorFlow first (its own layer, reused while
# only seedgate changes), then seedgate from this checkout. TensorFlow is left unpinned on
# purpose so the action gets the current release; the user's `install` input can pin it.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir tensorflow-cpu

COPY . /app
RUN pip install --no-cache-dir /app

# The runner starts the container as root with the workspace mounted at /github/workspace
# and file commands under /github/file_commands, both owned by the runner's user: a
# non-root user could not write GITHUB_OUTPUT, so there is no USER line.
ENTRYPOINT ["python", "/app/entrypoint.py"]
