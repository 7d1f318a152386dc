package cluster

import (
	"bufio"
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Service is one Deployment of the stack, as the services panel shows it.
type Service struct {
	Name     string `json:"name"` // orchestrator | scanner | config-writer
	Replicas int    `json:"replicas"`
	Ready    int    `json:"ready"`
	Pods     []Pod  `json:"pods"`
	// ConfigSHA256 is what it runs ("" for the config writer, which runs no config).
	ConfigSHA256 string `json:"configSha256"`
	FileSHA256   string `json:"fileSha256"` // the local config.toml
	InSync       bool   `json:"inSync"`     // runs the local file (always true for the writer)
	LastError    string `json:"lastError"`  // the service's /status last_error
	Missing      bool   `json:"missing"`    // no such Deployment in the namespace
}

// Pod is one pod of a service.
type Pod struct {
	Name      string `json:"name"`
	Phase     string `json:"phase"`
	Ready     bool   `json:"ready"`
	Restarts  int    `json:"restarts"`
	StartedAt string `json:"startedAt"` // RFC 3339
	Reason    string `json:"reason"`    // why a container waits (CrashLoopBackOff, ...)
}

// IsService tells the names the panel acts on.
func IsService(name string) bool {
	for _, s := range serviceOrder {
		if s == name {
			return true
		}
	}
	return false
}

func checkName(name string) error {
	if !IsService(name) {
		return fmt.Errorf("%q is not a service of the stack: use orchestrator, scanner or config-writer", name)
	}
	return nil
}

// Services lists the stack's Deployments with their pods and, for the
// services, the config hash each runs against fileSHA.
func (c *Client) Services(ctx context.Context, fileSHA string) ([]Service, error) {
	out := make([]Service, len(serviceOrder))
	errs := make([]error, len(serviceOrder))
	var wg sync.WaitGroup
	for i, name := range serviceOrder {
		wg.Add(1)
		go func(i int, name string) {
			defer wg.Done()
			out[i], errs[i] = c.service(ctx, name, fileSHA)
		}(i, name)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *Client) service(ctx context.Context, name, fileSHA string) (Service, error) {
	s := Service{Name: name, Pods: []Pod{}, FileSHA256: fileSHA}
	d, err := c.Kube.Deployment(ctx, c.Namespace, name)
	if apierrors.IsNotFound(err) {
		s.Missing = true
		s.LastError = fmt.Sprintf("no %s Deployment in namespace %s: `invoke deploy --namespace %s` starts the stack", name, c.Namespace, c.Namespace)
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("reading Deployment %s in %s: %v", name, c.Namespace, short(err))
	}
	if d.Spec.Replicas != nil {
		s.Replicas = int(*d.Spec.Replicas)
	}
	s.Ready = int(d.Status.ReadyReplicas)
	list, err := c.Kube.Pods(ctx, c.Namespace, nameLabel+"="+name)
	if err != nil {
		return s, fmt.Errorf("listing the %s pods in %s: %v", name, c.Namespace, short(err))
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	var running []string
	for _, p := range list {
		pod := Pod{Name: p.Name, Phase: string(p.Status.Phase)}
		if p.DeletionTimestamp != nil {
			pod.Phase = "Terminating"
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
				pod.Ready = true
			}
		}
		for _, cs := range p.Status.ContainerStatuses {
			pod.Restarts += int(cs.RestartCount)
			if cs.State.Waiting != nil && cs.State.Waiting.Reason != "" {
				pod.Reason = cs.State.Waiting.Reason
			}
		}
		if p.Status.StartTime != nil {
			pod.StartedAt = p.Status.StartTime.UTC().Format(time.RFC3339)
		}
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			running = append(running, p.Name)
		}
		s.Pods = append(s.Pods, pod)
	}
	port, runsConfig := ServicePorts[name]
	if !runsConfig {
		s.InSync = true
		return s, nil
	}
	for _, pod := range running {
		st, err := c.status(ctx, pod, port)
		if err != nil {
			s.LastError = "no /status answer from " + pod + ": " + short(err)
			continue
		}
		s.ConfigSHA256, s.LastError = deref(st.ConfigSHA256), deref(st.LastError)
		break
	}
	s.InSync = s.ConfigSHA256 != "" && s.ConfigSHA256 == fileSHA
	return s, nil
}

// Restart rolls the service's pods as `kubectl rollout restart` does: a
// new annotation on the pod template.
func (c *Client) Restart(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, time.Now().Format(time.RFC3339Nano))
	if err := c.Kube.PatchDeployment(ctx, c.Namespace, name, types.StrategicMergePatchType, []byte(patch)); err != nil {
		return fmt.Errorf("restarting %s in %s: %v", name, c.Namespace, short(err))
	}
	return nil
}

// Scale sets the service's replicas: 0 stops it, 1 starts it.
func (c *Client) Scale(ctx context.Context, name string, replicas int) error {
	if err := checkName(name); err != nil {
		return err
	}
	patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas)
	if err := c.Kube.PatchDeployment(ctx, c.Namespace, name, types.MergePatchType, []byte(patch)); err != nil {
		return fmt.Errorf("scaling %s in %s to %d: %v", name, c.Namespace, replicas, short(err))
	}
	return nil
}

// LogLine is one line of a service's log.
type LogLine struct {
	Pod  string `json:"pod"`
	Line string `json:"line"`
}

// FollowLogs streams the service's log lines to emit until ctx ends. When
// the pods change (a restart), it follows the new ones from their start; a
// stream that broke is picked up again from where it stopped.
func (c *Client) FollowLogs(ctx context.Context, name string, tail int64, emit func(LogLine)) error {
	if err := checkName(name); err != nil {
		return err
	}
	var mu sync.Mutex
	following := map[string]bool{}
	lastSeen := map[string]time.Time{}
	for first := true; ; first = false {
		pods, err := c.pods(ctx, name)
		if err != nil && first {
			return err
		}
		for _, p := range pods {
			mu.Lock()
			if following[p.Name] {
				mu.Unlock()
				continue
			}
			following[p.Name] = true
			opts := &corev1.PodLogOptions{Container: name, Follow: true}
			if seen, ok := lastSeen[p.Name]; ok {
				opts.SinceTime = &metav1.Time{Time: seen}
			} else if first {
				opts.TailLines = &tail
			}
			mu.Unlock()
			go func(pod string) {
				defer func() {
					mu.Lock()
					following[pod] = false
					lastSeen[pod] = time.Now()
					mu.Unlock()
				}()
				stream, err := c.Kube.Logs(ctx, c.Namespace, pod, opts)
				if err != nil {
					if ctx.Err() == nil {
						emit(LogLine{Pod: pod, Line: "(log unavailable: " + short(err) + ")"})
					}
					return
				}
				defer stream.Close()
				sc := bufio.NewScanner(stream)
				sc.Buffer(make([]byte, 64*1024), 1024*1024)
				for sc.Scan() {
					mu.Lock()
					lastSeen[pod] = time.Now()
					mu.Unlock()
					emit(LogLine{Pod: pod, Line: sc.Text()})
				}
			}(p.Name)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(2 * time.Second):
		}
	}
}
