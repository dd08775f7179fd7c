# dt4e-bot: `make run` starts the bot, `make test` runs every check. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck check pytest bench drills locales transcripts clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: the Telegram bot when DT4E_TELEGRAM_TOKEN is set, else the console chat (SQLite default);
##      options go in ARGS, e.g. make run ARGS="--channel ptb"
run: $(STAMP)
	$(BIN)/dt4e-bot run $(ARGS)

## test: lint, format, the layer contract, types, content check and the whole test suite
test: lint typecheck check pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

check: $(STAMP)
	$(BIN)/dt4e-bot check

# The suite runs on every CPU (pytest-xdist): about 5 minutes instead of 8 on two.
pytest: $(STAMP)
	$(BIN)/python -m pytest -n auto

## bench: matcher accuracy and latency against baselines, the bot under load against bare echo
##        bots (about 10 minutes), by webhook as 1 and 2 instances on PostgreSQL (about 10), with
##        120,000 participants in the database (about 6), then a broadcast to 120,000 people
##        (about 25 minutes); results in bench/results/, explained in BENCHMARKS.md
bench: $(STAMP)
	$(BIN)/python -m bench.matcher
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.webhook
	$(BIN)/python -m bench.participants
	$(BIN)/python -m bench.broadcast

## drills: fault drills against the real bot: 20 SIGKILLs, a database outage, a Bot API outage,
##         SIGTERM during an outage, on SQLite and PostgreSQL (about 10 minutes; ARGS="--quick")
drills: $(STAMP)
	$(BIN)/python -m bench.drills $(ARGS)

## locales: re-extract interface strings and merge them into every catalogue (for translators)
##          (nothing changes in the files when no message changed)
locales: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --project=dt4e-bot --version=0.1 \
		--copyright-holder="dt4e-bot contributors" --add-comments=TRANSLATORS: -o locales/new.pot .
	$(BIN)/python locales/catalogues.py keep locales/new.pot
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --ignore-obsolete --width 100
	$(BIN)/python locales/catalogues.py headers

## transcripts: record the bot's side of tests/transcripts/*.yaml again (after a content change)
transcripts: $(STAMP)
	$(BIN)/python -m tests.transcript

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
