package pretrained_test

import (
	"context"
	"fmt"
	"os"

	"github.com/gozoo/zoo/datasets/digitimage"
	"github.com/gozoo/zoo/pretrained"
	"github.com/gozoo/zoo/training"
)

// Classify a picture of a digit with the shipped LeNet-5: the picture is
// brought to MNIST's format, then evaluated.
func ExampleLoad() {
	model, man, err := pretrained.Load("lenet5")
	if err != nil {
		fmt.Println(err)
		return
	}
	// testdata/seven.png: MNIST test digit 0, a 7, enlarged 6 times, dark on
	// light, in a 140×140 picture.
	f, err := os.Open("testdata/seven.png")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	img, rep, err := digitimage.Normalize(f, digitimage.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := training.Predict(context.Background(), model, digitimage.Pixels(img))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("lenet5 (test error %.2f%%): digit %d, inverted %v\n", man.TestError, p[0].Class, rep.Inverted)
	// Output: lenet5 (test error 0.95%): digit 7, inverted true
}
