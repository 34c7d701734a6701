#!/usr/bin/env bash
# Installs what Portolan needs on Debian 12 (bookworm): the build tools and Qt 6.4, the real
# services the agent and the tests talk to (dockerd, etcd), and the test tooling.
# Usage: packaging/install-deps.sh [--runtime-only]
set -euo pipefail

BUILD=(build-essential cmake ninja-build pkg-config git
       qt6-base-dev qt6-websockets-dev
       qt6-declarative-dev qt6-declarative-dev-tools
       qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
       qml6-module-qtquick-window qml6-module-qtquick-templates qml6-module-qtqml-workerscript
       qml6-module-qtqml qml6-module-qttest qml6-module-qtwebsockets)
RUNTIME=(docker.io etcd-server etcd-client busybox-static curl iproute2 openssl ca-certificates)
TEST=(clang libclang-rt-14-dev xvfb xauth libgl1-mesa-dri fonts-dejavu-core imagemagick
      chromium python3 strace systemd cloud-init)
TEST+=(prometheus) # promtool and the server for tests/integration/metrics.sh
TEST+=(haproxy nginx-light libnginx-mod-stream wrk) # the real balancers and load for portolan-lb's tests
TEST+=(mmdebstrap dpkg-dev lintian man-db desktop-file-utils) # the offline image, the .deb and its checks

packages=("${BUILD[@]}" "${RUNTIME[@]}")
if [[ "${1:-}" != "--runtime-only" ]]; then
    packages+=("${TEST[@]}")
    # The browser tests need node and npm; take Debian's only when the machine has none.
    command -v node >/dev/null || packages+=(nodejs)
    command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
