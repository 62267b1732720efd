package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersionInfo: the version report names the version (make's stamp
// first, then the module version go install or a VCS build records, else
// devel), the commit, its time and whether the tree had uncommitted
// changes, and the Go toolchain and platform the binary was built with.
func TestVersionInfo(t *testing.T) {
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "d1c48a305c0e0c9ef5c0464cd4607a3f6448028b"},
		{Key: "vcs.time", Value: "2026-11-25T19:51:03Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct {
		name    string
		bi      *debug.BuildInfo
		stamped string
		want    string
	}{
		{"go install @v0.3.0", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.0"}}, "",
			"rdbtool version v0.3.0\nbuilt with go1.26.8 for " + platform + "\n"},
		{"git checkout, modified", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261125195103-d1c48a305c0e+dirty"}, Settings: vcs}, "",
			"rdbtool version v0.0.0-20261125195103-d1c48a305c0e+dirty\n" +
				"commit d1c48a305c0e0c9ef5c0464cd4607a3f6448028b (2026-11-25T19:51:03Z), with uncommitted changes\n" +
				"built with go1.26.8 for " + platform + "\n"},
		{"make build", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs[:3]}, "v0.3.0-2-gd1c48a3",
			"rdbtool version v0.3.0-2-gd1c48a3\n" +
				"commit d1c48a305c0e0c9ef5c0464cd4607a3f6448028b (2026-11-25T19:51:03Z)\n" +
				"built with go1.26.8 for " + platform + "\n"},
		{"-buildvcs=false", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "",
			"rdbtool version devel\nbuilt with go1.26.8 for " + platform + "\n"},
		{"no build info", nil, "",
			"rdbtool version devel\nbuilt with " + runtime.Version() + " for " + platform + "\n"},
	} {
		if got := readVersion(tc.bi, tc.stamped).text(); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestVersionCommand: --version, -v and the version command (the
// convention of go, gh, kubectl and restic) print the same report;
// version --json is one object with snake_case keys.
func TestVersionCommand(t *testing.T) {
	want := mustRun(t, 0, nil, "--version").stdout
	if !strings.HasPrefix(want, "rdbtool version ") || !strings.Contains(want, "built with go") {
		t.Fatalf("--version: %q", want)
	}
	for _, args := range [][]string{{"-v"}, {"version"}} {
		if got := mustRun(t, 0, nil, args...).stdout; got != want {
			t.Errorf("rdbtool %s: %q, want %q", strings.Join(args, " "), got, want)
		}
	}
	var v map[string]any
	r := mustRun(t, 0, nil, "version", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("version --json: %v: %q", err, r.stdout)
	}
	first, _, _ := strings.Cut(want, "\n")
	if v["version"] != strings.TrimPrefix(first, "rdbtool version ") || v["go"] != runtime.Version() ||
		v["platform"] != runtime.GOOS+"/"+runtime.GOARCH || v["modified"] == nil {
		t.Fatalf("version --json: %v", v)
	}
	mustRun(t, 2, nil, "version", "extra")
	if h := mustRun(t, 0, nil, "help", "version").stdout; h != mustRun(t, 0, nil, "version", "--help").stdout || !strings.Contains(h, "--json") {
		t.Fatalf("help version: %q", h)
	}
}

// TestVersionOfBuiltBinary builds rdbtool as a user does (go build in the
// checkout, VCS stamping on) and compares --version with what the Go
// toolchain itself reads from the binary (go version -m): the module
// version, the commit, its time, the modified flag and the Go version.
func TestVersionOfBuiltBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "rdbtool")
	goBuild := func(vcs string) ([]byte, error) {
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Env = append(os.Environ(), "GOFLAGS="+os.Getenv("GOFLAGS")+" -buildvcs="+vcs)
		return build.CombinedOutput()
	}
	if out, err := goBuild("auto"); err != nil {
		// a checkout git refuses to read (another owner): as a user's
		// go build there, without the VCS data
		if !strings.Contains(string(out), "error obtaining VCS status") {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		t.Logf("go build: %s; building with -buildvcs=false", out)
		if out, err := goBuild("false"); err != nil {
			t.Fatalf("go build -buildvcs=false: %v\n%s", err, out)
		}
	}
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	got, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("rdbtool --version: %v", err)
	}
	settings := map[string]string{}
	var goVersion, modVersion string
	for i, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case i == 0 && len(f) == 2:
			goVersion = f[1]
		case len(f) >= 3 && f[0] == "mod":
			modVersion = f[2]
		case len(f) == 2 && f[0] == "build":
			if k, v, ok := strings.Cut(f[1], "="); ok {
				settings[k] = v
			}
		}
	}
	want := "rdbtool version devel\n"
	if modVersion != "" && modVersion != "(devel)" {
		want = "rdbtool version " + modVersion + "\n"
	}
	if rev := settings["vcs.revision"]; rev != "" {
		want += "commit " + rev
		if tm := settings["vcs.time"]; tm != "" {
			want += " (" + tm + ")"
		}
		if settings["vcs.modified"] == "true" {
			want += ", with uncommitted changes"
		}
		want += "\n"
	}
	want += "built with " + goVersion + " for " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if string(got) != want {
		t.Fatalf("rdbtool --version:\n%s\ngo version -m says:\n%s\nwant:\n%s", got, out, want)
	}
}
