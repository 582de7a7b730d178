# cni.ovs — developer entry points.  See README.md.
SHELL := /bin/bash
NODES ?= 3
CNI ?= kube-ovn
export NODES CNI
# Podman settings the lab needs here (runc; ulimits root may set), see docs/lab-nodes.md.
export CONTAINERS_CONF ?= $(CURDIR)/lab/nodes/containers.conf

.PHONY: help setup test test-quick lint sanity units properties hostile faults integration lab-tests molecule dist demo \
        lab-build lab-up lab-down lab-status bench docs lock clean

help:
	@echo "make setup        install OS packages, .venv, collections (offline, idempotent)"
	@echo "make test         run every test layer; one summary line at the end"
	@echo "make demo         set up, start the lab, run the main job"
	@echo "make lab-build    build/cache etcd, Kubernetes and KWOK from the Go module proxy (once)"
	@echo "make lab-up       start the local lab (NODES=$(NODES) CNI=$(CNI))"
	@echo "make lab-status   show lab components, nodes and pods"
	@echo "make lab-down     stop the lab and remove its state"
	@echo "make bench        run the benchmarks under bench/"
	@echo "make test-quick   lint, sanity, units, properties, hostile, integration (inner loop)"
	@echo "make lint|sanity|units|properties|hostile|faults|integration|lab-tests|molecule|dist   one test layer"

setup:
	@bash scripts/setup.sh

test:
	@bash tests/run.sh all

test-quick:
	@bash tests/run.sh quick

lint sanity units properties hostile faults integration lab-tests molecule dist:
	@bash tests/run.sh $@

demo: setup
	@bash scripts/demo.sh

lab-build:
	@bash lab/k8s/build.sh

lab-up:
	@bash lab/lab.sh up

lab-down:
	@bash lab/lab.sh down

lab-status:
	@bash lab/lab.sh status

bench:
	@bash bench/run.sh

docs:
	@for p in $$(bash scripts/list_plugins.sh); do .venv/bin/ansible-doc -t $${p%%:*} $${p#*:} >/dev/null || exit 1; done; echo "all plugin docs render"

# Re-pin the toolchain after editing requirements-dev.in.
lock:
	SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt uv pip compile --quiet --python 3.11 \
	  --no-header --generate-hashes requirements-dev.in -o requirements-dev.lock

clean:
	rm -rf tests/output .build .pytest_cache
