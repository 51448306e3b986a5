# SPDX-License-Identifier: MIT
# The verbs people expect; CMake does the work underneath.
#   make            build (build/)
#   make test       install what is missing, build with ASan+UBSan (build-test/), run every test
#   make demo       install what is missing, build, show sriov at work
#   make install    PREFIX=/usr/local DESTDIR=
PREFIX ?= /usr/local
DESTDIR ?=
CMAKE ?= cmake
CTEST ?= ctest
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build test demo install deps deps-all format clean bench

all: build

deps:
	@scripts/install-deps base

deps-all:
	@scripts/install-deps

build: deps
	@$(CMAKE) --preset default -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@$(CMAKE) --build --preset default -j$(JOBS)

test: deps-all
	@$(CMAKE) --preset test >/dev/null
	@$(CMAKE) --build --preset test -j$(JOBS)
	@$(CTEST) --preset test

demo: deps-all
	@$(CMAKE) --preset default -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@echo "building (log: build/demo-build.log)"
	@$(CMAKE) --build --preset default -j$(JOBS) >build/demo-build.log 2>&1 || { tail -40 build/demo-build.log; exit 1; }
	@scripts/demo

bench: build
	@tests/bench/run

install: build
	@DESTDIR=$(DESTDIR) $(CMAKE) --install build

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf build build-test
