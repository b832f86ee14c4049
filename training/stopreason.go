package training

// StopReason says why a training run ended. Its values are stable strings
// for logs, JSON results and checkpoints.
type StopReason string

// Stop reasons.
const (
	// StopEarlyStopping: the monitored metric stopped improving.
	StopEarlyStopping StopReason = "early_stopping"
	// StopMaxEpochs: the configured number of epochs ran.
	StopMaxEpochs StopReason = "max_epochs"
	// StopDiverged: the loss or a gradient norm became NaN or infinite.
	StopDiverged StopReason = "diverged"
	// StopCancelled: the context was cancelled (for example by Ctrl-C).
	StopCancelled StopReason = "cancelled"
)

// String returns the reason's string value.
func (r StopReason) String() string { return string(r) }
