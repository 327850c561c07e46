# kafkaio's entry points. `make run` shows the tool working against an
# embedded broker; `make test` is exactly what CI runs.

GO       ?= go
FUZZTIME ?=
LONGFUZZ ?= 2m

# Each fuzz target as package:Target:runs, runs being how many inputs
# make test's short run tries (a few seconds' worth here). go test -fuzz
# takes one target per run. The short run counts inputs rather than time:
# a -fuzztime duration races the fuzzing coordinator's deadline with its
# workers, and Go 1.26 then fails the target with a bare "context deadline
# exceeded" and no failing input (golang/go#75804, fixed in Go 1.27).
FUZZ_TARGETS := \
	./kafkaio:FuzzReceiveFrame:3000 \
	./kafkadebug:FuzzParse:100000 \
	./cmd/hexdump-trace:FuzzParseLog:5000 \
	./cmd/hexdump-trace:FuzzDecodeBody:4000 \
	./cmd/hexdump-trace:FuzzRecordBatches:10000 \
	./internal/kafkawire:FuzzParseFetch:3000 \
	./internal/kafkawire:FuzzParseSASL:20000

.PHONY: run test vet fmt-check race alloc fuzz-short fuzz bench bench-clients syscalls mutate

## run: the main job: hexdump-trace against an in-process Kafka-protocol broker
run:
	$(GO) run ./cmd/hexdump-trace -embedded

## test: vet, gofmt check, a short run of every fuzz target, the allocation
## tests without the race detector (it allocates), then every test under it
## (last, so its summary closes the output)
test: vet fmt-check fuzz-short alloc race

vet:
	$(GO) vet ./...

fmt-check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi

race:
	$(GO) test -race -count=1 -timeout 20m ./...

alloc:
	$(GO) test -count=1 -run 'Alloc' ./internal/bench/

fuzz-short:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; runs=$${rest##*:}; \
		time=$(if $(FUZZTIME),$(FUZZTIME),$${runs}x); \
		echo "fuzz $$pkg $$name for $$time"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $$time $$pkg || exit 1; \
	done

## fuzz: the same targets for longer
fuzz:
	$(MAKE) fuzz-short FUZZTIME=$(LONGFUZZ)

BENCHROUNDS ?= 12

## bench: kafkaio against a raw net.Conn, side by side, as ratios (about 5.5
## minutes): each round runs every case once, the clients' order flipped
## every round, then benchratio prints the medians' ratios
bench:
	@rm -f bench.out
	@for i in $$(seq $(BENCHROUNDS)); do \
		$(GO) test -run '^$$' -bench . -benchmem -count 1 ./internal/bench/ -args -reverse=$$((i % 2)) | tee -a bench.out; \
	done
	$(GO) run ./internal/bench/cmd/benchratio bench.out

CLIENTROUNDS ?= 8

## bench-clients: franz-go, sarama and kafka-go over kafkaio.Dialer against
## the same clients over their own dialers, one kfake broker in a child
## process (about 6 minutes): ApiVersions round trips and produce
## throughput, rounds flipped as in bench, ratios against the 1.02 target
bench-clients:
	@rm -f bench-clients.out
	@for i in $$(seq $(CLIENTROUNDS)); do \
		$(GO) test -run '^$$' -bench . -benchmem -count 1 ./internal/bench/kafkaclients/ -args -reverse=$$((i % 2)) | tee -a bench-clients.out; \
	done
	$(GO) run ./internal/bench/cmd/benchratio -limit 1.02 bench-clients.out

SYSCALLN ?= 2000

## syscalls: syscalls per operation of each benchmarked client, under strace
## (Debian's strace package), as a Markdown table for BENCHMARKS.md
syscalls:
	$(GO) test -c -o bench.test ./internal/bench/
	$(GO) run ./internal/bench/cmd/syscalls -n $(SYSCALLN) ./bench.test
	@rm -f bench.test

GREMLINS    ?= github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
MUTATE_DIRS ?= kafkaio kafkaerr
MUTATE_SKIP ?=

## mutate: mutation testing of kafkaio/ (with its subpackages) and kafkaerr/
## with gremlins (over an hour on 2 cores; not part of make test). Each
## mutant runs the whole test suite of its package, without -race, and is
## KILLED when a test fails, so a flaky test kills mutants it never looked
## at: MUTATE_SKIP='^TestX$$' leaves such a test out of the run (go test
## -skip, through GOFLAGS), which can only lower the score. gremlins runs at
## a pinned version through go run, so it is in no go.mod;
## mutate-<dir>.json holds each run's results.
mutate:
	@for d in $(MUTATE_DIRS); do \
		echo "gremlins over ./$$d"; \
		GOFLAGS="$$($(GO) env GOFLAGS)$(if $(MUTATE_SKIP), -skip=$(MUTATE_SKIP))" \
		nice -n 19 $(GO) run $(GREMLINS) unleash --workers 1 --output mutate-$$d.json ./$$d || exit 1; \
	done
