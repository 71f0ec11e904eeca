# One image for every service: `lienthong run <service>` picks which one a container runs.
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY shared shared
COPY services services
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim
RUN useradd --system --uid 10001 lienthong && mkdir -p /data && chown lienthong /data
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH LIENTHONG_HOST=0.0.0.0 LIENTHONG_PORT=8000 \
    LIENTHONG_INTAKE_BLOB_DIR=/data/intake-blobs
WORKDIR /data
USER lienthong
EXPOSE 8000
ENTRYPOINT ["lienthong"]
CMD ["up"]
