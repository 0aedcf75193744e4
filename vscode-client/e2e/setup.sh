#!/usr/bin/env bash
# Sets up the real workbench for `make e2e`, offline (see ../../shared spec vscode-e2e.md): code-server (VS Code for
# the browser) from npm with its install steps done by hand (npm here runs no install scripts and nothing may be
# downloaded from outside the registries), and puppeteer-core to drive Debian's chromium.
# Idempotent: the cache folder is redone only when a pinned version changes (stamp file, like the npm stamps).
set -euo pipefail
CODE_SERVER_VERSION=4.100.3 # the newest code-server that accepts Node 20 (4.103+ need Node 22)
PUPPETEER_VERSION=24.43.1
here="$(cd "$(dirname "$0")" && pwd)"
cache="$here/.cache"
stamp="$cache/.stamp"
want="code-server@$CODE_SERVER_VERSION puppeteer-core@$PUPPETEER_VERSION"

missing=()
for pkg in chromium:/usr/bin/chromium ripgrep:/usr/bin/rg libkrb5-dev:/usr/include/krb5.h; do
  [ -e "${pkg#*:}" ] || missing+=("${pkg%%:*}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "e2e: installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
echo "e2e: setting up $want in $cache (once)"
rm -rf "$cache"
mkdir -p "$cache"
cd "$cache"
echo '{"name": "cnikit-e2e-cache", "private": true}' > package.json
export npm_config_nodedir=/usr # node-gyp uses the installed Node's headers, never downloads them
npm install --no-audit --no-fund --loglevel=error --ignore-scripts \
  "code-server@$CODE_SERVER_VERSION" "puppeteer-core@$PUPPETEER_VERSION"
npm rebuild --loglevel=error argon2 --build-from-source

vscode="$cache/node_modules/code-server/lib/vscode"
gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
(
  cd "$vscode"
  npm install --no-audit --no-fund --loglevel=error --omit=dev --ignore-scripts
  npm rebuild --loglevel=error native-watchdog @vscode/spdlog @vscode/deviceid
  # node-pty's postinstall fails only at an optional compile_commands step, after pty.node is built.
  npm rebuild --loglevel=error node-pty || test -f node_modules/node-pty/build/Release/pty.node
  (cd node_modules/kerberos && node "$gyp" rebuild --nodedir=/usr >/dev/null)
  mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  ln -sfn node_modules node_modules.asar
  cd extensions && npm install --no-audit --no-fund --loglevel=error --omit=dev --ignore-scripts
)
cs="$cache/node_modules/code-server/lib/vscode/bin"
ln -sfn code-linux.sh "$cs/remote-cli/code-server"
ln -sfn browser-linux.sh "$cs/helpers/browser.sh"
echo "$want" > "$stamp"
