"""nnstudio: build neural networks neuron by neuron, train them, watch them learn."""

__version__ = "0.1.0"
