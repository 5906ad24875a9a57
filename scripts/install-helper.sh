#!/bin/sh
# install-helper.sh HELPER BINDIR [GROUP]: install greywall-netns-helper
# (as root) so that the members of GROUP (default greywall) can use
# `greywall --no-bwrap --netns PIN`:
#   - GROUP is created (a system group) when missing;
#   - BINDIR/greywall-netns-helper, root:GROUP 0750, with the file
#     capabilities cap_net_admin,cap_sys_admin (and nothing more);
#   - a tmpfiles.d entry (in $TMPFILES_DIR, default /etc/tmpfiles.d) that
#     makes /run/greywall at every boot, and /run/greywall itself now.
#
# /run/greywall is 1770 root:GROUP: the helper creates pins as the calling
# user (it holds no CAP_DAC_OVERRIDE), so the group must be able to write
# there, and the sticky bit keeps members from removing each other's pins.
# It is never writable by every user.  greywall finds the helper next to
# its own binary, so BINDIR should be where greywall is installed.
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 HELPER BINDIR [GROUP]" >&2
	exit 2
fi
helper=$1
bindir=$2
group=${3:-greywall}
tmpfiles_dir=${TMPFILES_DIR:-/etc/tmpfiles.d}

if [ "$(id -u)" != 0 ]; then
	echo "install-helper: must run as root (it sets file capabilities and creates /run/greywall)" >&2
	exit 1
fi
if ! command -v setcap >/dev/null 2>&1; then
	echo "install-helper: setcap is missing (Debian: apt-get install libcap2-bin)" >&2
	exit 1
fi

getent group "$group" >/dev/null || groupadd --system "$group"
install -d -m 0755 "$bindir"
# Installed under a temporary name and renamed, so that a running helper
# is never rewritten in place and no half-installed file has capabilities.
tmp=$bindir/.greywall-netns-helper.new
install -o root -g "$group" -m 0750 "$helper" "$tmp"
setcap cap_net_admin,cap_sys_admin+ep "$tmp"
mv -f "$tmp" "$bindir/greywall-netns-helper"

install -d -m 0755 "$tmpfiles_dir"
printf 'd /run/greywall 1770 root %s -\n' "$group" >"$tmpfiles_dir/greywall.conf"
install -d -o root -g "$group" -m 1770 /run/greywall

echo "installed $bindir/greywall-netns-helper ($(getcap "$bindir/greywall-netns-helper" | sed 's/^[^ ]* //'))"
echo "pins go to /run/greywall (1770 root:$group; $tmpfiles_dir/greywall.conf recreates it at boot)"
echo "let a user create and use pins: usermod -aG $group USER (then log in again)"
