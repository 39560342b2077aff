# The image deploy/compose.yaml runs as the exchange, the projections and the API.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas schemas
COPY services services
COPY consumers consumers
COPY producers producers
RUN pip install --no-cache-dir '.[postgres]'
USER nobody
ENTRYPOINT []
