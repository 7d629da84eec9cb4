# jobrank ranking service: FastAPI + onnxruntime on the shipped model, no torch, runs as non-root.
#   docker build -t jobrank .
#   docker run --rm -p 8000:8000 --stop-timeout 30 jobrank
# BASE: any Debian-like image with python3.11 and its venv module (python:3.11-slim, or the
# debootstrapped jobrank-base:bookworm that scripts/container-test-env.sh builds where no registry is reachable).
ARG BASE=python:3.11-slim

FROM ${BASE} AS builder
# The host's pip index and CA bundle (scripts/container-test-env.sh passes them when the host uses them).
ARG PIP_INDEX_URL
ARG PIP_CERT
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DEFAULT_TIMEOUT=120
WORKDIR /build
COPY pyproject.toml ./
# Only the serve extra, read from pyproject.toml (the one list of the service's dependencies): the
# project itself is not installed, so neither training/ nor its torch/transformers come in. pip stays
# (`pip list` shows what is inside); setuptools is not needed at run time.
RUN python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['serve']))" > requirements-serve.txt \
    && python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --requirement requirements-serve.txt \
    && /opt/venv/bin/pip uninstall --yes --quiet setuptools

FROM ${BASE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="jobrank" \
      org.opencontainers.image.description="Distilled job ranking service (FastAPI + onnxruntime, CPU), with the shipped model" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://example.invalid/jobrank" \
      org.opencontainers.image.documentation="README.md#container"
# app/config.py finds artifacts/ beside app/; JOBRANK_ARTIFACTS points it at a mounted volume instead.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    JOBRANK_HOST=0.0.0.0 \
    JOBRANK_PORT=8000 \
    JOBRANK_SHUTDOWN_GRACE_S=20 \
    JOBRANK_ARTIFACTS=/srv/jobrank/artifacts
WORKDIR /srv/jobrank
COPY --from=builder /opt/venv /opt/venv
COPY app ./app
COPY artifacts ./artifacts
# Bytecode compiled now, as root: the container may run with a read-only root file system.
RUN python3 -m compileall -q /srv/jobrank/app
USER 10001:10001
EXPOSE 8000
# SIGTERM starts the drain (JOBRANK_SHUTDOWN_GRACE_S, 20 s): give `docker stop` / Kubernetes more than that
# (docker run --stop-timeout 30; terminationGracePeriodSeconds in deploy/k8s).
STOPSIGNAL SIGTERM
# Healthy = ready to serve (a model loaded and warmed up). Standard library only: slim images have no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["/opt/venv/bin/python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('JOBRANK_PORT', '8000'), timeout=2)"]
CMD ["/opt/venv/bin/python3", "-m", "app"]
