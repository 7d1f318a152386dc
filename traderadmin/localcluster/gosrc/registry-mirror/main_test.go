package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

func TestSplitPath(t *testing.T) {
	for _, tc := range []struct {
		path, repo, kind, ref string
		ok                    bool
	}{
		{"/v2/traderadmin/scanner/manifests/abc", "traderadmin/scanner", "manifests", "abc", true},
		{"/v2/pause/blobs/sha256:00", "pause", "blobs", "sha256:00", true},
		{"/v2/a/b/c/manifests/t", "a/b/c", "manifests", "t", true},
		{"/v2/scanner/manifests/", "", "", "", false},
		{"/v1/scanner/manifests/t", "", "", "", false},
	} {
		repo, kind, ref, ok := splitPath(tc.path)
		if repo != tc.repo || kind != tc.kind || ref != tc.ref || ok != tc.ok {
			t.Errorf("splitPath(%q) = %q %q %q %v", tc.path, repo, kind, ref, ok)
		}
	}
}

func TestQualify(t *testing.T) {
	for _, tc := range []struct{ repo, ns, want string }{
		{"traderadmin/scanner", "docker.io", "traderadmin/scanner"},
		{"library/busybox", "docker.io", "busybox"},
		{"pause", "traderadmin.local", "traderadmin.local/pause"},
		{"traderadmin/scanner", "", "traderadmin/scanner"},
	} {
		if got := qualify(tc.repo, tc.ns); got != tc.want {
			t.Errorf("qualify(%q, %q) = %q, want %q", tc.repo, tc.ns, got, tc.want)
		}
	}
}

// engine stands in for the Docker Engine: tags to images, changeable between pulls.
type engine map[string]v1.Image

func (e engine) load(ref string) (v1.Image, error) {
	if img, ok := e[ref]; ok {
		return img, nil
	}
	return nil, fmt.Errorf("%s: %w", ref, errNotFound)
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func TestServesWhatTheEngineHoldsNow(t *testing.T) {
	first, _ := random.Image(64, 1)
	second, _ := random.Image(64, 1)
	e := engine{"traderadmin/scanner:t": first}
	srv := httptest.NewServer(&mirror{images: newCache(2), load: e.load})
	defer srv.Close()

	code, _, head := get(t, srv.URL+"/v2/traderadmin/scanner/manifests/t?ns=docker.io")
	want, _ := first.Digest()
	if code != 200 || head.Get("Docker-Content-Digest") != want.String() {
		t.Fatalf("manifest: %d %s, want %s", code, head.Get("Docker-Content-Digest"), want)
	}
	layers, _ := first.Layers()
	digest, _ := layers[0].Digest()
	if code, body, _ := get(t, srv.URL+"/v2/traderadmin/scanner/blobs/"+digest.String()); code != 200 || len(body) == 0 {
		t.Fatalf("layer blob: %d", code)
	}
	manifest, _ := first.Manifest()
	code, body, _ := get(t, srv.URL+"/v2/traderadmin/scanner/blobs/"+manifest.Config.Digest.String())
	if raw, _ := first.RawConfigFile(); code != 200 || body != string(raw) {
		t.Fatalf("config blob: %d", code)
	}

	// The same tag rebuilt: the mirror answers with the new image; only a node's own cache would be stale.
	e["traderadmin/scanner:t"] = second
	_, _, head = get(t, srv.URL+"/v2/traderadmin/scanner/manifests/t?ns=docker.io")
	if now, _ := second.Digest(); head.Get("Docker-Content-Digest") != now.String() {
		t.Fatalf("after a rebuild the mirror served %s, want %s", head.Get("Docker-Content-Digest"), now)
	}
}

func TestMissingImagesAndWritesAreRefused(t *testing.T) {
	srv := httptest.NewServer(&mirror{images: newCache(2), load: engine{}.load})
	defer srv.Close()
	if code, _, _ := get(t, srv.URL+"/v2/traderadmin/scanner/manifests/nope"); code != http.StatusNotFound {
		t.Fatalf("missing image: %d, want 404", code)
	}
	if code, _, _ := get(t, srv.URL+"/v2/traderadmin/scanner/blobs/sha256:"+fmt.Sprintf("%064d", 0)); code != http.StatusNotFound {
		t.Fatalf("unknown blob: %d, want 404", code)
	}
	resp, err := http.Post(srv.URL+"/v2/traderadmin/scanner/blobs/uploads/", "application/octet-stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("push: %d, want 405", resp.StatusCode)
	}
}

func TestCacheDropsTheOldest(t *testing.T) {
	c := newCache(1)
	a, _ := random.Image(8, 1)
	b, _ := random.Image(8, 1)
	c.add(a)
	c.add(b)
	da, _ := a.Digest()
	db, _ := b.Digest()
	if c.byDigest(da.String()) != nil || c.byDigest(db.String()) == nil {
		t.Fatal("cache kept the wrong image")
	}
}

// containerdStoreImage reports, as go-containerregistry's daemon package does with the
// containerd image store, the engine's image ID (the manifest's digest) as its config name.
type containerdStoreImage struct{ v1.Image }

func (i containerdStoreImage) ConfigName() (v1.Hash, error) { return i.Image.Digest() }

func TestServesTheConfigBlobWhenTheEngineIDIsTheManifestDigest(t *testing.T) {
	base, _ := random.Image(64, 1)
	img := containerdStoreImage{base}
	srv := httptest.NewServer(&mirror{images: newCache(2), load: engine{"traderadmin/scanner:t": img}.load})
	defer srv.Close()
	get(t, srv.URL+"/v2/traderadmin/scanner/manifests/t?ns=docker.io")
	manifest, _ := base.Manifest()
	if code, _, _ := get(t, srv.URL+"/v2/traderadmin/scanner/blobs/"+manifest.Config.Digest.String()); code != 200 {
		t.Fatalf("config blob: %d, want 200", code)
	}
}
