# suricron — `make demo` and `make test` are the two commands a new clone needs.
SHELL     := /bin/bash
GO        ?= go
# A semantic version that is also a Debian version sorting right under dpkg:
# 0.2.0 on the tag v0.2.0, 0.2.0+git<YYYYMMDD>.<hash> after it (version.sh).
VERSION   ?= $(shell sh tools/package/version.sh)
COMMIT    ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X github.com/suricron/suricron/internal/cli.commit=$(COMMIT)
COMMANDS  := rules-update alert-digest telemetry-send dump-data weekly-report eve-ship
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
# Ends with one line per skipped test saying how to enable it.
test: build
	@set -o pipefail; $(GO) test -count=1 -timeout 30m -json ./... | $(GO) run ./tools/testsum

test-short:
	$(GO) test -short -count=1 ./...

demo: build
	@bash tools/demo/demo.sh $(BIN)

# Benchmarks print our figure beside the anchor measured in the same run.
bench: build
	@for s in bench/*/run.sh; do echo "== $$s"; bash $$s || exit 1; done

fuzz:
	@bash tools/fuzz.sh $(FUZZTIME)

# staticcheck is pinned here and in all_test.go (TestHygiene/staticcheck).
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	$(GO) mod tidy -diff

# Crash and rotation soak of the built binaries (live writer, real
# logrotate, random SIGKILLs) for SOAKTIME, split over the two rotation
# modes; prints written/delivered/duplicated/lost per command. Digests go to
# the real postfix when SURICRON_POSTFIX=1 (tools/mta/postfix-start.sh).
soak: build
	$(GO) run ./tools/soak -bin $(BIN) -duration $(SOAKTIME)

update-golden:
	$(GO) test $$(grep -rl --include='*_test.go' 'flag.Bool("update"' . | xargs -n1 dirname | sort -u) -run 'Golden|Transcripts' -update

# dist/suricron_<version>_amd64.deb: binaries, cron.d file, systemd units,
# example config, sysusers file and the postinst that creates the user.
package: build
	$(GO) run ./tools/package -version '$(VERSION)' -bin $(BIN) -out dist

# For systems without dpkg. Existing config and cron files are kept; the
# systemd units are rewritten to $(BINDIR). Create the user afterwards
# (systemd-sysusers, or useradd --system suricron) and $(STATEDIR).
PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
STATEDIR    ?= /var/lib/suricron

install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/suricron $(DESTDIR)$(SYSCONFDIR)/cron.d \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	@for c in $(COMMANDS); do install -m 0755 $(BIN)/$$c $(DESTDIR)$(BINDIR)/$$c || exit 1; done
	@test -e $(DESTDIR)$(SYSCONFDIR)/suricron/suricron.toml || \
	  install -m 0644 contrib/suricron.toml $(DESTDIR)$(SYSCONFDIR)/suricron/suricron.toml
	@test -e $(DESTDIR)$(SYSCONFDIR)/cron.d/suricron || \
	  install -m 0644 cron.d/suricron $(DESTDIR)$(SYSCONFDIR)/cron.d/suricron
	@for u in contrib/systemd/suricron-*; do \
	  sed 's#/usr/bin/#$(BINDIR)/#' $$u > $(DESTDIR)$(UNITDIR)/$$(basename $$u) && \
	  chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u) || exit 1; \
	done
	install -m 0644 contrib/sysusers.d/suricron.conf $(DESTDIR)$(SYSUSERSDIR)/suricron.conf
	@echo "installed; now create the suricron user and $(STATEDIR) (see README.md, Install)"

clean:
	rm -rf $(BIN) dist
