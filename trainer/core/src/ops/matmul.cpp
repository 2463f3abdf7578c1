// Batched matrix product with transposes: C[b] = op(A[b]) op(B[b]), op = X
// or X^T, where a 2-D operand is shared by every batch entry (a linear
// layer's weight). Linear layers (AlphaFold2 supplementary 1.11.4, OpenFold's
// Linear) are this with the optional third input, a bias [N] added to every
// row in the same pass (cuBLASLt's bias epilogue on CUDA: no separate add
// kernel; the sum is rounded once). Backward, composed by the tape:
//   dA = dC op(B)^T (as a matmul with transposes), dB = op(A)^T dC, and for a
//   shared B the batch is folded into the rows so dB is one product.
// bf16 inputs give a bf16 output accumulated in fp32, or with attr outDtype
// float32 the fp32 accumulator itself (mixed precision: a bf16 weight copy's
// gradient goes to its fp32 master without a bf16 rounding and a cast). precision 'tf32' lets
// cuBLASLt use TF32 tensor cores for fp32 inputs; 'simt' forces the core's own
// tiled CUDA kernel (for tests and builds without cuBLASLt).
// CPU: the loops below; CUDA: cuda/matmul.cu (cuBLASLt where found, else a
// tiled kernel).
#include "../cuda/kernels.h"
#include "../ops.h"

namespace sf {

template <typename T, typename TO>
static void matmulCpu(const T* a, const T* b, const T* bias, TO* c, const MatmulParams& p, const TO* acc = nullptr) {
  using A = typename Acc<T>::type;
  std::vector<A> row(p.n);
  for (int64_t bi = 0; bi < p.batch; ++bi) {
    const T* ab = a + bi * p.strideA;
    const T* bb = b + bi * p.strideB;
    TO* cb = c + bi * p.strideC;
    const TO* accb = acc ? acc + bi * p.strideC : nullptr;
    for (int64_t i = 0; i < p.m; ++i) {
      std::fill(row.begin(), row.end(), A(0));
      for (int64_t kk = 0; kk < p.k; ++kk) {
        A av = load(p.transA ? ab[kk * p.m + i] : ab[i * p.k + kk]);
        if (p.transB) {
          for (int64_t j = 0; j < p.n; ++j) row[j] += av * load(bb[j * p.k + kk]);
        } else {
          const T* br = bb + kk * p.n;
          for (int64_t j = 0; j < p.n; ++j) row[j] += av * load(br[j]);
        }
      }
      if (bias) {
        for (int64_t j = 0; j < p.n; ++j) row[j] += load(bias[j]);
      }
      if (accb) {
        for (int64_t j = 0; j < p.n; ++j) cb[i * p.n + j] = store<TO>(row[j] + load(accb[i * p.n + j]));
      } else {
        for (int64_t j = 0; j < p.n; ++j) cb[i * p.n + j] = store<TO>(row[j]);
      }
    }
  }
}

Tensors opReduceSum(const Tensors& in, const Attrs& attrs);

// inputs: a, b, optional bias [N] (null or absent), optional addend acc (c's shape and dtype: the product
// is added to it in the same pass, cuBLASLt's beta = 1 on CUDA; a gradient summed into the one already
// accumulated for the same tensor, with no separate add). attrs: transA, transB (0/1), precision ("fp32" | "tf32" | "simt"),
// outDtype (dtype code; default the inputs' dtype; float32 is allowed for bfloat16 inputs without a bias),
// biasGrad (0/1; 2-D operands with transA, no bias): a second output [M], the sums of op(A) over k. For a
// linear layer's weight gradient dW = dY^T X that is the column sums of dY, the bias gradient: on CUDA
// cuBLASLt's BGRADB epilogue computes it inside the GEMM where it offers one, else a reduction follows.
// outputs: c [...batch, M, N] (and the sums [M] in c's dtype).
Tensors opMatmul(const Tensors& in, const Attrs& attrs) {
  const char* op = "matmul";
  if (in.size() < 2 || in.size() > 4) requireCount(op, in, 2);
  requireDefined(op, in, 0);
  requireDefined(op, in, 1);
  requireSameDevice(op, in);
  requireSameDtype(op, in);
  requireFloat(op, in[0]);
  const Tensor &a = in[0], &b = in[1];
  if (a.ndim() < 2 || b.ndim() < 2) shapeError(op, in, "operands need at least 2 axes");
  MatmulParams p;
  p.transA = attrs.number("transA", 0) != 0;
  p.transB = attrs.number("transB", 0) != 0;
  std::string prec = attrs.text("precision", "fp32");
  if (prec != "fp32" && prec != "tf32" && prec != "simt") shapeError(op, in, "precision must be fp32, tf32 or simt");
  p.precision = prec == "tf32" ? 1 : prec == "simt" ? 2 : 0;
  int64_t ar = a.shape[a.ndim() - 2], ac = a.shape[a.ndim() - 1];
  int64_t br = b.shape[b.ndim() - 2], bc = b.shape[b.ndim() - 1];
  p.m = p.transA ? ac : ar;
  p.k = p.transA ? ar : ac;
  int64_t kb = p.transB ? bc : br;
  p.n = p.transB ? br : bc;
  if (p.k != kb) shapeError(op, in, "inner dimensions differ (" + std::to_string(p.k) + " vs " + std::to_string(kb) + ")");
  const Tensor bias = in.size() >= 3 ? in[2] : Tensor();
  const Tensor acc = in.size() == 4 ? in[3] : Tensor();
  if (bias.defined() && (bias.ndim() != 1 || bias.shape[0] != p.n)) shapeError(op, in, "bias must be [N] = [" + std::to_string(p.n) + "]");
  Shape batchA(a.shape.begin(), a.shape.end() - 2), batchB(b.shape.begin(), b.shape.end() - 2);
  Shape batch;
  if (batchA == batchB) batch = batchA;
  else if (batchB.empty()) batch = batchA;
  else if (batchA.empty()) batch = batchB;
  else shapeError(op, in, "batch axes must match, or one operand must be 2-D");
  p.batch = numelOf(batch);
  p.strideA = batchA.empty() ? 0 : p.m * p.k;
  p.strideB = batchB.empty() ? 0 : p.k * p.n;
  p.strideC = p.m * p.n;
  Shape outShape = batch;
  outShape.push_back(p.m);
  outShape.push_back(p.n);
  const DType outDtype = static_cast<DType>(static_cast<int>(attrs.number("outDtype", static_cast<double>(static_cast<int>(a.dtype)))));
  const bool widen = outDtype != a.dtype;
  if (widen && !(a.dtype == DType::BF16 && outDtype == DType::F32)) shapeError(op, in, "outDtype may only widen bfloat16 inputs to float32");
  if (widen && bias.defined()) shapeError(op, in, "outDtype float32 is not offered with a bias");
  if (acc.defined() && (acc.shape != outShape || widen)) shapeError(op, in, "acc must have the output's shape and dtype");
  const bool biasGrad = attrs.number("biasGrad", 0) != 0;
  if (biasGrad && acc.defined()) shapeError(op, in, "biasGrad is not offered with acc");
  if (biasGrad && (!p.transA || a.ndim() != 2 || b.ndim() != 2 || bias.defined()))
    shapeError(op, in, "biasGrad needs 2-D operands, transA and no bias");
  Tensor c = empty(outShape, outDtype, a.device);
  if (biasGrad) {
    Tensor sums = empty({p.m}, outDtype, a.device);
    bool fused = false;
    if (c.numel() > 0 && p.k > 0 && a.device == Device::CUDA) fused = matmulBiasGradCuda(a, b, c, sums, p);
    if (!fused) {
      if (c.numel() > 0) {
        if (a.device == Device::CUDA) {
          matmulCuda(a, b, Tensor(), c, p);
        } else if (widen) {
          matmulCpu<bf16, float>(a.data<bf16>(), b.data<bf16>(), nullptr, c.data<float>(), p);
        } else {
          SF_FLOAT_SWITCH(op, a.dtype, T, matmulCpu<T, T>(a.data<T>(), b.data<T>(), nullptr, c.data<T>(), p));
        }
      }
      // a [K, M] (transA): its column sums
      Attrs sumAttrs;
      sumAttrs.list["axes"] = {0};
      sumAttrs.num["outDtype"] = static_cast<double>(static_cast<int>(outDtype));
      sums = reshape(opReduceSum({a}, sumAttrs)[0], {p.m});
    }
    return {c, sums};
  }
  if (c.numel() == 0) return {c};
  if (a.device == Device::CUDA) {
    matmulCuda(a, b, bias, c, p, acc);
  } else if (acc.defined()) {
    SF_FLOAT_SWITCH(op, a.dtype, T,
                    matmulCpu<T, T>(a.data<T>(), b.data<T>(), bias.defined() ? bias.data<T>() : nullptr, c.data<T>(), p, acc.data<T>()));
  } else {
    if (widen) {
      matmulCpu<bf16, float>(a.data<bf16>(), b.data<bf16>(), nullptr, c.data<float>(), p);
    } else {
      SF_FLOAT_SWITCH(op, a.dtype, T, matmulCpu<T, T>(a.data<T>(), b.data<T>(), bias.defined() ? bias.data<T>() : nullptr, c.data<T>(), p));
    }
  }
  return {c};
}

}  // namespace sf
