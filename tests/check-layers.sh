#!/bin/sh
# Fails when a folder includes a header of a layer above its own, or of
# another folder of its own layer: the arrows run one way.
#
#   base/ < kernel/ < relay/, netpolicy/ < core/ < cni/, ctl/
#
# usage: tests/check-layers.sh DIR...   (from the top of the tree)
rank() {
	case "$1" in
	base) echo 0 ;;
	kernel) echo 1 ;;
	relay | netpolicy) echo 2 ;;
	core) echo 3 ;;
	cni | ctl) echo 4 ;;
	*) echo "" ;;
	esac
}

bad=0
for dir in "$@"; do
	from=$(rank "$dir")
	[ -n "$from" ] || { echo "check-layers: $dir is not a layer" >&2; exit 2; }
	for file in "$dir"/*.[chS]; do
		[ -e "$file" ] || continue
		# Every include of the tree names its folder.
		grep -n '^#include "' "$file" | while IFS= read -r line; do
			target=$(printf '%s\n' "$line" | sed 's/.*#include "\([^"]*\)".*/\1/')
			to_dir=${target%%/*}
			to=$(rank "$to_dir")
			if [ "$to_dir" = "$target" ] || [ -z "$to" ]; then
				echo "$file:${line%%:*}: include \"$target\" does not name a layer's folder"
			elif [ "$to_dir" != "$dir" ] && [ "$to" -ge "$from" ]; then
				echo "$file:${line%%:*}: $dir/ may not include $target ($to_dir/ is not below $dir/)"
			fi
		done
	done
done >/tmp/check-layers.$$
if [ -s /tmp/check-layers.$$ ]; then
	cat /tmp/check-layers.$$
	bad=1
fi
rm -f /tmp/check-layers.$$
[ "$bad" = 0 ] && echo "check-layers: every include runs down the layers"
exit "$bad"
