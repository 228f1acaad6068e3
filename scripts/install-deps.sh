#!/usr/bin/env bash
# Installs the Debian 12 packages the project builds, runs and tests with.
# Idempotent: only missing packages are installed. Needs root (or sudo).
#   scripts/install-deps.sh              everything (build, run, test)
#   scripts/install-deps.sh --build-only what scripts/build.sh needs (the
#                                        build stage of docker/Dockerfile)
# The project runs its own private PostgreSQL (and MariaDB) instances; it
# never uses the system-wide clusters these packages may create.
set -euo pipefail

BUILD_PKGS=(
	build-essential cmake pkg-config git ca-certificates
	libprotobuf-c-dev protobuf-c-compiler
	libnng-dev
	libpq-dev
	libmicrohttpd-dev libcmocka-dev libjansson-dev
	libcurl4-openssl-dev
	libmariadb-dev
)
TEST_PKGS=(
	postgresql-15 postgresql-client-15
	mariadb-server
	clang libclang-rt-14-dev
	procps iproute2 openssl
	wrk curl
	python3 python3-yaml
	debootstrap
)
PKGS=("${BUILD_PKGS[@]}")
[ "${1:-}" = "--build-only" ] || PKGS+=("${TEST_PKGS[@]}")

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
