/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bench

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat: USER_HZ, 100 on every Linux.
const userHZ = 100

// cpuTime returns the CPU time the server's process has used, user and system, every thread
// included: a call's cost with its garbage collection, which wall time on a busy machine hides.
// It returns false where /proc does not say (not Linux).
func (s *server) cpuTime() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// Fields after the command name, which may hold spaces, start at field 3 (state); utime and
	// stime are fields 14 and 15.
	rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, false
	}
	utime, uerr := strconv.ParseInt(f[11], 10, 64)
	stime, serr := strconv.ParseInt(f[12], 10, 64)
	if uerr != nil || serr != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / userHZ, true
}
