/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package registry

import (
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"k8s.io/client-go/util/cert"
)

// image writes a random image for platform ("" for none) as a tarball, as xpkg build does.
func image(t *testing.T, platform string) (string, v1.Hash) {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	if platform != "" {
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cfg = cfg.DeepCopy()
		cfg.OS, cfg.Architecture, _ = strings.Cut(platform, "/")
		if img, err = mutate.ConfigFile(img, cfg); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "pkg.xpkg")
	if err := tarball.WriteToFile(path, name.MustParseReference("example.org/pkg:dev"), img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return path, d
}

func TestPush(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, err := Start(dir)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = r.Stop() })

	// A client that trusts only the CA bundle Start wrote, as Crossplane with --ca-bundle-path.
	b, err := os.ReadFile(filepath.Join(dir, CAFile))
	if err != nil {
		t.Fatalf("CA bundle: %v", err)
	}
	pool, err := cert.NewPoolFromBytes(b)
	if err != nil {
		t.Fatalf("CA bundle: %v", err)
	}
	opts := []remote.Option{remote.WithTransport(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})}

	conf, confDigest := image(t, "")
	ref, err := r.Push(ctx, "capstan/configuration", "v0.1.0", conf)
	if err != nil {
		t.Fatalf("Push one file: %v", err)
	}
	img, err := remote.Image(ref, opts...)
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	if d, _ := img.Digest(); d != confDigest {
		t.Errorf("pull %s: digest %s, want the pushed %s", ref, d, confDigest)
	}

	amd, amdDigest := image(t, "linux/amd64")
	arm, armDigest := image(t, "linux/arm64")
	ref, err = r.Push(ctx, "capstan/provider", "v0.1.0", amd, arm)
	if err != nil {
		t.Fatalf("Push two platforms: %v", err)
	}
	for arch, want := range map[string]v1.Hash{"amd64": amdDigest, "arm64": armDigest} {
		platform := v1.Platform{OS: "linux", Architecture: arch}
		img, err := remote.Image(ref, append(opts, remote.WithPlatform(platform))...)
		if err != nil {
			t.Fatalf("pull %s for %s: %v", ref, platform, err)
		}
		if d, _ := img.Digest(); d != want {
			t.Errorf("pull %s for %s: digest %s, want %s", ref, platform, d, want)
		}
	}
	// The package manager resolves a version constraint from the repository's tags.
	tags, err := remote.List(ref.Context(), opts...)
	if err != nil || len(tags) != 1 || tags[0] != "v0.1.0" {
		t.Errorf("tags of %s: got %v, %v; want [v0.1.0]", ref.Context(), tags, err)
	}

	if _, err := r.Push(ctx, "capstan/provider", "v0.1.0", conf, amd); err == nil || !strings.Contains(err.Error(), "names no platform") {
		t.Errorf("Push of an image with no platform into an index: got %v, want an error naming the file", err)
	}
	if err := r.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := r.Stop(); err != nil {
		t.Errorf("Stop again: %v", err)
	}
}
