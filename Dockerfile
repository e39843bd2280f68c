FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install . && useradd --create-home --uid 10001 rehabbot
USER rehabbot

# The knowledge base must load; a bot that cannot answer is not healthy.
HEALTHCHECK --interval=60s --timeout=10s --retries=3 CMD ["rehabbot", "kb", "list", "--json"]
CMD ["rehabbot", "run"]
