package cluster

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// TestRestKubeSpeaksTheAPIServersPaths checks the requests the app's own
// REST client sends, against a recording HTTP server.
func TestRestKubeSpeaksTheAPIServersPaths(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		line := r.Method + " " + r.URL.Path
		if r.URL.RawQuery != "" {
			line += "?" + r.URL.RawQuery
		}
		if r.Method == http.MethodPatch {
			body, _ := io.ReadAll(r.Body)
			line += " " + r.Header.Get("Content-Type") + " " + string(body)
		}
		seen = append(seen, line)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/pods"):
			json.NewEncoder(w).Encode(map[string]any{"kind": "PodList", "apiVersion": "v1",
				"items": []any{map[string]any{"metadata": map[string]any{"name": "scanner-1"}, "status": map[string]any{"phase": "Running"}}}})
		case strings.HasSuffix(r.URL.Path, "/deployments/gone"):
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
				"message": `deployments.apps "gone" not found`})
		case strings.Contains(r.URL.Path, "/proxy/"):
			w.Write([]byte(`{"config_sha256":"abc"}`))
		case strings.HasSuffix(r.URL.Path, "/log"):
			w.Write([]byte("line 1\nline 2\n"))
		default:
			json.NewEncoder(w).Encode(map[string]any{"kind": "Deployment", "apiVersion": "apps/v1", "metadata": map[string]any{"name": "scanner"}})
		}
	}))
	defer srv.Close()
	k, err := newRestKube(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pods, err := k.Pods(ctx, "ns", "app.kubernetes.io/name=scanner")
	if err != nil || len(pods) != 1 || pods[0].Name != "scanner-1" || pods[0].Status.Phase != corev1.PodRunning {
		t.Fatalf("pods %v %v", pods, err)
	}
	if d, err := k.Deployment(ctx, "ns", "scanner"); err != nil || d.Name != "scanner" {
		t.Fatalf("deployment %v %v", d, err)
	}
	if _, err := k.Deployment(ctx, "ns", "gone"); !apierrors.IsNotFound(err) {
		t.Fatalf("a missing deployment: %v", err)
	}
	if err := k.PatchDeployment(ctx, "ns", "scanner", types.MergePatchType, []byte(`{"spec":{"replicas":0}}`)); err != nil {
		t.Fatal(err)
	}
	if body, err := k.ProxyGet(ctx, "ns", "scanner-1", 8081, "status"); err != nil || string(body) != `{"config_sha256":"abc"}` {
		t.Fatalf("proxy %s %v", body, err)
	}
	tail := int64(5)
	stream, err := k.Logs(ctx, "ns", "scanner-1", &corev1.PodLogOptions{Container: "scanner", Follow: true, TailLines: &tail})
	if err != nil {
		t.Fatal(err)
	}
	logs, _ := io.ReadAll(stream)
	stream.Close()
	if string(logs) != "line 1\nline 2\n" {
		t.Fatalf("logs %q", logs)
	}
	if err := k.version(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET /api/v1/namespaces/ns/pods?labelSelector=app.kubernetes.io%2Fname%3Dscanner",
		"GET /apis/apps/v1/namespaces/ns/deployments/scanner",
		"GET /apis/apps/v1/namespaces/ns/deployments/gone",
		`PATCH /apis/apps/v1/namespaces/ns/deployments/scanner application/merge-patch+json {"spec":{"replicas":0}}`,
		"GET /api/v1/namespaces/ns/pods/http:scanner-1:8081/proxy/status",
		"GET /api/v1/namespaces/ns/pods/scanner-1/log?container=scanner&follow=true&tailLines=5",
		"GET /version",
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
	u := k.execURL("ns", "w-1", &corev1.PodExecOptions{Container: "config-writer", Command: []string{"/configwriter", "stat", "/config/config.toml"}, Stdout: true, Stderr: true})
	if u.Path != "/api/v1/namespaces/ns/pods/w-1/exec" || u.Query()["command"][1] != "stat" || u.Query().Get("container") != "config-writer" || u.Query().Get("stdout") != "true" {
		t.Fatalf("exec url %s", u)
	}
}
