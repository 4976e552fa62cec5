# The two commands of the README: `make run` and `make test`. Everything else is a helper.
BUILD_DIR ?= build/release
ASAN_DIR ?= build/asan
JOBS ?= $(shell nproc)
RUN_ARGS ?=

.PHONY: run test build bootstrap test-asan fuzz bench bench-lake bench-query format format-check tidy clean

bootstrap:
	@scripts/bootstrap

$(BUILD_DIR)/build.ninja: | bootstrap
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: bootstrap $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/src/cli/lagoa server $(RUN_ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600
	-scripts/slowest-tests $(BUILD_DIR)  # informational: never fails the run

$(ASAN_DIR)/build.ninja: | bootstrap
	CC=clang CXX=clang++ cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLAGOA_SANITIZE=ON -DLAGOA_FUZZ=ON

test-asan: bootstrap $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900
	-scripts/slowest-tests $(ASAN_DIR)  # informational: never fails the run

bench: build
	bench/ingest/run.sh

bench-lake: build
	BUILD_DIR=$(BUILD_DIR) bench/lake/run.sh

bench-query: build
	BUILD_DIR=$(BUILD_DIR) bench/query/run.sh

SOURCES_CMD = find src bench tests \( -name '*.h' -o -name '*.cc' \)

format:
	$(SOURCES_CMD) | xargs clang-format -i

# CI: every C++ file as the pinned clang-format (14) lays it out; `make format` fixes what it names.
format-check:
	$(SOURCES_CMD) | xargs clang-format --dry-run --Werror

# clang-tidy (.clang-tidy) on the sources changed since TIDY_BASE (default: the last commit).
TIDY_BASE ?= HEAD~1
tidy: build
	BUILD_DIR=$(BUILD_DIR) scripts/tidy-changed $(TIDY_BASE)

clean:
	rm -rf build
