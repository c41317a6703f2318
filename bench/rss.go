package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssSampler polls a process's resident set size and keeps the maximum, so a
// benchmark can report the server's memory high-water mark (Linux /proc only).
type rssSampler struct {
	stopc chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	max   int64
}

// startRSS begins sampling /proc/pid/status every interval. It fails at once
// if the file cannot be read, so a wrong --pid is reported before the run.
func startRSS(pid int, interval time.Duration) (*rssSampler, error) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	first, err := readRSS(path)
	if err != nil {
		return nil, fmt.Errorf("sample RSS of pid %d: %w", pid, err)
	}
	s := &rssSampler{stopc: make(chan struct{}), max: first}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stopc:
				return
			case <-t.C:
				s.sample(path)
			}
		}
	}()
	return s, nil
}

func (s *rssSampler) sample(path string) {
	v, err := readRSS(path)
	if err != nil {
		return // the process may have exited; keep what we saw
	}
	s.mu.Lock()
	s.max = max(s.max, v)
	s.mu.Unlock()
}

// stop ends sampling and returns the maximum in bytes.
func (s *rssSampler) stop() int64 {
	close(s.stopc)
	s.wg.Wait()
	return s.max
}

func readRSS(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseVmRSS(f)
}

// parseVmRSS reads the "VmRSS:  1234 kB" line of a /proc/PID/status file.
func parseVmRSS(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS value %q: %w", f[0], err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmRSS line (kernel thread or exited process?)")
}
