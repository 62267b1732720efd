# rdbtool: see README.md. `make run` shows the main job, `make test` runs the tests.
GO      ?= go
BIN     := bin/rdbtool
FUZZTIME ?= 10s

.PHONY: all build test bench fuzz lint run soak clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/rdbtool

test:
	$(GO) test ./...

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

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

run: build
	$(BIN) inspect testdata/dump.rdb

clean:
	rm -rf bin
