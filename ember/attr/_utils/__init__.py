"""Shared machinery of ember.attr: input/baseline/target formatting, running the forward
function, gradients at inputs and at layers, integral approximation rules and batching."""
