# round-robin: the commands the README promises.
#   make demo     bake, deploy, roll out, roll back and destroy on the embedded AWS emulator
#   make test     formatting, lints, unit, emulator and end-to-end tests
#   make bench    performance figures (release build)
#   make install  provider into Terraform's local mirror, baker into ~/.cargo/bin
#   make fuzz     a bounded fuzzing run of the msgpack decoder
#   make demo-host  the bake on real machines (root; debootstrap, systemd-nspawn)

CARGO ?= cargo
PYTHON ?= python3
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
PLUGIN_DIR := $(HOME)/.terraform.d/plugins/registry.terraform.io/roundrobin/roundrobin/$(VERSION)/linux_amd64
PREFIX ?= $(HOME)/.cargo
FUZZ_SECONDS ?= 60

.PHONY: all build python-deps demo demo-host test check fmt lint unit emulator-test app-test e2e bench install fuzz clean

all: build

build:
	$(CARGO) build --workspace --all-targets

# The AWS emulator (moto server and its extension) and its tests' libraries.
python-deps:
	@$(PYTHON) -c "import moto, boto3, pytest, yaml, flask" 2>/dev/null \
		|| $(PYTHON) -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt

demo: python-deps
	$(CARGO) build -p baker --bin baker
	$(CARGO) build -p terraform-provider-roundrobin --bin terraform-provider-roundrobin
	$(CARGO) build -p e2e --bin demo
	target/debug/demo

demo-host: build
	$(CARGO) test -p e2e --test realhost -- --nocapture

test: python-deps check build unit emulator-test app-test e2e

check: fmt lint

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit: build
	$(CARGO) test --workspace --exclude e2e
	$(CARGO) test -p e2e --lib --bins

emulator-test:
	@if [ -d tests/emulator ] && ls tests/emulator/test_*.py >/dev/null 2>&1; then \
		$(PYTHON) -m pytest tests/emulator -q; \
	else echo "no emulator tests"; fi

app-test:
	@if [ -f app/package.json ]; then cd app && node --test; else echo "no app tests"; fi

e2e: build
	$(CARGO) test -p e2e --test stories -- --test-threads=2
	$(CARGO) test -p e2e --test realhost -- --nocapture

bench: python-deps
	$(CARGO) build --release -p terraform-provider-roundrobin --bin terraform-provider-roundrobin
	$(CARGO) build --release -p baker --bin baker
	$(CARGO) build --release -p e2e --bin bench --bin realhost_bench
	target/release/bench --provider target/release/terraform-provider-roundrobin
	target/release/realhost_bench

install:
	$(CARGO) build --release -p terraform-provider-roundrobin --bin terraform-provider-roundrobin
	mkdir -p "$(PLUGIN_DIR)"
	install -m 0755 target/release/terraform-provider-roundrobin "$(PLUGIN_DIR)/terraform-provider-roundrobin_v$(VERSION)"
	$(CARGO) build --release -p baker --bin baker
	mkdir -p "$(PREFIX)/bin"
	install -m 0755 target/release/baker "$(PREFIX)/bin/baker"
	@echo "provider installed in $(PLUGIN_DIR)"

fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run decode_msgpack -- -max_total_time=$(FUZZ_SECONDS)

clean:
	$(CARGO) clean
