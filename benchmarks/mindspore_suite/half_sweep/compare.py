"""python compare.py MS.npz GS.npz [show]: per case, the elements whose bits differ (NaNs of any payload equal)."""
import sys
import numpy as np



def load(path) -> dict:
    """run_side.py's results: case -> bits, or the refusal's text."""
    with np.load(path) as f:
        return {k.replace(".", "/"): (str(f[k]) if f[k].dtype.kind == "U" else f[k]) for k in f.files}


def as_f32(b, dt):
    b = np.asarray(b, np.uint16)
    return b.view(np.float16).astype(np.float32) if dt == "float16" else (b.astype(np.uint32) << 16).view(np.float32)


def ulps(b):
    b = np.asarray(b, np.int32)
    return np.where(b & 0x8000, -(b & 0x7FFF), b)


if __name__ == "__main__":
    ms, gs = load(sys.argv[1]), load(sys.argv[2])
    show = len(sys.argv) > 3
    for k, m in ms.items():
        g = gs.get(k)
        dt = k.split("/")[0]
        if isinstance(m, str) or isinstance(g, str) or g is None:
            if isinstance(m, str) and isinstance(g, str):
                st = "both refuse"
            elif isinstance(m, str):
                st = "MS refuses, we answer" if not isinstance(g, str) else "?"
            else:
                st = f"we refuse: {str(g)[:100]}"
            print(f"{k:40s} {st}")
            continue
        if m.shape != g.shape:
            print(f"{k:40s} SHAPE {m.shape} vs {g.shape}")
            continue
        fm, fg = as_f32(m, dt), as_f32(g, dt)
        bad = ~((m == g) | (np.isnan(fm) & np.isnan(fg)))
        n = int(bad.sum())
        d = np.abs(ulps(m) - ulps(g))[bad & np.isfinite(fm) & np.isfinite(fg)]
        print(f"{k:40s} {n:6d} / {m.size}  max ulps {int(d.max()) if d.size else '-'}  nonfinite-diff {int((bad & ~(np.isfinite(fm) & np.isfinite(fg))).sum())}")
        if show and n:
            idx = np.flatnonzero(bad)[:6]
            print("      ms", fm.ravel()[idx], "gs", fg.ravel()[idx], "at", idx)
