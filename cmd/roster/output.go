package main

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/directory"
)

// Output formats of the -o flag every command accepts: aligned tables for
// people, JSON for scripts.
const (
	formatText = "text"
	formatJSON = "json"
)

// outputFlag is the value of -o; an unknown format is refused while flags
// are parsed, so it is a usage error (exit 2) before anything runs.
type outputFlag string

func (o *outputFlag) String() string { return string(*o) }
func (o *outputFlag) Type() string   { return "format" }

func (o *outputFlag) Set(s string) error {
	switch s {
	case formatText, formatJSON:
		*o = outputFlag(s)
		return nil
	}
	return fmt.Errorf("unknown output format %q (text or json)", s)
}

// JSON reports whether -o json was asked for.
func (o *outputFlag) JSON() bool { return *o == formatJSON }

// addOutputFlag gives cmd the -o/--output flag and returns its value.
func addOutputFlag(cmd *cobra.Command) *outputFlag {
	o := outputFlag(formatText)
	cmd.Flags().VarP(&o, "output", "o", "output format: text or json")
	return &o
}

// printOutput writes v as indented JSON with -o json, and otherwise calls
// text to print it for people. Every command prints its result through
// here so that -o json means the same thing everywhere.
func printOutput(cmd *cobra.Command, o *outputFlag, v any, text func(w io.Writer) error) error {
	w := cmd.OutOrStdout()
	if o.JSON() {
		return writeJSON(w, v)
	}
	return text(w)
}

// wireList converts a list of directory values to the admin API's wire
// type for -o json, so a command on the database prints what the same
// command on a server prints; nil stays nil.
func wireList[T, W any](xs []T, f func(T) W) []W {
	if xs == nil {
		return nil
	}
	out := make([]W, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(w io.Writer, v any) error {
	if t := reflect.TypeOf(v); directory.IsDomainType(t) {
		// directory's types have no json tags: print admin's wire types.
		return fmt.Errorf("write JSON: %s is not a wire type", t)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// table prints aligned columns. Cells are shown with cell(), so nil
// pointers print as "-" and times in UTC.
type table struct {
	tw *tabwriter.Writer
}

// newTable starts a table with a header row.
func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	cells := make([]any, len(headers))
	for i, h := range headers {
		cells[i] = strings.ToUpper(h)
	}
	t.row(cells...)
	return t
}

// row adds one row.
func (t *table) row(cells ...any) {
	s := make([]string, len(cells))
	for i, c := range cells {
		s[i] = cell(c)
	}
	fmt.Fprintln(t.tw, strings.Join(s, "\t"))
}

// flush writes the table out; call it once, after the last row.
func (t *table) flush() error { return t.tw.Flush() }

// keyValues prints label/value pairs aligned, one per line: the text form
// of a single object.
func keyValues(w io.Writer, pairs ...any) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(tw, "%s:\t%s\n", cell(pairs[i]), cell(pairs[i+1]))
	}
	return tw.Flush()
}

// cell formats one value for a table. Tabs and new lines in values would
// break the columns, so they become spaces.
func cell(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		s = "-"
	case string:
		s = x
	case *string:
		if x == nil {
			return "-"
		}
		s = *x
	case *int:
		if x == nil {
			return "-"
		}
		s = fmt.Sprint(*x)
	case time.Time:
		if x.IsZero() {
			return "-"
		}
		s = x.UTC().Format("2006-01-02 15:04")
	case *time.Time:
		if x == nil || x.IsZero() {
			return "-"
		}
		s = x.UTC().Format("2006-01-02 15:04")
	case []string:
		s = strings.Join(x, ",")
	default:
		s = fmt.Sprint(x)
	}
	if s == "" {
		return "-"
	}
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}
