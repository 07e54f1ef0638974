# Quadra application image: one image, the role is the command (`api`, `worker`, `sink`, `migrate`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install --no-cache-dir uv

WORKDIR /app

# Dependencies first, so source edits do not invalidate this layer.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

# Then the project itself.
COPY . .
RUN uv sync --frozen --no-dev \
    && .venv/bin/python -m dashboards.vendor  # the back office's pinned ECharts and htmx

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home quadra \
    && mkdir -p /var/lib/quadra \
    && chown quadra:quadra /var/lib/quadra

ENV PATH="/app/.venv/bin:$PATH" \
    QUADRA_DATA_DIR=/var/lib/quadra

USER quadra
EXPOSE 8000

ENTRYPOINT ["quadra"]
CMD ["--help"]
