#!/bin/sh
# The build stage of deploy/Dockerfile, runnable as is on a clean checkout: install exactly the
# locked dependencies (the prepare script compiles src/ into dist/), then keep only what runs.
set -eu
npm ci --no-audit --no-fund
npm prune --omit=dev --no-audit --no-fund
