/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command image writes the function's runtime image as an OCI image tarball, without Docker:
// one layer holding the static function binary at /function, run as a non-root user. crossplane
// xpkg build embeds it with --embed-runtime-image-tarball.
package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"

	"github.com/alecthomas/kong"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errRead   = "cannot read the function binary"
	errLayer  = "cannot build the image layer"
	errImage  = "cannot build the image"
	errTag    = "cannot parse the image tag"
	errWrite  = "cannot write the image tarball"
	entryPath = "function"
	nonRoot   = "65532:65532"
	grpcPort  = "9443/tcp"
)

type cli struct {
	Binary string `help:"Static (CGO_ENABLED=0) linux function binary."       required:"" type:"existingfile"`
	Tag    string `default:"xpkg.capstan.dev/capstan/function-clusterclaim:dev" help:"Image reference recorded in the tarball."`
	Out    string `help:"Where to write the image tarball."                    required:""`
}

func (c *cli) Run() error {
	bin, err := os.ReadFile(c.Binary)
	if err != nil {
		return errors.Wrap(err, errRead)
	}
	layer, err := binaryLayer(bin)
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
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Entrypoint = []string{"/" + entryPath}
	cfg.Config.User = nonRoot
	cfg.Config.ExposedPorts = map[string]struct{}{grpcPort: {}}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return errors.Wrap(err, errImage)
	}
	ref, err := name.NewTag(c.Tag)
	if err != nil {
		return errors.Wrap(err, errTag)
	}
	return errors.Wrap(tarball.WriteToFile(c.Out, ref, img), errWrite)
}

// binaryLayer is a layer holding the binary at /function with a fixed mode and no timestamp, so
// the same binary always gives the same layer digest.
func binaryLayer(bin []byte) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: entryPath, Mode: 0o755, Size: int64(len(bin)), Typeflag: tar.TypeReg}); err != nil {
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
	ctx := kong.Parse(&cli{}, kong.Description("Write the function's runtime image tarball."))
	ctx.FatalIfErrorf(ctx.Run())
}
