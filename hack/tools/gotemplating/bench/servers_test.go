/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bench

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// Where the two functions build from: ours from this repository's module, the peer from the
// tools module that pins it (make bench.peer sets the environment that fetches it from git).
const (
	repoRoot    = "../../../.."
	ourPackage  = "./functions/clusterclaim"
	peerModule  = ".."
	peerPackage = "github.com/crossplane-contrib/function-go-templating"
)

// startTimeout is how long a function may take to accept connections.
const startTimeout = 30 * time.Second

const (
	errBuild = "cannot build %s"
	errStart = "cannot start %s"
	errServe = "%s does not accept connections on %s"
	errDial  = "cannot dial %s"
)

// A server is a composition function served on a unix socket by a process of its own.
type server struct {
	cmd    *exec.Cmd
	exited chan struct{}
	conn   *grpc.ClientConn
	client fnv1.FunctionRunnerServiceClient
}

// The servers the benchmark calls: the ClusterClaim function, function-go-templating and a
// function that does nothing.
type servers struct {
	dir                 string
	capstan, peer, noop *server
}

// running holds the servers, started once per test binary and stopped by TestMain.
var running struct {
	once sync.Once
	s    *servers
	err  error
}

// startServers returns the running servers, building and starting them on first use.
func startServers(t testing.TB) *servers {
	t.Helper()
	running.once.Do(func() { running.s, running.err = newServers() })
	if running.err != nil {
		t.Fatal(running.err)
	}
	return running.s
}

// stopServers stops whatever startServers started.
func stopServers() {
	if running.s != nil {
		running.s.stop()
	}
}

func newServers() (*servers, error) {
	dir, err := os.MkdirTemp("", "capstan-peer-")
	if err != nil {
		return nil, err
	}
	s := &servers{dir: dir}
	if err := s.start(); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *servers) start() error {
	ours, peer := filepath.Join(s.dir, "function-clusterclaim"), filepath.Join(s.dir, "function-go-templating")
	if err := goBuild(repoRoot, ourPackage, ours); err != nil {
		return err
	}
	if err := goBuild(peerModule, peerPackage, peer); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if s.capstan, err = serve(s.dir, "capstan", withFlags(ours)); err != nil {
		return err
	}
	if s.peer, err = serve(s.dir, "go-templating", withFlags(peer)); err != nil {
		return err
	}
	s.noop, err = serve(s.dir, "noop", func(sock string) *exec.Cmd {
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), envNoopSocket+"="+sock)
		return cmd
	})
	return err
}

func (s *servers) stop() {
	for _, srv := range []*server{s.capstan, s.peer, s.noop} {
		if srv != nil {
			srv.stop()
		}
	}
	_ = os.RemoveAll(s.dir)
}

// goBuild builds package pkg of the module in dir into out.
func goBuild(dir, pkg, out string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg) //nolint:gosec // fixed packages: this repository's function and the pinned peer.
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return errors.Wrapf(errors.Errorf("%v\n%s", err, b), errBuild, pkg)
	}
	return nil
}

// withFlags serves a function binary with the flags both functions take, as the SDK's template
// declares them.
func withFlags(bin string) func(sock string) *exec.Cmd {
	return func(sock string) *exec.Cmd {
		return exec.Command(bin, "--insecure", "--network=unix", "--address="+sock) //nolint:gosec // the binaries this test built.
	}
}

// serve runs the function name, serving on a unix socket in dir with its output in name.log
// there, and returns it once it accepts connections.
func serve(dir, name string, command func(sock string) *exec.Cmd) (*server, error) {
	sock := filepath.Join(dir, name+".sock")
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	defer log.Close() // The child holds its own descriptor.
	cmd := command(sock)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, errors.Wrapf(err, errStart, name)
	}
	srv := &server{cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(srv.exited)
	}()

	deadline := time.After(startTimeout)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			_ = c.Close()
			break
		}
		select {
		case <-srv.exited:
			return nil, errors.Errorf(errServe+":\n%s", name, sock, tail(log.Name()))
		case <-deadline:
			srv.stop()
			return nil, errors.Errorf(errServe+" after %s:\n%s", name, sock, startTimeout, tail(log.Name()))
		case <-time.After(20 * time.Millisecond):
		}
	}
	srv.conn, err = grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		srv.stop()
		return nil, errors.Wrapf(err, errDial, sock)
	}
	srv.client = fnv1.NewFunctionRunnerServiceClient(srv.conn)
	return srv, nil
}

func (s *server) stop() {
	if s.conn != nil {
		_ = s.conn.Close()
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// tail returns the end of a log, to say why a function did not start.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(bytes.TrimSpace(b))
}
