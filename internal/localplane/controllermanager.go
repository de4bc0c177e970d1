/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package localplane

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/childproc"
)

const controllerManagerBinary = "kube-controller-manager"

// controllers are the kube-controller-manager controllers a management plane needs: ownerReference
// cascades (Crossplane and Cluster API rely on them) and namespace deletion. The rest manage Pods
// and Nodes, which a management plane without kubelets never has.
const controllers = "garbagecollector,namespace"

// controllerManager is a kube-controller-manager child process.
type controllerManager struct {
	binary     string
	kubeconfig string
	output     io.Writer

	cmd  *exec.Cmd
	done chan error
}

func (c *controllerManager) start(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	c.cmd = exec.Command(c.binary, //nolint:gosec // the binary is the one the caller chose to run.
		"--kubeconfig="+c.kubeconfig,
		"--authentication-kubeconfig="+c.kubeconfig,
		"--authorization-kubeconfig="+c.kubeconfig,
		"--controllers="+controllers,
		"--leader-elect=false",
		"--use-service-account-credentials=false",
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
	)
	c.cmd.Stdout, c.cmd.Stderr = c.output, c.output
	// NOTE: a process group of its own keeps a terminal's Ctrl-C from killing it before Stop can
	// run, and it ends should this process die without stopping it.
	c.cmd.SysProcAttr = childproc.Group()
	if err := c.cmd.Start(); err != nil {
		return err
	}
	childproc.WatchParent(c.cmd.Process.Pid)
	c.done = make(chan error, 1)
	go func() { c.done <- c.cmd.Wait() }()

	if err := c.waitHealthy(ctx, port); err != nil {
		_ = c.stop()
		return err
	}
	return nil
}

// waitHealthy polls the controller manager's /healthz, failing early if the process exits.
func (c *controllerManager) waitHealthy(ctx context.Context, port int) error {
	client := &http.Client{
		Timeout: time.Second,
		// The serving certificate is self-signed by the controller manager itself.
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // loopback health probe only.
	}
	url := "https://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	return wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(context.Context) (bool, error) {
		select {
		case err := <-c.done:
			c.done <- err
			return false, errors.Errorf("exited before becoming healthy: %v", err)
		default:
		}
		resp, err := client.Get(url)
		if err != nil {
			return false, nil //nolint:nilerr // not serving yet.
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

// stop sends SIGTERM, waits for the process to exit and kills it after stopTimeout.
func (c *controllerManager) stop() error {
	if c.cmd == nil || c.cmd.Process == nil {
		return nil
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(stopTimeout):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	c.cmd = nil
	return nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
