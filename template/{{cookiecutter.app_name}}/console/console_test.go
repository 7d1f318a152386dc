package console

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"traderadmin.local/console/cluster"
)

// noExec fails the test if anything is run in the cluster.
type noExec struct{ t *testing.T }

func (n noExec) Exec(_ context.Context, _, pod, _ string, argv []string) (string, string, error) {
	n.t.Fatalf("%v was run in %s", argv, pod)
	return "", "", nil
}

func TestAnInvalidFileIsNeverPushed(t *testing.T) {
	cfg, path := setup(t)
	text := strings.Replace(readFile(t, path), "workers = 4", "workers = 0", 1)
	os.WriteFile(path, []byte(text), 0o644)
	c := &Console{Config: cfg, opt: Options{Emit: func(string, any) {}}, logs: map[string]context.CancelFunc{}}
	// No API calls and no exec: a nil Kube would panic if the push reached it.
	c.UseClient(&cluster.Client{Exec: noExec{t}, Namespace: "x"}, cluster.Info{Reachable: true})
	_, err := c.Push(false)
	if err == nil || !strings.Contains(err.Error(), "not pushed") || !strings.Contains(err.Error(), "scanner.workers: 0 is less than the minimum of 1") {
		t.Fatalf("got %v", err)
	}
}

func TestAnUnreachableClusterIsExplainedEverywhere(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(kc, []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\n"+
		"users:\n- name: u\n  user: {token: x}\ncontexts:\n- name: k3d-gone\n  context: {cluster: c, user: u}\n"), 0o600)
	t.Setenv("KUBECONFIG", kc)
	_, path := setup(t)
	c := New(Options{Files: Files{Config: path, Schema: "testdata/schema.json"}, ContextFlag: "k3d-gone",
		Env: &cluster.Env{Getenv: func(string) string { return "" }}})
	info, err := c.Cluster()
	if err != nil || info.Reachable || info.Context != "k3d-gone" || !strings.Contains(info.Error, "k3d cluster start gone") {
		t.Fatalf("info %+v, %v", info, err)
	}
	for name, call := range map[string]func() error{
		"Push":       func() error { _, err := c.Push(false); return err },
		"Services":   func() error { _, err := c.Services(); return err },
		"Restart":    func() error { return c.Restart("scanner") },
		"FollowLogs": func() error { return c.FollowLogs("scanner") },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "does not answer") || !strings.Contains(err.Error(), "Fix:") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
