//go:build e2e && (soak || scale)

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"bufio"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/capstan-dev/capstan/internal/stack"
)

type peak struct {
	name string
	kib  int
}

// watchRSS samples the resident memory of the stack's processes until the returned function is
// called, which returns each process's peak, largest first.
func watchRSS() func() []peak {
	var mu sync.Mutex
	peaks := map[string]int{}
	stop := make(chan struct{})
	go func() {
		for {
			for _, p := range stack.Children() {
				if kib := rssKiB(p.PID); kib > 0 {
					mu.Lock()
					peaks[p.Name] = max(peaks[p.Name], kib)
					mu.Unlock()
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Second):
			}
		}
	}()
	return func() []peak {
		close(stop)
		mu.Lock()
		defer mu.Unlock()
		out := make([]peak, 0, len(peaks))
		for n, k := range peaks {
			out = append(out, peak{n, k})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].kib > out[j].kib })
		return out
	}
}

// rssKiB is a process's resident memory, from /proc (Linux; 0 elsewhere).
func rssKiB(pid int) int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kib, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kib
		}
	}
	return 0
}
