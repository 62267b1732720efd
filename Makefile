# rdbtool: see README.md. `make run` shows the main job, `make test` runs the tests.
GO      ?= go
BIN     := bin/rdbtool
FUZZTIME ?= 10s

.PHONY: all build test test32 bench fuzz lint run soak corpus clean

all: build

# The version --version prints: git's name for the commit (also where the
# Go toolchain does not stamp VCS information into the binary).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)

build:
	$(GO) build -ldflags "-X main.buildVersion=$(VERSION)" -o $(BIN) ./cmd/rdbtool

test:
	$(GO) test ./...

# The decoder's tests as a 32-bit program (lengths that do not fit an int
# there); skipped with a note where the kernel cannot run 386 binaries.
test32:
	@set -e; bin=$$(mktemp); trap 'rm -f $$bin' EXIT; \
	GOARCH=386 $(GO) build -o $$bin ./cmd/rdbtool; \
	if ! $$bin --version >/dev/null 2>&1; then echo "test32: this system cannot run 386 binaries; skipped"; exit 0; fi; \
	GOARCH=386 $(GO) test ./rdb ./filter ./inspect ./internal/atomicfile

bench: build
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

# Each fuzz target runs for FUZZTIME; `go test -fuzz` takes one target at a time.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# Also builds (objects discarded) for the platforms users run rdbtool on
# besides linux/amd64: a 386 VM, 32-bit ARM boards, Windows, Apple silicon.
# A Linux-only syscall or an int constant above 1<<31 fails here, not there.
# Without optimisation (-N -l): the errors are the same, the compile about
# half the CPU time.
lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@set -e; for p in linux/386 linux/arm windows/amd64 darwin/arm64; do \
		echo "build ./... for $$p"; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -gcflags='all=-N -l' ./...; \
	done

# The main job: replay the committed site dump in-process and ingest it into
# a throwaway PostgreSQL (or $DATABASE_URL), printing the rows per table.
run: build
	$(BIN) ingest --rdb testdata/dump.rdb

# 30 minutes of the command `rdbtool ingest --every 1s --listen-log --json`
# (in-process, ended by SIGTERM) against a live redis-server whose keys a
# writer keeps changing; not part of `make test`. SOAK=5m for a shorter run.
soak:
	RDBTOOL_SOAK=$${SOAK:-30m} $(GO) test -tags soak -run '^TestSoak$$' -count=1 -timeout 45m -v ./cmd/rdbtool

# Regenerate the Redis-written corpus files (needs redis-server).
corpus:
	$(GO) run ./internal/corpusgen -out testdata/corpus

clean:
	rm -rf bin
