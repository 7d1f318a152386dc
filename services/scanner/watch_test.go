package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"traderadmin.local/configcontract/live"
)

// Deadlines are generous for a loaded 2-core CI machine; the tests poll and
// finish as soon as the condition holds.
const (
	applyDeadline = 5 * time.Second
	// quietPeriod is how long a test waits to be sure nothing more happens:
	// several debounce periods plus the settle read.
	quietPeriod = 600 * time.Millisecond
)

// syncBuffer collects log lines written by several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the log lines with the given msg, decoded.
func (b *syncBuffer) lines(t testing.TB, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, raw := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if raw == "" {
			continue
		}
		var line map[string]any
		if err := json.Unmarshal([]byte(raw), &line); err != nil {
			t.Fatalf("log line is not JSON: %q", raw)
		}
		if line["msg"] == msg {
			out = append(out, line)
		}
	}
	return out
}

// harness runs the reload machinery of one scanner on a temporary config
// directory, in process, with its logs captured.
type harness struct {
	t       *testing.T
	path    string
	state   *State
	logs    *syncBuffer
	signals chan os.Signal
}

type timing struct {
	debounceMS    int
	pollIntervalS float64
}

// watchOnly makes the poll too slow to matter, so a test of the watch
// proves the watch did the work.
var watchOnly = timing{debounceMS: 100, pollIntervalS: 3600}

func startHarness(t *testing.T, initial []byte, watch bool) *harness {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if initial != nil {
		(&harness{t: t, path: path}).writeAtomic(initial)
	}
	return startHarnessAt(t, path, watch)
}

// startHarnessAt runs the reload machinery on whatever is at path.
func startHarnessAt(t *testing.T, path string, watch bool) *harness {
	t.Helper()
	h := &harness{
		t:       t,
		path:    path,
		logs:    &syncBuffer{},
		signals: make(chan os.Signal, 1),
	}
	logs := new(logSettings)
	log := newLogger(h.logs, logs)
	h.state = NewState(h.path)
	r, err := NewReloader(h.path, newParser(t), h.state, log, logs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := NewWatcher(h.path, r, watch, h.signals, log)
	r.Reload(ctx, live.TriggerStart)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		w.Close()
	})
	return h
}

// config renders a valid config that differs by max_positions.
func config(t testing.TB, maxPositions int, tm timing) []byte {
	t.Helper()
	doc := defaultDoc(t)
	doc["trading"].(map[string]any)["max_positions"] = maxPositions
	doc["reload"] = map[string]any{"debounce_ms": tm.debounceMS, "poll_interval_s": tm.pollIntervalS}
	return encode(t, doc)
}

func hashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// writeAtomic replaces the config the way the toolkit does: temp file in the
// same directory, fsync, rename.
func (h *harness) writeAtomic(data []byte) {
	h.t.Helper()
	tmp, err := os.CreateTemp(filepath.Dir(h.path), ".config.toml.*.tmp")
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := tmp.Write(data); err != nil {
		h.t.Fatal(err)
	}
	if err := tmp.Sync(); err != nil {
		h.t.Fatal(err)
	}
	if err := tmp.Close(); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Rename(tmp.Name(), h.path); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) applied() string {
	if a := h.state.Current(); a != nil {
		return a.SHA256
	}
	return ""
}

// waitFor polls cond until it holds or the deadline passes.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(applyDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			snap := h.state.Snapshot()
			h.t.Fatalf("timed out waiting for %s; applied=%s reloads=%d rejected=%d last_error=%v\nlogs:\n%s",
				what, h.applied(), snap.Reloads, snap.Rejected, snap.LastError, h.logs.buf.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) waitApplied(data []byte) {
	h.t.Helper()
	want := hashOf(data)
	h.waitFor("config "+want[:12]+" to be applied and logged", func() bool {
		if h.applied() != want {
			return false
		}
		for _, msg := range []string{"Config loaded", "Config reloaded"} {
			for _, l := range h.logs.lines(h.t, msg) {
				if l["config_sha256"] == want {
					return true
				}
			}
		}
		return false
	})
}

// reloadedHashes lists config_sha256 of every "Config reloaded" line.
func (h *harness) reloadedHashes() []string {
	var out []string
	for _, l := range h.logs.lines(h.t, "Config reloaded") {
		out = append(out, l["config_sha256"].(string))
	}
	return out
}

func TestAtomicRenameEditsAreEachAppliedOnce(t *testing.T) {
	t.Parallel()
	h := startHarness(t, config(t, 1, watchOnly), true)
	var want []string
	for n := 2; n <= 6; n++ {
		data := config(t, n, watchOnly)
		h.writeAtomic(data)
		h.waitApplied(data)
		want = append(want, hashOf(data))
	}
	time.Sleep(quietPeriod)
	if got := h.reloadedHashes(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("reloaded %v, want each edit once: %v", got, want)
	}
	for _, l := range h.logs.lines(t, "Config reloaded") {
		if l["trigger"] != live.TriggerWatch {
			t.Fatalf("reload triggered by %v, want the watch (the poll is off)", l["trigger"])
		}
	}
	if snap := h.state.Snapshot(); snap.Reloads != 5 || snap.Rejected != 0 {
		t.Fatalf("reloads=%d rejected=%d, want 5 and 0", snap.Reloads, snap.Rejected)
	}
}

// tornConfig splits a valid config into a first part that is itself a
// valid config (max_positions = 4) and a rest that turns it into another
// (max_positions = 42): the worst case, where a torn read would pass every
// check.
func tornConfig(t *testing.T, tm timing) (first, rest, whole []byte) {
	doc := defaultDoc(t)
	trading := doc["trading"].(map[string]any)
	delete(trading, "max_positions")
	delete(doc, "trading")
	doc["reload"] = map[string]any{"debounce_ms": tm.debounceMS, "poll_interval_s": tm.pollIntervalS}
	head := encode(t, doc)
	tail := encode(t, map[string]any{"trading": trading})
	whole = append(append(append([]byte{}, head...), tail...), "max_positions = 42\n"...)
	cut := len(whole) - len("2\n")
	return whole[:cut], whole[cut:], whole
}

// writeInPlace truncates the config and writes it in two parts with a
// pause between them, like a slow non-atomic writer.
func (h *harness) writeInPlace(first, rest []byte, pause time.Duration) {
	h.t.Helper()
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(first); err != nil {
		h.t.Fatal(err)
	}
	time.Sleep(pause)
	if _, err := f.Write(rest); err != nil {
		h.t.Fatal(err)
	}
}

func TestTruncateAndWriteNeverAppliesATornRead(t *testing.T) {
	t.Parallel()
	for _, watch := range []bool{true, false} {
		t.Run(fmt.Sprintf("watch=%v", watch), func(t *testing.T) {
			t.Parallel()
			// The pause must fall between one and two debounce periods; the
			// wide margins keep the test meaningful on a loaded machine.
			tm := timing{debounceMS: 200, pollIntervalS: 0.2}
			first, rest, whole := tornConfig(t, tm)
			if _, err := newParser(t).Parse(first); err != nil {
				t.Fatalf("the torn half should be a valid config for this test to mean anything: %v", err)
			}
			h := startHarness(t, config(t, 1, tm), watch)
			// The pause is longer than the debounce, so the first read after
			// the quiet period does see the torn half.
			h.writeInPlace(first, rest, 300*time.Millisecond)
			h.waitApplied(whole)
			time.Sleep(quietPeriod)
			torn := hashOf(first)
			for _, got := range h.reloadedHashes() {
				if got == torn {
					t.Fatalf("applied the torn half %s", torn[:12])
				}
			}
			if h.applied() != hashOf(whole) {
				t.Fatal("the final content is not the one applied")
			}
		})
	}
}

// vouch records hash as the config writer does before its rename.
func (h *harness) vouch(hash string) {
	h.t.Helper()
	if err := os.WriteFile(live.VouchPath(h.path), []byte(hash+"\n"), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func TestAVouchedAtomicWriteIsAppliedWithoutWaitingTheDebounce(t *testing.T) {
	t.Parallel()
	// A debounce far longer than the wait below: only the vouched path can be that quick.
	slow := timing{debounceMS: 3000, pollIntervalS: 3600}
	h := startHarness(t, config(t, 1, slow), true)
	for n := 2; n <= 4; n++ {
		data := config(t, n, slow)
		h.vouch(hashOf(data))
		start := time.Now()
		h.writeAtomic(data)
		h.waitApplied(data)
		if took := time.Since(start); took > 1500*time.Millisecond {
			t.Fatalf("a vouched write took %v, as long as the debounce", took)
		}
	}
	if snap := h.state.Snapshot(); snap.Reloads != 3 || snap.Rejected != 0 {
		t.Fatalf("reloads=%d rejected=%d, want 3 and 0", snap.Reloads, snap.Rejected)
	}
}

func TestAVouchThatDoesNotMatchTakesTheCarefulPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		vouch func(whole, first []byte) string
	}{
		// The writer vouched for the whole file: a torn read does not match it.
		{"torn read of a vouched file", func(whole, _ []byte) string { return hashOf(whole) }},
		// A stale vouch from an earlier write says nothing about this one.
		{"stale vouch", func(_, _ []byte) string { return hashOf([]byte("earlier")) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tm := timing{debounceMS: 200, pollIntervalS: 3600}
			first, rest, whole := tornConfig(t, tm)
			h := startHarness(t, config(t, 1, tm), true)
			h.vouch(tc.vouch(whole, first))
			h.writeInPlace(first, rest, 300*time.Millisecond)
			h.waitApplied(whole)
			time.Sleep(quietPeriod)
			for _, got := range h.reloadedHashes() {
				if got == hashOf(first) {
					t.Fatalf("applied the torn half %s", got[:12])
				}
			}
		})
	}
}

func TestBurstOfWritesGivesFewReloadsAndTheLastWins(t *testing.T) {
	t.Parallel()
	h := startHarness(t, config(t, 1, watchOnly), true)
	var last []byte
	var wrote []time.Time
	for n := 10; n < 20; n++ {
		last = config(t, n, watchOnly)
		h.writeAtomic(last)
		wrote = append(wrote, time.Now())
		time.Sleep(20 * time.Millisecond)
	}
	h.waitApplied(last)
	time.Sleep(quietPeriod)
	if h.applied() != hashOf(last) {
		t.Fatal("the last write is not the config applied")
	}
	// One reload for the burst; on a loaded machine a gap between two writes
	// can outlast the debounce, and then the burst is really two.
	allowed := 1
	for i := 1; i < len(wrote); i++ {
		if wrote[i].Sub(wrote[i-1]) >= time.Duration(watchOnly.debounceMS)*time.Millisecond {
			allowed++
		}
	}
	if got := h.state.Snapshot().Reloads; got > allowed {
		t.Fatalf("%d reloads for a burst of 10 writes in %v, want at most %d", got, wrote[len(wrote)-1].Sub(wrote[0]).Round(time.Millisecond), allowed)
	}
}

func TestDeletedThenRecreated(t *testing.T) {
	t.Parallel()
	good := config(t, 3, watchOnly)
	h := startHarness(t, good, true)
	if err := os.Remove(h.path); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the missing file to be reported", func() bool {
		return len(h.logs.lines(t, "Config reload rejected")) > 0
	})
	if e := h.state.Snapshot().LastError; e == nil || !strings.HasPrefix(*e, "config file missing") {
		t.Fatalf("last_error = %v", e)
	}
	if h.applied() != hashOf(good) {
		t.Fatal("the last good config was dropped when the file went missing")
	}
	rejected := h.logs.lines(t, "Config reload rejected")
	if len(rejected) != 1 || rejected[0]["config_sha256"] != nil {
		t.Fatalf("want one rejection with a null hash, got %v", rejected)
	}
	next := config(t, 4, watchOnly)
	h.writeAtomic(next)
	h.waitApplied(next)
	if snap := h.state.Snapshot(); snap.LastError != nil || snap.Reloads != 1 {
		t.Fatalf("after the file came back: last_error=%v reloads=%d", *snap.LastError, snap.Reloads)
	}
}

func TestPollCatchesAChangeWhenEventsAreSuppressed(t *testing.T) {
	t.Parallel()
	tm := timing{debounceMS: 50, pollIntervalS: 0.2}
	h := startHarness(t, config(t, 1, tm), false)
	next := config(t, 2, tm)
	h.writeAtomic(next)
	h.waitApplied(next)
	lines := h.logs.lines(t, "Config reloaded")
	if len(lines) != 1 || lines[0]["trigger"] != live.TriggerPoll {
		t.Fatalf("want one reload by the poll, got %v", lines)
	}
}

func TestSignalAndEventTogetherGiveOneReload(t *testing.T) {
	t.Parallel()
	h := startHarness(t, config(t, 1, watchOnly), true)
	// A real SIGUSR1 to this process, routed as main routes it.
	signal.Notify(h.signals, syscall.SIGUSR1)
	t.Cleanup(func() { signal.Stop(h.signals) })

	next := config(t, 2, watchOnly)
	h.writeAtomic(next)
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	h.waitApplied(next)
	time.Sleep(quietPeriod)
	if got := h.reloadedHashes(); len(got) != 1 {
		t.Fatalf("want exactly one reload, got %d: %v", len(got), got)
	}
	if snap := h.state.Snapshot(); snap.Reloads != 1 {
		t.Fatalf("reloads=%d, want 1", snap.Reloads)
	}
}

func TestUnchangedContentDoesNothing(t *testing.T) {
	t.Parallel()
	data := config(t, 1, watchOnly)
	h := startHarness(t, data, true)
	before := h.logs.buf.Len()
	h.writeAtomic(data)
	h.signals <- syscall.SIGUSR1
	time.Sleep(quietPeriod)
	if snap := h.state.Snapshot(); snap.Reloads != 0 || snap.Rejected != 0 {
		t.Fatalf("reloads=%d rejected=%d for unchanged content", snap.Reloads, snap.Rejected)
	}
	h.logs.mu.Lock()
	defer h.logs.mu.Unlock()
	if h.logs.buf.Len() != before {
		t.Fatalf("unchanged content was logged: %s", h.logs.buf.String()[before:])
	}
}

func TestRejectedContentIsNotRetriedButTheNextGoodOneIsApplied(t *testing.T) {
	t.Parallel()
	tm := timing{debounceMS: 50, pollIntervalS: 0.2}
	good := config(t, 1, tm)
	h := startHarness(t, good, true)
	bad := withValue(t, "trading", "max_positions", 0)
	h.writeAtomic(bad)
	h.waitFor("the bad config to be rejected", func() bool { return h.state.Snapshot().Rejected == 1 })
	// Signals and several polls see the same bad bytes again.
	h.signals <- syscall.SIGUSR1
	time.Sleep(quietPeriod)
	rejected := h.logs.lines(t, "Config reload rejected")
	if len(rejected) != 1 {
		t.Fatalf("the same bad content was judged %d times", len(rejected))
	}
	if rejected[0]["config_sha256"] != hashOf(bad) || !strings.HasPrefix(rejected[0]["error"].(string), "trading.max_positions: ") {
		t.Fatalf("rejection line %v", rejected[0])
	}
	if h.applied() != hashOf(good) {
		t.Fatal("the last good config was not kept")
	}
	if e := h.state.Snapshot().LastError; e == nil || !strings.Contains(*e, "trading.max_positions") {
		t.Fatalf("last_error = %v", e)
	}
	if r := h.state.Snapshot().LastRejected; r == nil || *r != hashOf(bad) {
		t.Fatalf("last rejected hash = %v, want %s", r, hashOf(bad))
	}
	next := config(t, 2, tm)
	h.writeAtomic(next)
	h.waitApplied(next)
	if snap := h.state.Snapshot(); snap.LastError != nil || snap.LastRejected != nil {
		t.Fatalf("rejection not cleared by the good reload: %v %v", snap.LastError, snap.LastRejected)
	}
}

func TestBadThenGoodWithinASecondAppliesTheGood(t *testing.T) {
	t.Parallel()
	h := startHarness(t, config(t, 1, watchOnly), true)
	h.writeAtomic([]byte("[trading\nmode = "))
	time.Sleep(300 * time.Millisecond)
	good := config(t, 2, watchOnly)
	h.writeAtomic(good)
	h.waitApplied(good)
}

func TestRestoringTheRunningBytesClearsTheError(t *testing.T) {
	t.Parallel()
	good := config(t, 1, watchOnly)
	h := startHarness(t, good, true)
	h.writeAtomic([]byte("not toml at all ="))
	h.waitFor("the rejection", func() bool { return h.state.Snapshot().LastError != nil })
	h.writeAtomic(good)
	h.waitFor("last_error to clear", func() bool { return h.state.Snapshot().LastError == nil })
	if snap := h.state.Snapshot(); snap.Reloads != 0 {
		t.Fatalf("restoring the running bytes counted as %d reloads", snap.Reloads)
	}
}

func TestStartWithoutAFileThenItAppears(t *testing.T) {
	t.Parallel()
	h := startHarness(t, nil, true)
	snap := h.state.Snapshot()
	if snap.Applied != nil || snap.LastError == nil || !strings.HasPrefix(*snap.LastError, "config file missing") {
		t.Fatalf("want no config and a missing-file error, got %+v", snap)
	}
	data := config(t, 2, watchOnly)
	h.writeAtomic(data)
	h.waitApplied(data)
	loaded := h.logs.lines(t, "Config loaded")
	if len(loaded) != 1 || loaded[0]["config_sha256"] != hashOf(data) || loaded[0]["trigger"] != live.TriggerWatch {
		t.Fatalf("want one Config loaded line from the watch, got %v", loaded)
	}
	if h.state.Snapshot().Reloads != 0 {
		t.Fatal("the first load counted as a reload")
	}
}

func TestTempFilesOfWritersAreIgnored(t *testing.T) {
	t.Parallel()
	data := config(t, 1, watchOnly)
	h := startHarness(t, data, true)
	tmp := filepath.Join(filepath.Dir(h.path), ".config.toml.1234.tmp")
	if err := os.WriteFile(tmp, []byte("half a conf"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(quietPeriod)
	if snap := h.state.Snapshot(); snap.Rejected != 0 || snap.Reloads != 0 || h.applied() != hashOf(data) {
		t.Fatalf("a temp file was taken for the config: %+v", snap)
	}
}
