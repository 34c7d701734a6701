#!/bin/sh
# portolan-dashboard's command line without a display (issue 13): --help and --version print and
# exit 0, a usage error exits 2 with one line on stderr, and none of them loads a platform
# plugin. ctest runs this under `env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM`.
# Usage: dashboard_cli.sh PATH/TO/portolan-dashboard VERSION
set -u
DASH=$1 VERSION=$2
OUT=$(mktemp) ERR=$(mktemp)
trap 'rm -f "$OUT" "$ERR"' EXIT
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }
for v in DISPLAY WAYLAND_DISPLAY QT_QPA_PLATFORM; do
    eval "[ -z \"\${$v+x}\" ]" || fail "$v is set; run this under env -u $v"
done

# run ARGS...: the dashboard's exit status in RC, stdout in $OUT, stderr in $ERR. QT_DEBUG_PLUGINS
# makes any plugin load visible on stderr.
run() {
    QT_DEBUG_PLUGINS=1 timeout 20 "$DASH" "$@" >"$OUT" 2>"$ERR" </dev/null
    RC=$?
}
no_plugins() {
    ! grep -qiE 'platforms|QFactoryLoader|display' "$ERR" ||
        fail "$1 touched a platform plugin or display: $(head -n 3 "$ERR")"
}

run --help
[ "$RC" = 0 ] || fail "--help exited $RC: $(head -n 3 "$ERR")"
grep -q '^Usage: .*portolan-dashboard \[options\]' "$OUT" || fail "--help: no usage line"
for opt in -h,\ --help --help-all -v,\ --version --etcd\ \<URL\> --feed\ \<URL\> \
    --feed-token-file\ \<FILE\> --prefix\ \<PREFIX\> --etcd-cacert\ \<FILE\> \
    --etcd-cert\ \<FILE\> --etcd-key\ \<FILE\> --etcd-user\ \<USER\> \
    --view\ \<NAME\> --theme\ \<THEME\> --screenshot\ \<FILE\>; do
    # every option on its own line, followed by a description on that line
    grep -qE "^ +$(printf '%s' "$opt" | sed 's/[][]/\\&/g') +[A-Z][^ ]" "$OUT" ||
        fail "--help does not describe $opt"
done
! grep -qE '^ {10,}[^ -]' "$OUT" ||
    fail "--help wraps a description: $(grep -E '^ {10,}[^ -]' "$OUT" | head -n 1)"
grep -qF 'overview|hosts|services|events|tree' "$OUT" || fail "--help does not list the views"
grep -q 'light, dark or system' "$OUT" || fail "--help does not list the themes"
[ ! -s "$ERR" ] || no_plugins --help
echo "--help: exit $RC, $(wc -l <"$OUT") lines"

run -h
if [ "$RC" != 0 ] || ! grep -q -- '--etcd <URL>' "$OUT"; then
    fail "-h exited $RC or printed no help"
fi

run --version
[ "$RC" = 0 ] || fail "--version exited $RC: $(head -n 3 "$ERR")"
grep -qx "dashboard $VERSION" "$OUT" || fail "--version printed: $(cat "$OUT")"
no_plugins --version
echo "--version: exit $RC, \"$(cat "$OUT")\""

# usage ARGS...: exit 2, nothing on stdout, exactly one line on stderr naming the problem.
usage() {
    run "$@"
    lines=$(wc -l <"$ERR")
    if [ "$RC" != 2 ] || [ "$lines" != 1 ] || [ -s "$OUT" ]; then
        fail "$*: exit $RC, $lines stderr line(s): $(head -n 3 "$ERR")"
    else
        echo "$*: exit 2, \"$(cat "$ERR")\""
    fi
}
usage --no-such-option
usage -x
usage --etcd
usage --theme purple
usage --view nowhere
usage --view=hosts stray-argument

[ "$failed" = 0 ] && echo "PASS"
exit "$failed"
