package datasets

import (
	"slices"
	"testing"

	"github.com/pkg/errors"
)

// tiny returns a dataset of n samples of shape 1x2x3 whose features encode
// the sample index (X[i*6+j] = i*10+j) and labels i%classes.
func tiny(n, classes int) *Dataset {
	d := &Dataset{X: make([]float32, n*6), Y: make([]int, n), Shape: Shape{1, 2, 3}, NumClasses: classes}
	for i := 0; i < n; i++ {
		for j := 0; j < 6; j++ {
			d.X[i*6+j] = float32(i*10 + j)
		}
		d.Y[i] = i % classes
	}
	return d
}

func TestDatasetValidate(t *testing.T) {
	tests := []struct {
		name string
		d    *Dataset
		kind error
	}{
		{"ok", tiny(3, 2), nil},
		{"empty ok", &Dataset{Shape: Shape{1, 1, 1}, NumClasses: 1}, nil},
		{"nil", nil, ErrShape},
		{"zero shape", &Dataset{NumClasses: 2}, ErrShape},
		{"huge shape", &Dataset{Shape: Shape{1 << 20, 1 << 20, 1 << 20}, NumClasses: 2}, ErrShape},
		{"no classes", &Dataset{Shape: Shape{1, 1, 1}}, ErrShape},
		{"short X", &Dataset{X: make([]float32, 5), Y: make([]int, 1), Shape: Shape{1, 2, 3}, NumClasses: 2}, ErrShape},
		{"label range", &Dataset{X: make([]float32, 1), Y: []int{2}, Shape: Shape{1, 1, 1}, NumClasses: 2}, ErrLabelRange},
		{"negative label", &Dataset{X: make([]float32, 1), Y: []int{-1}, Shape: Shape{1, 1, 1}, NumClasses: 2}, ErrLabelRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.d.Validate()
			if tt.kind == nil && err != nil || tt.kind != nil && !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want %v", err, tt.kind)
			}
		})
	}
	if _, err := New(make([]float32, 5), []int{0}, Shape{1, 1, 6}, 2); !errors.Is(err, ErrShape) {
		t.Fatalf("New accepted 5 features for shape 1x1x6: %v", err)
	}
}

func TestDatasetTensorViews(t *testing.T) {
	d := tiny(4, 2)
	m, err := d.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal([]int(m.Shape()), []int{4, 6}) {
		t.Fatalf("matrix shape %v", m.Shape())
	}
	im, err := d.Images()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal([]int(im.Shape()), []int{4, 1, 2, 3}) {
		t.Fatalf("images shape %v", im.Shape())
	}
	// Element (n=2, c=0, h=1, w=2) is feature 1*3+2 = 5 of sample 2: 25.
	v, err := im.At(2, 0, 1, 2)
	if err != nil || v.(float32) != 25 {
		t.Fatalf("At(2,0,1,2) = %v, %v; want 25", v, err)
	}
	// Shared memory: a write through either view is seen in X.
	if err := m.SetAt(float32(-1), 3, 0); err != nil {
		t.Fatal(err)
	}
	if err := im.SetAt(float32(-2), 0, 0, 0, 1); err != nil {
		t.Fatal(err)
	}
	if d.X[18] != -1 || d.X[1] != -2 {
		t.Fatalf("views do not share X: X[18]=%v X[1]=%v", d.X[18], d.X[1])
	}
	if &m.Data().([]float32)[0] != &d.X[0] || &im.Data().([]float32)[0] != &d.X[0] {
		t.Fatal("views do not share X's backing array")
	}

	empty := &Dataset{Shape: Shape{1, 1, 1}, NumClasses: 1}
	if _, err := empty.Matrix(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("Matrix of empty dataset: %v", err)
	}
	bad := &Dataset{X: make([]float32, 3), Y: []int{0}, Shape: Shape{1, 1, 2}, NumClasses: 1}
	if _, err := bad.Images(); !errors.Is(err, ErrShape) {
		t.Fatalf("Images of inconsistent dataset: %v", err)
	}
}

func TestDatasetSubsetClone(t *testing.T) {
	d := tiny(5, 3)
	s, err := d.Subset([]int{4, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Y, []int{1, 1, 1}) || s.X[0] != 40 || s.X[6] != 10 || s.X[12] != 10 || s.Len() != 3 {
		t.Fatalf("subset X %v Y %v", s.X, s.Y)
	}
	s.X[0] = 99
	if d.X[24] != 40 {
		t.Fatal("Subset shares memory with the original")
	}
	if _, err := d.Subset([]int{5}); !errors.Is(err, ErrConfig) {
		t.Fatalf("out-of-range subset index: %v", err)
	}
	c := d.Clone()
	c.X[0], c.Y[0] = 7, 2
	if d.X[0] != 0 || d.Y[0] != 0 {
		t.Fatal("Clone shares memory with the original")
	}
	if got := d.ClassCounts(); !slices.Equal(got, []int{2, 2, 1}) {
		t.Fatalf("class counts %v", got)
	}
	if r := d.Row(2); len(r) != 6 || cap(r) != 6 || r[0] != 20 {
		t.Fatalf("Row(2) = %v (cap %d)", r, cap(r))
	}
}
