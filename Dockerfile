# RNN Lab: the web app and its grader in one container. Learner code runs in bubblewrap *inside* this
# container, which needs the `docker run` flags in docs/deployment.md (non-root user, seccomp and AppArmor
# unconfined); without them the server refuses to start and says why.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# bubblewrap isolates each submission; libseccomp2 backs the syscall filter it is given.
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap libseccomp2 \
 && rm -rf /var/lib/apt/lists/*

# bwrap can only create its namespaces as an unprivileged user inside a container.
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /srv/rnnlab --shell /usr/sbin/nologin rnnlab \
 && mkdir -p /data && chown rnnlab:rnnlab /data

WORKDIR /srv/rnnlab

# Dependencies first (TensorFlow is most of the image), so code changes do not reinstall them.
# Editable install: the code runs from /srv/rnnlab, beside lessons/, templates/ and static/, which the app finds
# relative to its own package (a plain wheel would move app/ into site-packages, away from them).
COPY pyproject.toml README.md ./
RUN mkdir -p app graders && touch app/__init__.py graders/__init__.py \
 && pip install -e . \
 && rm -rf app graders

COPY app ./app
COPY graders ./graders
COPY lessons ./lessons
COPY templates ./templates
COPY static ./static
# Everything root-owned and read-only for the server user; only /data is writable.
RUN python -m compileall -q app graders && chmod -R a+rX /srv/rnnlab

USER rnnlab
# A production server grades only on held-out data a learner cannot derive from the repository.
ENV RNNLAB_DATA_DIR=/data \
    RNNLAB_SANDBOX_PYTHON=/usr/local/bin/python \
    RNNLAB_REQUIRE_PRIVATE_HELDOUT=true
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

CMD ["rnnlab", "serve", "--host", "0.0.0.0", "--port", "8000"]
