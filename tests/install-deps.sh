#!/usr/bin/env bash
# Install the Debian 12 packages ismo needs to build, test and run, when missing.
# Usage: tests/install-deps.sh [--docker]   (--docker adds docker.io, docker-compose, debootstrap)
set -euo pipefail

pkgs=(build-essential cmake pkg-config
      libzmq3-dev libczmq-dev libprotobuf-c-dev protobuf-c-compiler liblmdb-dev lmdb-utils
      libcmocka-dev libyaml-dev libjansson-dev libcsv-dev libsodium-dev
      python3 procps iproute2
      chromium)   # tests/integration/report_html_test.sh renders the HTML report headless
if [ "${1:-}" = "--docker" ]; then
  pkgs+=(docker.io docker-compose debootstrap)
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
