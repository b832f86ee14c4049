package main

import (
	"flag"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/models"
)

// modelFlags override a registry model's default configuration: its
// architecture and every regularization knob. Only flags given on the
// command line change the configuration.
type modelFlags struct {
	hidden        string
	activation    string
	inputDropout  float64
	hiddenDropout float64
	weightScaling bool
	norm          string
	bn, noBN      bool
	groups        int
	l1, l2        float64
	weightElim    float64
	weightElimW0  float64
	maxNorm       float64
	dtype         string
}

// register defines the flags on fs.
func (f *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.hidden, "hidden", "", "hidden layer widths of an MLP, comma-separated, e.g. 800,800 (default: the model's)")
	fs.StringVar(&f.activation, "activation", "", "nonlinearity: relu, sigmoid or tanh (default: the model's)")
	fs.Float64Var(&f.inputDropout, "input-dropout", 0, "drop probability on an MLP's inputs, 0 <= p < 1 (default: the model's)")
	fs.Float64Var(&f.hiddenDropout, "hidden-dropout", 0, "drop probability after each hidden fully connected layer, 0 <= p < 1 (default: the model's)")
	fs.BoolVar(&f.weightScaling, "weight-scaling-dropout", false, "dropout without scaling in training, weights scaled by the retain probability at test (Srivastava et al. 2014) instead of inverted dropout")
	fs.StringVar(&f.norm, "norm", "", "normalisation before each hidden nonlinearity: batch, group, layer, instance or none (default: the model's)")
	fs.BoolVar(&f.bn, "bn", false, "shorthand for --norm batch (--bn=false: --norm none)")
	fs.BoolVar(&f.noBN, "no-bn", false, "shorthand for --norm none")
	fs.IntVar(&f.groups, "groups", 0, "GroupNorm's number of groups (default 8, or the channel count if smaller)")
	fs.Float64Var(&f.l1, "l1", 0, "L1 penalty λ·Σ|w| on the weights (default: the model's, usually 0)")
	fs.Float64Var(&f.l2, "l2", 0, "L2 penalty λ·Σw² on the weights (default: the model's, usually 0); see also --weight-decay")
	fs.Float64Var(&f.weightElim, "weight-elim", 0, "weight-elimination penalty λ·Σ(w/w0)²/(1+(w/w0)²) (default: the model's, usually 0)")
	fs.Float64Var(&f.weightElimW0, "weight-elim-w0", 0, "w0 of the weight-elimination penalty (default 1)")
	fs.Float64Var(&f.maxNorm, "max-norm", 0, "bound on each unit's incoming weight vector's L2 norm after every step; 0 = off (default: the model's)")
	fs.StringVar(&f.dtype, "dtype", "", "float32 or float64 (default float32)")
}

// config returns the model's default configuration with the flags given on
// the command line applied, validated. An error is a usage error.
func (f *modelFlags) config(fs *flag.FlagSet, e models.Entry) (models.Config, error) {
	set := setFlags(fs)
	cfg := e.Defaults
	cfg.Hidden = append([]int(nil), cfg.Hidden...)
	if set["hidden"] {
		h, err := parseInts(f.hidden)
		if err != nil {
			return cfg, errors.WithMessage(err, "--hidden")
		}
		cfg.Hidden = h
	}
	if set["activation"] {
		cfg.Activation = f.activation
	}
	if set["input-dropout"] {
		cfg.InputDropout = f.inputDropout
	}
	if set["hidden-dropout"] {
		cfg.HiddenDropout = f.hiddenDropout
	}
	if set["weight-scaling-dropout"] {
		cfg.WeightScalingDropout = f.weightScaling
	}
	norm, normSet := f.norm, set["norm"]
	alias := func(flagName, want string) error {
		if normSet && norm != want {
			return errors.Errorf("--%s contradicts --norm %s", flagName, norm)
		}
		norm, normSet = want, true
		return nil
	}
	if set["bn"] {
		want := "none"
		if f.bn {
			want = "batch"
		}
		if err := alias("bn", want); err != nil {
			return cfg, err
		}
	}
	if set["no-bn"] && f.noBN {
		if err := alias("no-bn", "none"); err != nil {
			return cfg, err
		}
	}
	if normSet {
		switch norm {
		case "none":
			cfg.Norm = ""
		case "":
			return cfg, errors.New("--norm: empty value (use none)")
		default:
			cfg.Norm = norm
		}
	}
	if set["groups"] {
		cfg.Groups = f.groups
	}
	for _, p := range []struct {
		name string
		dst  *float64
		v    float64
	}{{"l1", &cfg.L1, f.l1}, {"l2", &cfg.L2, f.l2}, {"weight-elim", &cfg.WeightElimination, f.weightElim},
		{"weight-elim-w0", &cfg.WeightEliminationW0, f.weightElimW0}, {"max-norm", &cfg.MaxNorm, f.maxNorm}} {
		if set[p.name] {
			*p.dst = p.v
		}
	}
	if set["dtype"] {
		cfg.Dtype = f.dtype
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}
