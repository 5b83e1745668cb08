# The two commands of the README, and what they need. Everything downloaded or built lands in
# .venv/ or .cache/, both git-ignored.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
KAFKA_LIBS := .cache/kafka/libs/.complete

.PHONY: up down test test-faults bench deps assets lock clean

deps: $(VENV)/.installed $(KAFKA_LIBS) assets

# GraphiQL's browser files and the pages' chart library from npm, served by The Eye itself (no
# CDN at run time).
assets:
	@scripts/graphiql-assets.sh
	@scripts/ui-assets.sh

$(VENV)/.installed: pyproject.toml constraints.txt
	@python3 -c 'import sys; assert sys.version_info >= (3, 11), "The Eye needs Python >= 3.11"'
	@python3 -m venv --help >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq python3-venv)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -c constraints.txt -e '.[test]'
	touch $@

$(KAFKA_LIBS): broker/pom.xml
	@command -v java >/dev/null || (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless)
	@command -v mvn >/dev/null || (apt-get update -qq && apt-get install -y -qq maven)
	mvn -B -q -f broker/pom.xml dependency:copy-dependencies
	touch $@

up: deps
	scripts/stack.sh up

down:
	scripts/stack.sh down

test: deps
	@scripts/test-deps.sh
	$(VENV)/bin/pytest -q

# The fault drills at the issue's full load (200k events each) and the hostile-producer soak
# for ten minutes (its figures go to bench/results/soak.md); `make test` runs them smaller.
test-faults: deps
	EYE_FAULT_EVENTS=200000 EYE_SOAK_SECONDS=600 $(VENV)/bin/pytest -q tests/faults

bench: deps
	$(PY) -m bench

# Refresh the pinned versions after changing dependencies in pyproject.toml.
lock:
	$(VENV)/bin/pip freeze --exclude-editable > constraints.txt

clean: down
	rm -rf .cache $(VENV)
