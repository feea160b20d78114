# Static freezerd binary in a distroless image, running as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/freezerd ./cmd/freezerd \
 && mkdir /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/freezerd /freezerd
# The data directory belongs to the nonroot user, so that a new volume does too.
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
WORKDIR /data
VOLUME ["/data"]
ENV FREEZER_DATA_DIR=/data \
    FREEZER_HTTP_ADDR=:8080
EXPOSE 8080 1883
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["/freezerd", "healthcheck"]
ENTRYPOINT ["/freezerd"]
CMD ["serve"]
