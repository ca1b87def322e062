# Two commands do all the set-up (see README.md):
#   make lab    create .venv if missing, install the pinned requirements and the helpers, open JupyterLab
#   make test   the same set-up, then every test a teacher or a student needs: the unit tests of what students use
#               and strict `pytest --nbval` over notebooks/ (the maintainers' own tests: make test-maintainer)
# Re-running is quick: nothing is reinstalled unless requirements.txt or pyproject.toml changed.

PYTHON ?= python3
VENV   ?= .venv
# The Python versions the course supports: those TensorFlow 2.21 publishes wheels for. pyproject.toml's
# requires-python says the same (tests/test_environment.py checks it); scripts/test_pythons.py reads these lines.
PY_OLDEST := 3.10
PY_NEWEST := 3.13
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# nbval runs the notebooks with this environment's interpreter (--nbval-current-env), and a sanitize file
# masks what varies harmlessly (addresses, paths, timings). PYTHONHASHSEED makes runs repeat.
PYTEST_ARGS ?=
GOAL := $(or $(firstword $(MAKECMDGOALS)),setup)
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: lab test unit nbval setup clean-models notebooks test-variants test-exercises test-pythons wheelhouse models \
	test-maintainer lint format

# Offline classroom: when wheelhouse/ holds wheels (`make wheelhouse`), every install takes them from there and
# never touches the network.
WHEELHOUSE ?= wheelhouse
PIP_FROM := $(if $(wildcard $(WHEELHOUSE)/*.whl),--no-index --find-links $(WHEELHOUSE))

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || { \
	  command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python $(PY_OLDEST)-$(PY_NEWEST) or name one: make $(GOAL) PYTHON=/path/to/python3" >&2; exit 2; }; \
	  $(PYTHON) scripts/check_python.py $(PY_OLDEST) $(PY_NEWEST) "make $(GOAL)" && \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet $(PIP_FROM) --upgrade pip
	$(BIN)/python -m pip install --quiet $(PIP_FROM) -r requirements.txt
	$(BIN)/python -m pip install --quiet $(PIP_FROM) --no-deps -e .
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)  # root: e.g. in a container

# Tests marked `maintainer` (benchmarks, scripts, repo2docker, the wheelhouse, the Colab bootstrap in a bare venv)
# are left to `make test-maintainer`. pytest's "no tests collected" (exit status 5, e.g. a mistyped -k) fails.
# Two processes (pytest-xdist): each notebook runs in order in one of them; 10 and 11, which train for minutes, one
# after the other in the first, while the second starts with 04 (the model 05-09 and 11 load), then the other
# notebooks (tests/conftest.py); the unit tests spread over both.
NOT_MAINTAINER := -m "not maintainer"
PARALLEL := -n 2 --dist loadgroup --no-loadscope-reorder

test: $(STAMP)
	PYTHONHASHSEED=0 $(BIN)/python -m pytest $(NBVAL) $(NOT_MAINTAINER) $(PARALLEL) notebooks tests $(PYTEST_ARGS)

unit: $(STAMP)
	PYTHONHASHSEED=0 $(BIN)/python -m pytest $(NOT_MAINTAINER) $(PARALLEL) tests $(PYTEST_ARGS)

# The maintainers' tests: benchmarks' smoke test, scripts, repo2docker and the wheelhouse (needs
# requirements-maintainer.txt), the bootstrap in a bare venv. CI runs them after `make test`. Two processes, a test
# file each at a time: the benchmarks' smoke run (most of the time) beside the others.
MAINTAINER_STAMP := $(VENV)/.maintainer-installed
$(MAINTAINER_STAMP): $(STAMP) requirements-maintainer.txt
	$(BIN)/python -m pip install --quiet $(PIP_FROM) -r requirements-maintainer.txt
	@touch $@

test-maintainer: $(MAINTAINER_STAMP)
	PYTHONHASHSEED=0 $(BIN)/python -m pytest -m maintainer -n 2 --dist loadfile tests $(PYTEST_ARGS)

# ruff (pinned in requirements-maintainer.txt; settings in pyproject.toml) over the code and the notebooks' cells.
LINTED := helpers benchmarks scripts tests notebooks
lint: $(MAINTAINER_STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: $(MAINTAINER_STAMP)
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

# NOTEBOOKS="00 04": only those notebooks (by number)
NOTEBOOKS ?=
nbval: $(STAMP)
	PYTHONHASHSEED=0 $(BIN)/python -m pytest $(NBVAL) \
	  $(if $(NOTEBOOKS),$(foreach n,$(NOTEBOOKS),$(wildcard notebooks/$(n)_*.ipynb)),notebooks) $(PYTEST_ARGS)

# Other machines train other weights: run the notebooks with another seed, with oneDNN off and with one
# thread, each training its own models in models/variants/ (scripts/test_variants.py; VARIANTS="onednn-off").
# VARIANT_NOTEBOOKS="04 10" runs only those notebooks (CI: the ones that train).
VARIANTS ?=
VARIANT_NOTEBOOKS ?=
test-variants: $(STAMP)
	$(BIN)/python scripts/test_variants.py $(VARIANTS) $(if $(VARIANT_NOTEBOOKS),--notebooks $(VARIANT_NOTEBOOKS)) \
	  $(PYTEST_ARGS)

# Every change a student may make to a cell (notebooks/exercises.json), applied and run in a student's (gentle)
# kernel. EXERCISE_SHARE=K/N runs share K of N (each entry in exactly one share; CI rotates K): the subset is printed
# in the header. Two processes; each copies models/ (or, without it, trains the models it guards once).
EXERCISE_SHARE ?=
test-exercises: $(STAMP)
	PYTHONHASHSEED=0 $(BIN)/python -m pytest tests/test_exercises.py --run-exercises -n 2 \
	  $(if $(EXERCISE_SHARE),--exercise-share $(EXERCISE_SHARE)) $(PYTEST_ARGS)

clean-models:
	rm -rf models/

# Re-execute every notebook in a fresh kernel and save it with outputs (then commit them).
notebooks: $(STAMP)
	PYTHONHASHSEED=0 $(BIN)/python scripts/run_notebooks.py

# ---- Trust the course's own notebooks (issue 14), so JupyterLab shows their saved widgets before they run,
# instead of the text "VBox(children=...)". An extra prerequisite of `lab`, kept apart for easy merging.
.PHONY: trust-notebooks
lab: trust-notebooks
trust-notebooks: $(STAMP)
	@$(BIN)/jupyter trust notebooks/[0-9][0-9]_*.ipynb > /dev/null

# ---- Browser tests (issue 14): JupyterLab on loopback driven by headless Chromium, on a copy of the notebooks.
# Needs Debian's Chromium (`apt-get install -y chromium`; CHROMIUM=/path/to/chrome for another one).
# Screenshots of each step: tests/browser/screenshots/ (git-ignored).
BROWSER_STAMP := $(VENV)/.browser-installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: test-browser
$(BROWSER_STAMP): $(STAMP) requirements-browser.txt
	$(BIN)/python -m pip install --quiet -r requirements-browser.txt
	@touch $@

test-browser: $(BROWSER_STAMP)
	@test -x "$(CHROMIUM)" || { echo "error: no Chromium at $(CHROMIUM): apt-get install -y chromium"; exit 2; }
	BROWSER_TESTS=1 CHROMIUM="$(CHROMIUM)" PYTHONHASHSEED=0 $(BIN)/python -m pytest tests/browser -v \
	  --durations=0 --durations-min=0 $(PYTEST_ARGS)

# Every supported Python found on this machine (PATH and pyenv), each in a fresh venv under .venvs/: the same
# install as above (it runs `make setup` with PYTHON and VENV), the unit tests, the notebooks, then a table.
# Pick some: make test-pythons PYTHONS="3.12 3.13"; unit tests only: make test-pythons ARGS=--unit-only
PYTHONS ?=
ARGS ?=
test-pythons:
	$(PYTHON) scripts/test_pythons.py $(if $(PYTHONS),--pythons $(PYTHONS)) $(ARGS)

# ---- Teaching a class (issue 15). The wheels of every pinned package for the computers of a class, in one folder
# that fits on a USB stick: make wheelhouse WHEEL_PLATFORMS="linux windows macos" WHEEL_PYTHONS="3.11 3.12"
# (default: this computer's platform and Python). Then copy the course with wheelhouse/ to each computer.
WHEEL_PLATFORMS ?=
WHEEL_PYTHONS ?=
wheelhouse:
	$(PYTHON) scripts/wheelhouse.py --dest $(WHEELHOUSE) $(if $(WHEEL_PLATFORMS),--platforms $(WHEEL_PLATFORMS)) \
	  $(if $(WHEEL_PYTHONS),--pythons $(WHEEL_PYTHONS))

# Pre-train the models the notebooks load (reference and improved) to hand out with the course: copy models/.
models: $(STAMP)
	$(BIN)/python -m helpers train
	$(BIN)/python -m helpers train --recipe improved

# ---- Two editions, and grading a class (issue 24). `make student` builds the student edition in dist/student/:
# the course without worked solutions or teacher's notes (scripts/editions.py; STUDENT_REPO=https://github.com/
# OWNER/REPO, the GitHub copy of it that students open in Colab, sets their badges). `make grade SUBMISSIONS=DIR`
# runs each DIR/<student>/NN_*.ipynb in a fresh kernel in a copy of the course and writes DIR/grades.csv
# (scripts/grade.py). It runs the students' code: do it in a container or a throwaway account.
# `make test-editions`: every student notebook run unanswered, and with every worked solution filled in.
.PHONY: student grade test-editions
STUDENT_REPO ?=
SUBMISSIONS ?=
GRADE_TIMEOUT ?= 900

student: $(STAMP)
	$(BIN)/python scripts/editions.py $(if $(STUDENT_REPO),--repository $(STUDENT_REPO))

grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "error: name the class's folder: make grade SUBMISSIONS=DIR" >&2; exit 2; }
	PYTHONHASHSEED=0 $(BIN)/python scripts/grade.py "$(SUBMISSIONS)" --timeout $(GRADE_TIMEOUT)

test-editions: $(STAMP)
	PYTHONHASHSEED=0 $(BIN)/python -m pytest tests/test_editions.py --run-editions -n 2 $(PYTEST_ARGS)

# ---- The course as a website (issue 25). `make site` builds build/site/html/ from the student edition's notebooks
# as saved (nothing re-executed; scripts/site.py): the course map as the home page, one page per notebook in order,
# the worked solutions folded, search, and "Draw a digit", where the reference model (models/, `make models`) runs
# in the browser with TensorFlow.js. Sphinx + MyST-NB in their own venv (requirements-site.txt); TensorFlow.js
# from npm (site/package-lock.json), so Node.js and npm are needed: `apt-get install -y nodejs npm` (Debian/Ubuntu).
# Open build/site/html/index.html in a browser, or serve it: python3 -m http.server -d build/site/html
.PHONY: site
SITE_VENV := site/.venv
SITE_STAMP := $(SITE_VENV)/.installed
NPM_STAMP := site/node_modules/.installed

$(SITE_STAMP): requirements-site.txt
	@test -x $(SITE_VENV)/bin/python || $(PYTHON) -m venv $(SITE_VENV)
	$(SITE_VENV)/bin/python -m pip install --quiet $(PIP_FROM) -r requirements-site.txt
	@touch $@

$(NPM_STAMP): site/package.json site/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "error: npm not found: apt-get install -y nodejs npm (see README.md)" >&2; exit 2; }
	npm ci --prefix site --no-audit --no-fund --ignore-scripts
	@touch $@

site: student $(SITE_STAMP) $(NPM_STAMP)
	$(BIN)/python scripts/site.py --sphinx $(SITE_VENV)/bin/sphinx-build

# The built site in headless Chromium (tests/browser/test_3_site.py): every page loads with no console error,
# images load, internal links resolve, the browser's model agrees with Keras on the 2,000 test digits (1e-4),
# mouse-drawn digits are read right. `make test-browser` runs it too, after building the site.
.PHONY: test-site
test-browser: site
test-site: site $(BROWSER_STAMP)
	@test -x "$(CHROMIUM)" || { echo "error: no Chromium at $(CHROMIUM): apt-get install -y chromium"; exit 2; }
	BROWSER_TESTS=1 CHROMIUM="$(CHROMIUM)" PYTHONHASHSEED=0 $(BIN)/python -m pytest tests/browser/test_3_site.py -q \
	  --durations=5 $(PYTEST_ARGS)
