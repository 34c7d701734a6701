#!/usr/bin/env bash
# Builds a Debian 12 root file system from Debian's repository alone (no image registry), for
# the offline container image and for the .deb install test:
#   packaging/offline-rootfs.sh OUT.tar [PACKAGE...]
# The tar (uncompressed, for `docker import`) holds the essential set plus PACKAGEs. It is kept
# when OUT.tar.pkgs already lists the same packages, so reruns cost nothing.
# Needs root and mmdebstrap (packaging/install-deps.sh installs it).
set -euo pipefail
if (($# < 1)); then
    echo "usage: $0 OUT.tar [PACKAGE...]" >&2
    exit 2
fi
out="$1"
shift
want="docs=${PORTOLAN_ROOTFS_DOCS:-0}${PORTOLAN_ROOTFS_NO_USRMERGE:+ no-usrmerge} $(printf '%s\n' "$@" | sort -u | tr '\n' ' ')"
if [[ -s "$out" && -f "$out.pkgs" && "$(cat "$out.pkgs")" == "$want" ]]; then
    echo "offline-rootfs: $out is up to date"
    exit 0
fi
command -v mmdebstrap >/dev/null || {
    echo "offline-rootfs: mmdebstrap is missing; run packaging/install-deps.sh" >&2
    exit 1
}
include=()
(($# > 0)) && include=("--include=$(IFS=,; echo "$*")")
# Documentation and locales are left out to keep the image small, unless the caller needs them
# (the .deb test checks the man pages): PORTOLAN_ROOTFS_DOCS=1.
slim=()
if [[ "${PORTOLAN_ROOTFS_DOCS:-0}" != 1 ]]; then
    slim=(--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*'
          --dpkgopt='path-include=/usr/share/doc/*/copyright'
          --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*')
fi
# PORTOLAN_ROOTFS_NO_USRMERGE=1: merged /usr by mmdebstrap's own hook, as debootstrap and the
# debian:bookworm images do, instead of the usrmerge package and the full Perl it pulls in
# (about 50 MB that a container never runs; the agent's image uses it).
hooks=()
[[ -n "${PORTOLAN_ROOTFS_NO_USRMERGE:-}" ]] && hooks=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr)
rm -f "$out" "$out.pkgs"
# --variant=essential: dpkg and the essential set, no apt; --format=tar for docker import.
mmdebstrap --mode=root --variant=essential --format=tar "${include[@]}" "${slim[@]}" "${hooks[@]}" \
    bookworm "$out.part" </dev/null
mv "$out.part" "$out"
printf '%s' "$want" >"$out.pkgs"
echo "offline-rootfs: wrote $out ($(du -h "$out" | cut -f1))"
