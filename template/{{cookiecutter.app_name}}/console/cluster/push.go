package cluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The stack as deploy/ defines it (traderadmin/stack/volume.py).
const (
	Writer     = "config-writer"
	ConfigPath = "/config/config.toml"
	nameLabel  = "app.kubernetes.io/name"
)

// ServicePorts are the services that run a config and report it on /status.
var ServicePorts = map[string]int{"orchestrator": 8080, "scanner": 8081}

// serviceOrder is how the services panel lists the Deployments.
var serviceOrder = []string{"orchestrator", "scanner", Writer}

// signalArgv asks the orchestrator (PID 1) to reload (traderadmin/stack/reload.py).
var signalArgv = []string{"/bin/sh", "-c", "kill -USR1 1"}

// PushResult is a push as far as it got; "push:progress" carries it too.
type PushResult struct {
	SHA256   string           `json:"sha256"`
	OK       bool             `json:"ok"`
	Seconds  float64          `json:"seconds"`
	Written  bool             `json:"written"` // false: the volume held these bytes already
	Services []ServiceConfirm `json:"services"`
	// NeedsLiveConfirm: the push would switch the running stack to LIVE;
	// nothing was written; push again with confirmLive.
	NeedsLiveConfirm bool   `json:"needsLiveConfirm"`
	Error            string `json:"error"` // why it is not ok, in words
}

// ServiceConfirm is one service pod's answer.
type ServiceConfirm struct {
	Service  string  `json:"service"`
	Pod      string  `json:"pod"`
	SHA256   string  `json:"sha256"` // what it runs now
	OK       bool    `json:"ok"`     // runs the pushed config
	Rejected bool    `json:"rejected"`
	Error    string  `json:"error"` // the service's own reason (/status last_error)
	Seconds  float64 `json:"seconds"`
}

// PushOptions tune a push; zero values take the defaults.
type PushOptions struct {
	Timeout     time.Duration // for both services to answer; default 30 s (reload_timeout)
	Interval    time.Duration // between /status polls of one pod; default 20 ms
	ConfirmLive bool
	NewMode     string // trading.mode of the pushed config
	Progress    func(PushResult)
}

// serviceStatus is the part of a service's /status a push reads.
type serviceStatus struct {
	ConfigSHA256       *string        `json:"config_sha256"`
	LastError          *string        `json:"last_error"`
	LastRejectedSHA256 *string        `json:"last_rejected_sha256"`
	Config             map[string]any `json:"config"`
}

// Push writes data into the config volume through the writer pod, signals
// the orchestrators, and polls each service pod's /status until it runs
// sha256 or has rejected it (then its own last_error says why).
func (c *Client) Push(ctx context.Context, data []byte, sha256 string, opt PushOptions) (*PushResult, error) {
	if opt.Timeout == 0 {
		opt.Timeout = 30 * time.Second
	}
	if opt.Interval == 0 {
		opt.Interval = 20 * time.Millisecond
	}
	started := time.Now()
	res := &PushResult{SHA256: sha256, Services: []ServiceConfirm{}}
	pods := map[string][]corev1.Pod{}
	for _, svc := range []string{Writer, "orchestrator", "scanner"} {
		list, err := c.pods(ctx, svc)
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("no running %s pod in namespace %s of context %s: deploy the stack first with `invoke deploy --namespace %s`", svc, c.Namespace, c.Context, c.Namespace)
		}
		pods[svc] = list
	}
	if opt.NewMode == "LIVE" && !opt.ConfirmLive {
		if running := c.runningMode(ctx, pods); running != "LIVE" {
			res.NeedsLiveConfirm = true
			res.Error = fmt.Sprintf("the stack runs %s and this config switches it to LIVE, which trades real money; nothing was pushed. Confirm LIVE to push it", firstNonEmpty(running, "no config"))
			return res, nil
		}
	}
	// The writer checks the bytes against the hash before it replaces the file.
	argv := []string{"/configwriter", "put", ConfigPath, sha256, base64.StdEncoding.EncodeToString(data)}
	out, _, err := c.Exec.Exec(ctx, c.Namespace, pods[Writer][0].Name, Writer, argv)
	if err != nil {
		return nil, fmt.Errorf("could not write the config into the volume: %v", err)
	}
	var put struct {
		Changed bool `json:"changed"`
	}
	if err := json.Unmarshal([]byte(out), &put); err != nil {
		return nil, fmt.Errorf("the config writer answered %q, not JSON: %v", strings.TrimSpace(out), err)
	}
	res.Written = put.Changed

	// The scanner sees the rename through its watch; the orchestrator is
	// also signalled, while the polls already run.
	signalErr := make(chan error, 1)
	go func() {
		var first error
		for _, p := range pods["orchestrator"] {
			if _, _, err := c.Exec.Exec(ctx, c.Namespace, p.Name, "orchestrator", signalArgv); err != nil && first == nil {
				first = fmt.Errorf("signalling the orchestrator %s: %v", p.Name, err)
			}
		}
		signalErr <- first
	}()

	var mu sync.Mutex
	confirms := map[string]*ServiceConfirm{}
	var names []string
	for _, svc := range []string{"orchestrator", "scanner"} {
		for _, p := range pods[svc] {
			confirms[p.Name] = &ServiceConfirm{Service: svc, Pod: p.Name}
			names = append(names, p.Name)
		}
	}
	snapshot := func() []ServiceConfirm {
		out := make([]ServiceConfirm, 0, len(names))
		for _, n := range names {
			out = append(out, *confirms[n])
		}
		return out
	}
	deadline, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		go func(sc *ServiceConfirm) {
			defer wg.Done()
			for {
				st, err := c.status(deadline, sc.Pod, ServicePorts[sc.Service])
				mu.Lock()
				changed := false
				if err == nil {
					got := deref(st.ConfigSHA256)
					changed = got != sc.SHA256
					sc.SHA256 = got
					switch {
					case got == sha256:
						sc.OK, sc.Error, changed = true, "", true
					case deref(st.LastRejectedSHA256) == sha256:
						sc.Rejected, sc.Error, changed = true, deref(st.LastError), true
					}
				} else if sc.Error == "" {
					sc.Error = "no /status answer yet: " + short(err)
				}
				sc.Seconds = time.Since(started).Seconds()
				done := sc.OK || sc.Rejected
				if changed && opt.Progress != nil {
					p := *res
					p.Services = snapshot()
					p.Seconds = time.Since(started).Seconds()
					opt.Progress(p)
				}
				mu.Unlock()
				if done {
					return
				}
				select {
				case <-deadline.Done():
					return
				case <-time.After(opt.Interval):
				}
			}
		}(confirms[n])
	}
	wg.Wait()
	res.Seconds = time.Since(started).Seconds()
	res.Services = snapshot()
	res.OK = true
	var why []string
	for _, sc := range res.Services {
		if sc.OK {
			continue
		}
		res.OK = false
		switch {
		case sc.Rejected:
			why = append(why, fmt.Sprintf("%s rejected it: %s", sc.Service, orNone(sc.Error)))
		default:
			why = append(why, fmt.Sprintf("%s (%s) still runs %s after %s; last error: %s", sc.Service, sc.Pod, shortSHA(sc.SHA256), opt.Timeout, orNone(sc.Error)))
		}
	}
	select {
	case err := <-signalErr:
		if err != nil && !res.OK {
			why = append(why, err.Error())
		}
	case <-time.After(2 * time.Second):
	}
	res.Error = strings.Join(why, "; ")
	return res, nil
}

// runningMode is the trading.mode the services run now ("" when none runs a config).
func (c *Client) runningMode(ctx context.Context, pods map[string][]corev1.Pod) string {
	for _, svc := range []string{"orchestrator", "scanner"} {
		for _, p := range pods[svc] {
			st, err := c.status(ctx, p.Name, ServicePorts[svc])
			if err != nil || st.Config == nil {
				continue
			}
			if trading, ok := st.Config["trading"].(map[string]any); ok {
				mode, _ := trading["mode"].(string)
				return mode
			}
		}
	}
	return ""
}

// status GETs a service pod's /status through the API server's pod proxy.
func (c *Client) status(ctx context.Context, pod string, port int) (*serviceStatus, error) {
	body, err := c.Kube.ProxyGet(ctx, c.Namespace, pod, port, "status")
	if err != nil {
		return nil, err
	}
	var st serviceStatus
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, fmt.Errorf("/status of %s is not JSON: %v", pod, err)
	}
	return &st, nil
}

// pods lists a Deployment's pods that are running and not going away, by name.
func (c *Client) pods(ctx context.Context, svc string) ([]corev1.Pod, error) {
	list, err := c.Kube.Pods(ctx, c.Namespace, nameLabel+"="+svc)
	if err != nil {
		return nil, fmt.Errorf("listing the %s pods in %s: %v", svc, c.Namespace, short(err))
	}
	var out []corev1.Pod
	for _, p := range list {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func orNone(s string) string {
	if s == "" {
		return "none reported"
	}
	return s
}

func shortSHA(s string) string {
	if s == "" {
		return "no config"
	}
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
