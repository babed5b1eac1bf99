#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine of this kind (Debian, Rust toolchain,
# Python 3): tmux, curl and Debian's chromium for the end-to-end tests (the API driven by curl,
# the status page in headless Chromium), and moto's server in .venv for the AWS wire tests.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

MOTO_VERSION=5.2.5
if ! .venv/bin/moto_server --version >/dev/null 2>&1 \
   || ! .venv/bin/pip show moto 2>/dev/null | grep -q "^Version: ${MOTO_VERSION}$"; then
  echo "setup: installing moto[server]==${MOTO_VERSION} into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==${MOTO_VERSION}"
fi
if ! .venv/bin/cfn-lint --version >/dev/null 2>&1; then
  echo "setup: installing cfn-lint into .venv (validates docs/aws/foundation.yaml)"
  .venv/bin/pip install --quiet --disable-pip-version-check cfn-lint
fi
echo "setup: tmux $(tmux -V | cut -d' ' -f2), $(chromium --version 2>/dev/null | cut -d' ' -f1-2), moto $(.venv/bin/pip show moto | sed -n 's/^Version: //p')"
