/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/util/duration"
)

// maxDetail is the longest DETAIL cell.
const maxDetail = 140

// redraw moves a terminal's cursor up %d lines and clears from there down, so a watched tree
// redraws in place below whatever was printed before it.
const redraw = "\033[%dA\033[J"

// render writes the tree as aligned columns, ages relative to now; a zero now leaves ages out.
func render(w io.Writer, root *node, now time.Time) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
	_, _ = fmt.Fprintln(tw, "NAME\tSTATE\tAGE\tDETAIL")
	var walk func(n *node, prefix, branch string)
	walk = func(n *node, prefix, branch string) {
		age := ""
		if !now.IsZero() && !n.Created.IsZero() {
			age = duration.HumanDuration(now.Sub(n.Created))
		}
		_, _ = fmt.Fprintf(tw, "%s%s%s/%s\t%s\t%s\t%s\n", prefix, branch, n.Kind, n.Name, n.State, age, oneLine(n.Detail))
		// Children line up under their parent's name.
		switch branch {
		case "├─ ":
			prefix += "│  "
		case "└─ ":
			prefix += "   "
		}
		for i, c := range n.Children {
			b := "├─ "
			if i == len(n.Children)-1 {
				b = "└─ "
			}
			walk(c, prefix, b)
		}
	}
	walk(root, "", "")
	if err := tw.Flush(); err != nil {
		return err
	}
	// Rows with empty trailing cells would end in padding.
	for line := range strings.Lines(b.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// oneLine keeps a condition message to one line of at most maxDetail characters. A long one keeps
// its start and its end: Crossplane and Cluster API messages wrap their cause last ("cannot
// compose resources: ...: no matches for kind ...").
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= maxDetail {
		return s
	}
	const head = 40
	return string(r[:head]) + " … " + string(r[len(r)-(maxDetail-head-3):])
}

// watcher shows a tree as it changes.
type watcher struct {
	out      io.Writer
	interval time.Duration

	// tty redraws in place; otherwise a tree is printed again only when more than its ages changed.
	tty   bool
	width int
	last  string
	lines int
}

// newWatcher shows trees on f, redrawing them in place when f is a terminal.
func newWatcher(f *os.File, interval time.Duration) *watcher {
	w := &watcher{out: f, interval: interval}
	if fd := int(f.Fd()); term.IsTerminal(fd) {
		w.tty = true
		w.width, _, _ = term.GetSize(fd)
	}
	return w
}

// clip cuts every line of s to width characters, so none wraps and the redraw's line count holds.
func clip(s string, width int) string {
	if width <= 0 {
		return s
	}
	var b strings.Builder
	for line := range strings.Lines(s) {
		line = strings.TrimSuffix(line, "\n")
		if r := []rune(line); len(r) > width {
			line = string(r[:width])
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// show draws one reading of the tree (or the error that stood in its way).
func (w *watcher) show(root *node, err error, now time.Time) {
	var full, key bytes.Buffer
	if err != nil {
		_, _ = fmt.Fprintf(&full, "waiting: %v\n", err)
		key.Write(full.Bytes())
	} else {
		_ = render(&full, root, now)
		_ = render(&key, root, time.Time{})
	}
	if w.tty {
		if w.lines > 0 {
			_, _ = fmt.Fprintf(w.out, redraw, w.lines)
		}
		out := clip(full.String(), w.width)
		_, _ = fmt.Fprint(w.out, out)
		w.lines = strings.Count(out, "\n")
		return
	}
	if key.String() == w.last {
		return
	}
	w.last = key.String()
	_, _ = fmt.Fprintln(w.out, full.String())
}

// until reads the tree every interval and shows it, until done says so of a reading (returning
// it) or ctx ends (nil, nil). A nil done watches until ctx ends.
func (w *watcher) until(ctx context.Context, read func(context.Context) (*node, error), done func(*node) bool) (*node, error) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		root, err := read(ctx)
		w.show(root, err, time.Now())
		if err == nil && done != nil && done(root) {
			return root, nil
		}
		select {
		case <-ctx.Done():
			return nil, nil
		case <-t.C:
		}
	}
}

// ready is true of a tree whose claim is Ready.
func ready(root *node) bool {
	return root.State == "Ready"
}
