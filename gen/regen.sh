#!/bin/sh
# Regenerates the generated sources from proto/ into OUT_DIR (default: the
# gen/ folder itself): protoc-c's messages, then the stubs of stubgen.
# Needs protoc-c and a C compiler; CI runs it into a scratch folder and
# compares the result with the committed gen/ (tests/gen_fresh.sh).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${1:-$here}
cc=${CC:-cc}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$out"
rm -rf "$out/billing"
# Sorted, so the output never depends on the directory order.
protos=$(cd "$root/proto" && ls billing/v1/*.proto | LC_ALL=C sort)
(cd "$root/proto" && protoc-c --proto_path=. --c_out="$out" $protos)

# services.inc: the headers, services and messages stubgen walks.
headers=$(cd "$out" && ls billing/v1/*.pb-c.h | LC_ALL=C sort)
{
	for h in $headers; do echo "#include \"$h\""; done
	echo "static const char *const HEADERS[] = {"
	for h in $headers; do echo "	\"$h\","; done
	echo "};"
	echo "static const struct { const ProtobufCServiceDescriptor *desc; const char *sym; } SERVICES[] = {"
	(cd "$out" && cat $headers) |
	    sed -n 's/^extern const ProtobufCServiceDescriptor \([a-z0-9_]*\)__descriptor;$/	{ \&\1__descriptor, "\1" },/p'
	echo "};"
	echo "static const struct { const ProtobufCMessageDescriptor *desc; const char *sym; } MESSAGES[] = {"
	(cd "$out" && cat $headers) |
	    sed -n 's/^extern const ProtobufCMessageDescriptor \([a-z0-9_]*\)__descriptor;$/	{ \&\1__descriptor, "\1" },/p'
	echo "};"
} >"$tmp/services.inc"

srcs=""
for h in $headers; do srcs="$srcs $out/${h%.h}.c"; done
$cc -std=c11 -O0 -I"$out" -I"$tmp" -o "$tmp/stubgen" \
    "$here/stubgen/stubgen.c" $srcs -lprotobuf-c
"$tmp/stubgen" "$out"
