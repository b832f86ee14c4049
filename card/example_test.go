package card_test

import (
	"fmt"

	"github.com/gozoo/zoo/card"
)

// The 95% interval of lenet5's 95 errors on MNIST's 10,000 test images.
func ExampleWilson() {
	lo, hi := card.Wilson(95, 10000, card.Z95)
	fmt.Printf("0.95%% error, 95%% interval %.2f–%.2f%%\n", 100*lo, 100*hi)
	// Output: 0.95% error, 95% interval 0.78–1.16%
}

// Expected calibration error of four predictions in two bins:
// ½·|0.50 − 0.35| + ½·|1.00 − 0.95| = 0.100.
func ExampleCalibration() {
	conf := []float64{0.3, 0.4, 0.9, 1.0}
	correct := []bool{false, true, true, true}
	ece, bins := card.Calibration(conf, correct, 2)
	fmt.Printf("ECE %.3f\n", ece)
	for _, b := range bins {
		fmt.Printf("(%.1f, %.1f]: %d, confidence %.2f, accuracy %.2f\n", b.Lo, b.Hi, b.Count, b.Confidence, b.Accuracy)
	}
	// Output:
	// ECE 0.100
	// (0.0, 0.5]: 2, confidence 0.35, accuracy 0.50
	// (0.5, 1.0]: 2, confidence 0.95, accuracy 1.00
}
