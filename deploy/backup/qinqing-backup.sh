#!/bin/sh
# Back up Qinqing: the PostgreSQL database (pg_dump, custom format) and the uploaded
# attachments (the data folder's media/), into one timestamped pair of files, then delete
# the pairs older than QINQING_BACKUP_KEEP_DAYS. Run by qinqing-backup.timer (daily), or by hand.
#
# Reads (from the environment, e.g. /etc/qinqing/qinqing.env):
#   DATABASE_URL              postgres://USER:PASSWORD@HOST:PORT/NAME  (required)
#   QINQING_BACKUP_DIR        where the backups go; default /var/backups/qinqing
#   QINQING_BACKUP_KEEP_DAYS  days a backup is kept; default 14
#   QINQING_DATA_DIR          the data folder; its media/ is archived when it exists
#
# Prints the path of the database dump. The keys (SECRET_KEY, QINQING_FIELD_KEYS,
# QINQING_INDEX_KEY) are NOT in the backup: keep the environment file apart and safe; a
# backup without QINQING_FIELD_KEYS cannot show any reporter's name or phone number.
set -eu

: "${DATABASE_URL:?DATABASE_URL is not set (postgres://USER:PASSWORD@HOST:PORT/NAME)}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "qinqing-backup: DATABASE_URL is not a PostgreSQL URL" >&2; exit 2 ;;
esac
dir="${QINQING_BACKUP_DIR:-/var/backups/qinqing}"
keep="${QINQING_BACKUP_KEEP_DAYS:-14}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
umask 077
mkdir -p "$dir"

dump="$dir/qinqing-$stamp.dump"
# Written under another name first, so a half-written dump is never taken for a backup.
pg_dump --format=custom --compress=6 --no-owner --no-privileges \
  --file="$dump.partial" --dbname="$DATABASE_URL"
mv "$dump.partial" "$dump"

if [ -n "${QINQING_DATA_DIR:-}" ] && [ -d "$QINQING_DATA_DIR/media" ]; then
  tar -C "$QINQING_DATA_DIR" -czf "$dir/qinqing-$stamp.media.tar.gz.partial" media
  mv "$dir/qinqing-$stamp.media.tar.gz.partial" "$dir/qinqing-$stamp.media.tar.gz"
fi

find "$dir" -maxdepth 1 -name 'qinqing-*' -type f -mtime "+$keep" -delete
echo "$dump"
