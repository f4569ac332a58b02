"""The lecture's sections that are maths to touch: loss functions for classification (:mod:`.losses`) and dropout
(:mod:`.dropout`). Each computes by hand, in numpy, what the view shows as "the formula with its numbers", and
has a twin that asks Keras itself, so tests (and the view) can show that the two agree."""
