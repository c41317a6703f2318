# syntax=docker/dockerfile:1
# Roster as a container: a static binary (modernc.org/sqlite is pure Go,
# so CGO is off) on distroless/static, running as the non-root user 65532.
#
#   docker build -t roster .
#   docker compose up        # with PostgreSQL 15, see compose.yaml

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so a change to the sources reuses this layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/roster ./cmd/roster \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/roster /roster
# /data holds the SQLite database and its key file when no
# ROSTER_DATABASE_URL is given; mount a volume there to keep them.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
USER 65532:65532
ENV ROSTER_ADDR=0.0.0.0:8080 \
    ROSTER_DATABASE_URL=sqlite:/data/roster.db \
    ROSTER_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["/roster", "healthcheck"]
ENTRYPOINT ["/roster"]
CMD ["serve"]
