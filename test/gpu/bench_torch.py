# PyTorch on the same GPU, the counterpart of bench.gpu.ts: copy bandwidth,
# GEMMs at the Evoformer shapes, attention with pair bias + mask + gate
# (eager, and scaled_dot_product_attention with bias+mask as a float mask),
# layer norm. Medians of CUDA-event timings after warm-up, random data.
import math
import statistics

import torch
import torch.nn.functional as F

dev = "cuda"


def time_loop_ms(fn, inner=20, reps=10):
    """Per-call median over `inner` back-to-back calls between one event pair."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        s = torch.cuda.Event(enable_timing=True)
        e = torch.cuda.Event(enable_timing=True)
        s.record()
        for _ in range(inner):
            fn()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e) / inner)
    return statistics.median(times)


def time_ms(fn, reps=20, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        s = torch.cuda.Event(enable_timing=True)
        e = torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e))
    return statistics.median(times)


print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}")

x = torch.full((1 << 28,), 1.5, device=dev)
ms = time_ms(lambda: x.clone(), reps=10)
print(f"torch copy\t1 GiB D2D\t{ms:.3f} ms\t{2 * 4 * 2**28 / ms / 1e6:.0f} GB/s")
del x

gemms = [
    ("msa q/k/v/gate proj", 1, 128 * 256, 256, 256),
    ("msa transition up", 1, 128 * 256, 256, 1024),
    ("msa transition down", 1, 128 * 256, 1024, 256),
    ("pair tri-mult proj", 1, 256 * 256, 128, 128),
    ("pair transition up", 1, 256 * 256, 128, 512),
    ("outer product mean out", 1, 256 * 256, 1024, 128),
    ("tri-mult update (batched)", 128, 256, 256, 256),
]
for name, b, m, k, n in gemms:
    for pname, dtype, tf32 in (("bf16", torch.bfloat16, False), ("tf32", torch.float32, True), ("fp32", torch.float32, False)):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        shape_a = (b, m, k) if b > 1 else (m, k)
        shape_w = (b, n, k) if b > 1 else (n, k)
        a = torch.rand(shape_a, device=dev, dtype=dtype) * 2 - 1
        w = torch.rand(shape_w, device=dev, dtype=dtype) * 2 - 1
        ms = time_ms(lambda: torch.matmul(a, w.transpose(-1, -2)))
        print(f"torch gemm\t{name}\t{pname}\t{ms:.3f} ms\t{2 * b * m * n * k / ms / 1e9:.1f} TFLOP/s")
torch.backends.cuda.matmul.allow_tf32 = False

for label, B, H in (("msa-row", 128, 8), ("triangle", 256, 4)):
    Q, D = 256, 32
    for dtype in (torch.bfloat16, torch.float32):
        def r(*shape):
            return (torch.rand(shape, device=dev, dtype=dtype) * 2 - 1).requires_grad_()

        q, k, v, g = r(B, H, Q, D), r(B, H, Q, D), r(B, H, Q, D), r(B, H, Q, D)
        bias = r(H, Q, Q)
        mask = (torch.rand(B, Q, device=dev) < 0.77).to(dtype)
        mask_bias = (1e9 * (mask - 1))[:, None, None, :]
        dout = torch.rand(B, H, Q, D, device=dev, dtype=dtype)
        scale = 1 / math.sqrt(D)

        def eager():
            logits = torch.matmul(q, k.transpose(-1, -2)) * scale + bias[None] + mask_bias
            return torch.sigmoid(g) * torch.matmul(torch.softmax(logits, -1), v)

        def sdpa():
            attn_mask = bias[None] + mask_bias  # [B, H, Q, K], materialised
            return torch.sigmoid(g) * F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)

        def sdpa_bias_only():
            return torch.sigmoid(g) * F.scaled_dot_product_attention(q, k, v, attn_mask=bias[None].expand(B, H, Q, Q))

        for name, f in (("eager", eager), ("sdpa(bias+mask)", sdpa), ("sdpa(bias only, no mask)", sdpa_bias_only)):
            try:
                fwd = time_ms(lambda: f())
                both = time_ms(lambda: f().backward(dout))
                print(f"torch attention\t{label} B{B} H{H} {Q}x{Q} d{D}\t{name}\t{str(dtype)[6:]}\tfwd {fwd:.3f} ms\tfwd+bwd {both:.3f} ms")
            except Exception as e:  # an unsupported combination is reported, not fatal
                print(f"torch attention\t{label}\t{name}\t{str(dtype)[6:]}\tfailed: {type(e).__name__}: {str(e)[:120]}")
            for t in (q, k, v, g, bias):
                t.grad = None
        del q, k, v, g, bias, dout
        torch.cuda.empty_cache()

for dtype in (torch.float32, torch.bfloat16):
    rows, c = 128 * 256, 256
    es = 4 if dtype == torch.float32 else 2
    x = (torch.rand(rows, c, device=dev, dtype=dtype) * 4 - 2).requires_grad_()
    gamma = (torch.rand(c, device=dev, dtype=dtype) + 0.5).requires_grad_()
    beta = (torch.rand(c, device=dev, dtype=dtype) * 2 - 1).requires_grad_()
    dy = torch.rand(rows, c, device=dev, dtype=dtype)
    with torch.no_grad():
        fwd = time_loop_ms(lambda: F.layer_norm(x, (c,), gamma, beta, 1e-5))
    both = time_loop_ms(lambda: torch.autograd.grad(F.layer_norm(x, (c,), gamma, beta, 1e-5), (x, gamma, beta), dy))
    print(f"torch layer_norm\t[{rows}, {c}]\t{str(dtype)[6:]}\tfwd {fwd * 1000:.1f} us {2 * rows * c * es / fwd / 1e6:.0f} GB/s\tfwd+bwd {both * 1000:.1f} us")
