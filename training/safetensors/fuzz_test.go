package safetensors

import (
	"bytes"
	"io"
	"testing"
)

// FuzzRead feeds arbitrary bytes to Read. Read must not panic, must return
// the same result whether or not it knows the input's length, and whatever
// it accepts must survive a write/read round trip unchanged.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), map[string]string{"k": "v"}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(file(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}`, []byte{1, 2}))
	f.Add(file(`{"__metadata__":{"a":"b"}}`, nil))
	f.Add(file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}`, nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		ts, md, err := Read(bytes.NewReader(in))
		ts2, _, err2 := Read(io.MultiReader(bytes.NewReader(in)))
		if (err == nil) != (err2 == nil) {
			t.Fatalf("known length: %v; unknown length: %v", err, err2)
		}
		if err != nil {
			return
		}
		if len(ts) != len(ts2) {
			t.Fatalf("%d vs %d tensors", len(ts), len(ts2))
		}
		var out bytes.Buffer
		if err := Write(&out, ts, md); err != nil {
			t.Fatalf("rewrite: %v", err)
		}
		back, _, err := Read(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("reread: %v", err)
		}
		if len(back) != len(ts) {
			t.Fatalf("reread %d tensors, want %d", len(back), len(ts))
		}
		for i := range ts {
			if back[i].Name != ts[i].Name || !sameTensor(back[i].Dense, ts[i].Dense) {
				t.Fatalf("tensor %d changed in the round trip", i)
			}
		}
	})
}
