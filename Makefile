# round-robin: the commands the README promises.
#   make demo     bake, deploy, roll out, roll back and destroy on the embedded AWS emulator
#   make test     formatting, lints, unit, emulator and end-to-end tests
#   make bench    performance figures (the released binaries' build)
#   make install  provider into Terraform's local mirror, baker into ~/.cargo/bin
#   make dist     release archives, checksums and manifest in dist/ (GPG_KEY_ID signs)
#   make fuzz     a bounded fuzzing run of the msgpack decoder
#   make demo-host  the bake on real machines (root; debootstrap, systemd-nspawn)
#   make demo-live  the whole story on real machines behind a real load balancer
#                   (root; debootstrap, systemd-nspawn, haproxy)

CARGO ?= cargo
PYTHON ?= python3
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
PLUGIN_DIR := $(HOME)/.terraform.d/plugins/registry.terraform.io/roundrobin/roundrobin/$(VERSION)/linux_amd64
PREFIX ?= $(HOME)/.cargo
FUZZ_SECONDS ?= 60
# The cargo profile `make dist` packages (the release workflow uses `dist`).
DIST_PROFILE ?= release
DIST_DIR ?= dist
DIST_BIN := target/$(if $(filter dev,$(DIST_PROFILE)),debug,$(DIST_PROFILE))

.PHONY: all build python-deps demo demo-host demo-live test check fmt lint unit emulator-test app-test e2e bench install dist fuzz clean

all: build

build:
	$(CARGO) build --workspace --all-targets

# The AWS emulator (the `emulator` package: moto server and its extension) and
# its tests' libraries, at the versions emulator/pyproject.toml pins.
python-deps:
	@$(PYTHON) emulator/requirements.py --test | $(PYTHON) -c "import sys, importlib.metadata as m; \
		sys.exit(any(m.version(r.split('[')[0].split('==')[0]) != r.split('==')[1] for r in sys.stdin.read().split()))" 2>/dev/null \
		|| $(PYTHON) emulator/requirements.py --test | $(PYTHON) -m pip install --quiet --disable-pip-version-check -r /dev/stdin

# Every cargo command selects the whole workspace (then filters targets):
# features of shared dependencies are unified over the packages selected, so
# `-p one-package` would build the AWS SDK crates again with other features.
# One cargo invocation for the three binaries, so both cores stay busy.
demo: python-deps
	$(CARGO) build --workspace --bin baker --bin terraform-provider-roundrobin --bin demo
	target/debug/demo

demo-live: python-deps
	$(CARGO) build --workspace --bin baker --bin terraform-provider-roundrobin --bin demo_live
	target/debug/demo_live

demo-host: build
	$(CARGO) test --workspace --test realhost -- --nocapture

# `make test` lints while it builds: every cargo command under it compiles the
# workspace's crates with clippy's driver (.ci/clippy-rustc, warnings denied),
# so the tests run the linted build and the dependencies are compiled once.
# `make lint` is the same check on its own.
test: export RUSTC_WORKSPACE_WRAPPER := $(CURDIR)/.ci/clippy-rustc
test: python-deps fmt build unit emulator-test app-test e2e

check: fmt lint

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit: build
	$(CARGO) test --workspace --lib --bins --test build --test roundtrip --test docs

emulator-test:
	$(PYTHON) -m pytest emulator -q -n 2 --dist loadgroup

app-test:
	@if [ -f app/package.json ]; then cd app && node --test; else echo "no app tests"; fi

e2e: build
	$(CARGO) test --workspace --test stories -- --test-threads=4
	E2E_EMULATOR_REALISM=1 $(CARGO) test --workspace --test stories -- --test-threads=6
	$(CARGO) test --workspace --test realhost -- --nocapture
	$(CARGO) test --workspace --test live -- --nocapture

# The provider and baker figures (size, start, memory, a bake) are taken on
# the binaries a release ships: the `dist` profile, built as the release
# workflow builds them. The machine benchmarks use the release build.
bench: python-deps
	$(CARGO) build --release --workspace --bin terraform-provider-roundrobin --bin baker \
		--bin bench --bin realhost_bench --bin live_bench
	$(CARGO) build --profile dist --workspace --bin terraform-provider-roundrobin --bin baker
	@# Every benchmark runs; the target fails when any of them missed a goal.
	@status=0; \
	target/release/bench --provider target/dist/terraform-provider-roundrobin || status=1; \
	target/release/realhost_bench || status=1; \
	target/release/live_bench || status=1; \
	$(PYTHON) -m emulator.tests.bench_live_lb --rate 200 || status=1; \
	if [ $$status -ne 0 ]; then echo "make bench: a goal was missed (see MISSED above)"; fi; \
	exit $$status

install:
	$(CARGO) build --release --workspace --bin terraform-provider-roundrobin --bin baker
	mkdir -p "$(PLUGIN_DIR)"
	install -m 0755 target/release/terraform-provider-roundrobin "$(PLUGIN_DIR)/terraform-provider-roundrobin_v$(VERSION)"
	mkdir -p "$(PREFIX)/bin"
	install -m 0755 target/release/baker "$(PREFIX)/bin/baker"
	@echo "provider installed in $(PLUGIN_DIR)"

# The registry's layout for this platform (see tests/src/dist/mod.rs); the
# checksums cover every archive of this version in $(DIST_DIR). With
# GPG_KEY_ID set, they are signed with that key.
dist:
	$(CARGO) build --workspace --profile $(DIST_PROFILE) \
		--bin terraform-provider-roundrobin --bin baker --bin dist
	$(DIST_BIN)/dist --out $(DIST_DIR) \
		--provider $(DIST_BIN)/terraform-provider-roundrobin --baker $(DIST_BIN)/baker

fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run decode_msgpack -- -max_total_time=$(FUZZ_SECONDS)

clean:
	$(CARGO) clean
