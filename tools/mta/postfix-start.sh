#!/usr/bin/env bash
# postfix-start.sh - run Debian's postfix as a loopback-only test MTA.
#
# Installs postfix if it is missing, listens on 127.0.0.1:25 only, and
# delivers every recipient of every domain into one Maildir (a catch-all), so
# nothing a test sends can leave the machine. STARTTLS is offered with a
# certificate from a throw-away test CA (SAN IP:127.0.0.1, DNS:localhost), so
# clients can verify it against the CA file instead of skipping verification.
#
# Safe to run again: configuration is re-applied, the CA is reused, a running
# postfix is reloaded instead of started.
#
# stdout: the Maildir path, and nothing else (maildir=$(postfix-start.sh)).
# stderr: progress, the CA file and the log file.
#
# Environment:
#   SURICRON_MTA_USER      local user owning the Maildir (default suricron-mail)
#   SURICRON_MTA_HOSTNAME  myhostname/mailname (default sensor.test)
#   SURICRON_MTA_TLSDIR    where the test CA and server cert live
#                          (default /etc/postfix/suricron)
#   SURICRON_MTA_WAIT      seconds to wait for port 25 (default 20)
#
# Needs root, apt (only when postfix is not installed yet) and openssl.
set -euo pipefail

mail_user=${SURICRON_MTA_USER:-suricron-mail}
mail_host=${SURICRON_MTA_HOSTNAME:-sensor.test}
tls_dir=${SURICRON_MTA_TLSDIR:-/etc/postfix/suricron}
wait_secs=${SURICRON_MTA_WAIT:-20}

log() { printf 'postfix-start: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $(id -u) == 0 ]] || die "must run as root (installs packages, writes /etc/postfix)"
[[ $mail_user =~ ^[a-z_][a-z0-9_-]*$ ]] || die "bad SURICRON_MTA_USER: $mail_user"
[[ $mail_host =~ ^[A-Za-z0-9.-]+$ ]] || die "bad SURICRON_MTA_HOSTNAME: $mail_host"
[[ $wait_secs =~ ^[0-9]+$ ]] || die "bad SURICRON_MTA_WAIT: $wait_secs"

# 1. Install. "Local only" makes default_transport/relay_transport "error":
# mail for other hosts bounces locally instead of being relayed.
if [[ ! -x /usr/sbin/postfix ]]; then
	log "installing postfix"
	debconf-set-selections <<-SEL
		postfix postfix/main_mailer_type select Local only
		postfix postfix/mailname string $mail_host
	SEL
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -qq -y --no-install-recommends postfix >/dev/null
fi
command -v openssl >/dev/null || die "openssl not found"

# 2. The catch-all user and its Maildir. Created up front so readers can poll
# new/ before the first delivery.
if ! id "$mail_user" >/dev/null 2>&1; then
	log "creating user $mail_user"
	useradd --create-home --shell /usr/sbin/nologin "$mail_user"
fi
home=$(getent passwd "$mail_user" | cut -d: -f6)
[[ -n $home && -d $home ]] || die "no home directory for $mail_user"
maildir=$home/Maildir
install -d -o "$mail_user" -g "$mail_user" -m 0755 "$maildir" "$maildir/new" "$maildir/cur" "$maildir/tmp"
chmod 0755 "$home"

# 3. Test CA and server certificate, generated once.
install -d -m 0755 "$tls_dir"
if [[ ! -s $tls_dir/ca.pem || ! -s $tls_dir/server.pem || ! -s $tls_dir/server.key ]]; then
	log "generating test CA and server certificate in $tls_dir"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
		-subj "/CN=suricron test MTA CA" -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=localhost" -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:%s\nextendedKeyUsage=serverAuth\n' \
		"$mail_host" >"$tmp/ext.cnf"
	openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
		-CAcreateserial -days 3650 -extfile "$tmp/ext.cnf" -out "$tmp/server.pem" 2>/dev/null
	install -m 0644 "$tmp/ca.pem" "$tls_dir/ca.pem"
	install -m 0644 "$tmp/server.pem" "$tls_dir/server.pem"
	install -m 0600 "$tmp/server.key" "$tls_dir/server.key"
	# The CA key is not kept: nothing else should ever be signed by this CA.
fi

# 4. Catch-all: every recipient except the mailbox itself is rewritten to it.
# virtual_alias_domains is emptied because a regexp map would otherwise claim
# every domain, localhost included (postfix warns about that); the map still
# applies to all recipients.
printf '!/^%s@localhost$/ %s@localhost\n' "$mail_user" "$mail_user" >"$tls_dir/catchall.regexp"

# $myhostname below is postfix's own variable, not the shell's.
# shellcheck disable=SC2016
postconf -e \
	'inet_interfaces = loopback-only' \
	'inet_protocols = ipv4' \
	"myhostname = $mail_host" \
	'mydestination = $myhostname, localhost.localdomain, localhost' \
	'mynetworks = 127.0.0.0/8' \
	'home_mailbox = Maildir/' \
	"virtual_alias_maps = regexp:$tls_dir/catchall.regexp" \
	'virtual_alias_domains =' \
	'default_transport = error' \
	'relay_transport = error' \
	'smtpd_tls_security_level = may' \
	"smtpd_tls_cert_file = $tls_dir/server.pem" \
	"smtpd_tls_key_file = $tls_dir/server.key" \
	'smtpd_tls_received_header = yes' \
	'maillog_file = /var/log/postfix.log'
echo "$mail_host" >/etc/mailname
postfix check

# 5. Start, or reload a running instance so the settings above apply.
if postfix status >/dev/null 2>&1; then
	log "postfix running, reloading"
	postfix reload >/dev/null 2>&1
else
	log "starting postfix"
	postfix start >/dev/null 2>&1 || die "postfix start failed, see /var/log/postfix.log"
fi

# 6. Wait for the SMTP greeting, not just an open port.
deadline=$((SECONDS + wait_secs))
until greeting=$(timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/25 && head -c 3 <&3' 2>/dev/null) &&
	[[ $greeting == 220 ]]; do
	((SECONDS < deadline)) || die "no SMTP greeting on 127.0.0.1:25 after ${wait_secs}s"
	sleep 0.2
done
log "ready on 127.0.0.1:25; CA file $tls_dir/ca.pem; log /var/log/postfix.log"
printf '%s\n' "$maildir"
