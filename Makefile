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

.PHONY: synth test test-fast bench tools deps snapshots clean

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

# Every test: unit, snapshot, assertion, cdk-nag and config tests, the real
# arm64 bootstrap under the Lambda runtime interface emulator, the local
# pipeline; and the consumer and the property tests again under the race
# detector. ORDERLY_REQUIRE_ALL turns a missing tool into a failure instead
# of a skip. The two runs go at once, which keeps both cores busy while
# either waits on a subprocess; the race run's lines start with "race:".
# The first run checks the consistency properties over their full 100
# seeds; the race run looks for data races in the same code paths, which
# 25 seeds exercise as well, at a quarter of the cost.
test: deps tools
	@ORDERLY_REQUIRE_ALL=1 go test -count=1 ./... & pid=$$!; all=0; race=0; \
	ORDERLY_REQUIRE_ALL=1 ORDERLY_CONSISTENCY_ITERATIONS=25 go test -count=1 -race ./lambda/... ./test/consistency/... 2>&1 | sed -u 's/^/race: /' || race=$$?; \
	wait $$pid || all=$$?; \
	if [ $$all -ne 0 ] || [ $$race -ne 0 ]; then echo "make test: FAILED (all tests: exit $$all, race run: exit $$race)" >&2; exit 1; fi

# The edit loop: every test that needs no emulator (-short skips the ones
# that run the bootstrap under it, and runs the property tests with fewer
# iterations). It keeps Go's test cache, so a run after an edit re-runs
# only the packages the edit can affect; `make test` (no cache, nothing
# skipped) before you push.
test-fast: deps
	go test -short ./...

# Rewrite the golden templates under test/testdata after an intended change.
snapshots: deps
	go test -count=1 ./test -run Snapshot -update

# The consumer's figures, checked against their targets by
# sim/cmd/benchcheck (exit 1 if one is missed).
bench:
	{ go test -run '^$$' -bench EngineOverhead -benchtime 2s -count 3 ./lambda/ordering; \
	  go test -run '^$$' -bench SimulatedIO -benchtime 5x ./lambda/ordering; \
	  go test -run '^$$' -bench Coalescing -benchtime 5x -count 3 ./lambda/schedule; \
	  go test -run '^$$' -bench BootstrapSize -benchtime 1x ./test/artifact; } | go run ./sim/cmd/benchcheck

clean:
	rm -rf cdk.out .bin

.PHONY: preflight smoke assembly
# The cloud assembly of ENV (plus CONTEXT) that preflight and smoke compare
# the deployed stack's ordering settings with (their drift check), as a
# deploy would synthesize it. Quiet on stdout, so -json stays JSON.
ASSEMBLY := cdk.out
assembly: deps
	@rm -rf $(ASSEMBLY)
	@$(CDK) synth --quiet $(CDK_CONTEXT) -o $(ASSEMBLY) >&2

# Read-only checks of the AWS account before `cdk deploy` (default
# credential chain): one line per check, exit 1 on any failure; on an
# update, every ordering setting of the deployed stack against the template.
# PREFLIGHT_FLAGS=-json prints JSON.
# Built rather than `go run`, which adds its own "exit status" line.
PREFLIGHT_FLAGS ?=
preflight: assembly
	@go build -o $(BIN)/orderly-preflight ./infra/cmd/preflight
	@$(BIN)/orderly-preflight -env $(ENV) -stack $(STACK) -assembly $(ASSEMBLY) $(CONTEXT) $(PREFLIGHT_FLAGS)

# After a deploy: canary events through the deployed stack, checked in the
# consumer's log group and dead-letter queues, and every ordering setting of
# the deployed stack against the template; exit 0 only on PASS.
# SMOKE_FLAGS="-timeout 10m" waits longer.
SMOKE_FLAGS ?=
smoke: assembly
	@go build -o $(BIN)/orderly-smoke ./infra/cmd/smoke
	@$(BIN)/orderly-smoke -env $(ENV) -stack $(STACK) -assembly $(ASSEMBLY) $(CONTEXT) $(SMOKE_FLAGS)
# Put a deployed stack's failed events (poison queue, dead-letter queues,
# Kinesis on-failure bucket) back on its bus, per period in stamp order; a
# message or object is deleted only once PutEvents accepted its events.
# REDRIVE_FLAGS="--dry-run" lists what it would do; "--json" prints JSON.
.PHONY: redrive
REDRIVE_FLAGS ?=
redrive:
	@go build -o $(BIN)/orderly-redrive ./infra/cmd/redrive
	@$(BIN)/orderly-redrive -env $(ENV) -stack $(STACK) $(CONTEXT) $(REDRIVE_FLAGS)

.PHONY: local local-ci load compare compare-backoff catchup contrast compare-isolation

STACK ?= kinesis
EVENTS ?= 5000
# The acceptance faults: 5% third-party 5xx, one consumer killed mid-batch,
# 1% poison events.
FAULTS ?= -error-rate 0.05 -kills 1 -poison-rate 0.01
# More flags for the load generator, e.g. LOAD_FLAGS="-rate 200 -latency 5ms".
LOAD_FLAGS ?=
# After the run, re-send every event in shuffled order as an EventBridge
# archive replay would; the run fails unless nothing changes. REPLAY= skips it.
REPLAY ?= -replay
# Where `make local` synthesizes (cdk.out, like `make synth`).
LOCAL_OUT ?= cdk.out
# A FIFO batch whose consumer dies stays invisible for the queue's
# visibility timeout (infra/relay/defaults.VisibilityTimeoutFactor × the
# function timeout): the shortest function timeout allowed (10 s) keeps that
# as short as it can be locally. A 10 s function needs call limits whose
# deadline margin fits: 2 s per call, 4 s with retries, a 9 s margin (the
# fake API answers in milliseconds).
LOCAL_CONTEXT_fifo := -c function.timeoutSeconds=10 -c api.callTimeoutSeconds=2
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
	$(LOAD) -assembly $(LOCAL_OUT) -stack $(STACK) -events $(EVENTS) $(FAULTS) $(REPLAY) $(LOAD_FLAGS)

# The short version CI runs for both stacks, each followed by its replay.
# The FIFO run skips idle queue time: the minute a killed batch stays
# invisible passes in the model's time (the report says how much).
local-ci:
	$(MAKE) local STACK=kinesis EVENTS=300
	$(MAKE) local STACK=fifo EVENTS=300 LOAD_FLAGS="-skip-idle $(LOAD_FLAGS)"

# The load generator with any flags (synthesizes into a temporary directory).
load: deps tools $(LOAD)
	$(LOAD) -env $(ENV) -context "$(CONTEXT)" -stack $(STACK) -events $(EVENTS) $(LOAD_FLAGS)

# The unordered contrast: passes only if it loses updates (exit status 1).
contrast: deps tools $(LOAD)
	status=0; $(LOAD) -env $(ENV) -context "$(CONTEXT)" -unordered -events $(EVENTS) $(FAULTS) $(LOAD_FLAGS) || status=$$?; \
	test $$status -eq 1

# The classic Kinesis-versus-FIFO configurations (batch size 1, small
# reserved concurrency, one fetch and one push per record) and orderly's
# recommended ones (batch 100 or 10, coalescing) at matched settings, as a
# Markdown table (with API calls per event) and one JSON line.
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
	  -events $(BACKOFF_EVENTS) -partitions 8 -error-rate 0.05 -timeout-rate 0.005 -timeout 15m $(LOAD_FLAGS)

# Catch-up after an outage: every event is in KinesisStack's stream (4
# shards) before the consumer starts, as after an hour of the third-party
# API being down, and the backlog is drained three ways at the same
# workload and seed: coalescing off; chunks that end at a repeated entity
# (that older consumer, built from git history); superseded changes merged
# (the default). The fake API answers after 5 ms, as in `make compare`.
# Prints one Markdown table (drain time, API calls per event, peak request
# rate at the fake API, lost updates, superseded) and one JSON line.
# orderly-load owns the default workload (20,000 events over 30 periods of
# 20 entities); shrink it with e.g. CATCHUP_EVENTS=2000.
CATCHUP_EVENTS ?=
CATCHUP_PERIODS ?=
CATCHUP_ENTITIES ?=
CATCHUP_WORKLOAD = $(strip $(if $(CATCHUP_EVENTS),-events $(CATCHUP_EVENTS)) $(if $(CATCHUP_PERIODS),-partitions $(CATCHUP_PERIODS)) \
  $(if $(CATCHUP_ENTITIES),-entities $(CATCHUP_ENTITIES)))
catchup: deps tools $(LOAD)
	$(LOAD) -compare-catchup -env $(ENV) -context "$(CONTEXT)" -latency 5ms $(CATCHUP_WORKLOAD) $(LOAD_FLAGS)

# The blast radius of issue 17, in real time (about 25 minutes; not part of
# local-ci or test). First KinesisStack with 4 shards, 30 periods at a
# steady 10 events/s, one period broken for good, at the same seed:
# fault-free, isolation after 30 s, and isolation off; with isolation the
# healthy periods on the broken period's shard must reach a p99 within the
# fault-free p99 + 60 s (and the isolated events, redriven once the period
# is fixed, leave the fault-free final state), without it they are still
# waiting at the 4-minute timeout. Then a 3-minute vendor outage a minute
# into the run on both stacks with the defaults (nothing dead-lettered or
# isolated, all applied after recovery), and FifoStack with the defaults
# before issue 17, which dead-letters. Every row uses LOCAL_CONTEXT_fifo
# (a 10 s function), which FifoStack needs locally. Prints two Markdown
# tables, acceptance lines (exit 1 on a FAIL) and a JSON line per table.
# ISOLATION_TABLES=isolation (or outage) runs one table.
ISOLATION_TABLES ?= isolation,outage
compare-isolation: deps tools $(LOAD)
	$(LOAD) -compare-isolation -isolation-tables $(ISOLATION_TABLES) -env $(ENV) -context "$(LOCAL_CONTEXT_fifo) $(CONTEXT)" $(LOAD_FLAGS)

.PHONY: plan plan-chart diagram compare-chart catchup-chart isolation-chart graphviz

# Capacity and cost planner for ENV (plus CONTEXT): key-to-shard placement,
# skew, ceilings, iterator-age risk, recommendation, FIFO groups, monthly
# cost. PLAN_FLAGS takes the workload, e.g.
# PLAN_FLAGS="-peak 200 -latency-p50 30ms -latency-p99 300ms", "-keys periods.txt", "--json".
PLAN_FLAGS ?=
PLAN := $(BIN)/orderly-plan

# Quiet, so that `make plan PLAN_FLAGS=--json` prints only the JSON.
$(PLAN): FORCE
	@go build -o $(PLAN) ./infra/cmd/plan

plan: deps $(PLAN)
	@$(PLAN) -env $(ENV) -context "$(CONTEXT)" $(PLAN_FLAGS)

# The planner's load per shard and per FIFO group as an SVG.
PLAN_CHART ?= docs/charts/plan-$(ENV).svg
plan-chart: deps $(PLAN)
	mkdir -p $(dir $(PLAN_CHART))
	$(PLAN) -env $(ENV) -context "$(CONTEXT)" -chart $(PLAN_CHART) $(PLAN_FLAGS) >/dev/null
	@echo "wrote $(PLAN_CHART)"

# The comparison chart from saved `make compare` output (does not rerun it):
#   make compare | tee compare.out && make compare-chart COMPARE_OUT=compare.out
COMPARE_OUT ?= docs/charts/compare.out
COMPARE_CHART ?= docs/charts/compare.svg
compare-chart:
	go run ./sim/cmd/comparechart -in $(COMPARE_OUT) -out $(COMPARE_CHART)
	@echo "wrote $(COMPARE_CHART)"

# The catch-up chart from saved `make catchup` output (does not rerun it):
#   make catchup | tee catchup.out && make catchup-chart CATCHUP_OUT=catchup.out
CATCHUP_OUT ?= docs/charts/catchup.out
CATCHUP_CHART ?= docs/charts/catchup.svg
catchup-chart:
	go run ./sim/cmd/comparechart -in $(CATCHUP_OUT) -out $(CATCHUP_CHART)
	@echo "wrote $(CATCHUP_CHART)"

# The blast-radius chart from saved `make compare-isolation` output (its
# first table; does not rerun it):
#   make compare-isolation | tee isolation.out && make isolation-chart ISOLATION_OUT=isolation.out
ISOLATION_OUT ?= docs/charts/isolation.out
ISOLATION_CHART ?= docs/charts/isolation.svg
isolation-chart:
	go run ./sim/cmd/comparechart -in $(ISOLATION_OUT) -out $(ISOLATION_CHART)
	@echo "wrote $(ISOLATION_CHART)"

DOT := /usr/bin/dot
$(DOT):
	@if [ "$$(id -u)" != 0 ]; then echo "graphviz is missing: run 'sudo apt-get install -y graphviz'" >&2; exit 1; fi
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
graphviz: $(DOT)

# Architecture diagrams drawn from the synthesized templates: KinesisStack
# and FifoStack in each grouping mode, as DOT and SVG under docs/diagrams;
# and the layout of the dashboards of KinesisStack and per-key FifoStack.
DIAGRAM_ENV ?= dev
DIAGRAMS := docs/diagrams
DIAGRAM_MODES := 1 3 per-key
diagram: deps graphviz
	mkdir -p $(DIAGRAMS)
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for mode in $(DIAGRAM_MODES); do \
	  echo "synthesizing env=$(DIAGRAM_ENV) fifo.messageGroups=$$mode ..."; \
	  $(CDK) synth --quiet -c env=$(DIAGRAM_ENV) -c fifo.messageGroups=$$mode -o "$$tmp/$$mode" >/dev/null; \
	  go run ./infra/cmd/diagram -assembly "$$tmp/$$mode" -stack FifoStack -title "FifoStack, fifo.messageGroups=$$mode (env=$(DIAGRAM_ENV))" -out $(DIAGRAMS)/fifo-groups-$$mode.dot; \
	done; \
	go run ./infra/cmd/diagram -assembly "$$tmp/1" -stack KinesisStack -title "KinesisStack (env=$(DIAGRAM_ENV))" -out $(DIAGRAMS)/kinesis.dot; \
	go run ./infra/cmd/diagram -assembly "$$tmp/1" -stack KinesisStack -dashboard -out $(DIAGRAMS)/dashboard-kinesis.svg; \
	go run ./infra/cmd/diagram -assembly "$$tmp/per-key" -stack FifoStack -dashboard -out $(DIAGRAMS)/dashboard-fifo-per-key.svg
	for f in $(DIAGRAMS)/*.dot; do $(DOT) -Tsvg "$$f" -o "$${f%.dot}.svg"; echo "wrote $${f%.dot}.svg"; done
