// Package ingest copies the telescope's live state from Redis into the
// hera_mc PostgreSQL tables, as the Python M&C daemons (mc_monitor_correlator,
// mc_monitor_nodes, mc_monitor_daemons, mc_listen_to_corr_logger) do. It
// follows shared/docs/hera-mc.md table by table: keys and fields, the
// conversions (GPS seconds with a shipped leap-second table, the float64
// arithmetic that ends up in primary keys, Python's float()/int() and
// boolean rules, numpy's str(float32), the float32 median), and the skip and
// duplicate rules.
//
//	rep, err := ingest.Run(ctx, redisClient, pool, ingest.Options{})
//	rep.WriteText(os.Stderr) // rows per table, skipped records with key, field and reason
//
// A pass runs the groups of Groups in the original daemons' order, except
// that the autos group runs beside the others (deviation 13); each group
// reads Redis, then writes its tables in one transaction (a pgx.Batch for a
// few rows; one INSERT ... SELECT FROM unnest(column arrays) ON CONFLICT DO
// NOTHING for many; the autos as a binary COPY straight into their tables,
// under a lock, of the rows not already there), so a failing group is
// rolled back alone and recorded in daemon_status ('errored') and subsystem_error. When a
// group fails and Redis or PostgreSQL then does not answer a ping, the rest
// of the pass is not run (GroupResult.Status StatusNotRun) instead of every
// later group failing the same way. Loop repeats passes (the monitor loop)
// and waits with backoff for a server that does not answer; ListenLog
// stores mc-log-channel messages.
//
// # One bad record never loses the others
//
// A field that does not parse becomes NULL where the reference's converters
// give None, and the record is skipped where the column is part of the key
// or NOT NULL; either way the Report names the key, the field and the
// reason. The original instead fails the whole command (and loses every row
// of it for that cycle) on: a missing or unparseable key hash field it
// indexes directly, a WR node without a usable timestamp, an antenna whose
// SNAP timestamp is None, missing node power fields, an auto key deleted
// between KEYS and GET, a wrong-length auto array, an unknown EOD status for
// an existing JD, a SNAP input list longer than 6, a config without one of
// the six parameters or with a fengine lacking ants or phase_switch_index,
// malformed YAML, a malformed corr:map antenna entry (every antenna_status
// row is lost there). Here each of those skips that record. A config listing a
// correlator index twice, or a host's phase switch index twice (an
// IntegrityError there) is stored without the repeated row, which is
// reported.
// A value that is not UTF-8 text (or holds a NUL byte), which PostgreSQL
// refuses, is handled the same way: NULL where the column allows it (as
// hera_corr_cm's failed decode gives for status:snap fields), else the
// record is skipped; the original's decoding Redis client fails the
// command instead.
//
// # Deviations from hera_mc (deliberate)
//
//  1. correlator_file_queues stores plain filenames in oldest_entry and
//     newest_entry, not the '{filename}' array literal psycopg 3 produces
//     from a bound one-element list (quirk 3).
//  2. The catcher stop_timeout clean-up applies its time filter: only
//     stop_timeout rows later than the new start are deleted, and for a new
//     start after the previous one a single stop_timeout is recorded 1 s
//     before the new start. The original deletes or moves every stop_timeout
//     row, to 1 s before the previous start (quirk 2).
//  3. Names from keys use a real prefix strip: status:snap:<host> gives
//     <host>, version:node_control:x gives node_control:x (the original's
//     str.lstrip character set gives de_control:x) (quirk 4).
//  4. White-rabbit port{0,1}_link and _lock are parsed as the values mean
//     (BoolMeaning): '0'/'False' (and false, FALSE, no) are false, '1'/'True'
//     (and true, TRUE, yes) true, anything else NULL (reported). The
//     original's bool(str) is true for '0' (quirk 5).
//  5. daemon_status from mc_monitor_daemons.py's liveness check: every host
//     with a live status:script key gets its 'good' row (the original keeps
//     the last key scanned), and a daemon with no key is 'errored' under the
//     host it was last seen on in daemon_status, or 'unknown' — not the
//     previous daemon's host (quirk 10); of two hosts last seen in the same
//     pass, the first by name. The ingest only reads Redis, so it does not
//     set its own status:script key: mc_monitor_daemons.py is recorded
//     'errored' (under 'unknown' if never seen) unless the site's own
//     mc_monitor_daemons.py still runs and keeps its key alive.
//  6. The pass's own daemon_status row per daemon is 'errored' when any of
//     its groups failed in that pass (the original's last command decides).
//     The liveness check gets such a row too (name mc_monitor_daemons, the
//     pass's host), so its failures are recorded like the others'; the
//     original, being Redis-only, had none.
//  7. The original's hera_corr_cm row in correlator_software_versions (the
//     Python library's own version) has no Redis source and is left out, as
//     is a version:snap key (the snap entry comes from init_configuration, as
//     in hera_corr_cm).
//  8. The correlator config YAML is stored in correlator_config_yaml instead
//     of being uploaded to the Librarian; correlator_config_file.filename is
//     still correlator_config_<floor gps>.yaml. A config status time already
//     held by another hash is reported, not an IntegrityError.
//  9. Node and SNAP location come from corr:map (snap_to_serial inverted,
//     serials compared ignoring case as CM's lookup does, then
//     heraNode<n>Snap<loc>), antennas of snap_input from corr:map
//     ant_to_snap, instead of the CM database (reference §4). A SNAP channel
//     two antennas claim in ant_to_snap keeps the lowest antenna (reported).
//  10. snap_log fields are taken in name order (HGETALL order is undefined),
//     so for a host listed under two statuses the later name wins. Of
//     corr:files:jds fields that spell the same JD ('2461000', '+2461000'),
//     the plain number is kept (else the first in byte order) and the
//     others are reported; the original keeps the one HGETALL gives last.
//  11. KEYS is replaced by SCAN; hera_autos keys are read with one pipelined
//     GET each (the same keys: start with "auto", not ending in "timestamp",
//     matching auto:(\d+)(e|n), normalised to auto:<int><pol>).
//  12. ISO timestamps are parsed in the forms the site writes
//     (YYYY-MM-DD[(T| )HH:MM[:SS[.ffffff]]][Z|±HH[:MM]]), not every form
//     dateutil accepts; naive times are UTC, as in the original (quirk 11).
//     snap_log's log_time_stop is read as astropy reads it: a UTC offset
//     there is a ValueError, so no rows, as in the original.
//     Values longer than 32 characters for daemon_status names and hosts and
//     subsystem_error.subsystem are truncated instead of failing.
//  13. The autos group (hera_autos, hera_auto_spectrum) runs on its own
//     connection beside the other groups instead of after antenna_status:
//     it reads only auto:* keys and writes only its own tables, and storing
//     the spectra is most of a pass. Its transaction, its report entry and
//     its daemon_status effect are as before; only its commit may come
//     before the groups listed ahead of it. The benchmark's per-row baseline
//     keeps the original's single sequence.
//  14. A config hash with an empty md5 is reported and skipped; the original
//     would store that config under the hash "".
//  15. Not a deviation from hera_mc but from the reference's text (§1.1):
//     on a day ending in a leap second astropy stretches unix and JD inputs
//     over 86401 s, but not datetimes or ISO strings, which erfa.dtf2d
//     reads as they are (checked with astropy 5.2.1: 2016-12-31
//     23:59:59.5 is GPS 1167264016.5 as a datetime, 1167264017.49999 as
//     unix). FloorGPSTime follows astropy, and so does the pass's clock
//     (Time.now() is a datetime), floored or not.
//
// Kept as the reference does them: corr:feng_sync_time read as milliseconds
// (quirk 1), psu_alert and last_programmed_time NULL with the current
// writers, the literal 'None'/'null' strings in serial_number, version and
// snap_input (quirk 6), port{0,1}_time stored raw (quirk 7), the x == "True"
// and x == "1" booleans (quirk 5), node_power_command's −99 timestamp for a
// value without '|', the fixed node list 0..29 with at least 18 status
// fields (quirk 12), and the float32 median and numpy text.
package ingest
