package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProcessSurvivesSIGUSR1WhileStarting keeps sending SIGUSR1 from the
// moment a handler for it exists until the scanner listens: through package
// initialization, flag parsing, schema compilation and the first load. Every
// signal must be absorbed; none may end the process.
//
// The Go runtime catches SIGUSR1 during its own start, before any of the
// program's code runs, and drops it until signal.Notify asks for it. Before
// that (between fork and the runtime's first steps, well under a
// millisecond) no program can have a handler, so the storm starts when
// /proc shows SIGUSR1 caught.
func TestProcessSurvivesSIGUSR1WhileStarting(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, config(t, 1, watchOnly), 0o644); err != nil {
		t.Fatal(err)
	}
	p := launch(t, nil, "--config", path, "--addr", "127.0.0.1:0")
	pid := p.cmd.Process.Pid
	deadline := time.Now().Add(applyDeadline)
	for !catches(t, pid, syscall.SIGUSR1) {
		if time.Now().After(deadline) {
			t.Fatal("the scanner never installed a SIGUSR1 handler")
		}
	}
	stop := make(chan struct{})
	sent := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				sent <- n
				return
			default:
			}
			if syscall.Kill(pid, syscall.SIGUSR1) == nil {
				n++
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	p.addr = p.waitLine("Listening", applyDeadline)["addr"].(string)
	close(stop)
	n := <-sent
	t.Logf("%d SIGUSR1 sent while the scanner started", n)
	if code, _ := p.get("/healthz"); code != 200 {
		t.Fatalf("/healthz %d", code)
	}
	if code := p.stop(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

// catches reports whether the process has a handler for sig, from the
// SigCgt mask in /proc/PID/status. Only the scanner's own image counts:
// until exec, the child is still a copy of this test binary.
func catches(t *testing.T, pid int, sig syscall.Signal) bool {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid)
	cmdline, err := os.ReadFile(dir + "/cmdline")
	if err != nil {
		t.Fatalf("reading %s/cmdline: %v", dir, err)
	}
	if !strings.Contains(string(cmdline), "--addr") {
		return false
	}
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		t.Fatalf("reading %s/status: %v", dir, err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if mask, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			bits, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64)
			if err != nil {
				t.Fatalf("SigCgt %q: %v", mask, err)
			}
			return bits&(1<<(uint(sig)-1)) != 0
		}
	}
	t.Fatalf("no SigCgt line in %s/status", dir)
	return false
}
