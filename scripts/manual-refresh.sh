#!/bin/sh
# manual-refresh.sh IN.rdb OUT.rdb [PORT]
#
# The dump refresh as it was done by hand before rdbtool, kept as the
# baseline `make bench` compares `rdbtool refresh` with: start a scratch
# redis-server on the dump, delete the fpg:* keys, PERSIST every key with
# one client round trip per key (like the site's Python loop over
# scan_iter), SAVE, copy the result out.
#
# Keys are sent unquoted, one command per line (redis-cli executes the
# lines of a non-interactive stdin one at a time, waiting for each reply),
# so keys containing spaces, quotes or newlines are not handled: the
# benchmark's keys have none. Needs redis-server and redis-cli.
set -eu

in=$1
out=$2
port=${3:-$(( 20000 + $$ % 20000 ))}
dir=$(mktemp -d "${TMPDIR:-/tmp}/manual-refresh.XXXXXX")
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

cp "$in" "$dir/dump.rdb"
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --dbfilename dump.rdb \
	--save '' --appendonly no --daemonize yes --logfile "$dir/redis.log" >/dev/null

# Wait until the dump is loaded (PING answers LOADING meanwhile).
i=0
until [ "$(redis-cli -p "$port" ping 2>/dev/null)" = "PONG" ]; do
	i=$((i + 1))
	if [ "$i" -gt 6000 ]; then
		echo "manual-refresh: redis-server did not come up; log:" >&2
		cat "$dir/redis.log" >&2
		exit 2
	fi
	sleep 0.05
done

for db in $(redis-cli -p "$port" info keyspace | sed -n 's/^db\([0-9]*\):.*/\1/p'); do
	redis-cli -p "$port" -n "$db" --scan --pattern 'fpg:*' | sed 's/^/DEL /' |
		redis-cli -p "$port" -n "$db" >/dev/null
	redis-cli -p "$port" -n "$db" --scan | sed 's/^/PERSIST /' |
		redis-cli -p "$port" -n "$db" >/dev/null
done

redis-cli -p "$port" save >/dev/null
cp "$dir/dump.rdb" "$out"
