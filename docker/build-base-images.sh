#!/usr/bin/env bash
# Build the Debian base images that docker/Dockerfile needs, from a Debian
# mirror, without any container registry (for air-gapped sites).
#
#   debian:bookworm       minbase rootfs (build stage)
#   debian:bookworm-slim  same rootfs with docs/man pages/locales stripped and
#                         dpkg told not to install them again (runtime stages)
#
# Usage: docker/build-base-images.sh [--force] [--mirror URL] [--security-mirror URL]
#   --force            rebuild even if the images already exist
#   --mirror URL       Debian mirror (default: read from the host's apt sources)
#   --security-mirror  debian-security mirror (default: from host apt sources,
#                      else derived from --mirror)
# Env: ISMO_DEBIAN_SUITE (default bookworm), ISMO_DEBOOTSTRAP_TMP (work dir parent).
set -euo pipefail

SUITE="${ISMO_DEBIAN_SUITE:-bookworm}"
FORCE=0
MIRROR=""
SEC_MIRROR=""

log() { printf '[build-base-images] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --mirror) shift; MIRROR="${1:?--mirror needs a URL}" ;;
    --security-mirror) shift; SEC_MIRROR="${1:?--security-mirror needs a URL}" ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
  shift
done

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap needs it)"
command -v docker >/dev/null || die "docker not found"
command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install debootstrap)"
docker info >/dev/null 2>&1 || die "docker daemon not reachable (is dockerd running?)"

# --- find the mirror(s) from the host's apt configuration -------------------
# Prints the URIs of all deb entries, one per line, in file order.
host_uris() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'tolower($1)=="uris:" { for (i=2;i<=NF;i++) print $i }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1=="deb" { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f"
  done
}
if [ -z "$MIRROR" ]; then
  MIRROR="$(host_uris | grep -v -- '-security' | grep -E '/debian/?$' | head -n1 || true)"
  [ -n "$MIRROR" ] || MIRROR="$(host_uris | grep -v -- '-security' | head -n1 || true)"
fi
[ -n "$MIRROR" ] || die "no Debian mirror found in /etc/apt sources; pass --mirror URL"
MIRROR="${MIRROR%/}"
if [ -z "$SEC_MIRROR" ]; then
  SEC_MIRROR="$(host_uris | grep -- '-security' | head -n1 || true)"
  [ -n "$SEC_MIRROR" ] || SEC_MIRROR="${MIRROR}-security"
fi
SEC_MIRROR="${SEC_MIRROR%/}"
log "suite: $SUITE  mirror: $MIRROR  security mirror: $SEC_MIRROR"

exists() { docker image inspect "$1" >/dev/null 2>&1; }

FULL="debian:${SUITE}"
SLIM="debian:${SUITE}-slim"
need_full=1; need_slim=1
if [ "$FORCE" -eq 0 ]; then
  exists "$FULL" && { log "$FULL already exists, skipping (use --force to rebuild)"; need_full=0; }
  exists "$SLIM" && { log "$SLIM already exists, skipping (use --force to rebuild)"; need_slim=0; }
fi
if [ "$need_full" -eq 0 ] && [ "$need_slim" -eq 0 ]; then
  log "nothing to do"
  exit 0
fi

WORK="$(mktemp -d "${ISMO_DEBOOTSTRAP_TMP:-/var/tmp}/ismo-base.XXXXXX")"
cleanup() { rm -rf --one-file-system "$WORK" 2>/dev/null || true; }
trap cleanup EXIT
ROOT="$WORK/rootfs"

log "debootstrap --variant=minbase $SUITE into $ROOT (takes a few minutes)"
if ! debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
  tail -n 40 "$WORK/debootstrap.log" >&2 || true
  [ -f "$ROOT/debootstrap/debootstrap.log" ] && tail -n 40 "$ROOT/debootstrap/debootstrap.log" >&2
  die "debootstrap failed"
fi

# --- make apt usable inside containers built from the image ----------------
log "writing apt sources and container-friendly apt/dpkg configuration"
rm -f "$ROOT/etc/apt/sources.list"
cat >"$ROOT/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: ${MIRROR}
Suites: ${SUITE} ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${SEC_MIRROR}
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
# Snapshot / internal mirrors often serve Release files past their Valid-Until.
cat >"$ROOT/etc/apt/apt.conf.d/90ismo-mirror" <<'CONF'
Acquire::Check-Valid-Until "false";
Acquire::Languages "none";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
CONF
# Same clean-up hooks as the official images: keep layers small.
cat >"$ROOT/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CONF
# No daemons may start during image builds.
cat >"$ROOT/usr/sbin/policy-rc.d" <<'P'
#!/bin/sh
exit 101
P
chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
: >"$ROOT/etc/resolv.conf"
echo "$SUITE" >"$ROOT/etc/hostname"
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* \
       "$ROOT"/var/log/*.log "$ROOT"/var/log/apt/* "$ROOT/debootstrap" || true

IMPORT_CHANGES=(-c 'CMD ["bash"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
if [ "$need_full" -eq 1 ]; then
  log "importing $FULL"
  tar --numeric-owner -C "$ROOT" -c . | docker import "${IMPORT_CHANGES[@]}" - "$FULL" >/dev/null
fi

if [ "$need_slim" -eq 1 ]; then
  log "stripping docs, man pages and locales for $SLIM"
  cat >"$ROOT/etc/dpkg/dpkg.cfg.d/docker" <<'CONF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
CONF
  find "$ROOT/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$ROOT/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/groff/* \
         "$ROOT"/usr/share/lintian/* "$ROOT"/usr/share/linda/*
  find "$ROOT/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  log "importing $SLIM"
  tar --numeric-owner -C "$ROOT" -c . | docker import "${IMPORT_CHANGES[@]}" - "$SLIM" >/dev/null
fi

for img in "$FULL" "$SLIM"; do
  exists "$img" || die "$img missing after build"
done
log "checking apt works inside $SLIM"
if docker run --rm "$SLIM" sh -c 'test -s /etc/apt/sources.list.d/debian.sources && command -v apt-get >/dev/null'; then
  log "ok"
else
  die "$SLIM does not contain a usable apt configuration"
fi
for img in "$FULL" "$SLIM"; do
  log "  $img  $(docker image inspect -f '{{.Size}}' "$img") bytes"
done
log "done"
