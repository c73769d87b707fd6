# syntax=docker/dockerfile:1.7
# One image recipe for every Hintro service; the SERVICE build argument names it:
#   docker build --build-arg SERVICE=auth -t hintro/auth:1.4.0 .
# SERVICE is one of gateway, auth, board, task, activity, realtime, notification, webhook,
# importer. The image runs `python -m hintro_<SERVICE>` as an unprivileged user, holds no secrets
# (keys and credentials come from the environment or mounted files at run time), and checks its
# own /readyz.
# The migration entry point ships in the same image: `python -m hintro_<SERVICE>.migrate up`.
# The gateway's image also carries the built web app (web/dist, precompressed) in /app/web, which
# it serves at / (WEB_DIST_DIR); the other images get an empty /app/web and never run Node.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim
# Declared before the first FROM so that FROM can name the web stage by service (below). Its
# default picks the empty web stage, so a build without SERVICE reaches the build stage's check,
# which says what to pass (an empty name would fail earlier, as "web-" is no stage or image).
ARG SERVICE=none

# --- web: the React app built once, with its .br/.gz siblings (gateway only) ------------------
FROM ${NODE_IMAGE} AS web-build
WORKDIR /src/web
# The lock file alone first: the dependency layer is reused until package-lock.json changes.
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY web/ ./
COPY tools/web/ /src/tools/web/
RUN npm run build && test -f dist/index.html && mkdir -p /out && cp -a dist/. /out/

# The web stage each service copies from: the build for the gateway, an empty directory for
# the others (BuildKit builds only the stages the chosen one needs, so they never run npm).
FROM ${PYTHON_IMAGE} AS web-none
RUN mkdir /out
FROM web-build AS web-gateway
FROM web-none AS web-auth
FROM web-none AS web-board
FROM web-none AS web-task
FROM web-none AS web-activity
FROM web-none AS web-realtime
FROM web-none AS web-notification
FROM web-none AS web-webhook
FROM web-none AS web-importer
FROM web-${SERVICE} AS web

# --- build: the service's locked dependencies into /app/.venv --------------------------------
FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
ARG UV_VERSION=0.13.9
RUN case "${SERVICE}" in gateway|auth|board|task|activity|realtime|notification|webhook|importer) ;; \
    *) echo "build with --build-arg SERVICE=<gateway|auth|board|task|activity|realtime|notification|webhook|importer>" >&2; exit 1 ;; \
    esac
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
COPY . .
# Exactly the lock file (--frozen), only this service and what it needs (--package), no dev
# tools, and the workspace packages as real wheels rather than links into /src.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --package "hintro-${SERVICE}" --no-dev --no-editable \
    && /app/.venv/bin/python -c "import hintro_${SERVICE}.__main__"

# --- runtime: the virtual environment and nothing else -----------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="hintro-${SERVICE}" \
      org.opencontainers.image.description="Hintro ${SERVICE} service"
# /var/lib/hintro/keys: where auth may keep a generated development key (a compose volume).
RUN groupadd --system --gid 10001 hintro \
    && useradd --system --uid 10001 --gid hintro --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin hintro \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/hintro /var/lib/hintro/keys
COPY --from=build /app/.venv /app/.venv
COPY --from=web /out /app/web
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HINTRO_SERVICE="${SERVICE}" \
    HOST=0.0.0.0 \
    ENVIRONMENT=production \
    WEB_DIST_DIR=/app/web
WORKDIR /app
USER 10001:10001
# /readyz on the service's own port (PORT, else its default): ready means its dependencies answer.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "hintro_shared.healthcheck"]
STOPSIGNAL SIGTERM
# exec: python is PID 1 and receives SIGTERM itself, so the service drains.
CMD exec python -m "hintro_${HINTRO_SERVICE}"
