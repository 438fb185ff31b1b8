#!/bin/sh
# Restore a Qinqing backup made by qinqing-backup.sh into an EMPTY PostgreSQL database.
#
#   qinqing-restore.sh /var/backups/qinqing/qinqing-20261207T020000Z.dump
#
# DATABASE_URL names the target database; create it first (createdb -O qinqing qinqing).
# It refuses a database that already has tables: restoring over live data is never what
# you meant. The attachments archive beside the dump (….media.tar.gz), when there is one,
# is unpacked into QINQING_DATA_DIR (its media/ must not exist yet).
# Afterwards: `qinqing migrate` (a no-op for a backup of the same version) and start.
set -eu

dump="${1:?usage: qinqing-restore.sh BACKUP.dump}"
: "${DATABASE_URL:?DATABASE_URL is not set (the empty database to restore into)}"
[ -f "$dump" ] || { echo "qinqing-restore: $dump does not exist" >&2; exit 2; }

tables="$(psql --no-psqlrc --tuples-only --no-align --dbname="$DATABASE_URL" -c \
  "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")"
if [ "$tables" != "0" ]; then
  echo "qinqing-restore: the target database already has $tables tables; restore into a new," \
       "empty database" >&2
  exit 2
fi

# One transaction: a restore that fails part-way leaves the database empty, not half-full.
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname="$DATABASE_URL" "$dump"

media="${dump%.dump}.media.tar.gz"
if [ -f "$media" ]; then
  : "${QINQING_DATA_DIR:?QINQING_DATA_DIR is not set (where the attachments go)}"
  if [ -e "$QINQING_DATA_DIR/media" ]; then
    echo "qinqing-restore: $QINQING_DATA_DIR/media exists; move it away first" >&2
    exit 2
  fi
  mkdir -p "$QINQING_DATA_DIR"
  tar -C "$QINQING_DATA_DIR" -xzf "$media"
fi
echo "qinqing-restore: restored $dump"
