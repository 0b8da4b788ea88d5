"""torch's CPU topk, ties included: its kernel puts (value, index) pairs through libstdc++'s
std::partial_sort (k * 64 <= n) or std::nth_element (+ std::sort of the first k - 1 when
sorted), and which of several equal values come out, in which order, is decided by those
algorithms. Where no tie touches the top k the answer is unique and NumPy gives it; otherwise
the algorithms below replay libstdc++'s steps on the pairs (used by torch.topk and prune).
"""
from __future__ import annotations

from math import isnan

import numpy as np

_THRESHOLD = 16   # libstdc++'s _S_threshold: introsort hands shorter runs to insertion sort


def _make_heap(a, n, less):
    if n < 2:
        return
    parent = (n - 2) // 2
    while True:
        _adjust_heap(a, parent, n, a[parent], less)
        if parent == 0:
            return
        parent -= 1


def _adjust_heap(a, hole, n, value, less):
    top = hole
    child = hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if less(a[child], a[child - 1]):
            child -= 1
        a[hole] = a[child]
        hole = child
    if (n & 1) == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        a[hole] = a[child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and less(a[parent], value):
        a[hole] = a[parent]
        hole = parent
        parent = (hole - 1) // 2
    a[hole] = value


def _heap_select(a, first, middle, last, less):
    # on the subrange [first, last): a view keeps the heap arithmetic 0-based
    sub = a[first:last]
    m = middle - first
    _make_heap(sub, m, less)
    for i in range(m, len(sub)):
        if less(sub[i], sub[0]):
            value = sub[i]
            sub[i] = sub[0]
            _adjust_heap(sub, 0, m, value, less)
    a[first:last] = sub


def _partition_pivot(a, first, last, less):
    """libstdc++'s __unguarded_partition_pivot: the median of (first+1, mid, last-1) moved to
    first, then an unguarded partition around it; returns the cut."""
    mid = first + (last - first) // 2
    x, y, z = first + 1, mid, last - 1
    if less(a[x], a[y]):
        m = y if less(a[y], a[z]) else (z if less(a[x], a[z]) else x)
    else:
        m = x if less(a[x], a[z]) else (z if less(a[y], a[z]) else y)
    a[first], a[m] = a[m], a[first]
    pivot = a[first]
    lo, hi = first + 1, last
    while True:
        while less(a[lo], pivot):
            lo += 1
        hi -= 1
        while less(pivot, a[hi]):
            hi -= 1
        if not lo < hi:
            return lo
        a[lo], a[hi] = a[hi], a[lo]
        lo += 1


def _introselect(a, nth, less):
    first, last = 0, len(a)
    depth = 2 * (last.bit_length() - 1)
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last, less)
            a[first], a[nth] = a[nth], a[first]
            return
        depth -= 1
        lo = _partition_pivot(a, first, last, less)
        if lo <= nth:
            first = lo
        else:
            last = lo
    # insertion sort of the last few
    for i in range(first + 1, last):
        val = a[i]
        if less(val, a[first]):
            a[first + 1:i + 1] = a[first:i]
            a[first] = val
        else:
            j = i
            while less(val, a[j - 1]):
                a[j] = a[j - 1]
                j -= 1
            a[j] = val


def _sort_heap(a, n, less):
    """std::sort_heap on a[:n] (a max-heap under less): repeated pop_heap."""
    while n > 1:
        n -= 1
        value = a[n]
        a[n] = a[0]
        _adjust_heap(a, 0, n, value, less)


def _insertion_sort(a, first, last, less):
    for i in range(first + 1, last):
        val = a[i]
        if less(val, a[first]):
            a[first + 1:i + 1] = a[first:i]
            a[first] = val
        else:
            j = i
            while less(val, a[j - 1]):
                a[j] = a[j - 1]
                j -= 1
            a[j] = val


def _unguarded_insertion_sort(a, first, last, less):
    for i in range(first, last):
        val = a[i]
        j = i
        while less(val, a[j - 1]):
            a[j] = a[j - 1]
            j -= 1
        a[j] = val


def _introsort_loop(a, first, last, depth, less):
    while last - first > _THRESHOLD:
        if depth == 0:
            # partial_sort(first, last, last): a heap sort of the run
            sub = a[first:last]
            _make_heap(sub, len(sub), less)
            _sort_heap(sub, len(sub), less)
            a[first:last] = sub
            return
        depth -= 1
        lo = _partition_pivot(a, first, last, less)
        _introsort_loop(a, lo, last, depth, less)
        last = lo


def std_sort(a, first, last, less):
    """std::sort(a[first:last]) as libstdc++ runs it (introsort, then insertion sort)."""
    n = last - first
    if n < 2:
        return
    _introsort_loop(a, first, last, 2 * (n.bit_length() - 1), less)
    if n > _THRESHOLD:
        _insertion_sort(a, first, first + _THRESHOLD, less)
        _unguarded_insertion_sort(a, first + _THRESHOLD, last, less)
    else:
        _insertion_sort(a, first, last, less)


def _less(largest):
    if largest:
        def less(p, q):
            a, b = p[0], q[0]
            return (isnan(a) and not isnan(b)) or a > b
    else:
        def less(p, q):
            a, b = p[0], q[0]
            return (not isnan(a) and isnan(b)) or a < b
    return less


def topk_row(values, k, largest, sorted=True):
    """The indices torch's CPU topk returns for one slice (a list of Python numbers), in its
    output order."""
    n = len(values)
    less = _less(largest)
    q = list(zip(values, range(n)))
    if k * 64 <= n:
        _heap_select(q, 0, k, n, less)
        _sort_heap(q, k, less)   # partial_sort = heap select + sort_heap
    else:
        _introselect(q, k - 1, less)
        if sorted:
            std_sort(q, 0, k - 1, less)
    return [i for _, i in q[:k]]


def topk_indices(x, k, largest):
    """The indices torch.topk(x, k, largest) selects from the 1-D array x (in no order)."""
    n = x.size
    if k == 0:
        return np.empty(0, np.int64)
    key = -x if largest else x
    # NaN counts as the largest value (first when largest, last otherwise)
    key = np.where(np.isnan(x), -np.inf if largest else np.inf, key) if np.isnan(x).any() \
        else key
    part = np.argpartition(key, k - 1, kind="introselect")
    kth = key[part[k - 1]]
    if k == n or np.count_nonzero(key < kth) + np.count_nonzero(key == kth) == k:
        return part[:k]
    vals = x.astype(np.float64).tolist()
    return np.asarray(topk_row(vals, k, largest, sorted=False), np.int64)


def quick_select(q, k, gt):
    """ATen's quick_select_template (SortingUtils.h) on a list of (value, index) pairs: puts the
    k-th smallest (under gt, NaN largest) at q[k]; kthvalue and median(dim) read it there."""
    lo, hi = 0, len(q) - 1
    while True:
        if hi <= lo:
            return
        if hi == lo + 1:
            if gt(q[lo], q[hi]):
                q[lo], q[hi] = q[hi], q[lo]
            return
        p = lo + (hi - lo) // 2
        q[p], q[lo + 1] = q[lo + 1], q[p]
        if gt(q[lo + 1], q[hi]):
            q[lo + 1], q[hi] = q[hi], q[lo + 1]
        if gt(q[lo], q[hi]):
            q[lo], q[hi] = q[hi], q[lo]
        if gt(q[lo + 1], q[lo]):
            q[lo + 1], q[lo] = q[lo], q[lo + 1]
        i, j = lo + 1, hi
        piv = q[lo]
        while True:
            i += 1
            while gt(piv, q[i]):
                i += 1
            j -= 1
            while gt(q[j], piv):
                j -= 1
            if j < i:
                break
            q[i], q[j] = q[j], q[i]
        q[lo], q[j] = q[j], q[lo]
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1


def _gt_or_nan(p, q):
    a, b = p[0], q[0]
    return (isnan(a) and not isnan(b)) or a > b


def kth_index(values, k):
    """The index torch's kthvalue reports for the k-th smallest (0-based k) of one slice."""
    q = list(zip(values, range(len(values))))
    quick_select(q, k, _gt_or_nan)
    return q[k][1]


def mode_row(values):
    """torch's CPU mode of one slice: std::sort of (value, index) pairs by value, then the
    longest run (the first of equal lengths); returns (value, index of the run's last pair)."""
    n = len(values)
    q = list(zip(values, range(n)))
    std_sort(q, 0, n, lambda p, r: p[0] < r[0])
    best, bi, run, maxf = 0, 0, 0, 0
    for i in range(n):
        run += 1
        if i == n - 1 or q[i][0] != q[i + 1][0]:
            if run > maxf:
                best, bi, maxf = q[i][0], q[i][1], run
            run = 0
    return best, bi
