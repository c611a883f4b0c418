"""An independent, hand-written NumPy MLP: the textbook layered network, sample-major.

Nothing here imports the engine. Layer ``l`` has ``W[l]`` of shape ``(n_{l-1}, n_l)`` and
``b[l]`` of shape ``(n_l,)``; ``a[l] = g(a[l-1] @ W[l] + b[l])`` with samples as rows.
Training follows the course conventions (TOPICS.md): cost ``J = data + (l2/m) sum W^2 +
(l1/m) sum |W|`` with ``m`` the training-set size, mini-batches drawn from
``np.random.default_rng(seed).permutation(m)`` anew each epoch, the last batch smaller.
"""

from __future__ import annotations

import numpy as np


def g(name, z):
    if name == "identity":
        return z
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(name)


def g_prime(name, z):
    if name == "identity":
        return np.ones_like(z)
    if name == "sigmoid":
        s = 1 / (1 + np.exp(-z))
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, 0.01)
    raise ValueError(name)


class ReferenceMLP:
    def __init__(self, Ws, bs, hidden: str, output: str, loss: str):
        self.W = [np.array(w, dtype=np.float64) for w in Ws]
        self.b = [np.array(b, dtype=np.float64) for b in bs]
        self.hidden, self.output, self.loss = hidden, output, loss

    @classmethod
    def from_network(cls, net, sizes):
        """Read the weights of a ``layered(sizes, ...)`` network (neurons made layer by layer)."""
        ids = [n.id for n in net.neurons()]
        layers, i = [], 0
        for s in sizes:
            layers.append(ids[i:i + s])
            i += s
        Ws = [[[net.connection(s, t).weight for t in layers[l]] for s in layers[l - 1]]
              for l in range(1, len(sizes))]
        bs = [[net.neuron(t).bias for t in layers[l]] for l in range(1, len(sizes))]
        hidden = net.neuron(layers[1][0]).activation if len(sizes) > 2 else "identity"
        return cls(Ws, bs, hidden, net.neuron(layers[-1][0]).activation, net.loss)

    def forward(self, X):
        zs, acts = [], [np.asarray(X, dtype=np.float64)]
        for l, (W, b) in enumerate(zip(self.W, self.b)):
            z = acts[-1] @ W + b
            zs.append(z)
            acts.append(g(self.output if l == len(self.W) - 1 else self.hidden, z))
        return zs, acts

    def cost(self, X, Y, l1=0.0, l2=0.0, m=None):
        zs, acts = self.forward(X)
        n = len(X)
        m = n if m is None else m
        a, z = acts[-1], zs[-1]
        if self.loss == "mse":
            data = np.sum((a - Y) ** 2) / (2 * n)
        elif self.loss in ("bce", "ova"):
            data = -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)) / n
        else:
            data = -np.sum(Y * np.log(a)) / n
        reg = sum(l2 / m * np.sum(W * W) + l1 / m * np.sum(np.abs(W)) for W in self.W)
        return data + reg

    def gradients(self, X, Y, l1=0.0, l2=0.0, m=None):
        """dJ/dW, dJ/db on the batch ``X`` (data term averaged over the batch, penalty over ``m``)."""
        zs, acts = self.forward(X)
        n = len(X)
        m = n if m is None else m
        delta = acts[-1] - Y
        if self.loss == "mse":
            delta = delta * g_prime(self.output, zs[-1])
        delta = delta / n
        dWs, dbs = [None] * len(self.W), [None] * len(self.W)
        for l in reversed(range(len(self.W))):
            dWs[l] = acts[l].T @ delta + 2 * l2 / m * self.W[l] + l1 / m * np.sign(self.W[l])
            dbs[l] = delta.sum(axis=0)
            if l > 0:
                delta = (delta @ self.W[l].T) * g_prime(self.hidden, zs[l - 1])
        return dWs, dbs

    # ------------------------------------------------------------ training
    def _batches(self, m, batch, rng):
        if batch is None or batch >= m:
            return [np.arange(m)]
        perm = rng.permutation(m)
        return [perm[i:i + batch] for i in range(0, m, batch)]

    def train(self, X, Y, *, optimizer="gd", lr=0.1, epochs=1, batch=None, seed=0, l1=0.0, l2=0.0,
              momentum=0.9, beta1=0.9, beta2=0.999, eps=1e-8):
        rng = np.random.default_rng(seed)
        m = len(X)
        vel = [np.zeros_like(p) for p in self.W + self.b]
        mom = [np.zeros_like(p) for p in self.W + self.b]
        t = 0
        for _ in range(epochs):
            for idx in self._batches(m, None if optimizer == "gd" else batch, rng):
                dWs, dbs = self.gradients(X[idx], Y[idx], l1, l2, m)
                params, grads = self.W + self.b, dWs + dbs
                t += 1
                for i, (p, gr) in enumerate(zip(params, grads)):
                    if optimizer in ("gd", "sgd"):
                        p -= lr * gr
                    elif optimizer == "momentum":
                        vel[i] = momentum * vel[i] + lr * gr
                        p -= vel[i]
                    elif optimizer == "adam":
                        mom[i] = beta1 * mom[i] + (1 - beta1) * gr
                        vel[i] = beta2 * vel[i] + (1 - beta2) * gr * gr
                        mhat = mom[i] / (1 - beta1 ** t)
                        vhat = vel[i] / (1 - beta2 ** t)
                        p -= lr * mhat / (np.sqrt(vhat) + eps)
        return self
