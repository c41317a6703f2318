package bench

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and a parenthesis, as a process may have.
	stat := "4242 (postgres: a) b) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 75 0 0 20 0 1 0 100 0 0"
	got, err := parseStatCPU(4242, stat)
	if err != nil || got != 3250*time.Millisecond {
		t.Errorf("parse: %v, %v; want 3.25s (325 ticks)", got, err)
	}
	if _, err := parseStatCPU(1, "1 (short) S 1 2"); err == nil {
		t.Error("a truncated stat line was accepted")
	}
}

func TestProcessCPUGrowsWithWork(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/PID/stat is Linux's")
	}
	start, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Work until the kernel has charged at least two ticks more.
	x := 0
	for {
		for i := range 1_000_000 {
			x ^= i
		}
		now, err := ProcessCPU(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if now-start >= 2*time.Second/userHZ {
			break
		}
	}
	_ = x
}
