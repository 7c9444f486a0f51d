# Set-up on a fresh machine is two commands: `make run` and `make test`. Both create .venv when it is
# missing and (re)install the project when pyproject.toml changed.
# The newest supported Python found on PATH (3.14 down to 3.10).
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3.11 python3.10 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not ((3,10) <= sys.version_info[:2] <= (3,14)))' 2>/dev/null; \
	then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench screenshots clean package package-test

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.10-3.14 is required and none was found on PATH. Install one:"; \
		echo "  Debian/Ubuntu: sudo apt install python3 python3-venv"; \
		echo "  Fedora:        sudo dnf install python3"; \
		echo "  macOS:         brew install python@3.13   (or the installer from python.org)"; \
		echo "  Windows:       the installer from python.org"; \
		echo "or name it: make PYTHON=/path/to/python3.13 test"; exit 1; }
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "Could not create a virtual environment with $(PYTHON). On Debian/Ubuntu: sudo apt install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/faceswap-desktop

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check faceswap_desktop tests benchmarks scripts packaging
	$(BIN)/ruff format --check faceswap_desktop tests benchmarks scripts packaging
	$(BIN)/lint-imports
	$(BIN)/mypy faceswap_desktop/core faceswap_desktop/inference faceswap_desktop/app

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_photo.py

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/screenshots.py

# The Linux download: a PyInstaller one-folder build wrapped with its desktop entry, icons and metainfo
# (packaging/README.md; Windows and macOS are built by .github/workflows/package.yml on those systems).
PACKAGE_STAMP := $(VENV)/.package-stamp
VERSION = $(shell $(BIN)/python -c 'import faceswap_desktop; print(faceswap_desktop.__version__)')
TARBALL_DIR = build/faceswap-desktop-$(VERSION)-linux-x86_64

$(PACKAGE_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,package]'
	@touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	rm -rf build/dist build/work
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath build/dist --workpath build/work \
		packaging/faceswap-desktop.spec
	$(BIN)/python packaging/linux/make_tarball.py

# Smoke-tests the download itself: the archive is unpacked afresh and run from there, in a sandboxed home.
package-test: package
	rm -rf build/unpacked && mkdir -p build/unpacked
	tar -xzf $(TARBALL_DIR).tar.gz -C build/unpacked
	$(BIN)/python packaging/smoke_test.py --bundle build/unpacked/$(notdir $(TARBALL_DIR)) --shots build/smoke

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
