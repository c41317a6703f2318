#!/usr/bin/env bash
# Installs Debian's chromium for the OIDC browser test (oidc/browser_test.go,
# driven by chromedp). Safe to run repeatedly; does nothing when chromium is
# already installed. .ci/run calls it before `go test`.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version
