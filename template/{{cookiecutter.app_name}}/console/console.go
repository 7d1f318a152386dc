package console

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"traderadmin.local/configcontract"

	"traderadmin.local/console/cluster"
	"traderadmin.local/console/watch"
)

// Events the console emits to the front end.
const (
	EventConfigChanged = "config:changed" // {sha256}
	EventPushProgress  = "push:progress"  // cluster.PushResult
	EventLogsPrefix    = "logs:"          // + service: cluster.LogLine
)

// Options configure a Console.
type Options struct {
	Files Files
	// ContextFlag and NamespaceFlag override the cluster choice (-context, -namespace).
	ContextFlag, NamespaceFlag string
	// ProjectDir is the TraderAdmin repository (its invoke.yaml); "" for none.
	ProjectDir string
	// Env is the machine as cluster choice sees it; nil means cluster.HostEnv(ProjectDir).
	Env *cluster.Env
	// Emit sends an event to the front end; nil drops events.
	Emit func(name string, data any)
	// UIStateFile receives ReportUI's state as JSON ("" for none).
	UIStateFile string
	// PushTimeout is how long Push waits for the services (default 30 s).
	PushTimeout time.Duration
}

// Console is the app's back end.
type Console struct {
	*Config
	opt Options

	mu      sync.Mutex
	client  *cluster.Client
	info    cluster.Info
	logs    map[string]context.CancelFunc
	watcher *watch.Watcher
	uiMu    sync.Mutex
}

// New makes a console; Start begins watching the file.
func New(opt Options) *Console {
	if opt.Emit == nil {
		opt.Emit = func(string, any) {}
	}
	return &Console{Config: NewConfig(opt.Files), opt: opt, logs: map[string]context.CancelFunc{}}
}

// Start watches config.toml and emits "config:changed" when its bytes change.
func (c *Console) Start() error {
	w, err := watch.New(c.opt.Files.Config, func(sha string) {
		c.opt.Emit(EventConfigChanged, map[string]string{"sha256": sha})
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.watcher = w
	c.mu.Unlock()
	return nil
}

// Stop ends the watch and every log stream.
func (c *Console) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watcher != nil {
		c.watcher.Close()
		c.watcher = nil
	}
	for name, cancel := range c.logs {
		cancel()
		delete(c.logs, name)
	}
}

// Cluster tells which cluster the app uses and whether it answers; it
// connects again when the last attempt failed (so Retry works).
func (c *Console) Cluster() (*cluster.Info, error) {
	// Asked afresh each time: the answer is what a Retry button needs.
	c.mu.Lock()
	c.client = nil
	c.mu.Unlock()
	_, info := c.connect()
	return &info, nil
}

// connect returns the client, connecting when there is none (the last
// attempt failed, or Cluster asked afresh).
func (c *Console) connect() (*cluster.Client, cluster.Info) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != nil {
		return c.client, c.info
	}
	env := c.opt.Env
	if env == nil {
		e := cluster.HostEnv(c.opt.ProjectDir)
		env = &e
	}
	choice, err := cluster.Choose(c.opt.ContextFlag, c.opt.NamespaceFlag, *env)
	if err != nil {
		c.info = cluster.Info{Error: err.Error()}
		return nil, c.info
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.client, c.info = cluster.Connect(ctx, choice)
	return c.client, c.info
}

// UseClient sets the cluster client (tests, and tools that chose it themselves).
func (c *Console) UseClient(cl *cluster.Client, info cluster.Info) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.client, c.info = cl, info
}

// clusterErr turns a failed cluster call into the cluster's own story when
// it no longer answers (then the error says how to bring it back).
func (c *Console) clusterErr(err error) error {
	if err == nil {
		return nil
	}
	c.mu.Lock()
	c.client = nil
	c.mu.Unlock()
	if _, info := c.connect(); !info.Reachable {
		return fmt.Errorf("%s", info.Error)
	}
	return err
}

func (c *Console) needClient() (*cluster.Client, error) {
	cl, info := c.connect()
	if cl == nil {
		return nil, fmt.Errorf("%s", info.Error)
	}
	return cl, nil
}

// Push puts config.toml as it is on disk into the cluster and waits for
// both services to confirm its hash (or reject it, with their reason).
func (c *Console) Push(confirmLive bool) (*cluster.PushResult, error) {
	cl, err := c.needClient()
	if err != nil {
		return nil, err
	}
	// What the services would refuse is refused here, with the same words,
	// before anything reaches the cluster.
	v, err := c.judgeFile(nil)
	if err != nil {
		return nil, err
	}
	data := v.base
	if len(v.problems) > 0 {
		return nil, refusal("config.toml is invalid, so it was not pushed", v.problems)
	}
	doc, _ := configcontract.Parse(data)
	res, err := cl.Push(context.Background(), data, configcontract.Hash(data), cluster.PushOptions{
		Timeout: c.opt.PushTimeout, ConfirmLive: confirmLive, NewMode: modeOf(doc),
		Progress: func(p cluster.PushResult) { c.opt.Emit(EventPushProgress, p) },
	})
	return res, c.clusterErr(err)
}

// Services lists the stack's services against the local file's hash.
func (c *Console) Services() ([]cluster.Service, error) {
	cl, err := c.needClient()
	if err != nil {
		return nil, err
	}
	sha := ""
	if data, err := c.readConfig(); err == nil {
		sha = configcontract.Hash(data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	services, err := cl.Services(ctx, sha)
	return services, c.clusterErr(err)
}

// Restart rolls a service's pods.
func (c *Console) Restart(service string) error {
	return c.withClient(func(ctx context.Context, cl *cluster.Client) error { return cl.Restart(ctx, service) })
}

// StopService scales a service to 0.
func (c *Console) StopService(service string) error {
	return c.withClient(func(ctx context.Context, cl *cluster.Client) error { return cl.Scale(ctx, service, 0) })
}

// StartService scales a service to 1.
func (c *Console) StartService(service string) error {
	return c.withClient(func(ctx context.Context, cl *cluster.Client) error { return cl.Scale(ctx, service, 1) })
}

func (c *Console) withClient(do func(context.Context, *cluster.Client) error) error {
	cl, err := c.needClient()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return c.clusterErr(do(ctx, cl))
}

// FollowLogs streams a service's log lines as "logs:<service>" events
// until StopLogs; following it again restarts the stream.
func (c *Console) FollowLogs(service string) error {
	if !cluster.IsService(service) {
		return fmt.Errorf("%q is not a service of the stack: use orchestrator, scanner or config-writer", service)
	}
	cl, err := c.needClient()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.mu.Lock()
	if old := c.logs[service]; old != nil {
		old()
	}
	c.logs[service] = cancel
	c.mu.Unlock()
	go func() {
		err := cl.FollowLogs(ctx, service, 100, func(l cluster.LogLine) { c.opt.Emit(EventLogsPrefix+service, l) })
		if err != nil {
			c.opt.Emit(EventLogsPrefix+service, cluster.LogLine{Line: "(" + err.Error() + ")"})
		}
	}()
	return nil
}

// StopLogs ends a service's log stream.
func (c *Console) StopLogs(service string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cancel := c.logs[service]; cancel != nil {
		cancel()
		delete(c.logs, service)
	}
	return nil
}

// ReportUI writes what the front end shows to the UI state file (for the
// end-to-end test), atomically so a reader never sees half of it.
func (c *Console) ReportUI(state UIState) error {
	if c.opt.UIStateFile == "" {
		return nil
	}
	data, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return err
	}
	c.uiMu.Lock()
	defer c.uiMu.Unlock()
	tmp := filepath.Join(filepath.Dir(c.opt.UIStateFile), "."+filepath.Base(c.opt.UIStateFile)+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("writing the UI state %s: %w", c.opt.UIStateFile, err)
	}
	if err := os.Rename(tmp, c.opt.UIStateFile); err != nil {
		return fmt.Errorf("writing the UI state %s: %w", c.opt.UIStateFile, err)
	}
	return nil
}
