// Command registry-mirror serves the Docker Engine's images over the registry API,
// read-only, to the kind flavor's containerd: Docker Desktop's kind mode feeds its
// nodes the same way (desktop-containerd-registry-mirror), so an image must exist
// in the engine first, and a node keeps what it pulled: rebuilding a tag that a
// node already has serves the old image, as on the real thing.
//
// containerd asks for docker.io/traderadmin/scanner:TAG as
// GET /v2/traderadmin/scanner/manifests/TAG?ns=docker.io; every answer is read
// from the engine at that moment (`docker save` through go-containerregistry).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/daemon"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:5001", "address to serve the registry API on (loopback: only the node pulls)")
	keep := flag.Int("keep", 8, "images kept in memory between requests")
	flag.Parse()
	m := &mirror{images: newCache(*keep), load: loadFromDaemon}
	srv := &http.Server{Addr: *addr, Handler: m, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("serving the Docker Engine's images on %s (DOCKER_HOST=%q)", *addr, os.Getenv("DOCKER_HOST"))
	if err := srv.ListenAndServe(); err != nil {
		log.Fatalf("serving on %s: %v", *addr, err)
	}
}

// loadFromDaemon resolves ref in the engine now; a missing image is errNotFound.
func loadFromDaemon(ref string) (v1.Image, error) {
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", ref, errNotFound)
	}
	img, err := daemon.Image(parsed)
	if err != nil {
		if strings.Contains(err.Error(), "No such image") {
			return nil, fmt.Errorf("%s is not in the Docker Engine: %w", ref, errNotFound)
		}
		return nil, fmt.Errorf("reading %s from the Docker Engine: %w", ref, err)
	}
	return img, nil
}

var errNotFound = errors.New("not found")

type mirror struct {
	images *cache
	load   func(ref string) (v1.Image, error)
}

func (m *mirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "read-only mirror", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == "/v2/" || r.URL.Path == "/v2" {
		fmt.Fprint(w, "{}")
		return
	}
	repo, kind, ref, ok := splitPath(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	repo = qualify(repo, r.URL.Query().Get("ns"))
	var err error
	switch kind {
	case "manifests":
		err = m.manifest(w, r, repo, ref)
	case "blobs":
		err = m.blob(w, r, ref)
	}
	if errors.Is(err, errNotFound) {
		http.Error(w, err.Error(), http.StatusNotFound)
	} else if err != nil {
		log.Printf("%s %s: %v", r.Method, r.URL, err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// splitPath takes /v2/<repo>/(manifests|blobs)/<ref>; repo may hold slashes.
func splitPath(path string) (repo, kind, ref string, ok bool) {
	rest, found := strings.CutPrefix(path, "/v2/")
	if !found {
		return "", "", "", false
	}
	for _, k := range []string{"/manifests/", "/blobs/"} {
		if i := strings.LastIndex(rest, k); i > 0 && i+len(k) < len(rest) {
			return rest[:i], strings.Trim(k, "/"), rest[i+len(k):], true
		}
	}
	return "", "", "", false
}

// qualify gives the engine's name for a repository of registry ns: Docker keeps
// docker.io images without the registry (and library/ images without that too).
func qualify(repo, ns string) string {
	if ns == "" || ns == "docker.io" {
		return strings.TrimPrefix(repo, "library/")
	}
	return ns + "/" + repo
}

func (m *mirror) manifest(w http.ResponseWriter, r *http.Request, repo, ref string) error {
	var img v1.Image
	if strings.HasPrefix(ref, "sha256:") {
		img = m.images.byDigest(ref)
		if img == nil {
			return fmt.Errorf("manifest %s: %w", ref, errNotFound)
		}
	} else {
		loaded, err := m.load(repo + ":" + ref)
		if err != nil {
			return err
		}
		img, err = m.images.add(loaded)
		if err != nil {
			return err
		}
	}
	raw, err := img.RawManifest()
	if err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	mt, err := img.MediaType()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", string(mt))
	w.Header().Set("Docker-Content-Digest", digest.String())
	w.Header().Set("Content-Length", fmt.Sprint(len(raw)))
	if r.Method == http.MethodGet {
		_, err = w.Write(raw)
	}
	return err
}

func (m *mirror) blob(w http.ResponseWriter, r *http.Request, ref string) error {
	h, err := v1.NewHash(ref)
	if err != nil {
		return fmt.Errorf("blob %q: %w", ref, errNotFound)
	}
	img := m.images.byBlob(h)
	if img == nil {
		return fmt.Errorf("blob %s: %w", ref, errNotFound)
	}
	w.Header().Set("Docker-Content-Digest", h.String())
	manifest, err := img.Manifest()
	if err != nil {
		return err
	}
	if manifest.Config.Digest == h {
		raw, err := img.RawConfigFile()
		if err != nil {
			return err
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(raw)))
		if r.Method == http.MethodGet {
			_, err = w.Write(raw)
		}
		return err
	}
	layer, err := img.LayerByDigest(h)
	if err != nil {
		return err
	}
	size, err := layer.Size()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Length", fmt.Sprint(size))
	if r.Method == http.MethodHead {
		return nil
	}
	rc, err := layer.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(w, rc)
	return err
}
