# suricron — `make demo` and `make test` are the two commands a new clone needs.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
COMMANDS  := rules-update alert-digest telemetry-send dump-data weekly-report
BIN       := bin
FUZZTIME  ?= 30s
SOAKTIME  ?= 5m

.PHONY: all build test test-short demo bench fuzz soak lint update-golden package install clean

all: build

build:
	@mkdir -p $(BIN)
	@for c in $(COMMANDS); do \
	  $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/$$c ./cmd/$$c || exit 1; \
	done
	@$(GO) build -trimpath -o $(BIN)/evegen ./tools/evegen

# The whole suite: unit, golden, fuzz seeds, CLI scripts of the built
# binaries, real logrotate, real postfix (when SURICRON_POSTFIX=1), hygiene.
test: build
	$(GO) test -count=1 -timeout 30m ./...

test-short:
	$(GO) test -short -count=1 ./...

demo: build
	@bash tools/demo/demo.sh $(BIN)

# Benchmarks print our figure beside the anchor measured in the same run.
bench: build
	@for s in bench/*/run.sh; do echo "== $$s"; bash $$s || exit 1; done

fuzz:
	@bash tools/fuzz.sh $(FUZZTIME)

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	$(GO) mod tidy -diff

update-golden:
	$(GO) test ./... -run 'Golden|Script' -update

clean:
	rm -rf $(BIN) dist
