# shellcheck shell=bash
# Containers and images on a scenario's dockerd (part of lib.sh, sourced by it): docker runs that
# survive a port race, published ports, the busybox image, and what is running.

# Docker picks -P host ports from a range that other sockets on this machine share (other
# dockerds, the loopback load of the balancer tests): a port taken between Docker's choice and
# its bind fails `docker run` with "address already in use". Then the run is made again, after
# removing what it created; Docker picks another port. `run -d` prints no id when the start
# fails, so a named container is removed by its --name.
dk() {
    [ "${1:-}" = run ] || { timeout 60 docker "$@"; return; }
    local attempt out rc id name='' prev='' a err=$IT_DIR/dk-run.err
    for a in "$@"; do
        [ "$prev" = --name ] && name=$a
        [[ $a == --name=* ]] && name=${a#--name=}
        prev=$a
    done
    for attempt in 1 2 3 4 5; do
        rc=0
        out=$(timeout 60 docker "$@" 2>"$err") || rc=$?
        if [ "$rc" != 0 ] && [ "$attempt" -lt 5 ] && grep -q 'address already in use' "$err"; then
            id=$(grep -oE '^[0-9a-f]{64}$' <<<"$out" | head -n 1 || true)
            [ -n "$id" ] || id=$name
            [ -z "$id" ] || timeout 30 docker rm -f "$id" >/dev/null 2>&1 || true
            continue
        fi
        [ -z "$out" ] || printf '%s\n' "$out"
        cat "$err" >&2
        return "$rc"
    done
}

# host_port CONTAINER PORT[/PROTO]: the host port Docker published for it (the IPv4 binding
# when there are several, as docs/compatibility.md says the agent picks).
host_port() {
    local spec=$2 lines
    [[ $spec == */* ]] || spec=$spec/tcp
    lines=$(dk port "$1" "$spec")
    { grep -v '^\[' <<<"$lines" || echo "$lines"; } | head -n 1 | sed 's/.*://'
}

id12() { dk inspect -f '{{.Id}}' "$1" | cut -c1-12; }

# The rootfs tarball (busybox and a few applet links) is built once and shared by runs.
_rootfs_tar() {
    local sum dir tar
    sum=$(sha256sum "$(command -v busybox)" | cut -c1-12)
    dir=$IT_ROOT/portolan-it-cache
    tar=$dir/rootfs-busybox-$sum.tar
    if [ ! -s "$tar" ]; then
        mkdir -p "$dir"
        local r
        r=$(mktemp -d "$dir/rootfs.XXXXXX")
        mkdir -p "$r/bin" "$r/tmp" "$r/etc"
        cp "$(command -v busybox)" "$r/bin/busybox"
        for c in sh sleep nc httpd cat ls true; do ln -s busybox "$r/bin/$c"; done
        tar -C "$r" -cf "$tar.$$" .
        mv "$tar.$$" "$tar"
        rm -rf "$r"
    fi
    echo "$tar"
}

# build_image NAME [EXPOSE...]: e.g. build_image example/redis 6379; build_image example/dns 53/udp
# The command exits at once on SIGTERM (a plain sleep as pid 1 would ignore it and make every
# docker stop wait 10 s).
build_image() {
    local name=$1 p
    shift
    local args=(-c 'CMD ["/bin/sh","-c","trap \"exit 0\" TERM INT; sleep 3600 & wait"]')
    for p in "$@"; do args+=(-c "EXPOSE $p"); done
    dk import "${args[@]}" - "$name" <"$(_rootfs_tar)" >/dev/null || fail "docker import of $name failed"
}

# Everything Docker says is running, as `docker inspect` JSON ("[]" when nothing runs).
docker_running_json() {
    local ids
    ids=$(dk ps -q)
    if [ -z "$ids" ]; then echo '[]'; else dk inspect $ids; fi
}
