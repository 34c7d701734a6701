#!/usr/bin/env bash
# Builds the portolan agent image and tags it portolan:<version> and portolan:latest, or with
# --lb the balancer's image portolan-lb:<version> and portolan-lb:latest, on the daemon
# DOCKER_HOST names (docs/operations.md, "Container image"; docs/load-balancing.md).
#   packaging/docker/build-image.sh [--lb] [--name NAME] [-- DOCKER-BUILD-OPTIONS...]
#       docker build of packaging/docker/Dockerfile (--lb: lb.Dockerfile): needs Debian's
#       repository and the debian:bookworm images from a registry. Options after -- go to
#       docker build (e.g. --network host, --build-arg http_proxy=...).
#   packaging/docker/build-image.sh --offline [--lb] [--binary PATH] [--cache DIR] [--name NAME]
#       No registry: a root file system made by packaging/offline-rootfs.sh from Debian's
#       packages (the binary's libraries and ca-certificates; --lb adds haproxy, nginx and
#       libnginx-mod-stream; cached in DIR, by default $PORTOLAN_BUILD_DIR/offline-rootfs), the
#       built, stripped binary, then `docker import` with the Dockerfile's settings. Needs root
#       and mmdebstrap. PATH defaults to $PORTOLAN_BUILD_DIR/app/agent/portolan, with --lb
#       $PORTOLAN_BUILD_DIR/app/lb/portolan-lb (PORTOLAN_BUILD_DIR defaults to ./build).
#   packaging/docker/build-image.sh --packages [--lb] [--binary PATH]
#       Prints the Debian packages the image installs, one a line.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${PORTOLAN_BUILD_DIR:-$root/build}
mode=dockerfile name="" binary="" cache="" lb=0
extra=()
die() { echo "build-image: $*" >&2; exit 1; }
while (($#)); do
    case "$1" in
    --offline) mode=offline ;;
    --packages) mode=packages ;;
    --lb) lb=1 ;;
    --binary) binary=${2:?--binary needs a path}; shift ;;
    --cache) cache=${2:?--cache needs a directory}; shift ;;
    --name) name=${2:?--name needs an image name}; shift ;;
    -h | --help) sed -n '2,/^set -/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
# What differs between the two images; the rest is shared.
if [[ $lb == 1 ]]; then
    program=portolan-lb dockerfile=lb.Dockerfile rootfs=lb-runtime.tar
    # portolan-lb runs `haproxy -c` / `nginx -t`: the balancer's own programs, same version.
    also=(haproxy nginx libnginx-mod-stream)
    settings=()
    description="Keeps HAProxy's or nginx's servers equal to the services in etcd"
    target="cmake --build build --target portolan-lb"
    default_binary=$build/app/lb/portolan-lb
else
    program=portolan dockerfile=Dockerfile rootfs=agent-runtime.tar
    also=()
    settings=(-c 'ENV DOCKER_HOST=unix:///tmp/docker.sock')
    description="Registers this host's published Docker ports in etcd"
    target="cmake --build build --target portolan"
    default_binary=$build/app/agent/portolan
fi
name=${name:-$program}
binary=${binary:-$default_binary}
cache=${cache:-$build/offline-rootfs}

# The Debian packages holding the libraries the binary names (its NEEDED entries, as
# dpkg-shlibdeps reads them; their own dependencies come with them), ca-certificates, and for
# the balancer's image the balancers.
runtime_packages() {
    local lib path pkg libs
    local -a found=(ca-certificates ${also[@]+"${also[@]}"})
    libs=$(ldd "$binary") || die "ldd $binary failed"
    for lib in $(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        path=$(awk -v l="$lib" '$1 == l { print $3 }' <<<"$libs")
        [[ -n "$path" ]] || die "$binary needs $lib, which is not installed here"
        pkg=""
        for p in "$path" "$(readlink -f "$path")" "/usr$path" "${path#/usr}"; do
            pkg=$(dpkg -S "$p" 2>/dev/null | head -n 1 | cut -d: -f1) && [[ -n "$pkg" ]] && break
        done
        [[ -n "$pkg" ]] || die "$lib ($path) is not from a Debian package; the image takes only Debian's"
        found+=("$pkg")
    done
    printf '%s\n' "${found[@]}" | sort -u
}

if [[ $mode == dockerfile ]]; then
    command -v docker >/dev/null || die "the docker CLI is missing (Debian package docker.io)"
    version=$(sed -n 's/^project(Portolan VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
    [[ -n "$version" ]] || die "no version in $root/CMakeLists.txt"
    docker build -f "$root/packaging/docker/$dockerfile" \
        --label "org.opencontainers.image.version=$version" \
        -t "$name:$version" -t "$name:latest" ${extra[@]+"${extra[@]}"} "$root"
    echo "build-image: built $name:$version and $name:latest on ${DOCKER_HOST:-the default daemon}"
    exit 0
fi

[[ -x "$binary" ]] || die "$binary is not an executable; build $program first ($target) or give --binary"
for tool in readelf ldd dpkg strip; do
    command -v "$tool" >/dev/null || die "$tool is missing (packages binutils, dpkg)"
done
if [[ $mode == packages ]]; then
    runtime_packages
    exit 0
fi
command -v docker >/dev/null || die "the docker CLI is missing (Debian package docker.io)"
[[ $(id -u) == 0 ]] || die "--offline needs root (mmdebstrap, and unpacking a root file system)"
version=$("$binary" -version | sed -n "s/^$program \(.*\)\$/\1/p")
[[ -n "$version" ]] || die "$binary -version printed no version"

mapfile -t packages < <(runtime_packages)
mkdir -p "$cache"
PORTOLAN_ROOTFS_NO_USRMERGE=1 "$root/packaging/offline-rootfs.sh" "$cache/$rootfs" "${packages[@]}"

work=$(mktemp -d "$cache/image.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xf "$cache/$rootfs"
# What a running program never reads (the essential variant has no apt; copyright files stay).
find "$work/usr/share/doc" -type f ! -name copyright -delete 2>/dev/null || true
rm -rf "$work"/usr/share/{man,info,locale,lintian}/* "$work"/var/cache/* "$work"/var/lib/apt/lists/*
# Old logs go, their directories stay: nginx opens /var/log/nginx/error.log before it reads its
# config, and fails without the directory.
find "$work/var/log" -type f -delete
strip -o "$work/usr/bin/$program" "$binary"
chmod 755 "$work/usr/bin/$program"

# The Dockerfile's runtime settings, one for one.
tar -C "$work" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    ${settings[@]+"${settings[@]}"} \
    -c "ENTRYPOINT [\"/usr/bin/$program\"]" \
    -c "LABEL org.opencontainers.image.title=$program org.opencontainers.image.version=$version" \
    -c "LABEL org.opencontainers.image.description=\"$description\"" \
    -m "$program $version, offline build from Debian 12 packages: ${packages[*]}" \
    - "$name:$version" >/dev/null
docker tag "$name:$version" "$name:latest"
size=$(docker image inspect -f '{{.Size}}' "$name:$version")
echo "build-image: built $name:$version and $name:latest offline on ${DOCKER_HOST:-the default daemon}," \
    "$((size / 1000000)) MB, from ${packages[*]}"
