#!/usr/bin/env bash
# The Debian packages (docs/packaging.md): packaging/deb/build-deb.sh on the test's build tree,
# lintian (an error fails, and every other tag must be explained in docs/packaging.md), the
# manual pages against the programs' own help, then dpkg -i, the programs, dpkg -r and dpkg -P
# in a clean Debian 12 root: a container of the offline base (packaging/offline-rootfs.sh with
# the packages the .debs depend on, so no network is needed), run with --network none on a
# private dockerd. After the purge the container's files must be as before the install.
#
# Environment: PORTOLAN_BUILD_DIR (the build tree; the base's tar is cached under it),
# PORTOLAN_DEB_DASHBOARD=1 when the build has the dashboard (ctest sets both).
source "$(dirname "$0")/../integration/lib.sh"

need_tools dpkg-deb dpkg-shlibdeps lintian mmdebstrap man gzip
BUILD=${PORTOLAN_BUILD_DIR:?PORTOLAN_BUILD_DIR is not set (ctest sets it to the build tree)}
SRC=$(cd "$IT_LIB_DIR/../.." && pwd)
WITH_DASHBOARD=${PORTOLAN_DEB_DASHBOARD:-1}
t_start=$(now_ms)

# ---------------------------------------------------------------- build and lint
"$SRC/packaging/deb/build-deb.sh" "$BUILD" "$IT_DIR/debs" >"$IT_DIR/build-deb.log" 2>&1 ||
    fail "build-deb.sh failed: $(cat "$IT_DIR/build-deb.log")"
build_ms=$(($(now_ms) - t_start))
agent_deb=$(ls "$IT_DIR"/debs/portolan_*.deb)
debs=("$agent_deb")
if [ "$WITH_DASHBOARD" = 1 ]; then
    dash_deb=$(ls "$IT_DIR"/debs/portolan-dashboard_*.deb 2>/dev/null) ||
        fail "no portolan-dashboard .deb: $(cat "$IT_DIR/build-deb.log")"
    debs+=("$dash_deb")
fi
version=$(dpkg-deb -f "$agent_deb" Version)
say "built ${debs[*]##*/} in $build_ms ms"

t0=$(now_ms)
lintian --tag-display-limit 0 --display-info "${debs[@]}" >"$IT_DIR/lintian.txt" 2>&1 || true
lint_ms=$(($(now_ms) - t0))
grep -q '^E: ' "$IT_DIR/lintian.txt" && fail "lintian errors:
$(grep '^E: ' "$IT_DIR/lintian.txt")"
# Every tag left must be explained in docs/packaging.md's table (a line "| `tag` | ...").
tags=$(sed -n 's/^[WIP]: [^ ]*: \([a-z0-9.+-]*\).*/\1/p' "$IT_DIR/lintian.txt" | sort -u)
for tag in $tags; do
    grep -q "^| \`$tag\` |" "$SRC/docs/packaging.md" ||
        fail "lintian tag $tag is not explained in docs/packaging.md:
$(grep ": $tag" "$IT_DIR/lintian.txt")"
done
lint_summary="$(grep -c '^W: ' "$IT_DIR/lintian.txt" || true) W, $(grep -c '^I: ' "$IT_DIR/lintian.txt" || true) I"
say "lintian: no error, $lint_summary, all explained, in $lint_ms ms"

# The manual pages describe every option the programs list (the roff writes - as \-).
man_covers() { # PAGE HELP_TEXT
    local opt missing=()
    for opt in $(sed -n 's/^ *\(-[a-zA-Z][a-zA-Z-]*\).*/\1/p' <<<"$2" | sort -u); do
        # an option entry: a .B/.BI/.BR line naming it whole (\-feed is not \-feed\-cert)
        grep -qE -- "^\.B[IR]? (.* )?${opt//-/\\\\-}([^a-zA-Z\\]|\$)" "$1" || missing+=("$opt")
    done
    [ ${#missing[@]} = 0 ] || fail "${1##*/} does not describe ${missing[*]}"
}
man_covers "$SRC/packaging/man/portolan.8" "$("$BUILD/app/agent/portolan" -help)"
# portolan-lb joins the agent's package once the build has it (build-deb.sh picks it up).
LB_BIN=$BUILD/app/lb/portolan-lb
[ -x "$LB_BIN" ] && man_covers "$SRC/packaging/man/portolan-lb.8" "$("$LB_BIN" -help 2>&1)"
[ "$WITH_DASHBOARD" = 1 ] && man_covers "$SRC/packaging/man/portolan-dashboard.1" \
    "$("$BUILD/app/dashboard/portolan-dashboard" --help | sed 's/^ *-[a-z], /  /')"

# ---------------------------------------------------------------- the clean root
# Its packages: the essential set plus what the .debs depend on (first of each alternative),
# with documentation kept so that our manual pages are installed, not filtered out.
deps=$(for d in "${debs[@]}"; do dpkg-deb -f "$d" Depends; done |
    tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep -v '^$' | sort -u)
base=$BUILD/packaging-cache/deb-root.tar
mkdir -p "$(dirname "$base")"
t0=$(now_ms)
PORTOLAN_ROOTFS_DOCS=1 "$SRC/packaging/offline-rootfs.sh" "$base" $deps >"$IT_DIR/rootfs.log" 2>&1 ||
    fail "offline-rootfs.sh failed: $(tail -n 20 "$IT_DIR/rootfs.log")"
rootfs_ms=$(($(now_ms) - t0))
say "$(tail -n 1 "$IT_DIR/rootfs.log") in $rootfs_ms ms"

start_dockerd
t0=$(now_ms)
dk import "$base" portolan-deb-root:test >/dev/null
dk run -d --name deb-root --network none portolan-deb-root:test sleep 3600 >/dev/null
import_ms=$(($(now_ms) - t0))
inside() { timeout 60 docker exec deb-root "$@"; }
# What a purge must give back: every path outside dpkg's own records and the kernel's trees.
snapshot() {
    inside find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /var/lib/dpkg \
        -o -path /var/log -o -path /tmp \) -prune -o -print | sort
}
# The directories systemd owns on a real host (the container has no systemd package), where
# the operator's enable link and deb-systemd-helper's records go.
inside mkdir -p /etc/systemd/system /var/lib/systemd
snapshot >"$IT_DIR/files-before.txt"
inside mkdir /tmp/debs
for d in "${debs[@]}"; do dk cp "$d" deb-root:/tmp/debs/; done

# ---------------------------------------------------------------- install and run
inside sh -c "dpkg -i /tmp/debs/*.deb" >"$IT_DIR/dpkg-i.txt" 2>&1 || fail "dpkg -i failed: $(cat "$IT_DIR/dpkg-i.txt")"
grep -q 'systemctl enable --now portolan' "$IT_DIR/dpkg-i.txt" ||
    fail "postinst did not tell how to start the agent: $(cat "$IT_DIR/dpkg-i.txt")"
got=$(inside portolan -version)
assert_eq "$got" "portolan ${version%-*}" "portolan -version in the clean root"
inside sh -c 'portolan -help | grep -q -- "-ttl-refresh"' || fail "portolan -help lists no -ttl-refresh"
if [ "$WITH_DASHBOARD" = 1 ]; then
    # No display in the container: --help and --version must not need one.
    inside env -u DISPLAY -u WAYLAND_DISPLAY portolan-dashboard --help >"$IT_DIR/dash-help.txt" 2>&1 ||
        fail "portolan-dashboard --help failed: $(cat "$IT_DIR/dash-help.txt")"
    grep -q -- '--etcd <URL>' "$IT_DIR/dash-help.txt" || fail "--help lists no --etcd: $(cat "$IT_DIR/dash-help.txt")"
    got=$(inside env -u DISPLAY portolan-dashboard --version)
    assert_eq "$got" "dashboard ${version%-*}" "portolan-dashboard --version in the clean root"
    # The views load with only the declared dependencies: every QML module they import is
    # there (offscreen, software drawing: the container has neither display nor GPU).
    # Its settings go to a HOME under /tmp: a user's files are not the package's.
    inside env HOME=/tmp/home QT_QPA_PLATFORM=offscreen QT_QUICK_BACKEND=software \
        portolan-dashboard --etcd http://127.0.0.1:9 --screenshot /tmp/dash.png >"$IT_DIR/dash-run.txt" 2>&1 ||
        fail "portolan-dashboard did not load its views: $(cat "$IT_DIR/dash-run.txt")"
    inside test -s /tmp/dash.png || fail "portolan-dashboard wrote no screenshot"
    grep -q 'module .* is not installed' "$IT_DIR/dash-run.txt" && fail "a QML module is missing: $(cat "$IT_DIR/dash-run.txt")"
fi

# Files where Debian puts them.
expect_files=(/usr/bin/portolan /lib/systemd/system/portolan.service /etc/default/portolan
    /usr/share/man/man8/portolan.8.gz /usr/share/doc/portolan/copyright
    /usr/share/doc/portolan/changelog.Debian.gz)
[ -x "$LB_BIN" ] && expect_files+=(/usr/bin/portolan-lb /usr/share/man/man8/portolan-lb.8.gz)
[ "$WITH_DASHBOARD" = 1 ] && expect_files+=(/usr/bin/portolan-dashboard
    /usr/share/applications/portolan-dashboard.desktop
    /usr/share/icons/hicolor/scalable/apps/portolan-dashboard.svg
    /usr/share/man/man1/portolan-dashboard.1.gz /usr/share/doc/portolan-dashboard/copyright
    /usr/share/doc/portolan-dashboard/changelog.Debian.gz)
for f in "${expect_files[@]}"; do inside test -f "$f" || fail "$f is not installed"; done
inside sh -c 'zcat /usr/share/man/man8/portolan.8.gz | grep -q "^\.TH PORTOLAN 8"' || fail "portolan.8.gz is not the manual page"
inside sh -c "dpkg-query -W -f='\${Conffiles}' portolan | grep -q '/etc/default/portolan '" ||
    fail "/etc/default/portolan is not a conffile"
# Neither enabled nor started by the package.
inside test ! -e /etc/systemd/system/multi-user.target.wants/portolan.service ||
    fail "the package enabled portolan.service"

# The operator edits the configuration and enables the unit (systemctl enable's link).
inside sh -c 'echo "PORTOLAN_OPTS=-ip=10.0.0.5" >>/etc/default/portolan &&
    mkdir -p /etc/systemd/system/multi-user.target.wants &&
    ln -s /lib/systemd/system/portolan.service /etc/systemd/system/multi-user.target.wants/portolan.service'

# An upgrade (the same package again takes the same path: prerm upgrade, postinst configure
# with the old version) keeps both and says nothing about starting.
inside dpkg -i /tmp/debs/"${agent_deb##*/}" >"$IT_DIR/dpkg-upgrade.txt" 2>&1 ||
    fail "dpkg -i over the installed package failed: $(cat "$IT_DIR/dpkg-upgrade.txt")"
grep -q 'systemctl enable' "$IT_DIR/dpkg-upgrade.txt" && fail "postinst told an upgrade how to enable the agent"
inside grep -q -- '-ip=10.0.0.5' /etc/default/portolan || fail "the upgrade lost the edited /etc/default/portolan"
inside test -L /etc/systemd/system/multi-user.target.wants/portolan.service ||
    fail "the upgrade dropped the operator's enable link"

# ---------------------------------------------------------------- remove and purge
pkgs=(portolan)
[ "$WITH_DASHBOARD" = 1 ] && pkgs+=(portolan-dashboard)
inside dpkg -r "${pkgs[@]}" >"$IT_DIR/dpkg-r.txt" 2>&1 || fail "dpkg -r failed: $(cat "$IT_DIR/dpkg-r.txt")"
inside test ! -e /usr/bin/portolan || fail "dpkg -r left /usr/bin/portolan"
inside grep -q -- '-ip=10.0.0.5' /etc/default/portolan || fail "dpkg -r did not keep the edited /etc/default/portolan"
inside test -L /etc/systemd/system/multi-user.target.wants/portolan.service ||
    fail "dpkg -r dropped the operator's enable link (removal keeps configuration)"
state=$(inside dpkg-query -W -f='${db:Status-Status}' portolan)
assert_eq "$state" config-files "portolan's state after dpkg -r"

inside dpkg -P "${pkgs[@]}" >"$IT_DIR/dpkg-p.txt" 2>&1 || fail "dpkg -P failed: $(cat "$IT_DIR/dpkg-p.txt")"
inside sh -c '! dpkg-query -W portolan portolan-dashboard 2>/dev/null' || fail "dpkg still lists our packages after purge"
snapshot >"$IT_DIR/files-after.txt"
diff "$IT_DIR/files-before.txt" "$IT_DIR/files-after.txt" >"$IT_DIR/files-diff.txt" ||
    fail "the purge left the root different from before the install:
$(head -n 20 "$IT_DIR/files-diff.txt")"

total_ms=$(($(now_ms) - t_start))
result "$version (${#debs[@]} packages: $(for d in "${debs[@]}"; do printf '%s %s ' "${d##*/}" "$(du -h "$d" | cut -f1)"; done| sed 's/ $//')); lintian no error ($lint_summary, explained); dpkg -i, -version, dashboard --help/--version and offscreen views, files, upgrade and -r keep config, -P leaves the root as before; build ${build_ms} ms, lintian ${lint_ms} ms, base ${rootfs_ms} ms, import+run ${import_ms} ms, total ${total_ms} ms"
