/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command runtime-image writes the runtime image of a Capstan package (the provider or a
// function) as an OCI image tarball, without Docker: one layer holding a static linux binary at
// /<name>, run as a non-root user, with OCI labels. crossplane xpkg build embeds it with
// --embed-runtime-image-tarball; one image per architecture, one xpkg per image.
package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"

	"github.com/alecthomas/kong"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errRead  = "cannot read the binary"
	errLayer = "cannot build the image layer"
	errImage = "cannot build the image"
	errTag   = "cannot parse the image tag"
	errWrite = "cannot write the image tarball"

	// nonRoot is the distroless nonroot user and group.
	nonRoot = "65532:65532"
)

// cli writes one image. The binary's base name is its path in the image and the entrypoint.
type cli struct {
	Binary string            `help:"Static (CGO_ENABLED=0) linux binary; its base name is its path in the image and the entrypoint." required:"" type:"existingfile"`
	Arch   string            `enum:"amd64,arm64"                                                                                      help:"Architecture the binary is built for." required:""`
	Tag    string            `help:"Image reference recorded in the tarball."                                                         required:""`
	Port   []string          `help:"Ports the process listens on, e.g. 9443/tcp."`
	Label  map[string]string `help:"OCI labels, e.g. org.opencontainers.image.source=..."                                             mapsep:","`
	Out    string            `help:"Where to write the image tarball."                                                                required:""`
}

func (c *cli) Run() error {
	bin, err := os.ReadFile(c.Binary)
	if err != nil {
		return errors.Wrap(err, errRead)
	}
	entry := filepath.Base(c.Binary)
	layer, err := binaryLayer(entry, bin)
	if err != nil {
		return errors.Wrap(err, errLayer)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return errors.Wrap(err, errImage)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return errors.Wrap(err, errImage)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", c.Arch
	cfg.Config.Entrypoint = []string{"/" + entry}
	cfg.Config.User = nonRoot
	cfg.Config.Labels = c.Label
	if len(c.Port) > 0 {
		cfg.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range c.Port {
			cfg.Config.ExposedPorts[p] = struct{}{}
		}
	}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return errors.Wrap(err, errImage)
	}
	ref, err := name.NewTag(c.Tag)
	if err != nil {
		return errors.Wrap(err, errTag)
	}
	return errors.Wrap(tarball.WriteToFile(c.Out, ref, img), errWrite)
}

// binaryLayer is a layer holding the binary at /<entry> with a fixed mode and no timestamp, so
// the same binary always gives the same layer digest.
func binaryLayer(entry string, bin []byte) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: entry, Mode: 0o755, Size: int64(len(bin)), Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
}

func main() {
	ctx := kong.Parse(&cli{}, kong.Description("Write a Capstan package's runtime image tarball."))
	ctx.FatalIfErrorf(ctx.Run())
}
