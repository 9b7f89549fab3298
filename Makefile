# bucketform — the commands the README promises.
#   make quickstart   start a local MinIO, apply examples/quickstart, plan again, upload a file
#                     through a presigned PUT URL and read it back through a GET URL, stop MinIO
#   make test         install the pinned MinIO and mc (and nginx), then run every test (CI runs this)
#   make bench        the speed benchmark at N = 100, 1,000 and 10,000 buckets
#   make build        a static binary in bin/bucketform
#   make docker       the container image (Dockerfile), tagged bucketform:$(VERSION)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: build docker tools test check quickstart bench fuzz

build:
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o bin/bucketform ./cmd/bucketform

IMAGE ?= bucketform:$(VERSION)
docker:
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t $(IMAGE) .

tools:
	bash scripts/install-tools.sh

check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...

test: tools check
	CI=$${CI:-} go test -count=1 -timeout 15m ./...

quickstart: tools build
	bash scripts/quickstart.sh

# BENCHFLAGS for a quick run, e.g. make bench BENCHFLAGS="-n 100,1000 -foreign 0 -validate-n 0"
bench: tools build
	go run ./cmd/bucketform-bench -bin bin/bucketform $(BENCHFLAGS)

fuzz:
	go test -run '^$$' -fuzz FuzzLoad -fuzztime 3m ./config/
