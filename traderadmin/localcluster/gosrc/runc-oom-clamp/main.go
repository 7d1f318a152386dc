// Command runc-oom-clamp stands in front of runc as the Docker Engine's runtime on
// hosts where even root lacks CAP_SYS_RESOURCE (some VMs and containers).
//
// There no process may lower its OOM score, yet the kubelet asks for -998 on every
// pod sandbox and -997 on Guaranteed pods; runc's attempt fails and so does every
// pod ("can't get final child's PID from pipe"). containerd has a switch for this
// (restrict_oom_score_adj); the Docker Engine has none, so this wrapper does what
// that switch does: it raises a bundle's oomScoreAdj to this process's own score
// before handing every argument, unchanged, to the real runc.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	if err := clampBundle(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "runc-oom-clamp:", err)
		os.Exit(1)
	}
	runc, err := exec.LookPath("runc")
	if err != nil {
		fmt.Fprintln(os.Stderr, "runc-oom-clamp: runc not found on PATH (apt-get install -y runc):", err)
		os.Exit(1)
	}
	err = syscall.Exec(runc, append([]string{runc}, os.Args[1:]...), os.Environ())
	fmt.Fprintf(os.Stderr, "runc-oom-clamp: exec %s: %v\n", runc, err)
	os.Exit(1)
}

// clampBundle rewrites config.json of the bundle a `create` or `run` names.
func clampBundle(args []string) error {
	bundle, ok := bundleOf(args)
	if !ok {
		return nil
	}
	floor, err := ownScore()
	if err != nil {
		return err
	}
	path := filepath.Join(bundle, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	out, changed, err := clamp(data, floor)
	if err != nil || !changed {
		return err
	}
	return os.WriteFile(path, out, 0o600)
}

// bundleOf finds the bundle folder of a create/run command: --bundle/-b, else the working directory.
func bundleOf(args []string) (string, bool) {
	cmd := -1
	for i, a := range args {
		if a == "create" || a == "run" {
			cmd = i
			break
		}
	}
	if cmd < 0 {
		return "", false
	}
	rest := args[cmd+1:]
	for i, a := range rest {
		switch {
		case (a == "--bundle" || a == "-b") && i+1 < len(rest):
			return rest[i+1], true
		case strings.HasPrefix(a, "--bundle="):
			return strings.TrimPrefix(a, "--bundle="), true
		}
	}
	wd, err := os.Getwd()
	return wd, err == nil
}

func ownScore() (int, error) {
	raw, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return 0, fmt.Errorf("reading own OOM score: %w", err)
	}
	return strconv.Atoi(strings.TrimSpace(string(raw)))
}

// clamp raises process.oomScoreAdj to floor; numbers keep their exact text (UseNumber),
// so memory limits and the like pass through untouched.
func clamp(data []byte, floor int) ([]byte, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var spec map[string]any
	if err := dec.Decode(&spec); err != nil {
		return nil, false, fmt.Errorf("parsing config.json: %w", err)
	}
	process, _ := spec["process"].(map[string]any)
	if process == nil {
		return data, false, nil
	}
	num, ok := process["oomScoreAdj"].(json.Number)
	if !ok {
		return data, false, nil
	}
	value, err := num.Int64()
	if err != nil || value >= int64(floor) {
		return data, false, err
	}
	process["oomScoreAdj"] = floor
	out, err := json.Marshal(spec)
	return out, true, err
}
