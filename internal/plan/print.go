/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// symbols mark an object's action in text, as diff tools do.
var symbols = map[string]string{"create": "+", "update": "~", "delete": "-"}

// WriteText prints the plan for a terminal.
func (p *Plan) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "ClusterClaim %s: %s\n", p.Claim, p.Action)
	if p.Refused != "" {
		fmt.Fprintf(&b, "\nRefused: %s\n", p.Refused)
		_, err := io.WriteString(w, b.String())
		return err
	}
	for _, sec := range p.sections() {
		fmt.Fprintf(&b, "\n%s\n", sec.title)
		writeObjects(&b, sec.objs, "  ", "      ")
	}
	if len(p.Machines) > 0 {
		b.WriteString("\nMachines, in the order Cluster API rolls them\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  STEP\tPOOL\tMACHINE\tACTION\tWHY")
		for _, m := range p.Machines {
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", m.Step, m.Group(), m.label(), m.Action, strings.Join(m.Why, "; "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the plan as indented JSON, for a pipeline.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Reasons read "replicas 1 -> 3", not "1 -\u003e 3".
	enc.SetEscapeHTML(false)
	return enc.Encode(p)
}

// WriteMarkdown prints the plan as a pull-request comment.
func (p *Plan) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### ClusterClaim `%s`: %s\n", p.Claim, p.Action)
	if p.Refused != "" {
		fmt.Fprintf(&b, "\n**Refused:** %s\n", p.Refused)
		_, err := io.WriteString(w, b.String())
		return err
	}
	if len(p.Machines) > 0 {
		b.WriteString("\n| step | pool | machine | action | why |\n|---|---|---|---|---|\n")
		for _, m := range p.Machines {
			fmt.Fprintf(&b, "| %d | %s | %s | **%s** | %s |\n", m.Step, m.Group(), cell(m.label()), m.Action, cell(strings.Join(m.Why, "; ")))
		}
	}
	for _, sec := range p.sections() {
		fmt.Fprintf(&b, "\n<details><summary>%s: %d changed</summary>\n\n```diff\n", sec.title, len(sec.objs))
		writeObjects(&b, sec.objs, "", "    ")
		b.WriteString("```\n\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// A section is a titled list of changed objects.
type section struct {
	title string
	objs  []Object
}

// sections are the plan's non-empty lists of changed objects, composed ones first.
func (p *Plan) sections() []section {
	var out []section
	for _, sec := range []section{
		{"Composed resources", p.Composed},
		{"Cluster API topology (names of new objects are generated again when applied)", p.Topology},
	} {
		if len(sec.objs) > 0 {
			out = append(out, sec)
		}
	}
	return out
}

// writeObjects writes each object, a diff tool's mark first, and its fields below it.
func writeObjects(b *strings.Builder, objs []Object, indent, fieldIndent string) {
	for _, o := range objs {
		fmt.Fprintf(b, "%s%s %s %s\n", indent, symbols[o.Action], o.Kind, o.Name)
		for _, f := range o.Fields {
			fmt.Fprintf(b, "%s%s\n", fieldIndent, f)
		}
	}
}

// label names the machine, or counts machines not named yet.
func (m Machine) label() string {
	if m.Name != "" {
		return m.Name
	}
	if m.Count == 1 {
		return "1 machine"
	}
	return fmt.Sprintf("%d machines", m.Count)
}

// cell escapes a table cell's pipes.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
