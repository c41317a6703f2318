package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// result is what one run of the roster command printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// runRoster runs the roster command tree in-process as main would, with
// stdin, and returns its output and exit code. Flags are reset first, since
// the tree is one global value shared by every run.
func runRoster(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runRosterContext(context.Background(), t, stdin, &syncBuffer{}, args...)
}

// runRosterContext is runRoster with a context (cancel it to stop serve)
// and a caller-owned stderr, which a test can read while the command runs.
func runRosterContext(ctx context.Context, t *testing.T, stdin string, stderr *syncBuffer, args ...string) result {
	t.Helper()
	reset(rootCmd)
	var stdout syncBuffer
	rootCmd.SetArgs(args)
	rootCmd.SetIn(strings.NewReader(stdin))
	rootCmd.SetOut(&stdout)
	rootCmd.SetErr(stderr)
	err := rootCmd.ExecuteContext(ctx)
	res := result{code: 0}
	if err != nil {
		// As main does.
		stderr.Write([]byte("roster: " + err.Error() + "\n"))
		res.code = 1
		var ee *exitError
		if errors.As(err, &ee) {
			res.code = ee.code
		}
	}
	res.stdout, res.stderr = stdout.String(), stderr.String()
	return res
}

// reset puts every flag of the tree back to its default, and forgets the
// context of the last run, which cobra would otherwise keep for
// subcommands.
func reset(c *cobra.Command) {
	c.SetContext(nil) //lint:ignore SA1012 nil is how cobra knows to take the new run's context
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			sv.Replace(nil)
		} else {
			f.Value.Set(f.DefValue)
		}
		f.Changed = false
	})
	for _, sub := range c.Commands() {
		reset(sub)
	}
}

// syncBuffer is a bytes.Buffer safe for a server writing its log while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
