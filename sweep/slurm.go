package sweep

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// SlurmOptions configure the job array of [SbatchScript].
type SlurmOptions struct {
	// Zoo is the absolute path of the zoo binary, on a file system every
	// node sees (required).
	Zoo string
	// Spec is the absolute path of the spec file (required).
	Spec string
	// Indexes are the runs to submit, in increasing order (required).
	Indexes []int
	// Partition is sbatch's --partition (default: the cluster's default).
	Partition string
	// Time is sbatch's --time limit per task, e.g. "1:00:00" (default:
	// the partition's).
	Time string
	// CPUsPerTask is sbatch's --cpus-per-task (default 1); each task runs
	// with GOMAXPROCS set to it.
	CPUsPerTask int
	// MaxParallel caps the tasks running at once (the array's %M); 0
	// leaves it to the scheduler.
	MaxParallel int
	// LogDir receives one log per task, JOBID_TASK.out (required).
	LogDir string
	// Dir is the tasks' working directory, where a relative Spec.Out
	// starts (sbatch --chdir; default: the directory sbatch runs in).
	Dir string
}

// SbatchScript returns a batch script that submits the plan's selected
// runs as one job array: task i runs `zoo sweep run SPEC --index i`. A
// task that Slurm stops (time limit, scancel, preemption) receives SIGTERM,
// and zoo saves the run's checkpoint before it exits; the array is
// requeueable (--requeue), and a requeued or resubmitted task resumes the
// run from that checkpoint.
func SbatchScript(p *Plan, o SlurmOptions) (string, error) {
	switch {
	case o.Zoo == "" || o.Spec == "" || o.LogDir == "":
		return "", errors.New("sweep: slurm: the zoo binary, the spec and the log folder are required")
	case len(o.Indexes) == 0:
		return "", errors.New("sweep: slurm: no runs to submit")
	case o.CPUsPerTask < 0:
		return "", errors.Errorf("sweep: slurm: cpus-per-task %d: want ≥ 1", o.CPUsPerTask)
	case o.MaxParallel < 0:
		return "", errors.Errorf("sweep: slurm: max-parallel %d: want ≥ 0", o.MaxParallel)
	}
	for k, i := range o.Indexes {
		if i < 0 || i >= len(p.Runs) || (k > 0 && i <= o.Indexes[k-1]) {
			return "", errors.WithMessagef(ErrIndex, "slurm: indexes %v, plan of %d runs", o.Indexes, len(p.Runs))
		}
	}
	cpus := max(1, o.CPUsPerTask)
	array := ArraySpec(o.Indexes)
	if o.MaxParallel > 0 {
		array += "%" + strconv.Itoa(o.MaxParallel)
	}
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("#!/bin/bash")
	line("# zoo sweep %s: %d of %d runs; task i runs run i of the plan (zoo sweep plan SPEC).", p.Name, len(o.Indexes), len(p.Runs))
	line("#SBATCH --job-name=%s", shellWord("zoo-"+p.Name))
	line("#SBATCH --array=%s", array)
	line("#SBATCH --cpus-per-task=%d", cpus)
	line("#SBATCH --ntasks=1")
	if o.Partition != "" {
		line("#SBATCH --partition=%s", shellWord(o.Partition))
	}
	if o.Time != "" {
		line("#SBATCH --time=%s", shellWord(o.Time))
	}
	if o.Dir != "" {
		line("#SBATCH --chdir=%s", shellWord(o.Dir))
	}
	line("#SBATCH --output=%s", shellWord(strings.TrimSuffix(o.LogDir, "/")+"/%A_%a.out"))
	line("#SBATCH --open-mode=append")
	line("#SBATCH --requeue")
	line("export GOMAXPROCS=\"${SLURM_CPUS_PER_TASK:-%d}\"", cpus)
	line("exec %s sweep run %s --index \"$SLURM_ARRAY_TASK_ID\"", shellQuote(o.Zoo), shellQuote(o.Spec))
	return b.String(), nil
}

// ArraySpec writes increasing indexes as a Slurm array range list:
// [0 1 2 3 5 7 8] → "0-3,5,7-8".
func ArraySpec(idx []int) string {
	var parts []string
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(idx[i]))
		} else {
			parts = append(parts, strconv.Itoa(idx[i])+"-"+strconv.Itoa(idx[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// shellQuote quotes s for bash.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:+,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellWord returns s for an #SBATCH line, where sbatch splits on space.
func shellWord(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' {
			return '_'
		}
		return r
	}, s)
}
