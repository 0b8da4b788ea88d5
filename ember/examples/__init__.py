"""Runnable examples: `python -m ember.examples.lenet` (the main job), `...tensors` (a tour)."""
