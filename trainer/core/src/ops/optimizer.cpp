// The fused optimizer step of AlphaFold2 training (supplementary 1.11.3;
// ScaleFold's FusedAdamSWA): for every parameter, in one launch over all of
// them (a multi-tensor op, like apex's multi_tensor_apply):
//   1. the gradient scaled by the global-norm clip (clip 0.1, PyTorch's
//      clip_grad_norm_: scale = max / (norm + 1e-6), applied when below 1),
//   2. Adam (PyTorch's formulation, no weight decay) on the fp32 master
//      weights, with the bias corrections folded into step_size and
//      sqrt_correction2 (computed on the host, as trainer/train/fused_adam_swa.ts
//      does, so both sides use the very same constants),
//   3. the weight average (OpenFold's ExponentialMovingAverage):
//      avg <- avg - (1 - decay) * (avg - param),
//   4. the bf16 copy of the new weights (round to nearest even).
// Every operation is one IEEE float32 operation, rounded as written (on the
// GPU with the __f*_rn intrinsics, so nvcc fuses nothing into an FMA); the
// CPU run therefore equals the TS reference bit for bit and the CUDA run
// equals the CPU run bit for bit, given the same clip scale.
//
// grad_norm_sq sums the squares of many tensors (float64 accumulation) in a
// fixed order (per chunk-lane partials, then 1024 strided partial sums, then
// one sequential sum): deterministic, no atomics.
//
// The per-tensor pointers and a chunk table (tensor, first element) go to the
// device in one copy per call; element i of the launch is chunk i / kChunk,
// offset i % kChunk, so the lookup costs one table read.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "../launch.h"
#include "../ops.h"
#include "../runtime.h"

namespace sf {

namespace {

constexpr int64_t kChunk = 4096;
constexpr int64_t kLanes = 32;  // grad_norm_sq: lanes per chunk (each sums kChunk / kLanes elements)
constexpr int64_t kLevel2 = 1024;

struct AdamSlot {
  float* p;
  const float* g;
  float* m;
  float* v;
  float* a;
  uint16_t* copy;  // bf16 bits, or null
  int64_t n;
};

struct NormSlot {
  const float* g;
  int64_t n;
};

struct Chunk {
  int32_t slot;
  int32_t start;
};

// One float32 operation, correctly rounded, never contracted into an FMA.
SF_HD float fmul(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
SF_HD float fadd(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
SF_HD float fsub(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
SF_HD float fdiv(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
SF_HD float fsqrt(float a) {
#if defined(__CUDA_ARCH__)
  return __fsqrt_rn(a);
#else
  return std::sqrt(a);
#endif
}

// Host table -> a device (or host) byte buffer that lives until the op returns;
// the copy is stream-ordered before the kernels that read it.
Tensor uploadTable(const std::vector<uint8_t>& bytes, Device dev) {
  int64_t words = static_cast<int64_t>((bytes.size() + 3) / 4);
  Tensor t = empty({words}, DType::I32, dev);
  if (bytes.empty()) return t;
  if (dev == Device::CPU) std::memcpy(t.raw(), bytes.data(), bytes.size());
  else memcpyAsync(t.raw(), bytes.data(), bytes.size(), 0, false);  // pageable source: staged before return
  return t;
}

template <class S>
std::vector<Chunk> chunksOf(const std::vector<S>& slots) {
  std::vector<Chunk> chunks;
  for (size_t s = 0; s < slots.size(); ++s)
    for (int64_t start = 0; start < slots[s].n; start += kChunk)
      chunks.push_back({static_cast<int32_t>(s), static_cast<int32_t>(start)});
  return chunks;
}

template <class S>
std::vector<uint8_t> packTable(const std::vector<S>& slots, const std::vector<Chunk>& chunks, size_t& chunkOffset) {
  size_t slotBytes = slots.size() * sizeof(S);
  chunkOffset = (slotBytes + 15) / 16 * 16;
  std::vector<uint8_t> bytes(chunkOffset + chunks.size() * sizeof(Chunk));
  if (!slots.empty()) std::memcpy(bytes.data(), slots.data(), slotBytes);
  if (!chunks.empty()) std::memcpy(bytes.data() + chunkOffset, chunks.data(), chunks.size() * sizeof(Chunk));
  return bytes;
}

struct AdamConsts {
  float stepSize, sqrtCorrection2, b1, b2, eps, keep, oneMinusB1, oneMinusB2;
  double clipNorm;
  const double* normSq;  // null: no clipping
};

// One element of the fused step (see the file comment); every line one
// correctly rounded float32 operation, as trainer/train/fused_adam_swa.ts.
SF_HD void adamElement(const AdamConsts& k, float* P, const float* G, float* M, float* V, float* A, uint16_t* C, int64_t e) {
  float g = G[e];
  if (k.normSq != nullptr) {
    // clip.ts: scale = max / (norm + 1e-6) in float64, applied (as float32) when below 1
    double scale = k.clipNorm / (sqrt(k.normSq[0]) + 1e-6);
    if (scale < 1.0) g = fmul(g, static_cast<float>(scale));
  }
  float m = fadd(fmul(k.b1, M[e]), fmul(k.oneMinusB1, g));
  float v = fadd(fmul(k.b2, V[e]), fmul(fmul(k.oneMinusB2, g), g));
  M[e] = m;
  V[e] = v;
  float denom = fadd(fdiv(fsqrt(v), k.sqrtCorrection2), k.eps);
  float p = fsub(P[e], fmul(k.stepSize, fdiv(m, denom)));
  P[e] = p;
  float a = A[e];
  A[e] = fsub(a, fmul(k.keep, fsub(a, p)));
  if (C != nullptr) C[e] = bf16::fromFloat(p).bits;
}

void requireF32(const char* op, const Tensor& t, size_t i, Device dev) {
  if (!t.defined()) throw CoreError(std::string(op) + ": input " + std::to_string(i) + " is missing");
  if (t.dtype != DType::F32 || t.device != dev)
    throw CoreError(std::string(op) + ": input " + std::to_string(i) + " is " + t.describe() + ", float32 on " +
                    (dev == Device::CPU ? "cpu" : "cuda") + " expected");
  SF_CHECK(t.numel() < (int64_t(1) << 31), std::string(op) + ": tensor of more than 2^31 elements");
}

}  // namespace

// inputs: g_0, g_1, ... (float32, one device). outputs: float64 [1], the sum
// of the squares of every element of every input.
Tensors opGradNormSq(const Tensors& in, const Attrs&) {
  const char* op = "grad_norm_sq";
  if (in.empty()) throw CoreError(std::string(op) + ": no tensors");
  Device dev = in[0].defined() ? in[0].device : Device::CPU;
  std::vector<NormSlot> slots;
  for (size_t i = 0; i < in.size(); ++i) {
    requireF32(op, in[i], i, dev);
    slots.push_back({in[i].data<float>(), in[i].numel()});
  }
  std::vector<Chunk> chunks = chunksOf(slots);
  size_t chunkOffset = 0;
  Tensor table = uploadTable(packTable(slots, chunks, chunkOffset), dev);
  const NormSlot* ts = reinterpret_cast<const NormSlot*>(table.raw());
  const Chunk* tc = reinterpret_cast<const Chunk*>(static_cast<const uint8_t*>(table.raw()) + chunkOffset);
  int64_t nPartials = static_cast<int64_t>(chunks.size()) * kLanes;
  Tensor partials = empty({std::max<int64_t>(nPartials, 1) + kLevel2}, DType::F64, dev);
  Tensor out = empty({1}, DType::F64, dev);
  double* pp = partials.data<double>();
  double* p2 = pp + std::max<int64_t>(nPartials, 1);
  double* po = out.data<double>();
  // 1: lane l of chunk c sums elements start + l, + l + 32, ... (coalesced across lanes)
  forEach(dev, nPartials, op, [=] SF_LAMBDA(int64_t i) {
    Chunk c = tc[i / kLanes];
    NormSlot s = ts[c.slot];
    int64_t end = c.start + kChunk < s.n ? c.start + kChunk : s.n;
    double acc = 0;
    for (int64_t e = c.start + i % kLanes; e < end; e += kLanes) {
      double x = s.g[e];
      acc += x * x;
    }
    pp[i] = acc;
  });
  // 2: kLevel2 strided partial sums; 3: one sequential sum
  forEach(dev, kLevel2, op, [=] SF_LAMBDA(int64_t k) {
    double acc = 0;
    for (int64_t j = k; j < nPartials; j += kLevel2) acc += pp[j];
    p2[k] = acc;
  });
  forEach(dev, 1, op, [=] SF_LAMBDA(int64_t) {
    double acc = 0;
    for (int64_t k = 0; k < kLevel2; ++k) acc += p2[k];
    po[0] = acc;
  });
  return {out};
}

namespace {

// The step constants from the attributes (see opAdamSwa).
AdamConsts readConsts(const char* op, const Attrs& attrs, const double* normSq) {
  AdamConsts k;
  k.stepSize = static_cast<float>(attrs.number(op, "step_size"));
  k.sqrtCorrection2 = static_cast<float>(attrs.number(op, "sqrt_correction2"));
  k.b1 = static_cast<float>(attrs.number(op, "beta1"));
  k.b2 = static_cast<float>(attrs.number(op, "beta2"));
  k.eps = static_cast<float>(attrs.number(op, "eps"));
  k.keep = static_cast<float>(attrs.number(op, "keep"));
  // as the TS reference: fround(1 - fround(beta))
  k.oneMinusB1 = static_cast<float>(1.0 - static_cast<double>(k.b1));
  k.oneMinusB2 = static_cast<float>(1.0 - static_cast<double>(k.b2));
  k.clipNorm = attrs.number("clip_norm", 0.0);
  k.normSq = normSq;
  return k;
}

const double* normSqOf(const char* op, const Tensor& normSq, Device dev) {
  if (!normSq.defined()) return nullptr;
  if (normSq.dtype != DType::F64 || normSq.device != dev || normSq.numel() != 1)
    throw CoreError(std::string(op) + ": norm_sq must be float64 [1] on the parameters' device, got " + normSq.describe());
  return normSq.data<double>();
}

// The state of one parameter (everything but its gradient) in a plan.
struct StateSlot {
  float* p;
  float* m;
  float* v;
  float* a;
  uint16_t* copy;
  int64_t n;
};

// Validates param, [grad,] m, v, average (float32, same numel) and the copy
// (bfloat16 or none) of parameter k starting at in[b]; `stride` tensors each.
void checkParameter(const char* op, const Tensors& in, size_t b, size_t k, bool withGrad, Device dev) {
  size_t floats = withGrad ? 5 : 4;
  for (size_t j = 0; j < floats; ++j) requireF32(op, in[b + j], b + j, dev);
  int64_t n = in[b].numel();
  for (size_t j = 1; j < floats; ++j)
    if (in[b + j].numel() != n)
      throw CoreError(std::string(op) + ": parameter " + std::to_string(k) + ": " + in[b + j].describe() + " does not match " + in[b].describe());
  const Tensor& c = in[b + floats];
  if (c.defined() && (c.dtype != DType::BF16 || c.device != dev || c.numel() != n))
    throw CoreError(std::string(op) + ": parameter " + std::to_string(k) + ": copy " + c.describe() + " must be bfloat16 like " + in[b].describe());
}

}  // namespace

// inputs: norm_sq (float64 [1] from grad_norm_sq, or none: no clipping), then
// per parameter six tensors: param, grad, exp_avg, exp_avg_sq, average
// (float32, same numel) and the bf16 copy (bfloat16, or none). All on one
// device; updated in place. attrs: step_size = lr / (1 - beta1^t) and
// sqrt_correction2 = sqrt(1 - beta2^t) (float32 values), beta1, beta2, eps,
// keep = 1 - decay, clip_norm (used with norm_sq). outputs: none.
Tensors opAdamSwa(const Tensors& in, const Attrs& attrs) {
  const char* op = "adam_swa";
  if (in.empty() || (in.size() - 1) % 6 != 0)
    throw CoreError(std::string(op) + ": norm_sq then 6 tensors per parameter expected, got " + std::to_string(in.size()) + " inputs");
  size_t count = (in.size() - 1) / 6;
  if (count == 0) return {};
  Device dev = in[1].defined() ? in[1].device : Device::CPU;
  std::vector<AdamSlot> slots;
  for (size_t k = 0; k < count; ++k) {
    size_t b = 1 + 6 * k;
    checkParameter(op, in, b, k, true, dev);
    const Tensor& c = in[b + 5];
    slots.push_back({in[b].data<float>(), in[b + 1].data<float>(), in[b + 2].data<float>(), in[b + 3].data<float>(),
                     in[b + 4].data<float>(), c.defined() ? static_cast<uint16_t*>(c.raw()) : nullptr, in[b].numel()});
  }
  const AdamConsts k = readConsts(op, attrs, normSqOf(op, in[0], dev));
  std::vector<Chunk> chunks = chunksOf(slots);
  size_t chunkOffset = 0;
  Tensor table = uploadTable(packTable(slots, chunks, chunkOffset), dev);
  const AdamSlot* ts = reinterpret_cast<const AdamSlot*>(table.raw());
  const Chunk* tc = reinterpret_cast<const Chunk*>(static_cast<const uint8_t*>(table.raw()) + chunkOffset);
  forEach(dev, static_cast<int64_t>(chunks.size()) * kChunk, op, [=] SF_LAMBDA(int64_t i) {
    Chunk c = tc[i / kChunk];
    int64_t e = c.start + i % kChunk;
    const AdamSlot& s = ts[c.slot];
    if (e >= s.n) return;
    adamElement(k, s.p, s.g, s.m, s.v, s.a, s.copy, e);
  });
  return {};
}

// The same step with the state's pointers prepared once (the state tensors
// live as long as the optimizer; only the gradients change per step), so a
// step passes one handle per parameter instead of six.
// adam_swa_plan inputs: per parameter param, exp_avg, exp_avg_sq, average
// (float32) and the copy (bfloat16 or none). outputs: the plan, an int32
// tensor on their device holding the state pointers and the chunk table, and
// its header, int32 on the CPU: [count, chunks, chunk offset, n_0, n_1, ...].
// The plan holds raw pointers: the caller keeps the state tensors alive
// (and unchanged) as long as it uses the plan.
Tensors opAdamSwaPlan(const Tensors& in, const Attrs&) {
  const char* op = "adam_swa_plan";
  if (in.empty() || in.size() % 5 != 0)
    throw CoreError(std::string(op) + ": 5 tensors per parameter expected, got " + std::to_string(in.size()) + " inputs");
  size_t count = in.size() / 5;
  Device dev = in[0].defined() ? in[0].device : Device::CPU;
  std::vector<StateSlot> slots;
  for (size_t k = 0; k < count; ++k) {
    size_t b = 5 * k;
    checkParameter(op, in, b, k, false, dev);
    const Tensor& c = in[b + 4];
    slots.push_back({in[b].data<float>(), in[b + 1].data<float>(), in[b + 2].data<float>(), in[b + 3].data<float>(),
                     c.defined() ? static_cast<uint16_t*>(c.raw()) : nullptr, in[b].numel()});
  }
  std::vector<Chunk> chunks = chunksOf(slots);
  size_t chunkOffset = 0;
  Tensor plan = uploadTable(packTable(slots, chunks, chunkOffset), dev);
  Tensor header = empty({static_cast<int64_t>(3 + count)}, DType::I32, Device::CPU);
  int32_t* h = header.data<int32_t>();
  h[0] = static_cast<int32_t>(count);
  h[1] = static_cast<int32_t>(chunks.size());
  h[2] = static_cast<int32_t>(chunkOffset);
  for (size_t k = 0; k < count; ++k) h[3 + k] = static_cast<int32_t>(slots[k].n);
  return {plan, header};
}

// adam_swa_step inputs: norm_sq (or none), the plan and its header (from
// adam_swa_plan), then one gradient per parameter (float32, the plan's
// order and sizes). attrs and effect: as adam_swa. outputs: none.
Tensors opAdamSwaStep(const Tensors& in, const Attrs& attrs) {
  const char* op = "adam_swa_step";
  if (in.size() < 3 || !in[1].defined() || !in[2].defined())
    throw CoreError(std::string(op) + ": norm_sq, plan, header, then one gradient per parameter expected");
  const Tensor& plan = in[1];
  const Tensor& header = in[2];
  if (plan.dtype != DType::I32 || header.dtype != DType::I32 || header.device != Device::CPU || header.numel() < 3)
    throw CoreError(std::string(op) + ": plan / header are not from adam_swa_plan (" + plan.describe() + ", " + header.describe() + ")");
  const int32_t* h = header.data<int32_t>();
  size_t count = static_cast<size_t>(h[0]);
  if (header.numel() != static_cast<int64_t>(3 + count) || in.size() != 3 + count)
    throw CoreError(std::string(op) + ": the plan has " + std::to_string(count) + " parameters, got " + std::to_string(in.size() - 3) + " gradients");
  Device dev = plan.device;
  std::vector<const float*> grads(count);
  for (size_t k = 0; k < count; ++k) {
    requireF32(op, in[3 + k], 3 + k, dev);
    if (in[3 + k].numel() != h[3 + k])
      throw CoreError(std::string(op) + ": gradient " + std::to_string(k) + " is " + in[3 + k].describe() + ", the parameter has " + std::to_string(h[3 + k]) + " elements");
    grads[k] = in[3 + k].data<float>();
  }
  const AdamConsts k = readConsts(op, attrs, normSqOf(op, in[0], dev));
  std::vector<uint8_t> bytes(count * sizeof(const float*));
  if (count > 0) std::memcpy(bytes.data(), grads.data(), bytes.size());
  Tensor gradTable = uploadTable(bytes, dev);
  const float* const* tg = reinterpret_cast<const float* const*>(gradTable.raw());
  const StateSlot* ts = reinterpret_cast<const StateSlot*>(plan.raw());
  const Chunk* tc = reinterpret_cast<const Chunk*>(static_cast<const uint8_t*>(plan.raw()) + h[2]);
  forEach(dev, static_cast<int64_t>(h[1]) * kChunk, op, [=] SF_LAMBDA(int64_t i) {
    Chunk c = tc[i / kChunk];
    int64_t e = c.start + i % kChunk;
    const StateSlot& s = ts[c.slot];
    if (e >= s.n) return;
    adamElement(k, s.p, tg[c.slot], s.m, s.v, s.a, s.copy, e);
  });
  return {};
}

}  // namespace sf
