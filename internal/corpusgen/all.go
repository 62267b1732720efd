package main

import (
	"fmt"
	"strings"
	"time"
)

// fillAll writes a small site-shaped dump mixing every type, several
// databases, expiries and fpg:* binary blobs (used by the refresh tests).
func fillAll(g *filler) error {
	g.do("DEBUG", "SET-ACTIVE-EXPIRE", 0)
	now := time.Now()
	g.do("FUNCTION", "LOAD", luaLib)
	// db 0: the application
	for i := 1; i <= 60; i++ {
		k := fmt.Sprintf("user:%d", i)
		g.do("HSET", k, "name", fmt.Sprintf("User %d", i), "email", fmt.Sprintf("user%d@example.com", i),
			"created", 1600000000+i*86400, "plan", []string{"free", "pro", "team"}[i%3])
		if i%10 == 0 {
			g.do("HSET", k, "bio", strings.Repeat("long biography text ", 10)) // -> hashtable
		}
	}
	for i := 1; i <= 30; i++ {
		k := fmt.Sprintf("session:%08x", g.r().Uint32())
		g.do("SET", k, fmt.Sprintf(`{"user":%d,"csrf":"%s"}`, i, g.randText(16)))
		if i%3 == 0 {
			g.do("PEXPIREAT", k, farFutureMs+int64(i))
		} else {
			// relative TTLs: hours to weeks after generation, so the file
			// ages into "already past" — what the refresh code must handle
			g.do("PEXPIREAT", k, now.Add(time.Duration(i)*6*time.Hour).UnixMilli())
		}
	}
	for i := 0; i < 12; i++ {
		k := fmt.Sprintf("fpg:%04d", i)
		g.do("SET", k, g.randBytes(2048+int(g.r().UintN(3072))))
		if i%4 == 1 {
			g.do("PEXPIREAT", k, now.Add(time.Duration(i+1)*24*time.Hour).UnixMilli())
		}
	}
	g.do("SET", "cache:page:/home", strings.Repeat("<div class=\"item\">item</div>\n", 80))
	g.do("PEXPIREAT", "cache:page:/home", now.Add(10*time.Minute).UnixMilli())
	for i := 0; i < 10; i++ {
		g.do("SET", fmt.Sprintf("counter:%d", i), i*1000-3)
	}
	// Expired before the SAVE: PEXPIREAT in the past would delete at once,
	// so set a deadline just ahead (active expiry is off) and wait it out.
	staleAt := time.Now().Add(1200 * time.Millisecond)
	g.do("SET", "stale:token", "expired before the SAVE")
	g.do("PEXPIREAT", "stale:token", staleAt.UnixMilli())
	g.do("HSET", "stale:session", "user", 7)
	g.do("PEXPIREAT", "stale:session", staleAt.UnixMilli())
	args := []any{"ZADD", "leaderboard"}
	for i := 0; i < 150; i++ {
		args = append(args, (i*37)%1000, fmt.Sprintf("player-%d", i))
	}
	g.do(args...)
	g.do("ZADD", "leaderboard:weekly", 10, "alice", 7.5, "bob", "+inf", "admin")
	g.do("RPUSH", "recent:views", "p1", "p2", "p3", "p4", "p5")
	for i := 0; i < 20; i++ {
		g.do("SADD", fmt.Sprintf("tags:%d", i%4), fmt.Sprintf("tag-%d", i), i)
	}
	g.do("SADD", "online:ids", 3, 17, 42, 99)
	g.do("PFADD", "visitors:today", "a", "b", "c", "d", "e", "f")
	g.do("SETBIT", "active:bitmap", 4097, 1)
	g.do("GEOADD", "stores", 2.3522, 48.8566, "paris", 13.405, 52.52, "berlin")
	for i := 1; i <= 12; i++ {
		g.do("XADD", "events", fmt.Sprintf("1700000000000-%d", i), "type", []string{"login", "logout", "buy"}[i%3], "user", i)
	}
	g.do("XGROUP", "CREATE", "events", "mailer", "0")
	g.do("XREADGROUP", "GROUP", "mailer", "worker-1", "COUNT", 3, "STREAMS", "events", ">")
	g.do("XACK", "events", "mailer", "1700000000000-1")
	// db 1: queues
	g.do("SELECT", 1)
	for i := 0; i < 40; i++ {
		g.do("RPUSH", "queue:jobs", fmt.Sprintf(`{"job":%d,"kind":"resize"}`, i))
	}
	g.do("SET", "lock:cron", "host-1")
	g.do("PEXPIREAT", "lock:cron", now.Add(30*time.Second).UnixMilli())
	// db 2: a few leftovers
	g.do("SELECT", 2)
	g.do("SET", "legacy:flag", 1)
	g.do("HSET", "legacy:config", "mode", "old")
	g.do("SELECT", 0)
	time.Sleep(time.Until(staleAt.Add(300 * time.Millisecond)))
	return g.err()
}
