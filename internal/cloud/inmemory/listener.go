/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"log"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/go-logr/logr"
)

// trackingListener remembers every connection it accepted, so closing it can end them all:
// http.Server.Close does not end hijacked connections (port forwards), and Shutdown waits on them.
type trackingListener struct {
	net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

func newTrackingListener(l net.Listener) *trackingListener {
	return &trackingListener{Listener: l, conns: map[net.Conn]struct{}{}}
}

// Accept returns the next connection, tracked until it is closed.
func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		_ = c.Close()
		return nil, net.ErrClosed
	}
	tc := &trackedConn{Conn: c, l: l}
	l.conns[tc] = struct{}{}
	return tc, nil
}

// closeAll closes the listener and every connection still open.
func (l *trackingListener) closeAll() {
	_ = l.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for c := range l.conns {
		_ = c.(*trackedConn).Conn.Close()
		delete(l.conns, c)
	}
}

type trackedConn struct {
	net.Conn
	l    *trackingListener
	once sync.Once
}

// Close closes the connection and forgets it.
func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// logWriter sends an http.Server's own messages (TLS handshake errors and the like) to log at
// debug level: a client probing a load balancer with no control plane is not news.
func logWriter(l logr.Logger) *log.Logger {
	return log.New(logrWriter{l}, "", 0)
}

type logrWriter struct{ l logr.Logger }

func (w logrWriter) Write(p []byte) (int, error) {
	w.l.V(1).Info(strings.TrimSpace(string(p)))
	return len(p), nil
}

func itoa(i int32) string {
	return strconv.Itoa(int(i))
}
