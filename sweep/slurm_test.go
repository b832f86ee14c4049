package sweep

import (
	"strings"
	"testing"
)

func TestArraySpec(t *testing.T) {
	for _, tt := range []struct {
		in   []int
		want string
	}{{[]int{0, 1, 2, 3}, "0-3"}, {[]int{0, 1, 2, 3, 5, 7, 8}, "0-3,5,7-8"}, {[]int{4}, "4"}} {
		if got := ArraySpec(tt.in); got != tt.want {
			t.Errorf("ArraySpec(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSbatchScript(t *testing.T) {
	p := testPlan(t)
	o := SlurmOptions{Zoo: "/shared/bin/zoo", Spec: "/shared/my sweep.json", Indexes: []int{0, 1, 2, 4}, Partition: "cpu",
		Time: "1:00:00", CPUsPerTask: 4, MaxParallel: 2, LogDir: "/shared/out/slurm"}
	s, err := SbatchScript(p, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"#!/bin/bash\n", "\n#SBATCH --array=0-2,4%2\n", "\n#SBATCH --cpus-per-task=4\n", "\n#SBATCH --partition=cpu\n",
		"\n#SBATCH --time=1:00:00\n", "\n#SBATCH --output=/shared/out/slurm/%A_%a.out\n", "\n#SBATCH --requeue\n",
		"\nexport GOMAXPROCS=\"${SLURM_CPUS_PER_TASK:-4}\"\n",
		"\nexec /shared/bin/zoo sweep run '/shared/my sweep.json' --index \"$SLURM_ARRAY_TASK_ID\"\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if strings.Count(s, "#SBATCH") != 9 {
		t.Errorf("script:\n%s", s)
	}
	o.Partition, o.Time, o.MaxParallel = "", "", 0
	s, _ = SbatchScript(p, o)
	if strings.Contains(s, "--partition") || strings.Contains(s, "--time") || !strings.Contains(s, "--array=0-2,4\n") {
		t.Errorf("defaults:\n%s", s)
	}
	for name, bad := range map[string]SlurmOptions{
		"no runs":    {Zoo: "z", Spec: "s", LogDir: "l"},
		"unsorted":   {Zoo: "z", Spec: "s", LogDir: "l", Indexes: []int{2, 1}},
		"outside":    {Zoo: "z", Spec: "s", LogDir: "l", Indexes: []int{6}},
		"no binary":  {Spec: "s", LogDir: "l", Indexes: []int{0}},
		"negative M": {Zoo: "z", Spec: "s", LogDir: "l", Indexes: []int{0}, MaxParallel: -1},
	} {
		if _, err := SbatchScript(p, bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
