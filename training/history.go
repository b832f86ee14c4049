package training

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"

	"github.com/pkg/errors"
)

// EpochRecord is what [Fit] measured in one epoch.
type EpochRecord struct {
	// Epoch is the epoch's number, counting from 1 as everywhere epochs are
	// shown or recorded (the log, history.csv, history.jsonl, result.json);
	// the record is History.Epochs[Epoch−1].
	Epoch int `json:"epoch"`
	// TrainLoss is the mean cross-entropy over the epoch's training batches,
	// measured in training mode as the weights changed (Keras's "loss"); it
	// does not include the penalties.
	TrainLoss float64 `json:"train_loss"`
	// TrainAcc is the training-mode accuracy over the epoch's batches.
	TrainAcc float64 `json:"train_acc"`
	// Penalty is the mean penalty term over the epoch's batches (0 without penalties).
	Penalty float64 `json:"penalty"`
	// ValLoss and ValAcc are measured after the epoch on the held-out split,
	// in the evaluation graph (dropout off, BatchNorm running statistics).
	ValLoss float64 `json:"val_loss"`
	ValAcc  float64 `json:"val_acc"`
	// LR is the learning rate used during the epoch.
	LR float64 `json:"lr"`
	// Seconds is the epoch's wall time, training and validation.
	Seconds float64 `json:"seconds"`
	// SamplesPerSec is training samples per second of training time.
	SamplesPerSec float64 `json:"samples_per_sec"`
}

// epochRecordJSON is EpochRecord with floats that may be NaN or ±Inf in JSON
// (a diverged validation loss, say), which encoding/json rejects.
type epochRecordJSON struct {
	Epoch         int       `json:"epoch"`
	TrainLoss     jsonFloat `json:"train_loss"`
	TrainAcc      jsonFloat `json:"train_acc"`
	Penalty       jsonFloat `json:"penalty"`
	ValLoss       jsonFloat `json:"val_loss"`
	ValAcc        jsonFloat `json:"val_acc"`
	LR            jsonFloat `json:"lr"`
	Seconds       jsonFloat `json:"seconds"`
	SamplesPerSec jsonFloat `json:"samples_per_sec"`
}

// MarshalJSON writes NaN and ±Inf as the strings "NaN", "+Inf", "-Inf".
func (e EpochRecord) MarshalJSON() ([]byte, error) {
	return json.Marshal(epochRecordJSON{e.Epoch, jsonFloat(e.TrainLoss), jsonFloat(e.TrainAcc), jsonFloat(e.Penalty),
		jsonFloat(e.ValLoss), jsonFloat(e.ValAcc), jsonFloat(e.LR), jsonFloat(e.Seconds), jsonFloat(e.SamplesPerSec)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *EpochRecord) UnmarshalJSON(b []byte) error {
	var j epochRecordJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return errors.Wrap(err, "training: epoch record")
	}
	*e = EpochRecord{j.Epoch, float64(j.TrainLoss), float64(j.TrainAcc), float64(j.Penalty),
		float64(j.ValLoss), float64(j.ValAcc), float64(j.LR), float64(j.Seconds), float64(j.SamplesPerSec)}
	return nil
}

// History is the record of a [Fit] run.
type History struct {
	Epochs []EpochRecord `json:"epochs"`
	// BestEpoch is the index in Epochs of the epoch whose weights early
	// stopping kept, so its number is BestEpoch+1 (−1 without early
	// stopping or before the first validation).
	BestEpoch int `json:"best_epoch"`
	// Stopped says why training ended.
	Stopped StopReason `json:"stopped"`
	// Restored reports whether the best epoch's weights were restored.
	Restored bool `json:"restored"`
}

// Last returns the last epoch's record, or the zero record.
func (h *History) Last() EpochRecord {
	if len(h.Epochs) == 0 {
		return EpochRecord{}
	}
	return h.Epochs[len(h.Epochs)-1]
}

var csvHeader = []string{"epoch", "train_loss", "train_acc", "penalty", "val_loss", "val_acc", "lr", "seconds", "samples_per_sec"}

// WriteCSV writes one row per epoch, with a header.
func (h *History) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return errors.Wrap(err, "training: history csv")
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, e := range h.Epochs {
		row := []string{strconv.Itoa(e.Epoch), f(e.TrainLoss), f(e.TrainAcc), f(e.Penalty), f(e.ValLoss), f(e.ValAcc), f(e.LR), f(e.Seconds), f(e.SamplesPerSec)}
		if err := cw.Write(row); err != nil {
			return errors.Wrap(err, "training: history csv")
		}
	}
	cw.Flush()
	return errors.Wrap(cw.Error(), "training: history csv")
}

// WriteJSONL writes one JSON object per epoch.
func (h *History) WriteJSONL(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, e := range h.Epochs {
		if err := enc.Encode(e); err != nil {
			return errors.Wrap(err, "training: history jsonl")
		}
	}
	return nil
}
