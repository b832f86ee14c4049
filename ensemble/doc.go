// Package ensemble trains K members of one model by the same recipe and
// combines their predictions.
//
// Members differ by their seed (member i's is [MemberSeed](base, i): its
// initial weights, batch order and dropout masks), and with [Bagging] also by
// their training data: a bootstrap resample of the training split, n draws
// with replacement (Breiman 1996), which leaves out about 1/e ≈ 36.8% of the
// samples for each member. [Train] trains them on up to Config.Workers
// goroutines; each member's run depends only on its own seed and data, so
// the weights are bit for bit those of training the members one at a time.
//
// [Evaluate] combines the members' class probabilities by their arithmetic
// mean (the usual model average) or their normalised geometric mean
// p_c ∝ Πₖ p_kc^(1/K) (the average dropout's weight scaling approximates,
// Srivastava et al. 2014, §4), and reports the ensemble's loss and accuracy,
// each member's, and how often the members disagree.
//
// [Train] trains any training.Model: a [Builder] returns member i's model
// and training configuration, which is how a caller applies one recipe to
// all members. [TrainRecipe] does it for a models.Recipe — member i runs
// the recipe with seed base + i, its own validation split included, so an
// independent member is bit for bit models.Train of its recipe — and saves
// the members with models.Save beside a manifest (ensemble.json) that
// [Load] reads back.
package ensemble
