// Package card provides model cards for the zoo's models: what a trained
// model is, how it was trained and on what data, and how well it does on
// MNIST's 10,000 test images, measured when the card is made.
//
// A Card holds the architecture, the recipe and command, the data and its
// split, the test error with a 95% Wilson score interval, per-class
// accuracy, the confusion matrix, calibration (expected calibration error
// over equal-width confidence bins, with a reliability diagram), the
// parameter count and size, the evaluation speed on the machine that made
// the card, and the paper's test error beside zoo's. Make builds one;
// Card.WriteMarkdown renders it and Card.WriteReliabilityPNG draws its
// reliability diagram.
//
// The formulas:
//
//   - Wilson score interval for k errors in n trials at z = 1.96 (95%):
//     centre (p̂ + z²/2n)/(1 + z²/n), half-width
//     z/(1 + z²/n)·√(p̂(1−p̂)/n + z²/4n²), with p̂ = k/n (Wilson 1927;
//     Brown, Cai & DasGupta 2001 recommend it over the normal interval).
//   - Expected calibration error (Guo et al. 2017): with M equal-width
//     bins of the confidence c = max_k p(k|x), bin b holding the samples
//     with c in ((b−1)/M, b/M], ECE = Σ_b |B_b|/n · |acc(B_b) − conf(B_b)|,
//     where acc is the fraction of correct predictions in the bin and conf
//     their mean confidence. M = 15 by default.
package card
