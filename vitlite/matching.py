"""Optimal one-to-one matching: the Hungarian algorithm, written out.

DETR predicts a fixed set of N boxes and is trained against the M ground-truth objects of an image
through the *bipartite matching* of lowest total cost: each object gets exactly one prediction, the
remaining predictions are matched to "no object". Finding it is the linear assignment problem, solved
here by the shortest-augmenting-path form of the Hungarian algorithm (Kuhn 1955, Munkres 1957; the
potentials as in Jonker and Volgenant 1987) in O(n² m) for an n x m cost matrix with n <= m:

- every row (the smaller side) is added in turn; the column potentials ``v`` and row potentials ``u``
  keep every reduced cost ``c[i, j] - u[i] - v[j]`` non-negative and zero on matched pairs;
- from the new row, a Dijkstra-like search over reduced costs finds the cheapest path that ends in a
  free column, alternating unmatched and matched edges; flipping the path grows the matching by one.

Infinite costs forbid a pair; a matrix where every complete matching needs a forbidden pair is
infeasible and raises, as SciPy's ``linear_sum_assignment`` does.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["linear_sum_assignment"]


def linear_sum_assignment(cost: torch.Tensor | np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """The assignment of rows to columns of least total cost, for any n x m matrix.

    Returns ``(rows, cols)``, two int64 tensors of length min(n, m), rows in increasing order:
    row ``rows[k]`` is matched to column ``cols[k]``. Same contract as SciPy's function of the
    same name (ties may be broken differently; the total cost is the same).
    """
    c = cost.detach().cpu().double().numpy() if isinstance(cost, torch.Tensor) else np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"the cost matrix must be 2-D, got shape {c.shape}")
    if np.isnan(c).any() or np.isneginf(c).any():
        raise ValueError("the cost matrix contains NaN or -inf; costs must be numbers or +inf (a forbidden pair)")
    transposed = c.shape[0] > c.shape[1]
    if transposed:
        c = c.T
    n, m = c.shape
    if n == 0:
        empty = torch.zeros(0, dtype=torch.int64)
        return empty, empty.clone()
    forbidden = np.isposinf(c)
    if forbidden.any():
        finite = c[~forbidden]
        if finite.size == 0:
            raise ValueError("the cost matrix is infeasible: every entry is +inf")
        # Larger than any total made of finite entries: the optimum uses it only if it must.
        big = (finite.max() - finite.min() + 1.0) * (n + 1) + abs(finite.max())
        work = np.where(forbidden, big, c)
    else:
        work = c

    u = np.zeros(n + 1)  # row potentials (index 0 unused)
    v = np.zeros(m + 1)  # column potentials; column 0 is a virtual start
    match = np.zeros(m + 1, dtype=np.int64)  # match[j] = 1-based row matched to column j, 0 = free
    way = np.zeros(m + 1, dtype=np.int64)  # the previous column on the shortest path
    for row in range(1, n + 1):
        match[0], col = row, 0
        minv = np.full(m + 1, np.inf)  # shortest reduced distance found to each column
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[col] = True
            i = match[col]
            free = ~used[1:]
            reduced = work[i - 1] - u[i] - v[1:]
            better = free & (reduced < minv[1:])
            minv[1:][better] = reduced[better]
            way[1:][better] = col
            candidates = np.where(free, minv[1:], np.inf)
            nxt = int(np.argmin(candidates))  # first of the cheapest: deterministic ties
            delta = candidates[nxt]
            u[match[used]] += delta
            v[used] -= delta
            minv[1:][free] -= delta
            col = nxt + 1
            if match[col] == 0:
                break
        while col:  # flip the path: every column on it takes the row of its predecessor
            prev = way[col]
            match[col] = match[prev]
            col = prev
    cols = np.nonzero(match[1:])[0]
    rows = match[1:][cols] - 1
    if forbidden.any() and forbidden[rows, cols].any():
        raise ValueError("the cost matrix is infeasible: every complete matching needs a pair whose cost is +inf")
    if transposed:
        rows, cols = cols, rows
    order = np.argsort(rows, kind="stable")
    return torch.as_tensor(rows[order], dtype=torch.int64), torch.as_tensor(cols[order], dtype=torch.int64)
