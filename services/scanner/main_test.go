package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"traderadmin.local/configcontract/live"
)

// runMainEnv makes the test binary act as the scanner itself, so the
// process tests exercise the real main: flags, signal setup, exit codes.
const runMainEnv = "SCANNER_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// process is a scanner running as a child process.
type process struct {
	t     *testing.T
	cmd   *exec.Cmd
	addr  string
	mu    sync.Mutex
	lines []string
	seen  chan string
}

// startProcess runs the scanner with args; env is added to the test's own.
func startProcess(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	p := launch(t, env, args...)
	p.addr = p.waitLine("Listening", applyDeadline)["addr"].(string)
	return p
}

// launch starts the scanner process without waiting for it to listen.
func launch(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), runMainEnv+"=1"), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, cmd: cmd, seen: make(chan string, 1000)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			p.seen <- sc.Text()
		}
		close(p.seen)
	}()
	return p
}

// waitLine returns the next log line with the given msg.
func (p *process) waitLine(msg string, within time.Duration) map[string]any {
	p.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case raw, ok := <-p.seen:
			if !ok {
				p.t.Fatalf("the process ended before logging %q", msg)
			}
			var line map[string]any
			if err := json.Unmarshal([]byte(raw), &line); err != nil {
				p.t.Fatalf("log line is not JSON: %q", raw)
			}
			if line["msg"] == msg {
				return line
			}
		case <-deadline:
			p.t.Fatalf("no %q log line within %v", msg, within)
		}
	}
}

func (p *process) get(path string) (int, map[string]any) {
	p.t.Helper()
	resp, err := http.Get("http://" + p.addr + path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		p.t.Fatalf("%s: Content-Type %q", path, ct)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		p.t.Fatalf("%s: body is not JSON: %q", path, raw)
	}
	return resp.StatusCode, body
}

// stop sends SIGTERM and returns the exit code.
func (p *process) stop() int {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(shutdownGrace + time.Second):
		p.t.Fatal("the process did not stop after SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}

func TestProcessServesReloadsAndStops(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.toml")
	first := config(t, 1, watchOnly)
	if err := os.WriteFile(path, first, 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, nil, "--config", path, "--addr", "127.0.0.1:0")

	if code, body := p.get("/healthz"); code != 200 || body["ok"] != true {
		t.Fatalf("/healthz: %d %v", code, body)
	}
	if code, body := p.get("/readyz"); code != 200 || body["ready"] != true {
		t.Fatalf("/readyz: %d %v", code, body)
	}
	_, status := p.get("/status")
	for key, want := range map[string]any{
		"service": "scanner", "config_path": path, "config_sha256": hashOf(first),
		"reloads": 0.0, "rejected": 0.0, "last_error": nil, "last_rejected_sha256": nil,
	} {
		if status[key] != want {
			t.Fatalf("/status %s = %v, want %v", key, status[key], want)
		}
	}
	if _, err := time.Parse(time.RFC3339, status["loaded_at"].(string)); err != nil {
		t.Fatalf("loaded_at: %v", err)
	}
	if workers := status["config"].(map[string]any)["scanner"].(map[string]any)["workers"]; workers != 4.0 {
		t.Fatalf("/status config.scanner.workers = %v", workers)
	}

	next := config(t, 2, watchOnly)
	h := &harness{t: t, path: path}
	written := time.Now()
	h.writeAtomic(next)
	for {
		if _, s := p.get("/status"); s["config_sha256"] == hashOf(next) {
			break
		}
		if time.Since(written) > applyDeadline {
			t.Fatal("the new config was not applied")
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Logf("atomic write to /status showing the new hash: %v", time.Since(written).Round(time.Millisecond))
	if line := p.waitLine("Config reloaded", applyDeadline); line["config_sha256"] != hashOf(next) || line["trigger"] != live.TriggerWatch {
		t.Fatalf("reload line %v", line)
	}

	if code := p.stop(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, raw := range p.lines {
		var line map[string]any
		if err := json.Unmarshal([]byte(raw), &line); err != nil {
			t.Fatalf("log line is not JSON: %q", raw)
		}
		ts, _ := line["time"].(string)
		if parsed, err := time.Parse(time.RFC3339, ts); err != nil || !strings.HasSuffix(ts, "Z") || parsed.IsZero() {
			t.Fatalf("time %q is not RFC 3339 UTC", ts)
		}
		if line["service"] != "scanner" || line["msg"] == nil || (line["level"] != "info" && line["level"] != "error") {
			t.Fatalf("log line lacks the shared fields: %q", raw)
		}
	}
}

func TestProcessStartsUnreadyWithoutAConfig(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.toml")
	// The config path comes from the environment when no flag is given.
	p := startProcess(t, []string{"TRADER_CONFIG=" + path}, "--addr", "127.0.0.1:0", "--no-watch")
	code, body := p.get("/readyz")
	if code != http.StatusServiceUnavailable || body["ready"] != false || !strings.HasPrefix(body["error"].(string), "config file missing") {
		t.Fatalf("/readyz: %d %v", code, body)
	}
	if _, status := p.get("/status"); status["config_path"] != path || status["config_sha256"] != nil || status["config"] != nil || status["loaded_at"] != nil {
		t.Fatalf("/status %v", status)
	}
	if err := os.WriteFile(path, config(t, 1, watchOnly), 0o644); err != nil {
		t.Fatal(err)
	}
	// With --no-watch the new file goes unnoticed until the poll (5 s, the
	// schema default, as no config set one yet) or a signal.
	time.Sleep(quietPeriod)
	if code, _ := p.get("/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz %d: the file was noticed although --no-watch was given", code)
	}
	if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if line := p.waitLine("Config loaded", applyDeadline); line["trigger"] != live.TriggerSignal {
		t.Fatalf("loaded by %v, want the signal", line["trigger"])
	}
	if code, _ := p.get("/readyz"); code != 200 {
		t.Fatalf("/readyz %d after the config appeared", code)
	}
	if code := p.stop(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

func TestProcessRefusesBadArguments(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--bogus"}, {"stray"}} {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), runMainEnv+"=1")
		out, err := cmd.CombinedOutput()
		if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 2 {
			t.Fatalf("%v: err %v, output %s; want exit code 2", args, err, out)
		}
	}
}
