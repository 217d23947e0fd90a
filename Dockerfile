# Airlock gateway image: the package in a virtualenv, the shipped rego/ policy, a non-root user.
# Mount the config at /etc/airlock/airlock.yaml; its relative `policy.paths: [rego/]` resolves
# against /etc/airlock, where rego/ is installed (mount a directory over it to use your own).
#   docker build -t airlock .
#   docker run -p 4000:4000 -v $PWD/airlock.yaml:/etc/airlock/airlock.yaml:ro airlock

FROM python:3.11-slim AS build
RUN python -m venv /opt/airlock
COPY pyproject.toml /src/
COPY gateway /src/gateway
# the CLI's `approvals` commands use the client package, which lives in this repository
COPY clients/python /src/clients/python
RUN /opt/airlock/bin/pip install --no-cache-dir /src/clients/python /src

FROM python:3.11-slim
ENV PATH=/opt/airlock/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin airlock
COPY --from=build /opt/airlock /opt/airlock
COPY rego /etc/airlock/rego
WORKDIR /etc/airlock
USER 10001
EXPOSE 4000
# /healthz answers while the process serves; use /readyz for a load balancer's readiness.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:4000/healthz', timeout=2)"]
# On SIGTERM the gateway stops accepting, answers held approvals at once and lets in-flight
# requests finish for `server.graceful_shutdown_seconds` (30): give `docker stop` longer.
STOPSIGNAL SIGTERM
ENTRYPOINT ["airlock"]
CMD ["serve", "--config", "/etc/airlock/airlock.yaml", "--host", "0.0.0.0", "--port", "4000"]
