// Package live moves RDB entries between dump files and running Redis
// servers: Snapshot reads a live server (or every master of a Redis Cluster)
// and writes an RDB file, either by SCAN + DUMP or by acting as a replica and
// streaming the server's own RDB; Load restores a dump's entries and function
// libraries into a server or cluster with pipelined RESTORE.
//
//	opts, _ := live.ParseURL("redis://:secret@db.example:6379")
//	stats, err := live.Snapshot(ctx, opts, out, live.SnapshotOptions{Method: live.MethodSync})
//
//	stats, err = live.Load(ctx, opts, rdb.NewReader(in), live.LoadOptions{Replace: true})
//	fmt.Println(stats) // what was loaded, and every key that was not, with why
//
// Both directions treat the source as read-only and never hold a whole dump
// in memory. Errors talking to a server are *Error values that name the
// server as host:port and never include a password.
package live
