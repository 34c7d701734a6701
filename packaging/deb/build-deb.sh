#!/usr/bin/env bash
# Builds the Debian packages from a CMake build tree:
#   packaging/deb/build-deb.sh BUILD_DIR OUT_DIR
# writes OUT_DIR/portolan_<version>_<arch>.deb (the agent, and portolan-lb when BUILD_DIR has
# it) and OUT_DIR/portolan-dashboard_<version>_<arch>.deb (when BUILD_DIR has the dashboard).
# <version> is the project's version (CMakeLists.txt, as recorded in BUILD_DIR) plus the
# Debian revision of packaging/deb/changelog's newest entry, which must be for that version.
#
# Plain dpkg-deb over a staged tree, not CPack: the packages need conffiles, maintainer
# scripts, DEP-5 copyright, changelog.Debian.gz and dpkg-shlibdeps per package, which CPack
# would take as many variables as this takes lines, and the build tree is used as it is (no
# reconfigure). docs/packaging.md says more. Needs dpkg-dev and binutils; no root (the files
# are owned by root through dpkg-deb --root-owner-group).
set -euo pipefail

fail() { echo "build-deb: $*" >&2; exit 1; }
(($# == 2)) || { echo "usage: $0 BUILD_DIR OUT_DIR" >&2; exit 2; }
build=$(cd "$1" 2>/dev/null && pwd) || fail "no build directory $1"
mkdir -p "$2"
out=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
pkg_src=$(cd "$here/.." && pwd) # packaging/
for tool in dpkg-deb dpkg-shlibdeps dpkg-parsechangelog strip gzip; do
    command -v "$tool" >/dev/null || fail "$tool is missing (packaging/install-deps.sh installs dpkg-dev)"
done

# ---------------------------------------------------------------- what is being packaged
cache=$build/CMakeCache.txt
[[ -f $cache ]] || fail "$build is not a CMake build directory (no CMakeCache.txt)"
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$cache" | head -n 1; }
upstream=$(cache_value CMAKE_PROJECT_VERSION)
[[ -n $upstream ]] || fail "no CMAKE_PROJECT_VERSION in $cache"
build_type=$(cache_value CMAKE_BUILD_TYPE)
case "$build_type" in
RelWithDebInfo | Release | MinSizeRel) ;;
*) fail "$build is a '${build_type:-no type}' build; package an optimised one (-DCMAKE_BUILD_TYPE=RelWithDebInfo)" ;;
esac

changelog=$here/changelog
version=$(dpkg-parsechangelog -l "$changelog" -S Version)
[[ $version == "$upstream"-* ]] ||
    fail "packaging/deb/changelog's newest entry is $version, but the build is version $upstream: add an entry for $upstream-1 at its top"
maintainer=$(dpkg-parsechangelog -l "$changelog" -S Maintainer)
# Reproducible: every file's time and the archive members' times are the changelog entry's.
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$changelog" -S Timestamp)
export SOURCE_DATE_EPOCH
arch=$(dpkg --print-architecture)

agent=$build/app/agent/portolan
dashboard=$build/app/dashboard/portolan-dashboard
lb=$build/app/lb/portolan-lb
[[ -x $agent ]] || fail "$agent is missing; build it first (cmake --build $build --target portolan)"
got=$("$agent" -version) || fail "$agent -version failed"
[[ $got == "portolan $upstream" ]] || fail "$agent says '$got', the build tree says $upstream: rebuild"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debian"
printf 'Source: portolan\n\nPackage: portolan\nArchitecture: any\n\nPackage: portolan-dashboard\nArchitecture: any\n' \
    >"$work/debian/control"

# ---------------------------------------------------------------- helpers

# install_bin SRC STAGE: the program stripped of debug information and of the sections Debian
# strips (.comment, .note), mode 755.
install_bin() {
    install -d "$2/usr/bin"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note \
        -o "$2/usr/bin/$(basename "$1")" "$1"
    chmod 755 "$2/usr/bin/$(basename "$1")"
}

# install_man PAGE STAGE: packaging/man/PAGE, @VERSION@ filled in, gzip -9n into its section.
install_man() {
    local page=$pkg_src/man/$1 section=${1##*.}
    [[ -f $page ]] || fail "the manual page packaging/man/$1 is missing"
    install -d "$2/usr/share/man/man$section"
    sed "s/@VERSION@/$upstream/g" "$page" | gzip -9n >"$2/usr/share/man/man$section/$1.gz"
}

# install_docs PACKAGE STAGE: copyright and changelog.Debian.gz (the one changelog of the
# source package portolan, as Debian ships it for each binary package).
install_docs() {
    local doc=$2/usr/share/doc/$1
    install -d "$doc"
    install -m 644 "$here/copyright" "$doc/copyright"
    gzip -9n <"$changelog" >"$doc/changelog.Debian.gz"
}

# shlib_depends PROGRAM...: the Depends dpkg-shlibdeps computes from the libraries they link.
# It wants a source tree: the stages are $work/debian/PACKAGE, beside a minimal debian/control.
shlib_depends() {
    (cd "$work" && dpkg-shlibdeps -O "${@#"$work/"}") | sed -n 's/^shlibs:Depends=//p'
}

# build_deb PACKAGE STAGE DEPENDS: control (from packaging/deb/PACKAGE.control), md5sums, the
# maintainer scripts and conffiles when packaging/deb has them, then dpkg-deb.
build_deb() {
    local name=$1 stage=$2 depends=$3 size script
    install -d -m 755 "$stage/DEBIAN"
    for script in postinst prerm postrm; do
        [[ -f $here/$name.$script ]] && install -m 755 "$here/$name.$script" "$stage/DEBIAN/$script"
    done
    if [[ -d $stage/etc ]]; then
        (cd "$stage" && find etc -type f | sort | sed 's|^|/|') >"$stage/DEBIAN/conffiles"
        chmod 644 "$stage/DEBIAN/conffiles"
    fi
    (cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
        xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
    chmod 644 "$stage/DEBIAN/md5sums"
    size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
    sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@MAINTAINER@/$maintainer/" \
        -e "s/@INSTALLED_SIZE@/$size/" -e "s/@DEPENDS@/$depends/" \
        "$here/$name.control" >"$stage/DEBIAN/control"
    chmod 644 "$stage/DEBIAN/control"
    find "$stage" -type d -exec chmod 755 {} +
    find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    local deb=$out/${name}_${version}_$arch.deb
    dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
    echo "build-deb: wrote $deb ($(du -h "$deb" | cut -f1), installed $size KiB)"
    echo "build-deb:   Depends: $depends"
}

# ---------------------------------------------------------------- portolan
stage=$work/debian/portolan
install -d "$stage/DEBIAN" # also marks the package root for dpkg-shlibdeps
install_bin "$agent" "$stage"
install_man portolan.8 "$stage"
programs=("$stage/usr/bin/portolan")
install -D -m 644 "$pkg_src/systemd/portolan.service" "$stage/lib/systemd/system/portolan.service"
install -D -m 644 "$pkg_src/default/portolan" "$stage/etc/default/portolan"
# portolan-lb, the balancer's companion, travels in the same package once it is built, with its
# manual page and, when packaging/systemd has one, its unit.
if [[ -x $lb ]]; then
    install_bin "$lb" "$stage"
    install_man portolan-lb.8 "$stage"
    programs+=("$stage/usr/bin/portolan-lb")
    [[ -f $pkg_src/systemd/portolan-lb.service ]] &&
        install -D -m 644 "$pkg_src/systemd/portolan-lb.service" "$stage/lib/systemd/system/portolan-lb.service"
    [[ -f $pkg_src/default/portolan-lb ]] &&
        install -D -m 644 "$pkg_src/default/portolan-lb" "$stage/etc/default/portolan-lb"
    echo "build-deb: portolan-lb included"
fi
install_docs portolan "$stage"
build_deb portolan "$stage" "$(shlib_depends "${programs[@]}")"

# ---------------------------------------------------------------- portolan-dashboard
if [[ ! -x $dashboard ]]; then
    echo "build-deb: no $dashboard (built with -DPORTOLAN_DASHBOARD=OFF?): portolan-dashboard skipped"
    exit 0
fi
stage=$work/debian/portolan-dashboard
install -d "$stage/DEBIAN"
install_bin "$dashboard" "$stage"
install_man portolan-dashboard.1 "$stage"
install -D -m 644 "$pkg_src/desktop/portolan-dashboard.desktop" \
    "$stage/usr/share/applications/portolan-dashboard.desktop"
install -D -m 644 "$pkg_src/desktop/portolan-dashboard.svg" \
    "$stage/usr/share/icons/hicolor/scalable/apps/portolan-dashboard.svg"
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$stage/usr/share/applications/portolan-dashboard.desktop" ||
        fail "desktop-file-validate refuses packaging/desktop/portolan-dashboard.desktop"
fi
install_docs portolan-dashboard "$stage"
# The QML modules the views import (QtQuick, QtQuick.Controls with its Basic style and
# Templates, QtQuick.Layouts, ApplicationWindow's QtQuick.Window, and QtQml with WorkerScript
# that QtQuick imports) are loaded at run time, so no library dependency names them.
qml_modules="qml6-module-qtqml, qml6-module-qtqml-workerscript, qml6-module-qtquick,
 qml6-module-qtquick-controls, qml6-module-qtquick-layouts, qml6-module-qtquick-templates,
 qml6-module-qtquick-window"
build_deb portolan-dashboard "$stage" \
    "$(shlib_depends "$stage/usr/bin/portolan-dashboard"), $(tr -d '\n' <<<"$qml_modules")"
