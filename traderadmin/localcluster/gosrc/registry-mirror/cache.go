package main

import (
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// cache keeps the images served lately, so the blob requests that follow a manifest
// find them; the oldest goes first once more than max are held.
type cache struct {
	mu     sync.Mutex
	max    int
	order  []v1.Hash // manifest digests, oldest first
	images map[v1.Hash]v1.Image
}

func newCache(max int) *cache {
	return &cache{max: max, images: map[v1.Hash]v1.Image{}}
}

// add stores img under its manifest digest and returns the copy to serve.
func (c *cache) add(img v1.Image) (v1.Image, error) {
	digest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if held, ok := c.images[digest]; ok {
		return held, nil
	}
	c.images[digest] = img
	c.order = append(c.order, digest)
	for len(c.order) > c.max {
		delete(c.images, c.order[0])
		c.order = c.order[1:]
	}
	return img, nil
}

func (c *cache) byDigest(ref string) v1.Image {
	h, err := v1.NewHash(ref)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.images[h]
}

// byBlob finds the held image whose config or one of whose layers is blob.
func (c *cache) byBlob(blob v1.Hash) v1.Image {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, img := range c.images {
		// The manifest, not ConfigName: with the containerd image store the engine's image ID
		// is the manifest's digest, which go-containerregistry reports as the config's name.
		manifest, err := img.Manifest()
		if err != nil {
			continue
		}
		if manifest.Config.Digest == blob {
			return img
		}
		for _, l := range manifest.Layers {
			if l.Digest == blob {
				return img
			}
		}
	}
	return nil
}
