#!/bin/sh
# `npm test`: installs what is missing (npm packages from the lockfile, Debian packages as root),
# lints, type-checks, then runs every test. Extra arguments filter test files by path.
set -eu
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
sh scripts/system-deps.sh
npx biome ci --colors=off .
npx tsc -p tsconfig.json --noEmit
exec node scripts/run-tests.mjs "$@"
