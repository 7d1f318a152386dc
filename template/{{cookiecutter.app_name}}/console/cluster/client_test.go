package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func kubeconfig(t *testing.T, server string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(path, []byte(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: `+server+`, insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: x}
contexts:
- name: kind-gone
  context: {cluster: c, user: u}
current-context: kind-gone
`), 0o600)
	t.Setenv("KUBECONFIG", path)
}

func TestAnUnreachableClusterSaysWhyAndTheFix(t *testing.T) {
	kubeconfig(t, "https://127.0.0.1:1")
	cl, info := Connect(context.Background(), Choice{Context: "kind-gone", Namespace: "traderadmin", Why: "test"})
	if cl != nil || info.Reachable {
		t.Fatal("an unreachable cluster was reported reachable")
	}
	for _, words := range []string{"kind-gone", "https://127.0.0.1:1", "does not answer", "Fix:", "kind create cluster --name gone"} {
		if !strings.Contains(info.Error, words) {
			t.Errorf("%q lacks %q", info.Error, words)
		}
	}
}

func TestAContextMissingFromKubeconfigSaysHowToPickOne(t *testing.T) {
	kubeconfig(t, "https://127.0.0.1:1")
	_, info := Connect(context.Background(), Choice{Context: "nope", Namespace: "traderadmin"})
	if info.Reachable || !strings.Contains(info.Error, `no usable context "nope"`) || !strings.Contains(info.Error, "kubectl config get-contexts") {
		t.Fatalf("error %q", info.Error)
	}
}

func TestFollowLogsStreamsLinesOfEveryPod(t *testing.T) {
	s := newStack()
	ctx, cancel := context.WithCancel(context.Background())
	lines := make(chan LogLine, 10)
	go s.client.FollowLogs(ctx, "scanner", 10, func(l LogLine) { lines <- l })
	select {
	case l := <-lines:
		// The fake API server answers every log request with "fake logs".
		if l.Pod != "scanner-1" || l.Line != "fake logs" {
			t.Fatalf("line %+v", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no log line")
	}
	cancel()
	if err := s.client.FollowLogs(context.Background(), "nginx", 1, nil); err == nil {
		t.Fatal("an unknown service was followed")
	}
}
