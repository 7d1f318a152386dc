package cluster

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/remotecommand"
)

// Info is which cluster the app talks to and whether it answers.
type Info struct {
	Context   string `json:"context"`
	Namespace string `json:"namespace"`
	Server    string `json:"server"`
	Why       string `json:"why"` // why this context was chosen
	Reachable bool   `json:"reachable"`
	// Error says why the cluster cannot be used, and the fix.
	Error string `json:"error"`
}

// Execer runs a command in a container and waits for it.
type Execer interface {
	Exec(ctx context.Context, namespace, pod, container string, argv []string) (stdout, stderr string, err error)
}

// Client is one namespace of one cluster.
type Client struct {
	Kube      Kube
	Exec      Execer
	Namespace string
	Context   string
	Server    string
}

// Connect builds a client for the chosen context from the kubeconfig
// (KUBECONFIG, else ~/.kube/config) and checks the API server answers.
func Connect(ctx context.Context, choice Choice) (*Client, Info) {
	info := Info{Context: choice.Context, Namespace: choice.Namespace, Why: choice.Why}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: choice.Context})
	cfg, err := loader.ClientConfig()
	if err != nil {
		where := strings.Join(rules.GetLoadingPrecedence(), ", ")
		info.Error = fmt.Sprintf("no usable context %q in the kubeconfig (%s): %v. Fix: `kubectl config get-contexts` lists the contexts; "+
			"pick one with the app's -context NAME (or traderadmin.context in invoke.yaml, or INVOKE_TRADERADMIN_CONTEXT)",
			choice.Context, where, err)
		return nil, info
	}
	info.Server = cfg.Host
	// Push polls /status every few tens of milliseconds: client-go's default
	// rate limit (5/s) would make the poll the slowest part.
	cfg.QPS, cfg.Burst = 200, 400
	kube, err := newRestKube(cfg)
	if err != nil {
		info.Error = fmt.Sprintf("cannot use context %q: %v", choice.Context, err)
		return nil, info
	}
	probe, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	if err := kube.version(probe); err != nil {
		info.Error = fmt.Sprintf("the cluster of context %s (%s) does not answer: %v. Fix: %s; then press Retry",
			choice.Context, cfg.Host, short(err), StartHint(choice.Context))
		return nil, info
	}
	info.Reachable = true
	return &Client{Kube: kube, Exec: &restExec{cfg: cfg, kube: kube}, Namespace: choice.Namespace, Context: choice.Context, Server: cfg.Host}, info
}

func short(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// restExec runs commands through the API server: WebSocket first, SPDY for
// servers that refuse it, as kubectl does.
type restExec struct {
	cfg  *rest.Config
	kube *restKube
}

func (e *restExec) Exec(ctx context.Context, namespace, pod, container string, argv []string) (string, string, error) {
	u := e.kube.execURL(namespace, pod, &corev1.PodExecOptions{Container: container, Command: argv, Stdout: true, Stderr: true})
	ws, err := remotecommand.NewWebSocketExecutor(e.cfg, "GET", u.String())
	if err != nil {
		return "", "", err
	}
	spdy, err := remotecommand.NewSPDYExecutor(e.cfg, http.MethodPost, u)
	if err != nil {
		return "", "", err
	}
	exec, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return "", "", err
	}
	var stdout, stderr bytes.Buffer
	err = exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(stdout.String())
		}
		if msg != "" {
			return stdout.String(), stderr.String(), fmt.Errorf("%s in pod %s/%s: %v: %s", argv[0], namespace, pod, err, msg)
		}
		return stdout.String(), stderr.String(), fmt.Errorf("%s in pod %s/%s: %v", argv[0], namespace, pod, err)
	}
	return stdout.String(), stderr.String(), nil
}
