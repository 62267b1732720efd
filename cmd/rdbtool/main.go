// Command rdbtool reads, cleans, checks, converts and serves Redis RDB dumps.
package main

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/urfave/cli/v2"
)

// Exit codes scripts can rely on.
const (
	exitOK    = 0
	exitFound = 1 // check found violations, diff found differences
	exitError = 2 // usage or input error
)

// commands is filled by each command file's init, so every group of commands
// lives in its own file and main stays small.
var commands []*cli.Command

func register(c ...*cli.Command) { commands = append(commands, c...) }

func newApp() *cli.App {
	sort.Slice(commands, func(i, j int) bool { return commands[i].Name < commands[j].Name })
	return &cli.App{
		Name:  "rdbtool",
		Usage: "inspect, clean, check, convert and serve Redis RDB dumps",
		Description: "rdbtool works on dump.rdb files directly, streaming them with constant memory.\n" +
			"FILE arguments accept - for stdin; -o - writes to stdout.\n" +
			"Exit codes: 0 ok, 1 found something (check, diff), 2 usage or input error.",
		Commands:        commands,
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {}, // main prints and exits
	}
}

func main() {
	err := newApp().Run(os.Args)
	os.Exit(exitCode(err))
}

// exitCode prints err (when there is one) and maps it to an exit code.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "rdbtool:", msg)
		}
		return ec.ExitCode()
	}
	fmt.Fprintln(os.Stderr, "rdbtool:", err)
	return exitError
}
