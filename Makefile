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
	ORDERLY_REQUIRE_ALL=1 go test -count=1 -race ./lambda/...

# Rewrite the golden templates under test/testdata after an intended change.
snapshots: deps
	go test -count=1 ./test -run Snapshot -update

# The consumer's three figures, checked against their targets by
# test/benchcheck (exit 1 if one is missed).
bench:
	{ go test -run '^$$' -bench EngineOverhead -benchtime 2s -count 3 ./lambda/ordering; \
	  go test -run '^$$' -bench SimulatedIO -benchtime 5x ./lambda/ordering; \
	  go test -run '^$$' -bench BootstrapSize -benchtime 1x ./test/artifact; } | go run ./test/benchcheck

clean:
	rm -rf cdk.out .bin
