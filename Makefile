# orderly: every entry point a user or CI needs. The two quick-start targets
# (synth, test) install what they need from the pinned manifests.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

ENV ?= dev
# Extra CDK context, e.g. CONTEXT="-c kinesis.shardCount=7".
CONTEXT ?=

ROOT := $(CURDIR)
BIN := $(ROOT)/.bin
NODE_BIN := $(ROOT)/node_modules/.bin
# jsii spawns the first `node` on PATH: put the pinned Node 24 first, and our tools.
export PATH := $(NODE_BIN):$(BIN):$(PATH)

RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE := $(BIN)/aws-lambda-rie
QEMU := /usr/bin/qemu-aarch64

.PHONY: synth test bench tools deps snapshots clean

deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(RIE):
	GOBIN=$(BIN) go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

$(QEMU):
	@if [ "$$(id -u)" != 0 ]; then echo "qemu-user is missing: run 'sudo apt-get install -y qemu-user'" >&2; exit 1; fi
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user >/dev/null

# The artifact test runs the real linux/arm64 bootstrap under the Lambda
# runtime interface emulator, through qemu on x86-64 hosts.
tools: $(RIE) $(if $(filter aarch64 arm64,$(shell uname -m)),,$(QEMU))

CDK := $(NODE_BIN)/cdk
CDK_CONTEXT := -c env=$(ENV) $(CONTEXT)

# Offline synth of one environment into cdk.out/, then one line per stack
# read back from the templates.
synth: deps
	rm -rf cdk.out
	$(CDK) synth --quiet $(CDK_CONTEXT)
	go run ./infra/cmd/summary -dir cdk.out

# Unit, snapshot, assertion, cdk-nag and config tests; the consumer again
# under the race detector; and the real arm64 bootstrap under the Lambda
# runtime interface emulator. ORDERLY_REQUIRE_ALL turns a missing tool into
# a failure instead of a skip.
test: deps tools
	ORDERLY_REQUIRE_ALL=1 go test -count=1 ./...
	ORDERLY_REQUIRE_ALL=1 go test -count=1 -race ./lambda/... ./test/consistency/...

# Rewrite the golden templates under test/testdata after an intended change.
snapshots: deps
	go test -count=1 ./test -run Snapshot -update

# The consumer's three figures, checked against their targets by
# sim/cmd/benchcheck (exit 1 if one is missed).
bench:
	{ go test -run '^$$' -bench EngineOverhead -benchtime 2s -count 3 ./lambda/ordering; \
	  go test -run '^$$' -bench SimulatedIO -benchtime 5x ./lambda/ordering; \
	  go test -run '^$$' -bench BootstrapSize -benchtime 1x ./test/artifact; } | go run ./sim/cmd/benchcheck

clean:
	rm -rf cdk.out .bin
.PHONY: local local-ci load compare compare-backoff contrast

STACK ?= kinesis
EVENTS ?= 5000
# The acceptance faults: 5% third-party 5xx, one consumer killed mid-batch,
# 1% poison events.
FAULTS ?= -error-rate 0.05 -kills 1 -poison-rate 0.01
# More flags for the load generator, e.g. LOAD_FLAGS="-rate 200 -latency 5ms".
LOAD_FLAGS ?=
# Where `make local` synthesizes (cdk.out, like `make synth`).
LOCAL_OUT ?= cdk.out
# A FIFO batch whose consumer dies stays invisible for the queue's
# visibility timeout (6 x the function timeout): the shortest function
# timeout allowed (10 s) keeps that to one minute locally.
LOCAL_CONTEXT_fifo := -c function.timeoutSeconds=10
# The consumer's third-party call limits are not in the template here; their
# defaults (10 s a call, 20 s with retries) derive a 41 s deadline margin
# that leaves a 10 s function no time to start a record, so the emulated
# FIFO consumer gets shorter ones (a 9 s margin).
LOCAL_FLAGS_fifo := -function-env ORDERLY_API_CALL_TIMEOUT_MS=2000,ORDERLY_API_RETRY_BUDGET_MS=4000
# Built rather than `go run`, which turns every exit status into 1.
LOAD := $(BIN)/orderly-load

$(LOAD): FORCE
	go build -o $(LOAD) ./sim/cmd/load
FORCE:

# Synthesize ENV (plus CONTEXT) and run the pipeline locally: the bundled
# bootstrap from the cloud assembly under aws-lambda-rie, kinesalite or the
# SQS FIFO model, the fake third-party API; prints a report and a JSON line.
local: deps tools $(LOAD)
	rm -rf $(LOCAL_OUT)
	$(CDK) synth --quiet $(CDK_CONTEXT) $(LOCAL_CONTEXT_$(STACK)) -o $(LOCAL_OUT)
	go run ./infra/cmd/summary -dir $(LOCAL_OUT)
	$(LOAD) -assembly $(LOCAL_OUT) -stack $(STACK) -events $(EVENTS) $(FAULTS) $(LOCAL_FLAGS_$(STACK)) $(LOAD_FLAGS)

# The short version CI runs for both stacks.
local-ci:
	$(MAKE) local STACK=kinesis EVENTS=300
	$(MAKE) local STACK=fifo EVENTS=300

# The load generator with any flags (synthesizes into a temporary directory).
load: deps tools $(LOAD)
	$(LOAD) -env $(ENV) -context "$(CONTEXT)" -stack $(STACK) -events $(EVENTS) $(LOAD_FLAGS)

# The unordered contrast: passes only if it loses updates (exit status 1).
contrast: deps tools $(LOAD)
	status=0; $(LOAD) -env $(ENV) -context "$(CONTEXT)" -unordered -events $(EVENTS) $(FAULTS) $(LOAD_FLAGS) || status=$$?; \
	test $$status -eq 1

# The classic Kinesis-versus-FIFO configurations (batch size 1, small
# reserved concurrency) at matched settings, as a Markdown table.
COMPARE_EVENTS ?= 1000
compare: deps tools $(LOAD)
	$(LOAD) -compare -env $(ENV) -events $(COMPARE_EVENTS) -partitions 8 -latency 5ms -error-rate 0.05 -poison-rate 0.01 $(LOAD_FLAGS)

# FifoStack (per-key groups, the short local visibility timeout) without and
# with the consumer's retry backoff, at the same workload and faults: 5%
# third-party 5xx, 0.5% third-party timeouts, no kill. Prints one Markdown
# table: events/s, p99 latency, and the seconds message groups waited after
# a reported failure.
BACKOFF_EVENTS ?= 1000
compare-backoff: deps tools $(LOAD)
	$(LOAD) -compare-backoff -env $(ENV) -context "$(LOCAL_CONTEXT_fifo) -c fifo.messageGroups=per-key $(CONTEXT)" \
	  -events $(BACKOFF_EVENTS) -partitions 8 -error-rate 0.05 -timeout-rate 0.005 -timeout 15m $(LOCAL_FLAGS_fifo) $(LOAD_FLAGS)
