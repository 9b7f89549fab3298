# syntax=docker/dockerfile:1
#
# bucketform as a container image for bootstrap Jobs: one static binary (CGO_ENABLED=0) on
# distroless/static, running as the distroless nonroot user (65532). No shell, no package
# manager; the root filesystem can be mounted read-only (bucketform writes nothing but plan
# files, and only where -out says).
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg COMMIT=$(git rev-parse --short=12 HEAD) -t bucketform .
#   (or: make docker)

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/bucketform ./cmd/bucketform \
 && /out/bucketform version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bucketform /bucketform
USER 65532:65532
WORKDIR /config
ENTRYPOINT ["/bucketform"]
CMD ["validate", "/config"]
