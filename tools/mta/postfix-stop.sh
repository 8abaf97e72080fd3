#!/usr/bin/env bash
# postfix-stop.sh - stop the test MTA started by postfix-start.sh.
#
# --clean also deletes the delivered messages from the catch-all Maildir
# (new/ and cur/), so the next run starts with an empty mailbox.
# Environment: SURICRON_MTA_USER as for postfix-start.sh.
set -euo pipefail

mail_user=${SURICRON_MTA_USER:-suricron-mail}
clean=false
for arg in "$@"; do
	case $arg in
	--clean) clean=true ;;
	*) printf 'usage: %s [--clean]\n' "$0" >&2; exit 2 ;;
	esac
done

[[ $(id -u) == 0 ]] || { echo "postfix-stop: must run as root" >&2; exit 1; }

if [[ -x /usr/sbin/postfix ]] && postfix status >/dev/null 2>&1; then
	postfix stop >/dev/null 2>&1
	echo "postfix-stop: stopped" >&2
else
	echo "postfix-stop: not running" >&2
fi

if $clean && id "$mail_user" >/dev/null 2>&1; then
	maildir=$(getent passwd "$mail_user" | cut -d: -f6)/Maildir
	for sub in new cur tmp; do
		[[ -d $maildir/$sub ]] && find "$maildir/$sub" -mindepth 1 -maxdepth 1 -type f -delete
	done
	echo "postfix-stop: emptied $maildir" >&2
fi
