package cluster

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

const sha = "aaaa5b2a1f0c4c7b8e8d0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566"

func TestPushWritesSignalsAndWaitsForBothServices(t *testing.T) {
	s := newStack()
	// The scanner takes a few polls to pick the file up.
	s.status = func(pod, written string, polls int) map[string]any {
		if pod == "scanner-1" && polls < 3 {
			return map[string]any{"config_sha256": "old"}
		}
		return map[string]any{"config_sha256": written}
	}
	var progress []PushResult
	res, err := s.client.Push(context.Background(), []byte("a = 1\n"), sha, PushOptions{
		Interval: time.Millisecond, Progress: func(p PushResult) { progress = append(progress, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || !res.Written || res.Error != "" || len(res.Services) != 2 {
		t.Fatalf("result %+v", res)
	}
	for _, sc := range res.Services {
		if !sc.OK || sc.SHA256 != sha || sc.Rejected || sc.Seconds <= 0 {
			t.Errorf("service %+v", sc)
		}
	}
	want := [][]string{
		{Writer, "/configwriter", "put", ConfigPath, sha, base64.StdEncoding.EncodeToString([]byte("a = 1\n"))},
		{"orchestrator", "/bin/sh", "-c", "kill -USR1 1"},
	}
	if len(s.execs) != 2 || strings.Join(s.execs[0], " ") != strings.Join(want[0], " ") || strings.Join(s.execs[1], " ") != strings.Join(want[1], " ") {
		t.Fatalf("execs %v", s.execs)
	}
	if s.polls["scanner-1"] < 3 {
		t.Fatalf("the scanner was polled %d times", s.polls["scanner-1"])
	}
	if len(progress) == 0 || !progress[len(progress)-1].Services[0].OK && !progress[len(progress)-1].Services[1].OK {
		t.Fatalf("progress %+v", progress)
	}
}

func TestARejectedConfigReturnsTheServicesOwnReason(t *testing.T) {
	s := newStack()
	s.status = func(pod, written string, _ int) map[string]any {
		if pod == "scanner-1" {
			return map[string]any{"config_sha256": "old", "last_rejected_sha256": written,
				"last_error": "scanner.workers: 0 is less than the minimum of 1"}
		}
		return map[string]any{"config_sha256": written}
	}
	res, err := s.client.Push(context.Background(), []byte("x"), sha, PushOptions{Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || !strings.Contains(res.Error, "scanner rejected it: scanner.workers: 0 is less than the minimum of 1") {
		t.Fatalf("result %+v", res)
	}
	for _, sc := range res.Services {
		if sc.Service == "scanner" && (!sc.Rejected || sc.OK || sc.Error != "scanner.workers: 0 is less than the minimum of 1" || sc.SHA256 != "old") {
			t.Fatalf("scanner %+v", sc)
		}
		if sc.Service == "orchestrator" && !sc.OK {
			t.Fatalf("orchestrator %+v", sc)
		}
	}
}

func TestAServiceThatNeverAnswersTimesOutWithWhatItRuns(t *testing.T) {
	s := newStack()
	s.status = func(pod, written string, _ int) map[string]any {
		if pod == "orchestrator-1" {
			return nil // /status does not answer
		}
		return map[string]any{"config_sha256": written}
	}
	res, err := s.client.Push(context.Background(), []byte("x"), sha, PushOptions{Interval: time.Millisecond, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || !strings.Contains(res.Error, "orchestrator (orchestrator-1) still runs no config") || !strings.Contains(res.Error, "connection refused") {
		t.Fatalf("result %+v", res)
	}
}

func TestPushingLiveOverPaperNeedsConfirmation(t *testing.T) {
	s := newStack()
	res, err := s.client.Push(context.Background(), []byte("x"), sha, PushOptions{NewMode: "LIVE"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.NeedsLiveConfirm || res.OK || !strings.Contains(res.Error, "runs PAPER") || len(s.execs) != 0 {
		t.Fatalf("result %+v, execs %v", res, s.execs)
	}
	res, err = s.client.Push(context.Background(), []byte("x"), sha, PushOptions{NewMode: "LIVE", ConfirmLive: true, Interval: time.Millisecond})
	if err != nil || !res.OK {
		t.Fatalf("confirmed: %v %+v", err, res)
	}
}

func TestPushWithoutTheStackSaysHowToDeployIt(t *testing.T) {
	s := newStack(deployment("scanner", 1), pod("scanner-1", "scanner", corev1.PodRunning),
		pod("config-writer-1", Writer, corev1.PodPending))
	_, err := s.client.Push(context.Background(), []byte("x"), sha, PushOptions{})
	if err == nil || !strings.Contains(err.Error(), "no running config-writer pod") || !strings.Contains(err.Error(), "invoke deploy --namespace ta-test") {
		t.Fatalf("got %v", err)
	}
}

func TestServicesShowPodsAndHashes(t *testing.T) {
	s := newStack()
	s.written = "filesha"
	s.status = func(pod, written string, _ int) map[string]any {
		if pod == "scanner-1" {
			return map[string]any{"config_sha256": "oldsha", "last_error": "boom"}
		}
		return map[string]any{"config_sha256": written}
	}
	services, err := s.client.Services(context.Background(), "filesha")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, svc := range services {
		names = append(names, svc.Name)
	}
	if strings.Join(names, ",") != "orchestrator,scanner,config-writer" {
		t.Fatalf("services %v", names)
	}
	orch, scan, writer := services[0], services[1], services[2]
	if !orch.InSync || orch.ConfigSHA256 != "filesha" || orch.Replicas != 1 || orch.Ready != 1 || len(orch.Pods) != 1 {
		t.Errorf("orchestrator %+v", orch)
	}
	if p := orch.Pods[0]; p.Name != "orchestrator-1" || p.Phase != "Running" || !p.Ready || p.Restarts != 2 {
		t.Errorf("pod %+v", p)
	}
	if scan.InSync || scan.ConfigSHA256 != "oldsha" || scan.LastError != "boom" {
		t.Errorf("scanner %+v", scan)
	}
	if !writer.InSync || writer.ConfigSHA256 != "" {
		t.Errorf("writer %+v", writer)
	}
}

func TestAMissingDeploymentIsShownNotAnError(t *testing.T) {
	s := newStack([]runtime.Object{deployment("scanner", 1)}...)
	services, err := s.client.Services(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if !services[0].Missing || !strings.Contains(services[0].LastError, "invoke deploy") || services[1].Missing {
		t.Fatalf("%+v", services)
	}
}

func TestRestartStopAndStart(t *testing.T) {
	s := newStack()
	ctx := context.Background()
	if err := s.client.Restart(ctx, "scanner"); err != nil {
		t.Fatal(err)
	}
	d, _ := s.kube.AppsV1().Deployments(ns).Get(ctx, "scanner", metav1.GetOptions{})
	if _, err := time.Parse(time.RFC3339Nano, d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]); err != nil {
		t.Fatalf("no restartedAt annotation: %v", d.Spec.Template.Annotations)
	}
	for _, want := range []int32{0, 1} {
		if err := s.client.Scale(ctx, "orchestrator", int(want)); err != nil {
			t.Fatal(err)
		}
		d, _ := s.kube.AppsV1().Deployments(ns).Get(ctx, "orchestrator", metav1.GetOptions{})
		if *d.Spec.Replicas != want {
			t.Fatalf("replicas %d, want %d", *d.Spec.Replicas, want)
		}
	}
	if err := s.client.Restart(ctx, "postgres"); err == nil || !strings.Contains(err.Error(), "orchestrator, scanner or config-writer") {
		t.Fatalf("unknown service: %v", err)
	}
	var _ *appsv1.Deployment = d
}
