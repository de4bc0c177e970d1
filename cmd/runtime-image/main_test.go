/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestImage(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "provider")
	if err := os.WriteFile(bin, []byte("#!fake function binary"), 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(out string) {
		t.Helper()
		c := &cli{Binary: bin, Arch: "arm64", Tag: "example.org/provider:dev", Port: []string{"9443/tcp"},
			Label: map[string]string{"org.opencontainers.image.source": "github.com/capstan-dev/capstan"}, Out: out}
		if err := c.Run(); err != nil {
			t.Fatal(err)
		}
	}
	a, b := filepath.Join(dir, "a.tar"), filepath.Join(dir, "b.tar")
	write(a)
	write(b)

	img, err := tarball.ImageFromPath(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/provider"}, cfg.Config.Entrypoint); diff != "" {
		t.Errorf("entrypoint: -want, +got:\n%s", diff)
	}
	if cfg.OS != "linux" || cfg.Architecture != "arm64" {
		t.Errorf("platform: want linux/arm64, got %s/%s", cfg.OS, cfg.Architecture)
	}
	if diff := cmp.Diff(map[string]string{"org.opencontainers.image.source": "github.com/capstan-dev/capstan"}, cfg.Config.Labels); diff != "" {
		t.Errorf("labels: -want, +got:\n%s", diff)
	}
	if _, ok := cfg.Config.ExposedPorts["9443/tcp"]; !ok {
		t.Errorf("exposed ports: want 9443/tcp, got %v", cfg.Config.ExposedPorts)
	}
	if cfg.Config.User != nonRoot {
		t.Errorf("user: want %q, got %q", nonRoot, cfg.Config.User)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("want one layer, got %d (%v)", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h, err := tar.NewReader(rc).Next()
	if err != nil || h.Name != "provider" || h.Mode != 0o755 {
		t.Errorf("layer: want provider with mode 0755, got %+v (%v)", h, err)
	}

	other, err := tarball.ImageFromPath(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	da, _ := img.Digest()
	db, _ := other.Digest()
	if da != db {
		t.Errorf("the same binary must give the same image digest: %s != %s", da, db)
	}
}
