#!/usr/bin/env bash
# Installs the real balena CLI (balena-cli 20.2.10, the last that runs on
# node 20) from the npm registry alone, for e2e.balena_cli, and prints the
# path of its `balena` executable. Safe to run again: an install that
# answers `balena version` is kept.
#   scripts/install-balena-cli.sh [DIR]   (default ~/.cache/reconcile/balena-cli)
#
# Two pins make it install without GitHub: balena-cli 20.2.10 asks for
# balena-preload ^17, which the registry does not have (16.0.0 has the same
# engines and SDK), and takes unbzip2-stream from a GitHub commit (1.4.3 is
# the registry's). --ignore-scripts: the CLI's postinstall patches only work
# when it is the top-level project, and its native modules (flashing, image
# preloading) are not what push and logs use (docs/local-api.md, Live push).
set -euo pipefail
version=20.2.10
dir=${1:-$HOME/.cache/reconcile/balena-cli}
cli=$dir/node_modules/.bin/balena

if [ -x "$cli" ] && [ "$(BALENARC_NO_ANALYTICS=1 "$cli" version 2>/dev/null)" = "$version" ]; then
  echo "$cli"
  exit 0
fi
command -v npm >/dev/null || { echo "install-balena-cli: npm is not installed (apt-get install npm)" >&2; exit 1; }
mkdir -p "$dir"
cat >"$dir/package.json" <<JSON
{
  "name": "reconcile-balena-cli-host",
  "private": true,
  "dependencies": {"balena-cli": "$version"},
  "overrides": {"balena-preload": "16.0.0", "unbzip2-stream": "1.4.3"}
}
JSON
echo "install-balena-cli: npm install balena-cli@$version into $dir (a few minutes the first time)" >&2
(cd "$dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
[ "$(BALENARC_NO_ANALYTICS=1 "$cli" version 2>/dev/null)" = "$version" ] ||
  { echo "install-balena-cli: $cli does not answer 'balena version' with $version" >&2; exit 1; }
echo "$cli"
