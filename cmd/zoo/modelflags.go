package main

import (
	"flag"
	"io"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/models"
)

// configFlags bind a registry model's configuration (architecture and
// regularizers) to flags: every flag writes straight into a models.Config
// whose values are its defaults. The few flags that are not one field
// (--norm's "none", the --bn and --no-bn shorthands) are resolved by
// finish.
type configFlags struct {
	norm      string
	bn, noBN  bool
	normGiven string // the model's norm, to tell "not given" from ""
}

// intsFlag is a comma-separated list of positive integers bound to a slice.
type intsFlag struct{ dst *[]int }

func (f intsFlag) String() string {
	if f.dst == nil {
		return ""
	}
	parts := make([]string, len(*f.dst))
	for i, v := range *f.dst {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}

func (f intsFlag) Set(s string) error {
	v, err := parseInts(s)
	if err != nil {
		return err
	}
	*f.dst = v
	return nil
}

// bindConfig defines the configuration flags on fs, bound to cfg.
func bindConfig(fs *flag.FlagSet, cfg *models.Config) *configFlags {
	cfg.Hidden = append([]int(nil), cfg.Hidden...)
	f := &configFlags{norm: cfg.Norm, normGiven: cfg.Norm}
	const model = " (default: the model's)"
	fs.Var(intsFlag{&cfg.Hidden}, "hidden", "hidden layer widths of an MLP, comma-separated, e.g. 800,800"+model)
	fs.StringVar(&cfg.Activation, "activation", cfg.Activation, "nonlinearity: relu, sigmoid or tanh"+model)
	fs.Float64Var(&cfg.InputDropout, "input-dropout", cfg.InputDropout, "drop probability on an MLP's inputs, 0 <= p < 1"+model)
	fs.Float64Var(&cfg.HiddenDropout, "hidden-dropout", cfg.HiddenDropout, "drop probability after each hidden fully connected layer, 0 <= p < 1"+model)
	fs.BoolVar(&cfg.WeightScalingDropout, "weight-scaling-dropout", cfg.WeightScalingDropout, "dropout without scaling in training, weights scaled by the retain probability at test (Srivastava et al. 2014) instead of inverted dropout")
	fs.StringVar(&f.norm, "norm", cfg.Norm, "normalisation before each hidden nonlinearity: batch, group, layer, instance or none"+model)
	fs.BoolVar(&f.bn, "bn", false, "shorthand for --norm batch (--bn=false: --norm none)")
	fs.BoolVar(&f.noBN, "no-bn", false, "shorthand for --norm none")
	fs.IntVar(&cfg.Groups, "groups", cfg.Groups, "GroupNorm's number of groups (default 8, or the channel count if smaller)")
	fs.Float64Var(&cfg.L1, "l1", cfg.L1, "L1 penalty λ·Σ|w| on the weights"+model)
	fs.Float64Var(&cfg.L2, "l2", cfg.L2, "L2 penalty λ·Σw² on the weights"+model+"; see also --weight-decay")
	fs.Float64Var(&cfg.WeightElimination, "weight-elim", cfg.WeightElimination, "weight-elimination penalty λ·Σ(w/w0)²/(1+(w/w0)²)"+model)
	fs.Float64Var(&cfg.WeightEliminationW0, "weight-elim-w0", cfg.WeightEliminationW0, "w0 of the weight-elimination penalty (default 1)")
	fs.Float64Var(&cfg.MaxNorm, "max-norm", cfg.MaxNorm, "bound on each unit's incoming weight vector's L2 norm after every step; 0 = off"+model)
	fs.Float64Var(&cfg.ProxL1, "prox-l1", cfg.ProxL1, "proximal L1: soft-threshold the weights by lr·λ after every step (exact zeros), instead of the --l1 subgradient penalty"+model)
	fs.StringVar(&cfg.Dtype, "dtype", cfg.Dtype, "float32 or float64 (default float32)")
	return f
}

// finish resolves --norm, --bn and --no-bn into cfg and validates it. An
// error is a usage error.
func (f *configFlags) finish(fs *flag.FlagSet, cfg *models.Config) error {
	set := setFlags(fs)
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
			return err
		}
	}
	if set["no-bn"] && f.noBN {
		if err := alias("no-bn", "none"); err != nil {
			return err
		}
	}
	if normSet {
		switch norm {
		case "none":
			cfg.Norm = ""
		case "":
			return errors.New("--norm: empty value (use none)")
		default:
			cfg.Norm = norm
		}
	}
	if set["hidden"] && len(cfg.Hidden) == 0 {
		return errors.New("--hidden: empty list")
	}
	return errors.WithMessage(cfg.Validate(), "model configuration")
}

// replay gives to fs every flag given on from's command line, so that flags
// parsed against one model's defaults apply to another model's.
func replay(from, fs *flag.FlagSet) error {
	var err error
	from.Visit(func(f *flag.Flag) {
		if err == nil && fs.Lookup(f.Name) != nil {
			err = fs.Set(f.Name, f.Value.String())
		}
	})
	return err
}

// modelFlags are the configuration flags of a command whose model is named
// on the command line after the flags are defined: they are parsed into a
// scratch configuration, then replayed onto the named model's defaults.
type modelFlags struct {
	scratch models.Config
}

// register defines the configuration flags on fs.
func (f *modelFlags) register(fs *flag.FlagSet) { bindConfig(fs, &f.scratch) }

// config returns e's default configuration with the flags given on fs's
// command line applied, validated. An error is a usage error.
func (f *modelFlags) config(fs *flag.FlagSet, e models.Entry) (models.Config, error) {
	cfg := e.Recipe.Config
	on := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	on.SetOutput(io.Discard)
	cf := bindConfig(on, &cfg)
	if err := replay(fs, on); err != nil {
		return cfg, err
	}
	return cfg, cf.finish(on, &cfg)
}
