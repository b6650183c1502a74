#!/usr/bin/env python3
"""Float32 error of Winograd F(m, 3) against float64 direct convolution, relative to direct
float32's, per layer size of the generator (the study behind F(2,3) in docs/DESIGN.md,
"Convolutions"). Every product runs through numpy's float32 matmul (OpenBLAS), so the point sets
are compared on the same sums; `cfclip-bench winograd-error` measures the project's own kernels.

    python3 scripts/winograd_error.py            # numpy only; about a minute

Printed on 2026-12-05 (ratios to direct float32's relative RMS error): F(2,3) 0.66-1.38x,
F(4,3) with points (0, ±1, ±2) 4.2-9.0x, with (0, ±1, ½, -2) 2.9-5.7x, F(3,3) 2.3-4.5x,
the largest at 512 channels. The issue allows 2x.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view as swv

rng = np.random.default_rng(0)


def mats(points):
    """Aᵀ, G, Bᵀ of F(m, 3) on the finite points plus infinity (Toom-Cook); Bᵀ solved so that
    Aᵀ[(G g) ⊙ (Bᵀ d)] is the correlation of d with g."""
    m = len(points) + 1 - 2  # outputs
    n = len(points) + 1      # alpha = m+2
    p = np.array(points, dtype=np.float64)
    # A^T: m x n ; G: n x 3 ; B^T: n x n
    AT = np.zeros((m, n)); G = np.zeros((n, 3)); BT = np.zeros((n, n))
    for i in range(len(p)):
        AT[:, i] = p[i] ** np.arange(m)
        G[i, :] = p[i] ** np.arange(3)
    AT[m-1, n-1] = 1; G[n-1, 2] = 1
    rows = []; rhs = []
    for i in range(m):
        for k in range(3):
            for j in range(n):
                # coefficient of g_k d_j in y_i: sum_t AT[i,t] G[t,k] BT[t,j]
                row = np.zeros((n, n)); row[:, j] = AT[i, :] * G[:, k]
                rows.append(row.ravel()); rhs.append(1.0 if j == i + k else 0.0)
    sol, res, rk, _ = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)
    BT = sol.reshape(n, n)
    return AT, G, BT

def direct32(x, w):
    cin, h, wd = x.shape; cout = w.shape[0]
    xp = np.pad(x, ((0,0),(1,1),(1,1)))
    col = swv(xp, (3,3), axis=(1,2))  # cin,h,wd,3,3
    col = col.transpose(0,3,4,1,2).reshape(cin*9, h*wd).astype(np.float32)
    return (w.reshape(cout, -1).astype(np.float32) @ col).reshape(cout, h, wd)

def direct64(x, w):
    cin, h, wd = x.shape; cout = w.shape[0]
    xp = np.pad(x.astype(np.float64), ((0,0),(1,1),(1,1)))
    col = swv(xp, (3,3), axis=(1,2)).transpose(0,3,4,1,2).reshape(cin*9, h*wd)
    return (w.reshape(cout, -1).astype(np.float64) @ col).reshape(cout, h, wd)

def wino32(x, w, AT, G, BT, m):
    f = np.float32
    AT, G, BT = AT.astype(f), G.astype(f), BT.astype(f)
    cin, h, wd = x.shape; cout = w.shape[0]; a = m + 2
    U = np.einsum('ik,ockl,jl->ijoc', G, w.astype(f), G).astype(f)  # a,a,cout,cin
    th, tw = -(-h // m), -(-wd // m)
    xp = np.zeros((cin, th*m + 2, tw*m + 2), f); xp[:, 1:h+1, 1:wd+1] = x
    tiles = swv(xp, (a, a), axis=(1, 2))[:, ::m, ::m]  # cin,th,tw,a,a
    V = np.einsum('ik,ctskl,jl->ijcts', BT, tiles, BT).astype(f).reshape(a, a, cin, th*tw)
    M = np.matmul(U, V)  # a,a,cout,T  float32 sgemm
    Y = np.einsum('ik,klot,jl->otij', AT, M, AT).astype(f).reshape(cout, th, tw, m, m)
    return Y.transpose(0,1,3,2,4).reshape(cout, th*m, tw*m)[:, :h, :wd]

def err(y, r):
    rms = np.sqrt(np.mean(r**2)); return np.sqrt(np.mean((y.astype(np.float64)-r)**2))/rms

SETS = {'F(2,3) 0,±1': [0, 1, -1], 'F(3,3) 0,±1,2': [0, 1, -1, 2], 'F(4,3) 0,±1,±2': [0, 1, -1, 2, -2],
        'F(4,3) 0,±1,½,-2': [0, 1, -1, 0.5, -2]}

for res, ch in [(8, 512), (32, 512), (64, 512), (128, 256), (256, 128), (256, 64), (256, 32)]:
    x = rng.standard_normal((ch, res, res)).astype(np.float32)
    x[x < 0] *= 0.2                                                   # leaky-ReLU'd activations
    x *= (1 + 0.5 * rng.standard_normal(ch)).astype(np.float32)[:, None, None]   # styles
    w = rng.standard_normal((ch, ch, 3, 3)).astype(np.float32)
    ref = direct64(x, w)
    d = err(direct32(x, w), ref)
    out = [f'{res}px {ch}ch direct {d:.2e}']
    for name, pts in SETS.items():
        AT, G, BT = mats(pts)
        out.append(f'{name}: {err(wino32(x, w, AT, G, BT, AT.shape[0]), ref) / d:.2f}x')
    print(' | '.join(out), flush=True)
