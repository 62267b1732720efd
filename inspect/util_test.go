package inspect

import (
	"fmt"
	"strconv"
)

func itoa(i int) string { return strconv.Itoa(i) }

// fmtSscanf parses an INFO keyspace line "dbN:keys=K,expires=E,avg_ttl=A".
func fmtSscanf(line string, db int, keys, expires, avg *int64) (int, error) {
	return fmt.Sscanf(line, "db"+strconv.Itoa(db)+":keys=%d,expires=%d,avg_ttl=%d", keys, expires, avg)
}
