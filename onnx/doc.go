// Package onnx exports zoo models to ONNX (https://onnx.ai), so that a model
// trained in zoo runs in onnxruntime (Python, C#, Java, JavaScript, C++,
// phones, browsers) and any other ONNX runtime.
//
// [Export] writes the evaluation graph of a model built from zoo's layers
// into an ONNX ModelProto (package onnxpb, generated from ONNX's own
// onnx.proto); [Write] serialises it. The exported graph has a fixed
// interface:
//
//   - one input, "input": float32 pixel values in [0, 1], shape [N, 1, 28, 28],
//     N a dynamic batch dimension (an MLP's graph starts with a Flatten);
//   - first output, "logits": float32 [N, 10];
//   - second output, "probabilities": float32 [N, 10], Softmax of the logits
//     over axis 1.
//
// Layers map to ONNX operators as follows (opset 13 to 17, default 17):
//
//	Linear        Gemm(x, W, b), W stored (in, out) as zoo stores it
//	Conv2D        Conv (pads, strides, kernel_shape), filter (out, in, kh, kw)
//	MaxPool2D     MaxPool (padding is −∞, as in zoo)
//	AvgPool2D     AveragePool with count_include_pad = 1
//	Flatten       Flatten(axis 1) when its input has more than two axes
//	ReLU, Sigmoid, Tanh, LeakyReLU   Relu, Sigmoid, Tanh, LeakyRelu(alpha)
//	Dropout       inverted: nothing (the identity); weight scaling: Mul by 1−p
//	BatchNorm     BatchNormalization in inference mode over the running
//	              statistics (not folded into the preceding layer)
//	LayerNorm     LayerNormalization(axis 1) on (N, C) inputs at opset 17;
//	              otherwise the GroupNorm decomposition with one group
//	InstanceNorm  InstanceNormalization on (N, C, H, W) inputs; otherwise the
//	              GroupNorm decomposition with C groups
//	GroupNorm     Reshape to (N, G, −1), InstanceNormalization with unit scale
//	              and zero bias, Reshape back, Mul γ, Add β (opset 17 has no
//	              GroupNormalization)
//
// Initializers carry the model's variable names ("fc1/W", "bn1/running_var"),
// so an exported file can be matched against its checkpoint. A float64 model
// is exported with its parameters rounded to float32. A layer with no ONNX
// form is an error naming the layer ([ErrUnsupported]); nothing is written.
package onnx
