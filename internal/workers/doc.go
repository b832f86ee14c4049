// Package workers runs the parts of one computation on the calling
// goroutine and a set of long-lived worker goroutines that stay ready
// between calls, so that a short parallel section (a matrix product of a
// training step) does not pay for starting goroutines or waking idle
// threads each time.
package workers
