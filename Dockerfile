# syntax=docker/dockerfile:1
# frontdesk in a container: built in the Rust image, run from a small Debian image as a
# non-root user, with the database (and its attachment files) on a volume at /data.
#
#   docker build -t frontdesk .
#   docker run -d --name frontdesk -p 8080:8080 -v frontdesk-data:/data \
#     --ulimit nofile=65536:65536 -e JWT_SECRET=... -e PUBLIC_URL=https://chat.example.com frontdesk
#
# Backups from the host: docker exec frontdesk frontdesk backup /data/backup-$(date +%F).db

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY .cargo .cargo
COPY src src
COPY migrations migrations
COPY static static
COPY templates templates
# The registry and target folders are cached between builds; the binary is copied out of them.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin frontdesk \
    && install -m 0755 target/release/frontdesk /usr/local/bin/frontdesk

FROM debian:bookworm-slim
# ca-certificates: webhooks, JWKS_URL and SMTP talk TLS to the outside.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 frontdesk \
    && useradd --system --uid 10001 --gid frontdesk --home-dir /data --shell /usr/sbin/nologin frontdesk \
    && install -d -o frontdesk -g frontdesk -m 0700 /data
COPY --from=build /usr/local/bin/frontdesk /usr/local/bin/frontdesk
USER frontdesk:frontdesk
WORKDIR /data
ENV DATABASE_PATH=/data/frontdesk.db \
    BIND_ADDR=0.0.0.0:8080 \
    LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
# SIGTERM releases held polls and streams at once; give in-flight requests time to finish.
STOPSIGNAL SIGTERM
ENTRYPOINT ["frontdesk"]
CMD ["serve"]
