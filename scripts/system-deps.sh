#!/bin/sh
# Installs the system programs the test suite runs for real (tor, torsocks, postfix, exim, DNS servers,
# PostgreSQL, chromium): the `apt` packages of scripts/prerequisites.mjs, the table the test runner checks.
# Today that is (a test keeps this line equal to the table):
# packages: tor torsocks postfix nsd unbound ldnsutils openssl postgresql dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-managesieved dovecot-auth-lua python3 systemd util-linux chromium
# As root it uses apt-get; otherwise it names what is missing and stops.
# Exim conflicts with postfix as a Debian package, so it is extracted (not installed) under
# $PEERGROUP_EXIM_ROOT and run with -C by the tests.
set -eu

command -v node >/dev/null || { echo "system-deps: node is needed to read scripts/prerequisites.mjs (Node.js >= 20)" >&2; exit 1; }
PACKAGES=$(node "$(dirname "$0")/prerequisites.mjs" apt-packages)
EXIM_ROOT="${PEERGROUP_EXIM_ROOT:-/opt/peergroup-exim}"
EXIM_PACKAGES="exim4-daemon-heavy exim4-base exim4-config"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
exim_missing=0
[ -x "$EXIM_ROOT/usr/sbin/exim4" ] || exim_missing=1
id Debian-exim >/dev/null 2>&1 || exim_missing=1
# Dovecot refuses to access mail as root: the mail-account tests keep mail as this dedicated system user.
MAIL_USER=peergroup-mail
mailuser_missing=0
id "$MAIL_USER" >/dev/null 2>&1 || mailuser_missing=1

if [ -z "$missing" ] && [ "$exim_missing" = 0 ] && [ "$mailuser_missing" = 0 ]; then
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "peergroup tests need Debian packages that are missing:$missing" >&2
  [ "$exim_missing" = 1 ] && echo "and an extracted Exim under $EXIM_ROOT ($EXIM_PACKAGES)" >&2
  [ "$mailuser_missing" = 1 ] && echo "and the system user $MAIL_USER (mail of the Dovecot tests)" >&2
  echo "Run as root: sh scripts/system-deps.sh   (or: sudo apt-get install$missing)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() { [ "$updated" = 1 ] || { apt-get update -qq; updated=1; }; }

if [ -n "$missing" ]; then
  echo "system-deps: installing$missing" >&2
  # Postfix must not create or start a system instance: the tests run private ones.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt_update
  apt-get install -y -q --no-install-recommends $missing >&2
fi

if [ "$exim_missing" = 1 ]; then
  echo "system-deps: extracting Exim into $EXIM_ROOT" >&2
  apt_update
  work=$(mktemp -d)
  (cd "$work" && apt-get download $EXIM_PACKAGES >&2)
  mkdir -p "$EXIM_ROOT"
  for deb in "$work"/*.deb; do dpkg -x "$deb" "$EXIM_ROOT"; done
  rm -rf "$work"
  # Only the shared libraries the extracted binary lacks, so postfix stays installed.
  libs=$(ldd "$EXIM_ROOT/usr/sbin/exim4" | awk '/not found/ {print $1}')
  if [ -n "$libs" ]; then
    pkgs=""
    for lib in $libs; do
      case "$lib" in
        libmariadb.so.3) pkgs="$pkgs libmariadb3" ;;
        libidn.so.12) pkgs="$pkgs libidn12" ;;
        libspf2.so.2) pkgs="$pkgs libspf2-2" ;;
        *) pkg=$(apt-cache search --names-only "^$(echo "$lib" | sed 's/\.so\.\([0-9]*\).*/\1/; s/\([a-z]\)\([0-9]\)$/\1-\2/')" 2>/dev/null | awk '{print $1}' | head -1)
           [ -n "$pkg" ] && pkgs="$pkgs $pkg" || echo "system-deps: no package found for $lib" >&2 ;;
      esac
    done
    [ -n "$pkgs" ] && apt-get install -y -q --no-install-recommends $pkgs >&2
  fi
  still=$(ldd "$EXIM_ROOT/usr/sbin/exim4" | awk '/not found/ {print $1}')
  if [ -n "$still" ]; then
    echo "system-deps: extracted exim still lacks: $still" >&2
    exit 1
  fi
  id Debian-exim >/dev/null 2>&1 || adduser --system --group --no-create-home --home /var/spool/exim4 --disabled-login Debian-exim >/dev/null 2>&1 || useradd --system --user-group --no-create-home --home-dir /var/spool/exim4 --shell /usr/sbin/nologin Debian-exim
fi

if [ "$mailuser_missing" = 1 ]; then
  echo "system-deps: creating system user $MAIL_USER" >&2
  adduser --system --group --no-create-home --home /nonexistent --disabled-login "$MAIL_USER" >/dev/null 2>&1 || useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$MAIL_USER"
fi
