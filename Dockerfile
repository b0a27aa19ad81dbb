# The switchboard-operator manager image: a static binary on distroless, run as non-root.
# Build: make docker-build IMG=...   (or: docker build -t IMG .)

FROM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
WORKDIR /workspace

# Modules first, so that this layer is cached until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download

# Only what the manager is built from.
COPY main.go main.go
COPY api/ api/
COPY controllers/ controllers/
COPY pkg/ pkg/

# TARGETOS/TARGETARCH are set by BuildKit (docker buildx --platform); without them the
# builder's platform is used.
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w" -o /manager .

FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
