#!/usr/bin/env bash
# Debian packages the tests, the demo and the benchmarks use: the CNCF distribution registry (real registries
# for every test), skopeo (an independent client to verify what ferry wrote, and the benchmark peer),
# chromium (the status page test), `script` (progress on a pseudo-terminal; Debian ships it in bsdutils, not
# util-linux), GNU time (peak RSS in the benchmarks), openssl (the harness's test certificates). Nothing else:
# htpasswd files are written with bcryptjs (no apache2-utils), and no test needs the system CA store.
set -euo pipefail
need=()
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v script >/dev/null 2>&1 || need+=(bsdutils)
[ -x /usr/bin/time ] || need+=(time)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${need[*]}; install them as root: apt-get install -y ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
