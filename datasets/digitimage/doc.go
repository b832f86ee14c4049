// Package digitimage provides the reading of pictures of handwritten digits
// for MNIST models: it decodes a PNG or JPEG of any size, grey or colour,
// and brings it to MNIST's own format the way the data set was made.
//
// LeCun, Cortes and Burges describe MNIST's preparation: the digits were
// "size normalized to fit in a 20x20 pixel box while preserving their
// aspect ratio", with grey levels from the anti-aliasing of the
// normalisation, then "centered in a 28x28 image by computing the center
// of mass of the pixels, and translating the image so as to position this
// point at the center of the 28x28 field". Normalize does the same to a
// picture, in this order:
//
//  1. luminance Y = 0.299 R + 0.587 G + 0.114 B of every pixel, with
//     transparent pixels composited on white (a drawing on a transparent
//     canvas is dark ink on white paper);
//  2. polarity: MNIST is light ink on a dark background. The background
//     level is the median of the picture's outermost ring of pixels; if it
//     is lighter than mid-grey the picture is inverted (Y → 1 − Y);
//  3. levels: the background level maps to 0 and the brightest ink to 1,
//     clamped (a grey paper or a coloured background becomes black);
//  4. crop to the bounding box of the ink, the pixels at or above
//     Options.InkThreshold;
//  5. scale the box so its longer side is 20 pixels, preserving the aspect
//     ratio, with a triangle filter widened by the reduction factor (an
//     antialiasing resampler: area-weighted when shrinking, bilinear when
//     enlarging);
//  6. place it in a 28×28 field so that its centre of mass, computed in
//     pixel indices (Σ v·x / Σ v) and rounded to whole pixels, falls on
//     pixel (14, 14), keeping the box inside the field. This is MNIST's
//     convention as measured: over the 200 test digits of testdata/mnist
//     the mean centre of mass in pixel indices is (14.01, 14.00);
//  7. quantise to 8 bits and scale to [0, 1] as the MNIST loader does
//     (byte/255), so the 28×28 image saved as PNG is exactly the input
//     that was classified.
//
// The picture should hold one digit on a plain background that reaches its
// edges: a border of another colour (a table around a sheet of paper)
// misleads the polarity, and every pixel above the threshold counts as ink,
// so a speck far from the digit widens the box. Crop such pictures first.
//
// Every step is reported in a Report: whether the picture was inverted, the
// crop rectangle, the scale factor and the placement.
//
// Decoding is defensive: a picture's header is read first (png.DecodeConfig
// or jpeg.DecodeConfig) and a picture claiming more than Options.MaxPixels
// pixels is refused before any pixel is decoded. The format is recognised
// from the content (PNG and JPEG signatures), not from the file name.
//
// Raw reads a picture that is already 28×28 pixel for pixel, with no
// normalisation, as zoo predict --raw does.
//
// The package depends only on the standard library and
// github.com/pkg/errors. Malformed input never panics.
package digitimage
