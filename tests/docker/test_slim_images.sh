#!/bin/sh
# The runtime stages of docker/Dockerfile without a Docker engine: each
# stage's RUN lines run in a debootstrap'ed debian:bookworm (minbase, as
# slim), its COPY --from=build lines copy from `cmake --install` of
# BUILD_DIR, and its program runs there as the user billing: it must
# find every library and answer (the server's and the bridge's /healthz
# through the image's own curl).
#
#   test_slim_images.sh SOURCE_DIR BUILD_DIR
#
# Needs root (chroot), debootstrap and Debian's mirror (as apt-get does).
# The base system is kept in $BILLING_SLIM_CACHE (default
# /var/tmp/billing-slim) for the next run.
set -eu

src=${1:?usage: test_slim_images.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: test_slim_images.sh SOURCE_DIR BUILD_DIR}
cache=${BILLING_SLIM_CACHE:-/var/tmp/billing-slim}
mirror=http://deb.debian.org/debian
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() {
	echo "FAIL $*"
	fails=$((fails + 1))
}

mkdir -p "$(dirname "$cache")"
exec 9>"$cache.lock"
flock 9 # another build's run may be making the cache
if [ ! -x "$cache/root/bin/sh" ]; then
	rm -rf "$cache"
	mkdir -p "$cache"
	debootstrap --variant=minbase bookworm "$cache/root" "$mirror" \
	    >"$cache/debootstrap.log" 2>&1 ||
	    { tail -n 20 "$cache/debootstrap.log"; exit 1; }
fi
flock -u 9
cmake --install "$build" --prefix "$tmp/opt/billing" >/dev/null

# The Dockerfile's instructions, one per line, per stage.
sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$src/docker/Dockerfile" |
    grep -v -e '^#' -e '^$' >"$tmp/instructions"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

for stage in server bridge migrate billctl; do
	root="$tmp/$stage"
	fails_before=$fails
	cp -a "$cache/root" "$root"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	awk -v s="$stage" '$1 == "FROM" { on = ($4 == s) } on && $1 != "FROM"' \
	    "$tmp/instructions" >"$tmp/$stage.lines"
	[ -s "$tmp/$stage.lines" ] || { fail "$stage: no such stage"; continue; }
	entry=
	while read -r word rest; do
		case "$word" in
		RUN)
			chroot "$root" sh -ec "$rest" >"$tmp/$stage.run.log" 2>&1 ||
			    { cat "$tmp/$stage.run.log"; fail "$stage: RUN $rest"; }
			;;
		COPY)
			set -- $rest
			[ "$1" = "--from=build" ] || { fail "$stage: COPY $rest"; continue; }
			cp "$tmp$2" "$root$3" || fail "$stage: COPY $rest"
			;;
		ENTRYPOINT)
			entry=$(echo "$rest" | tr -d '[]"')
			;;
		esac
	done <"$tmp/$stage.lines"
	user=$(awk '$1 == "USER" { print $2 }' "$tmp/$stage.lines")
	[ "$user" = billing ] || fail "$stage: USER is '$user'"
	as_user="chroot --userspec=billing:billing $root"
	case "$stage" in
	server)
		port=$(free_port)
		$as_user sh -c "BILLING_DATABASE_URL='postgresql:///none?host=/tmp' \
		    BILLING_LISTEN=ipc:///tmp/s.sock BILLING_JOB_WORKERS=0 \
		    BILLING_METRICS_LISTEN=127.0.0.1:$port $entry serve & pid=\$!; \
		    for i in 1 2 3 4 5 6 7 8 9 10; do \
		        code=\$(curl -s -o /dev/null -w '%{http_code}' \
		            http://127.0.0.1:$port/healthz) && break; sleep 0.2; done; \
		    kill \$pid; wait \$pid; echo \"healthz=\$code\"" \
		    >"$tmp/out" 2>&1 || true
		grep -q 'healthz=503' "$tmp/out" ||
		    { cat "$tmp/out"; fail "server: /healthz without a database"; }
		;;
	bridge)
		port=$(free_port)
		$as_user sh -c "BILLING_HTTP_LISTEN=127.0.0.1:$port \
		    BILLING_SERVER=ipc:///tmp/none.sock $entry & pid=\$!; \
		    for i in 1 2 3 4 5 6 7 8 9 10; do \
		        code=\$(curl -s -o /dev/null -w '%{http_code}' \
		            http://127.0.0.1:$port/healthz) && break; sleep 0.2; done; \
		    kill \$pid; wait \$pid; echo \"healthz=\$code\"" \
		    >"$tmp/out" 2>&1 || true
		grep -q 'healthz=503' "$tmp/out" ||
		    { cat "$tmp/out"; fail "bridge: /healthz without a server"; }
		;;
	*)
		$as_user "$entry" --help >"$tmp/out" 2>&1 ||
		    { cat "$tmp/out"; fail "$stage: $entry --help"; }
		;;
	esac
	if grep -q 'error while loading shared libraries' "$tmp/out"; then
		cat "$tmp/out"
		fail "$stage: a library is missing"
	fi
	[ "$fails" -gt "$fails_before" ] ||
	    echo "ok   $stage: $entry runs as billing"
	rm -rf "$root"
done
[ "$fails" -eq 0 ] || { echo "test_slim_images: $fails failures"; exit 1; }
echo "test_slim_images: all stages run"
