// Package cluster is the app's side of the running stack: which cluster
// (chosen the way the toolkit chooses it), pushing a config through the
// config writer and confirming both services by hash, and the services
// panel (pods, restart, stop/start, logs). Everything goes through the API
// server with client-go (exec, the pod proxy, logs), as the toolkit does,
// so it works on every provider the toolkit supports.
package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

// The contexts the toolkit's own providers serve (traderadmin/cluster/detect.py).
const (
	LocalContext         = "traderadmin-local"
	DockerDesktopContext = "docker-desktop"
	DefaultNamespace     = "traderadmin"
)

// flavorContexts maps the local cluster's flavors to their contexts
// (traderadmin/localcluster/flavors.py).
var flavorContexts = map[string]string{
	"plain":   LocalContext,
	"kubeadm": DockerDesktopContext,
	"kind":    DockerDesktopContext,
}

// Env is what choosing a cluster looks at; HostEnv fills it from this machine.
type Env struct {
	Getenv func(string) string
	// InvokeFiles are the invoke config files, lowest precedence first
	// (system, user, project), as invoke reads them.
	InvokeFiles []string
	// Contexts in the kubeconfig (KUBECONFIG, else ~/.kube/config).
	Contexts []string
	// ServedContext is the context of the local cluster this host was set
	// up with ("" when none): the flavor `invoke cluster.up` last used.
	ServedContext string
	// LinuxRootDebian: the hosts the toolkit's local provider serves.
	LinuxRootDebian bool
	// DockerDesktop tells whether the Docker Engine is Docker Desktop's
	// (asked only when needed: it runs `docker info`).
	DockerDesktop func() bool
}

// Choice is the cluster and namespace to use, and why.
type Choice struct {
	Context   string
	Namespace string
	Why       string
}

// Choose mirrors the toolkit: --context, else INVOKE_TRADERADMIN_CONTEXT,
// else traderadmin.context in invoke.yaml, else the provider "auto"
// resolves to (traderadmin/cluster/providers.py: the local cluster this
// host runs; Docker Desktop's; the local provider's on Linux as root). The
// namespace likewise: flag, INVOKE_TRADERADMIN_NAMESPACE,
// traderadmin.namespace, "traderadmin".
func Choose(contextFlag, namespaceFlag string, env Env) (Choice, error) {
	settings := invokeSettings(env)
	ns := firstNonEmpty(namespaceFlag, env.Getenv("INVOKE_TRADERADMIN_NAMESPACE"), settings["namespace"], DefaultNamespace)
	if c := contextFlag; c != "" {
		return Choice{c, ns, "--context " + c}, nil
	}
	if c := env.Getenv("INVOKE_TRADERADMIN_CONTEXT"); c != "" {
		return Choice{c, ns, "INVOKE_TRADERADMIN_CONTEXT"}, nil
	}
	if c := settings["context"]; c != "" {
		return Choice{c, ns, "traderadmin.context in invoke.yaml"}, nil
	}
	has := func(name string) bool {
		for _, c := range env.Contexts {
			if c == name {
				return true
			}
		}
		return false
	}
	if env.ServedContext != "" && has(env.ServedContext) {
		return Choice{env.ServedContext, ns, "this host runs the local cluster (context " + env.ServedContext + ")"}, nil
	}
	if env.DockerDesktop != nil && env.DockerDesktop() {
		return Choice{DockerDesktopContext, ns, "the Docker Engine is Docker Desktop's"}, nil
	}
	if has(DockerDesktopContext) && !env.LinuxRootDebian {
		return Choice{DockerDesktopContext, ns, "kubeconfig has a 'docker-desktop' context"}, nil
	}
	if env.LinuxRootDebian {
		c := LocalContext
		if env.ServedContext != "" {
			c = env.ServedContext
		}
		return Choice{c, ns, "Linux (Debian/Ubuntu) as root: the local provider"}, nil
	}
	return Choice{}, fmt.Errorf("no cluster to use: Docker Desktop is not running and no context was chosen. " +
		"Fix: start Docker Desktop with Kubernetes enabled, or name your cluster's context with -context NAME " +
		"(or traderadmin.context in invoke.yaml, or INVOKE_TRADERADMIN_CONTEXT); `kubectl config get-contexts` lists them")
}

// invokeSettings reads the traderadmin section of the invoke config files;
// later files win, as in invoke.
func invokeSettings(env Env) map[string]string {
	out := map[string]string{}
	for _, path := range env.InvokeFiles {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var doc struct {
			TraderAdmin map[string]any `json:"traderadmin"`
		}
		if yaml.Unmarshal(data, &doc) != nil {
			continue
		}
		for _, k := range []string{"context", "namespace"} {
			if v, ok := doc.TraderAdmin[k].(string); ok {
				out[k] = v
			}
		}
	}
	return out
}

// HostEnv describes this machine; projectDir is the TraderAdmin repository
// (its invoke.yaml is the project config).
func HostEnv(projectDir string) Env {
	env := Env{Getenv: os.Getenv, LinuxRootDebian: linuxRootDebian()}
	env.InvokeFiles = []string{"/etc/invoke.yaml", "/etc/invoke.yml"}
	if home, err := os.UserHomeDir(); err == nil {
		env.InvokeFiles = append(env.InvokeFiles, filepath.Join(home, ".invoke.yaml"), filepath.Join(home, ".invoke.yml"))
	}
	if projectDir != "" {
		env.InvokeFiles = append(env.InvokeFiles, filepath.Join(projectDir, "invoke.yaml"), filepath.Join(projectDir, "invoke.yml"))
	}
	if cfg, err := clientcmd.NewDefaultClientConfigLoadingRules().Load(); err == nil {
		for name := range cfg.Contexts {
			env.Contexts = append(env.Contexts, name)
		}
	}
	if env.LinuxRootDebian {
		env.ServedContext = servedContext(os.Getenv)
	}
	env.DockerDesktop = dockerDesktopEngine
	return env
}

// servedContext reads the flavor `invoke cluster.up` last brought up
// (traderadmin/localcluster/lifecycle.py: <state dir>/flavor).
func servedContext(getenv func(string) string) string {
	dir := getenv("TRADERADMIN_STATE_DIR")
	if dir == "" {
		dir = "/var/lib/traderadmin/state" // root's state folder (paths.py)
	}
	data, err := os.ReadFile(filepath.Join(dir, "flavor"))
	if err != nil {
		return ""
	}
	return flavorContexts[strings.TrimSpace(string(data))]
}

func linuxRootDebian() bool {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		return false
	}
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && (k == "ID" || k == "ID_LIKE") {
			for _, id := range strings.Fields(strings.Trim(v, `"`)) {
				if id == "debian" || id == "ubuntu" {
					return true
				}
			}
		}
	}
	return false
}

// dockerDesktopEngine asks `docker info`, as the toolkit does.
func dockerDesktopEngine() bool {
	cmd := exec.Command("docker", "info", "--format", "{{.OperatingSystem}}|{{.Name}}")
	done := make(chan []byte, 1)
	go func() {
		out, _ := cmd.Output()
		done <- out
	}()
	select {
	case out := <-done:
		os, name, _ := strings.Cut(strings.TrimSpace(string(out)), "|")
		return os == "Docker Desktop" || name == "docker-desktop"
	case <-time.After(5 * time.Second):
		if cmd.Process != nil {
			cmd.Process.Kill()
		}
		return false
	}
}

// StartHint says how to start the cluster a context names (providers.py start_hint).
func StartHint(context string) string {
	switch {
	case context == LocalContext:
		return "start the local cluster: `invoke cluster.up` in the TraderAdmin repository (as root)"
	case context == DockerDesktopContext:
		return "start Docker Desktop and enable Kubernetes (Settings → Kubernetes → Enable Kubernetes), or `invoke cluster.up` for the local cluster's Docker Desktop flavors"
	case strings.HasPrefix(context, "kind-"):
		c := strings.TrimPrefix(context, "kind-")
		return fmt.Sprintf("kind cluster %q: `docker start %s-control-plane` (and its workers), or `kind create cluster --name %s`", c, c, c)
	case strings.HasPrefix(context, "k3d-"):
		return "k3d cluster: `k3d cluster start " + strings.TrimPrefix(context, "k3d-") + "`"
	case context == "rancher-desktop":
		return "start Rancher Desktop with Kubernetes enabled (Preferences → Kubernetes)"
	case context == "orbstack":
		return "`orb start k8s`"
	}
	return "if it is a minikube profile: `minikube start --profile " + context + "`; otherwise start the cluster it names"
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
