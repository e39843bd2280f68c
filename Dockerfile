FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install . && useradd --create-home --uid 10001 rehabbot \
    && mkdir -p /data && cp -r knowledge /data/knowledge && chown -R rehabbot /data
# The database and the knowledge admins edit (uploads, /reload) live on a volume.
ENV REHABBOT_KB=/data/knowledge DATABASE_URL=sqlite:////data/rehabbot.sqlite
VOLUME /data
USER rehabbot
# Webhook mode listens here (rehabbot run --webhook URL --port 8443); polling needs no port.
EXPOSE 8443

# The knowledge base must load; a bot that cannot answer is not healthy.
HEALTHCHECK --interval=60s --timeout=10s --retries=3 CMD ["rehabbot", "kb", "list", "--json"]
CMD ["rehabbot", "run"]
