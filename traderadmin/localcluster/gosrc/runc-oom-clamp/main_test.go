package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestClamp(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		floor   int
		want    string // expected oomScoreAdj after, "" when absent
		changed bool
	}{
		{"sandbox raised", `{"process":{"oomScoreAdj":-998}}`, 0, "0", true},
		{"raised to a negative floor", `{"process":{"oomScoreAdj":-998}}`, -500, "-500", true},
		{"higher score kept", `{"process":{"oomScoreAdj":1000}}`, 0, "1000", false},
		{"equal kept", `{"process":{"oomScoreAdj":0}}`, 0, "0", false},
		{"no score", `{"process":{"args":["/pause"]}}`, 0, "", false},
		{"no process", `{"ociVersion":"1.0.2"}`, 0, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, changed, err := clamp([]byte(tc.in), tc.floor)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed {
				t.Fatalf("changed = %v, want %v", changed, tc.changed)
			}
			var spec struct {
				Process map[string]json.RawMessage `json:"process"`
			}
			if err := json.Unmarshal(out, &spec); err != nil {
				t.Fatal(err)
			}
			if got := string(spec.Process["oomScoreAdj"]); got != tc.want {
				t.Fatalf("oomScoreAdj = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestClampKeepsLargeNumbersExact(t *testing.T) {
	in := `{"process":{"oomScoreAdj":-998},"linux":{"resources":{"memory":{"limit":9223372036854771712}}}}`
	out, _, err := clamp([]byte(in), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "9223372036854771712") {
		t.Fatalf("memory limit lost its exact value: %s", out)
	}
}

func TestClampRejectsBrokenJSON(t *testing.T) {
	if _, _, err := clamp([]byte(`{"process":`), 0); err == nil {
		t.Fatal("broken config.json accepted")
	}
}

func TestBundleOf(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		bundle string
		ok     bool
	}{
		{[]string{"--root", "/r", "--log", "l.json", "create", "--bundle", "/b", "--pid-file", "p", "id"}, "/b", true},
		{[]string{"create", "-b", "/b2", "id"}, "/b2", true},
		{[]string{"run", "--bundle=/b3", "id"}, "/b3", true},
		{[]string{"--root", "/r", "kill", "id", "9"}, "", false},
		{[]string{"delete", "--force", "id"}, "", false},
	} {
		got, ok := bundleOf(tc.args)
		if ok != tc.ok || (ok && got != tc.bundle) {
			t.Errorf("bundleOf(%v) = %q, %v; want %q, %v", tc.args, got, ok, tc.bundle, tc.ok)
		}
	}
}
