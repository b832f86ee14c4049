package training

// Mode says whether a monitored quantity should go down or up.
type Mode string

// Modes. ModeAuto infers the direction from the monitored name (see
// [EarlyStoppingConfig]).
const (
	ModeAuto Mode = "auto"
	ModeMin  Mode = "min"
	ModeMax  Mode = "max"
)

// ThresholdMode says how ReduceLROnPlateau's Threshold is applied.
type ThresholdMode string

// Threshold modes, PyTorch's: relative (best·(1 ∓ threshold)) or absolute
// (best ∓ threshold).
const (
	ThresholdRel ThresholdMode = "rel"
	ThresholdAbs ThresholdMode = "abs"
)
