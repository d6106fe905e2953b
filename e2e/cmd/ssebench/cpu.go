package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// A cpuSample is the CPU time of the machine and of this process tree
// (ssebench, its browser and the browser's children), in clock ticks, from
// /proc (Linux).
type cpuSample struct {
	busy, total, ours uint64
}

// sampleCPU reads the CPU times, or reports that it cannot.
func sampleCPU() (cpuSample, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSample{}, false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return cpuSample{}, false
	}
	var s cpuSample
	for i, f := range fields[1:] {
		if i >= 8 { // guest time is counted in user time already
			break
		}
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return cpuSample{}, false
		}
		s.total += v
		if i != 3 && i != 4 { // idle and iowait
			s.busy += v
		}
	}

	entries, err := os.ReadDir("/proc")
	if err != nil {
		return cpuSample{}, false
	}
	parent := map[int]int{}
	ticks := map[int]uint64{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, t, ok := procTicks(pid)
		if ok {
			parent[pid], ticks[pid] = ppid, t
		}
	}
	self := os.Getpid()
	for pid, t := range ticks {
		for p := pid; p > 1; p = parent[p] {
			if p == self {
				s.ours += t
				break
			}
		}
	}
	return s, true
}

// procTicks returns the parent of pid and the CPU time of pid and of its
// children that it waited for (utime, stime, cutime, cstime of proc(5)).
func procTicks(pid int) (ppid int, ticks uint64, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// The command name, in parentheses, may hold spaces: fields start
	// after the last ')'.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is the state (field 3 of proc(5)), f[1] the parent (4), and
	// f[11:15] utime, stime, cutime and cstime (14 to 17).
	if len(f) < 15 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	if err != nil {
		return 0, 0, false
	}
	for _, s := range f[11:15] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		ticks += uint64(max(v, 0))
	}
	return ppid, ticks, true
}

// othersShare returns the share of the machine's CPU time between a and b
// that went to processes outside this process tree.
func othersShare(a, b cpuSample) float64 {
	total := float64(b.total - a.total)
	if total <= 0 {
		return 0
	}
	others := float64(b.busy) - float64(a.busy) - (float64(b.ours) - float64(a.ours))
	return min(max(others/total, 0), 1)
}
