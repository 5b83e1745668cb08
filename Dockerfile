# The Eye's worker and API: one image, the command picks the role (see docker-compose.yml).

# GraphiQL's browser files and the pages' chart library come from npm at build time; the
# running image needs no CDN.
FROM node:20-slim AS assets
COPY scripts/graphiql-assets.sh scripts/ui-assets.sh /src/scripts/
RUN cd /src && bash scripts/graphiql-assets.sh /assets/graphiql && bash scripts/ui-assets.sh /assets/ui

FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 EYE_API_GRAPHIQL_DIR=/app/graphiql \
    EYE_UI_ASSETS_DIR=/app/ui-assets
COPY pyproject.toml constraints.txt README.md ./
# The packages, from the bottom layer up (docs/architecture.md).
COPY validators validators
COPY base base
COPY store store
COPY kafka_edge kafka_edge
COPY streams streams
COPY graphql_api graphql_api
COPY collector collector
COPY monitor monitor
COPY pages pages
COPY eye eye
COPY --from=assets /assets/graphiql /app/graphiql
COPY --from=assets /assets/ui /app/ui-assets
RUN pip install --no-cache-dir -c constraints.txt . && useradd --system eye && mkdir /var/lib/eye \
    && chown eye /var/lib/eye
USER eye
EXPOSE 8000 6066
CMD ["eye", "api"]
