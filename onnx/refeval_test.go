package onnx

import (
	"fmt"
	"math"

	"github.com/gozoo/zoo/onnx/onnxpb"
)

// A reference interpreter of the ONNX operators Export writes, in float64,
// written from the operator specifications (onnx/docs/Operators.md, opsets
// 13-17) and independent of zoo's kernels: the tests run exported graphs
// through it and compare with zoo's own evaluation. It supports only the
// attributes Export sets and fails on any other.

type tensor struct {
	shape []int
	data  []float64
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

type attrs map[string]*onnxpb.AttributeProto

func (a attrs) int(name string, def int) int {
	if p, ok := a[name]; ok {
		return int(p.GetI())
	}
	return def
}

func (a attrs) float(name string, def float64) float64 {
	if p, ok := a[name]; ok {
		return float64(p.GetF())
	}
	return def
}

func (a attrs) ints(name string) []int {
	var out []int
	for _, v := range a[name].GetInts() {
		out = append(out, int(v))
	}
	return out
}

// evalGraph runs g on the named inputs and returns every tensor by name.
func evalGraph(g *onnxpb.GraphProto, inputs map[string]tensor) (map[string]tensor, error) {
	env := map[string]tensor{}
	for k, v := range inputs {
		env[k] = v
	}
	for _, t := range g.GetInitializer() {
		var shape []int
		for _, d := range t.GetDims() {
			shape = append(shape, int(d))
		}
		var data []float64
		switch onnxpb.TensorProto_DataType(t.GetDataType()) {
		case onnxpb.TensorProto_FLOAT:
			for _, v := range t.GetFloatData() {
				data = append(data, float64(v))
			}
		case onnxpb.TensorProto_INT64:
			for _, v := range t.GetInt64Data() {
				data = append(data, float64(v))
			}
		default:
			return nil, fmt.Errorf("initializer %s: data type %d", t.GetName(), t.GetDataType())
		}
		if len(data) != size(shape) {
			return nil, fmt.Errorf("initializer %s: %d values for shape %v", t.GetName(), len(data), shape)
		}
		env[t.GetName()] = tensor{shape, data}
	}
	for _, n := range g.GetNode() {
		in := make([]tensor, len(n.GetInput()))
		for i, name := range n.GetInput() {
			t, ok := env[name]
			if !ok {
				return nil, fmt.Errorf("node %s: input %q not defined before it", n.GetName(), name)
			}
			in[i] = t
		}
		a := attrs{}
		for _, p := range n.GetAttribute() {
			a[p.GetName()] = p
		}
		out, err := evalNode(n.GetOpType(), in, a)
		if err != nil {
			return nil, fmt.Errorf("node %s (%s): %v", n.GetName(), n.GetOpType(), err)
		}
		if len(n.GetOutput()) != 1 {
			return nil, fmt.Errorf("node %s: %d outputs", n.GetName(), len(n.GetOutput()))
		}
		env[n.GetOutput()[0]] = out
	}
	return env, nil
}

func evalNode(op string, in []tensor, a attrs) (tensor, error) {
	allowed := map[string][]string{
		"Flatten": {"axis"}, "Gemm": nil, "Conv": {"kernel_shape", "strides", "pads"},
		"MaxPool": {"kernel_shape", "strides", "pads"}, "AveragePool": {"kernel_shape", "strides", "pads", "count_include_pad"},
		"Relu": nil, "Sigmoid": nil, "Tanh": nil, "LeakyRelu": {"alpha"}, "Mul": nil, "Add": nil, "Reshape": nil,
		"BatchNormalization": {"epsilon"}, "InstanceNormalization": {"epsilon"}, "LayerNormalization": {"axis", "epsilon"},
		"Softmax": {"axis"}, "Identity": nil,
	}
	names, ok := allowed[op]
	if !ok {
		return tensor{}, fmt.Errorf("operator not supported by the reference")
	}
	for k := range a {
		found := false
		for _, n := range names {
			found = found || n == k
		}
		if !found {
			return tensor{}, fmt.Errorf("attribute %s not supported by the reference", k)
		}
	}
	x := in[0]
	switch op {
	case "Identity":
		return x, nil
	case "Flatten":
		if a.int("axis", 1) != 1 {
			return tensor{}, fmt.Errorf("axis %d", a.int("axis", 1))
		}
		return tensor{[]int{x.shape[0], size(x.shape[1:])}, x.data}, nil
	case "Relu", "Sigmoid", "Tanh", "LeakyRelu":
		alpha := a.float("alpha", 0.01)
		y := make([]float64, len(x.data))
		for i, v := range x.data {
			switch op {
			case "Relu":
				y[i] = math.Max(v, 0)
			case "Sigmoid":
				y[i] = 1 / (1 + math.Exp(-v))
			case "Tanh":
				y[i] = math.Tanh(v)
			default:
				y[i] = v
				if v < 0 {
					y[i] = alpha * v
				}
			}
		}
		return tensor{x.shape, y}, nil
	case "Mul", "Add":
		return broadcast(x, in[1], op == "Mul")
	case "Gemm":
		w := in[1]
		n, k, m := x.shape[0], x.shape[1], w.shape[1]
		if len(x.shape) != 2 || w.shape[0] != k {
			return tensor{}, fmt.Errorf("shapes %v %v", x.shape, w.shape)
		}
		y := make([]float64, n*m)
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				s := 0.0
				if len(in) > 2 {
					s = in[2].data[j]
				}
				for l := 0; l < k; l++ {
					s += x.data[i*k+l] * w.data[l*m+j]
				}
				y[i*m+j] = s
			}
		}
		return tensor{[]int{n, m}, y}, nil
	case "Conv":
		return conv(x, in[1], in[2:], a.ints("strides"), a.ints("pads"))
	case "MaxPool", "AveragePool":
		return pool(x, op == "MaxPool", a.ints("kernel_shape"), a.ints("strides"), a.ints("pads"), a.int("count_include_pad", 0) == 1)
	case "Reshape":
		shape := make([]int, len(in[1].data))
		neg := -1
		for i, v := range in[1].data {
			switch {
			case v == 0:
				shape[i] = x.shape[i]
			case v == -1:
				neg = i
				shape[i] = 1
			default:
				shape[i] = int(v)
			}
		}
		if neg >= 0 {
			shape[neg] = len(x.data) / size(shape)
		}
		if size(shape) != len(x.data) {
			return tensor{}, fmt.Errorf("reshape %v to %v", x.shape, shape)
		}
		return tensor{shape, x.data}, nil
	case "BatchNormalization":
		eps := a.float("epsilon", 1e-5)
		scale, bias, mean, variance := in[1], in[2], in[3], in[4]
		return perChannel(x, func(c int, v float64) float64 {
			return scale.data[c]*(v-mean.data[c])/math.Sqrt(variance.data[c]+eps) + bias.data[c]
		}), nil
	case "InstanceNormalization":
		return normalize(x, 2, in[1], in[2], a.float("epsilon", 1e-5), true), nil
	case "LayerNormalization":
		if a.int("axis", -1) != 1 {
			return tensor{}, fmt.Errorf("axis %d", a.int("axis", -1))
		}
		return normalize(x, 1, in[1], in[2], a.float("epsilon", 1e-5), false), nil
	case "Softmax":
		if a.int("axis", -1) != 1 || len(x.shape) != 2 {
			return tensor{}, fmt.Errorf("axis %d on %v", a.int("axis", -1), x.shape)
		}
		k := x.shape[1]
		y := make([]float64, len(x.data))
		for i := 0; i < x.shape[0]; i++ {
			row := x.data[i*k : (i+1)*k]
			mx := math.Inf(-1)
			for _, v := range row {
				mx = math.Max(mx, v)
			}
			s := 0.0
			for j, v := range row {
				y[i*k+j] = math.Exp(v - mx)
				s += y[i*k+j]
			}
			for j := range row {
				y[i*k+j] /= s
			}
		}
		return tensor{x.shape, y}, nil
	}
	return tensor{}, fmt.Errorf("unreachable")
}

// broadcast applies numpy-style broadcasting of b to a's shape (b's rank at
// most a's, b's dimensions 1 or equal to a's, right-aligned).
func broadcast(a, b tensor, mul bool) (tensor, error) {
	off := len(a.shape) - len(b.shape)
	if off < 0 {
		return tensor{}, fmt.Errorf("shapes %v %v", a.shape, b.shape)
	}
	for i, d := range b.shape {
		if d != 1 && d != a.shape[off+i] {
			return tensor{}, fmt.Errorf("shapes %v %v", a.shape, b.shape)
		}
	}
	y := make([]float64, len(a.data))
	idx := make([]int, len(a.shape))
	for i, v := range a.data {
		r := i
		for d := len(a.shape) - 1; d >= 0; d-- {
			idx[d] = r % a.shape[d]
			r /= a.shape[d]
		}
		j := 0
		for d, n := range b.shape {
			if n > 1 {
				j = j*n + idx[off+d]
			} else {
				j = j * n
			}
		}
		if mul {
			y[i] = v * b.data[j]
		} else {
			y[i] = v + b.data[j]
		}
	}
	return tensor{a.shape, y}, nil
}

// perChannel maps every element through f(channel, value); axis 1 is the
// channel axis.
func perChannel(x tensor, f func(c int, v float64) float64) tensor {
	c, inner := x.shape[1], size(x.shape[2:])
	y := make([]float64, len(x.data))
	for i, v := range x.data {
		y[i] = f((i/inner)%c, v)
	}
	return tensor{x.shape, y}
}

// normalize normalises each block of x over the axes from first on, by its
// mean and biased variance, then scales and shifts: per channel (axis 1)
// when perChannelAffine, else element-wise over the normalised axes.
func normalize(x tensor, first int, scale, bias tensor, eps float64, perChannelAffine bool) tensor {
	block := size(x.shape[first:])
	y := make([]float64, len(x.data))
	for s := 0; s < len(x.data); s += block {
		mean, sq := 0.0, 0.0
		for _, v := range x.data[s : s+block] {
			mean += v
		}
		mean /= float64(block)
		for _, v := range x.data[s : s+block] {
			sq += (v - mean) * (v - mean)
		}
		inv := 1 / math.Sqrt(sq/float64(block)+eps)
		for i, v := range x.data[s : s+block] {
			k := i
			if perChannelAffine {
				k = (s / block) % x.shape[1]
			}
			y[s+i] = (v-mean)*inv*scale.data[k] + bias.data[k]
		}
	}
	return tensor{x.shape, y}
}

func conv(x, w tensor, b []tensor, strides, pads []int) (tensor, error) {
	n, c, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	o, kh, kw := w.shape[0], w.shape[2], w.shape[3]
	if w.shape[1] != c || len(strides) != 2 || len(pads) != 4 {
		return tensor{}, fmt.Errorf("conv: x %v w %v strides %v pads %v", x.shape, w.shape, strides, pads)
	}
	oh := (h+pads[0]+pads[2]-kh)/strides[0] + 1
	ow := (wd+pads[1]+pads[3]-kw)/strides[1] + 1
	y := make([]float64, n*o*oh*ow)
	for ni := 0; ni < n; ni++ {
		for oi := 0; oi < o; oi++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					s := 0.0
					if len(b) > 0 {
						s = b[0].data[oi]
					}
					for ci := 0; ci < c; ci++ {
						for u := 0; u < kh; u++ {
							for v := 0; v < kw; v++ {
								r, q := i*strides[0]-pads[0]+u, j*strides[1]-pads[1]+v
								if r >= 0 && r < h && q >= 0 && q < wd {
									s += x.data[((ni*c+ci)*h+r)*wd+q] * w.data[((oi*c+ci)*kh+u)*kw+v]
								}
							}
						}
					}
					y[((ni*o+oi)*oh+i)*ow+j] = s
				}
			}
		}
	}
	return tensor{[]int{n, o, oh, ow}, y}, nil
}

func pool(x tensor, max bool, kernel, strides, pads []int, includePad bool) (tensor, error) {
	n, c, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	if len(kernel) != 2 || len(strides) != 2 || len(pads) != 4 {
		return tensor{}, fmt.Errorf("pool: kernel %v strides %v pads %v", kernel, strides, pads)
	}
	oh := (h+pads[0]+pads[2]-kernel[0])/strides[0] + 1
	ow := (w+pads[1]+pads[3]-kernel[1])/strides[1] + 1
	y := make([]float64, n*c*oh*ow)
	for p := 0; p < n*c; p++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				acc, cnt := math.Inf(-1), 0
				if !max {
					acc = 0
				}
				for u := 0; u < kernel[0]; u++ {
					for v := 0; v < kernel[1]; v++ {
						r, q := i*strides[0]-pads[0]+u, j*strides[1]-pads[1]+v
						if r < 0 || r >= h || q < 0 || q >= w {
							if includePad {
								cnt++
							}
							continue
						}
						val := x.data[(p*h+r)*w+q]
						if max {
							acc = math.Max(acc, val)
						} else {
							acc += val
						}
						cnt++
					}
				}
				if !max {
					acc /= float64(cnt)
				}
				y[(p*oh+i)*ow+j] = acc
			}
		}
	}
	return tensor{[]int{n, c, oh, ow}, y}, nil
}
