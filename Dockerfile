# syntax=docker/dockerfile:1
# Heartlock's container image: built in the official Rust image, run on Debian slim as a
# non-root user. docs/container.md says how to build and run it (and compose.yaml uses it).
# The test suite builds the `runtime` stage below (from this file) on a locally made Debian base
# with the binary it was built with; see crates/heartlock/tests/it/container.rs.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# Symbols stripped for a smaller image (panic messages stay; backtraces lose function names).
ENV CARGO_PROFILE_RELEASE_STRIP=symbols
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p heartlock \
    && install -m 0755 target/release/heartlock /usr/local/bin/heartlock

FROM debian:bookworm-slim AS runtime
# The binary needs only glibc (in the base); TLS is rustls, so ca-certificates is the one extra:
# the roots for SMTP, OIDC and PostgreSQL TLS.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
    && groupadd --gid 10001 heartlock \
    && useradd --uid 10001 --gid 10001 --home-dir /var/lib/heartlock --no-create-home \
       --shell /usr/sbin/nologin heartlock \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/heartlock
COPY --from=build /usr/local/bin/heartlock /usr/local/bin/heartlock
# The data directory holds the default SQLite database (when DATABASE_URL is unset),
# appconfig.json and the setup code; with PostgreSQL it stays nearly empty.
ENV HEARTLOCK_DATA_DIR=/var/lib/heartlock \
    HEARTLOCK_BIND=0.0.0.0:8082
WORKDIR /var/lib/heartlock
VOLUME ["/var/lib/heartlock"]
USER 10001:10001
EXPOSE 8082
# heartlock serve finishes in-flight requests and drains the audit queue on SIGTERM, then exits 0.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/heartlock", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/heartlock"]
CMD ["serve"]
