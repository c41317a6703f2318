package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of utime and stime in /proc/PID/stat. Linux fixes it
// at 100 for user space on every architecture Roster runs on, whatever
// the kernel's own tick rate.
const userHZ = 100

// ProcessCPU is the CPU time (user + system) a process has used so far,
// from /proc/PID/stat (Linux only).
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(pid, string(b))
}

// parseStatCPU reads utime + stime from the text of /proc/PID/stat.
func parseStatCPU(pid int, s string) (time.Duration, error) {
	// The command name, field 2, is in parentheses and may hold spaces:
	// count fields after its closing one. utime and stime are fields 14
	// and 15, so the 12th and 13th after it.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	var ticks int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// cpuMeter measures the CPU time a set of processes spent during the
// measured phase: the server (Config.PID) and the database's backends
// (Config.DatabasePIDs), each divided by the operations that succeeded.
type cpuMeter struct {
	cfg    Config
	server time.Duration
	// db is each backend's CPU at the start; a backend that starts during
	// the run counts from zero, one that ends is lost (so the figure is a
	// floor).
	db map[int]time.Duration
}

func startCPU(ctx context.Context, cfg Config) *cpuMeter {
	m := &cpuMeter{cfg: cfg, db: map[int]time.Duration{}}
	if cfg.PID > 0 {
		m.server, _ = ProcessCPU(cfg.PID)
	}
	if cfg.DatabasePIDs != nil {
		pids, _ := cfg.DatabasePIDs(ctx)
		for _, pid := range pids {
			if v, err := ProcessCPU(pid); err == nil {
				m.db[pid] = v
			}
		}
	}
	return m
}

// stop fills rep's CPU-per-operation figures.
func (m *cpuMeter) stop(ctx context.Context, rep *Report, ok int) {
	if ok <= 0 {
		return
	}
	if m.cfg.PID > 0 {
		if v, err := ProcessCPU(m.cfg.PID); err == nil {
			rep.ServerCPUPerOp = (v - m.server) / time.Duration(ok)
		}
	}
	if m.cfg.DatabasePIDs != nil {
		pids, err := m.cfg.DatabasePIDs(ctx)
		if err != nil {
			return
		}
		var total time.Duration
		read := 0
		for _, pid := range pids {
			v, err := ProcessCPU(pid)
			if err != nil {
				continue // another machine's PostgreSQL, or the backend just ended
			}
			read++
			total += v - m.db[pid]
		}
		if read > 0 {
			rep.DatabaseCPUPerOp = total / time.Duration(ok)
		}
	}
}
