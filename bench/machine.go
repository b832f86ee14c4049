package main

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
)

// machine describes where the numbers were measured.
type machine struct {
	Date       string                       `json:"date"`
	CPU        string                       `json:"cpu"`
	CPUMHz     string                       `json:"cpu_mhz,omitempty"`
	CPUFlags   []string                     `json:"cpu_flags"` // SIMD flags of interest only
	LogicalCPU int                          `json:"logical_cpus"`
	Cores      string                       `json:"cores_per_socket,omitempty"`
	MemTotal   string                       `json:"mem_total,omitempty"`
	Kernel     string                       `json:"kernel,omitempty"`
	Go         string                       `json:"go"`
	GOARCH     string                       `json:"goarch"`
	GOAMD64    string                       `json:"goamd64,omitempty"`
	Env        map[string]string            `json:"env"`
	LoadStart  [3]float64                   `json:"loadavg_start"`
	LoadEnd    [3]float64                   `json:"loadavg_end"`
	Torch      map[string]map[string]string `json:"torch,omitempty"` // torch_ref.py --probe, per variant
	TorchNote  string                       `json:"torch_note,omitempty"`
}

// describeMachine reads /proc and the build information.
func describeMachine() machine {
	m := machine{
		Date:       time.Now().UTC().Format(time.RFC3339),
		LogicalCPU: runtime.NumCPU(),
		Go:         runtime.Version(),
		GOARCH:     runtime.GOARCH,
		Env:        benchEnv(os.Environ()),
		LoadStart:  loadAvg(),
	}
	info := cpuInfo()
	m.CPU, m.CPUMHz, m.Cores = info["model name"], info["cpu MHz"], info["cpu cores"]
	for _, f := range strings.Fields(info["flags"]) {
		if strings.HasPrefix(f, "avx") || f == "fma" || f == "sse4_2" || f == "f16c" {
			m.CPUFlags = append(m.CPUFlags, f)
		}
	}
	m.MemTotal = memTotal()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOAMD64" {
				m.GOAMD64 = s.Value
			}
		}
	}
	return m
}

// benchEnv keeps the environment variables that change speed: threads,
// BLAS selection, the Go runtime's knobs.
func benchEnv(environ []string) map[string]string {
	out := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		u := strings.ToUpper(k)
		if strings.Contains(u, "BLAS") || strings.HasPrefix(u, "OMP_") || strings.HasPrefix(u, "MKL") ||
			strings.HasPrefix(u, "KMP_") || strings.HasPrefix(u, "GOMP") || strings.HasPrefix(u, "NVPL") ||
			u == "GOMAXPROCS" || u == "GOGC" || u == "GOMEMLIMIT" || u == "GODEBUG" || u == "GOAMD64" ||
			u == "LD_LIBRARY_PATH" || u == "LD_PRELOAD" || strings.HasPrefix(u, "TORCH") || strings.HasPrefix(u, "DNNL") {
			out[k] = v
		}
	}
	return out
}

// cpuInfo returns the fields of the first processor in /proc/cpuinfo.
func cpuInfo() map[string]string {
	out := map[string]string{}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAvg returns the 1, 5 and 15 minute load averages (zeros if unknown).
func loadAvg() [3]float64 {
	var out [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return out
	}
	f := strings.Fields(string(b))
	for i := 0; i < 3 && i < len(f); i++ {
		out[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
