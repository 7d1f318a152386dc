package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	restclient "k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
)

// stack is a fake namespace with the three Deployments, a pod each, a
// config writer that records what it is given, and services whose /status
// answers come from a function of the last config written.
type stack struct {
	client *Client
	kube   *fake.Clientset

	mu      sync.Mutex
	execs   [][]string // container + argv of every exec
	written string     // sha256 the writer was last given
	// status answers a pod's /status; nil means the default (runs what was written).
	status func(pod, written string, polls int) map[string]any
	polls  map[string]int
}

const ns = "ta-test"

func pod(name, app string, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{nameLabel: app}},
		Status: corev1.PodStatus{Phase: phase, StartTime: &metav1.Time{},
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: app, RestartCount: 2}}},
	}
}

func deployment(name string, replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
		Status:     appsv1.DeploymentStatus{ReadyReplicas: replicas},
	}
}

func newStack(objects ...runtime.Object) *stack {
	if objects == nil {
		objects = []runtime.Object{
			deployment("orchestrator", 1), deployment("scanner", 1), deployment(Writer, 1),
			pod("orchestrator-1", "orchestrator", corev1.PodRunning),
			pod("scanner-1", "scanner", corev1.PodRunning),
			pod("config-writer-1", Writer, corev1.PodRunning),
		}
	}
	s := &stack{kube: fake.NewSimpleClientset(objects...), polls: map[string]int{}}
	s.kube.PrependProxyReactor("pods", func(action k8stesting.Action) (bool, restclient.ResponseWrapper, error) {
		p := action.(k8stesting.ProxyGetAction)
		s.mu.Lock()
		defer s.mu.Unlock()
		if p.GetPath() != "status" {
			return true, failing{fmt.Errorf("unexpected path %s", p.GetPath())}, nil
		}
		s.polls[p.GetName()]++
		var body map[string]any
		if s.status != nil {
			body = s.status(p.GetName(), s.written, s.polls[p.GetName()])
		} else {
			body = map[string]any{"config_sha256": s.written, "config": map[string]any{"trading": map[string]any{"mode": "PAPER"}}}
		}
		if body == nil {
			return true, failing{fmt.Errorf("connection refused")}, nil
		}
		data, _ := json.Marshal(body)
		return true, response(data), nil
	})
	s.client = &Client{Kube: clientsetKube{s.kube}, Exec: s, Namespace: ns, Context: "test"}
	return s
}

// Exec records the command; the writer's put answers as configwriter does.
func (s *stack) Exec(_ context.Context, namespace, podName, container string, argv []string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.execs = append(s.execs, append([]string{container}, argv...))
	if len(argv) == 5 && argv[0] == "/configwriter" && argv[1] == "put" {
		changed := s.written != argv[3]
		s.written = argv[3]
		return fmt.Sprintf(`{"path":%q,"exists":true,"sha256":%q,"changed":%v}`, argv[2], argv[3], changed) + "\n", "", nil
	}
	if strings.Join(argv, " ") == "/bin/sh -c kill -USR1 1" {
		return "", "", nil
	}
	return "", "unknown command", fmt.Errorf("exit 1")
}

type response []byte

func (r response) DoRaw(context.Context) ([]byte, error) { return r, nil }
func (r response) Stream(context.Context) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(r)), nil
}

// failing is a proxy answer that is an error (the fake drops a reactor's error).
type failing struct{ err error }

func (f failing) DoRaw(context.Context) ([]byte, error)         { return nil, f.err }
func (f failing) Stream(context.Context) (io.ReadCloser, error) { return nil, f.err }

// clientsetKube puts a typed clientset (here client-go's fake) behind Kube.
type clientsetKube struct{ cs kubernetes.Interface }

func (k clientsetKube) Pods(ctx context.Context, namespace, selector string) ([]corev1.Pod, error) {
	list, err := k.cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

func (k clientsetKube) Deployment(ctx context.Context, namespace, name string) (*appsv1.Deployment, error) {
	return k.cs.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (k clientsetKube) PatchDeployment(ctx context.Context, namespace, name string, pt types.PatchType, patch []byte) error {
	_, err := k.cs.AppsV1().Deployments(namespace).Patch(ctx, name, pt, patch, metav1.PatchOptions{})
	return err
}

func (k clientsetKube) ProxyGet(ctx context.Context, namespace, pod string, port int, path string) ([]byte, error) {
	return k.cs.CoreV1().Pods(namespace).ProxyGet("http", pod, strconv.Itoa(port), path, nil).DoRaw(ctx)
}

func (k clientsetKube) Logs(ctx context.Context, namespace, pod string, opts *corev1.PodLogOptions) (io.ReadCloser, error) {
	return k.cs.CoreV1().Pods(namespace).GetLogs(pod, opts).Stream(ctx)
}
