#!/bin/sh
# check_layers.sh RULES [BUILD]: the layering of README "Architecture".
#
# RULES is "layer:used,used ..." (the Makefile's USES_<layer>, passed by
# `make layers`): a layer folder may include headers only from the layers
# it uses (itself included); main.c is the top and may include anything.
# With BUILD, the same rule at link time: no symbol a layer's archive
# (BUILD/lib<layer>.a) leaves undefined may be defined by the archive of a
# layer it does not use. Prints every violation; exits 1 if there is one.
set -u
rules=${1:?usage: check_layers.sh RULES [BUILD]}
build=${2:-}
cd "$(dirname "$0")/.." || exit 2
fail=0

uses() { # uses LAYER -> the layers it may use, space-separated
	for r in $rules; do
		[ "${r%%:*}" = "$1" ] && { echo "${r#*:}" | tr , ' '; return; }
	done
}
layers=$(for r in $rules; do printf "%s " "${r%%:*}"; done)

# Includes: every `#include "dir/..."` of a layer's files names a used layer.
for l in $layers; do
	allowed=" $(uses "$l") "
	for f in "$l"/*.c "$l"/*.h; do
		[ -e "$f" ] || continue
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"/]*/' "$f" |
		while IFS= read -r line; do
			dir=$(echo "$line" | sed 's/.*include[[:space:]]*"\([^"/]*\)\/.*/\1/')
			case " $layers " in *" $dir "*) ;; *) continue ;; esac
			case "$allowed" in *" $dir "*) ;; *)
				echo "$f:${line%%:*}: $l/ must not include $dir/ (it uses: $(uses "$l"))"
				echo x >&3 ;;
			esac
		done
	done
done 3>.layers.fail.$$
[ -s .layers.fail.$$ ] && fail=1
rm -f .layers.fail.$$

# Symbols: what a layer's archive needs must come from a layer it uses.
if [ -n "$build" ]; then
	tmp=$(mktemp -d) || exit 2
	for l in $layers; do
		[ -f "$build/lib$l.a" ] || { echo "$build/lib$l.a: missing (run make layers)"; fail=1; }
	done
	for l in $layers; do
		nm -g --defined-only "$build/lib$l.a" 2>/dev/null | awk 'NF==3 {print $3}' | sort -u > "$tmp/def.$l"
		nm -u "$build/lib$l.a" 2>/dev/null | awk 'NF==2 {print $2}' | sort -u > "$tmp/need.$l"
	done
	for l in $layers; do
		for m in $layers; do
			case " $(uses "$l") " in *" $m "*) continue ;; esac
			bad=$(comm -12 "$tmp/need.$l" "$tmp/def.$m" | tr '\n' ' ')
			if [ -n "$bad" ]; then
				echo "lib$l.a uses symbols of lib$m.a, a layer it must not use: $bad"
				fail=1
			fi
		done
	done
	rm -rf "$tmp"
fi

what=includes
[ -n "$build" ] && what="includes and symbols"
[ $fail = 0 ] && echo "layers: OK ($what)"
exit $fail
