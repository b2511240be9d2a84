#!/usr/bin/env bash
# Sets up (idempotent) and runs every check: lint, typecheck, unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm lint
pnpm typecheck
pnpm test
