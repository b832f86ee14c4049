package experiments

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"strconv"

	"github.com/pkg/errors"
)

// Table is a CSV table: a header and rows of cells. Cells are strings,
// integers or floats; floats are written in the shortest form that reads
// back to the same float64 (strconv 'g', -1), so a table is a pure function
// of its values. Tables hold measurements only, never timings, so that runs
// with the same seed write byte-identical files.
type Table struct {
	Header []string
	Rows   [][]string
}

// NewTable returns an empty table with the given column names.
func NewTable(header ...string) *Table { return &Table{Header: header} }

// Add appends a row. Each cell is a string, an int, a uint64, a bool or a
// float64 (NaN is written "NaN", infinities "+Inf"/"-Inf"); any other type
// is an error, as is a row whose length differs from the header's.
func (t *Table) Add(cells ...any) error {
	if len(cells) != len(t.Header) {
		return errors.Wrapf(ErrConfig, "experiments: table row of %d cells, header has %d", len(cells), len(t.Header))
	}
	row := make([]string, len(cells))
	for i, c := range cells {
		switch v := c.(type) {
		case string:
			row[i] = v
		case int:
			row[i] = strconv.Itoa(v)
		case uint64:
			row[i] = strconv.FormatUint(v, 10)
		case bool:
			row[i] = strconv.FormatBool(v)
		case float64:
			row[i] = FormatFloat(v)
		default:
			return errors.Wrapf(ErrConfig, "experiments: table cell %d (%s) has type %T", i, t.Header[i], c)
		}
	}
	t.Rows = append(t.Rows, row)
	return nil
}

// FormatFloat formats x as a table cell: the shortest decimal that parses
// back to x.
func FormatFloat(x float64) string {
	if math.IsInf(x, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// Bytes returns the table as CSV.
func (t *Table) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(t.Header); err != nil {
		return nil, errors.Wrap(err, "experiments: csv")
	}
	if err := w.WriteAll(t.Rows); err != nil {
		return nil, errors.Wrap(err, "experiments: csv")
	}
	return buf.Bytes(), nil
}

// WriteCSV writes t as the file name (such as "runs.csv") in the output
// directory.
func (e *Env) WriteCSV(name string, t *Table) error {
	b, err := t.Bytes()
	if err != nil {
		return err
	}
	if err := os.WriteFile(e.Path(name), b, 0o644); err != nil {
		return errors.Wrap(err, "experiments: writing "+name)
	}
	e.wrote(name)
	return nil
}
