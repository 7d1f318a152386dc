package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestChooseFollowsTheToolkitsOrder(t *testing.T) {
	dir := t.TempDir()
	project := filepath.Join(dir, "invoke.yaml")
	os.WriteFile(project, []byte("traderadmin:\n  context: from-yaml\n  namespace: ns-yaml\n"), 0o644)
	user := filepath.Join(dir, "user.yaml")
	os.WriteFile(user, []byte("traderadmin:\n  context: from-user\n"), 0o644)
	yes := func() bool { return true }
	tests := []struct {
		name            string
		flag, nsFlag    string
		env             map[string]string
		files           []string
		contexts        []string
		served          string
		rootDebian      bool
		dockerDesktop   func() bool
		wantCtx, wantNS string
		wantErr         string
	}{
		{name: "the flag wins", flag: "kind-x", env: map[string]string{"INVOKE_TRADERADMIN_CONTEXT": "env"}, files: []string{project}, wantCtx: "kind-x", wantNS: "ns-yaml"},
		{name: "then the environment", env: map[string]string{"INVOKE_TRADERADMIN_CONTEXT": "env", "INVOKE_TRADERADMIN_NAMESPACE": "ns-env"}, files: []string{project}, wantCtx: "env", wantNS: "ns-env"},
		{name: "then invoke.yaml, the project's over the user's", files: []string{user, project}, wantCtx: "from-yaml", wantNS: "ns-yaml"},
		{name: "the user's alone", files: []string{user}, wantCtx: "from-user", wantNS: DefaultNamespace},
		{name: "the namespace flag", nsFlag: "ta-app", files: []string{project}, wantCtx: "from-yaml", wantNS: "ta-app"},
		{name: "the local cluster this host runs", contexts: []string{"docker-desktop", LocalContext}, served: LocalContext, rootDebian: true, dockerDesktop: yes, wantCtx: LocalContext, wantNS: DefaultNamespace},
		{name: "a served context missing from kubeconfig is skipped", contexts: []string{"docker-desktop"}, served: LocalContext, dockerDesktop: yes, wantCtx: DockerDesktopContext, wantNS: DefaultNamespace},
		{name: "docker desktop's context off Linux root", contexts: []string{"docker-desktop", "kind-a"}, wantCtx: DockerDesktopContext, wantNS: DefaultNamespace},
		{name: "Linux root falls to the local provider", contexts: []string{"docker-desktop"}, rootDebian: true, wantCtx: LocalContext, wantNS: DefaultNamespace},
		{name: "nothing fits", contexts: []string{"kind-a"}, wantErr: "-context NAME"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := Env{
				Getenv:          func(k string) string { return tc.env[k] },
				InvokeFiles:     tc.files,
				Contexts:        tc.contexts,
				ServedContext:   tc.served,
				LinuxRootDebian: tc.rootDebian,
				DockerDesktop:   tc.dockerDesktop,
			}
			got, err := Choose(tc.flag, tc.nsFlag, env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got.Context != tc.wantCtx || got.Namespace != tc.wantNS || got.Why == "" {
				t.Fatalf("got %+v, %v; want %s in %s", got, err, tc.wantCtx, tc.wantNS)
			}
		})
	}
}

func TestServedContextReadsTheFlavor(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "TRADERADMIN_STATE_DIR" {
			return dir
		}
		return ""
	}
	for flavor, want := range map[string]string{"plain": LocalContext, "kind": DockerDesktopContext, "kubeadm": DockerDesktopContext, "nonsense": ""} {
		os.WriteFile(filepath.Join(dir, "flavor"), []byte(flavor+"\n"), 0o644)
		if got := servedContext(getenv); got != want {
			t.Errorf("flavor %s: %q, want %q", flavor, got, want)
		}
	}
}
