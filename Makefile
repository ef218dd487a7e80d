# Two commands do all the set-up:  `make run`  and  `make test`.
# Both install what is missing (system packages, a virtual environment) and are
# quick no-ops when everything is already there.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := espeak-ng libespeak-ng1 libportaudio2 libasound2-plugins pulseaudio pulseaudio-utils sox libsox-fmt-all chromium tmux poppler-utils
STAMP_SYS := $(VENV)/.system-packages
STAMP_VENV := $(VENV)/.installed

.PHONY: run test check lint typecheck fixtures clean system venv

# With no audio device `backcoach run` says so and exits 4; then the session
# starts in the terminal instead (prompts printed, answers typed).
run: venv
	@$(BIN)/backcoach run $(ARGS); status=$$?; \
	if [ $$status = 4 ]; then echo "Starting the text session instead."; $(BIN)/backcoach run --text $(ARGS); \
	else exit $$status; fi

test: venv
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

check: test

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

fixtures: venv
	$(BIN)/python -m assistant.bench.fixtures

system: $(STAMP_SYS)
venv: $(STAMP_VENV)

# System packages: only the missing ones are installed.
$(STAMP_SYS): Makefile
	@mkdir -p $(VENV)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $@

$(STAMP_VENV): pyproject.toml $(STAMP_SYS)
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
