// Dropout masks (AlphaFold2 supplementary 1.11.6: dropout shared along rows
// or columns, e.g. DropoutRowwise in the pair stack). The mask has the shape
// asked for, with 1 on the shared axes, and holds 0 or 1/(1-rate); the tape
// multiplies it in with broadcasting, so its gradient is the same product.
// The random bits are a counter-based hash of (seed, element index), so CPU
// and CUDA draw the same mask for the same seed.
#include "../launch.h"
#include "../ops.h"

namespace sf {

SF_HD uint32_t mixBits(uint64_t x) {
  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  x ^= x >> 31;
  return static_cast<uint32_t>(x >> 32);
}

// inputs: like (for dtype and device; its values are ignored). attrs: shape,
// rate, seed. outputs: mask [shape].
Tensors opDropoutMask(const Tensors& in, const Attrs& attrs) {
  const char* op = "dropout_mask";
  requireCount(op, in, 1);
  requireDefined(op, in, 0);
  requireFloat(op, in[0]);
  Shape shape = attrs.ints(op, "shape");
  double rate = attrs.number(op, "rate");
  if (!(rate >= 0.0 && rate < 1.0)) shapeError(op, in, "rate must be in [0, 1)");
  uint64_t seed = static_cast<uint64_t>(attrs.number(op, "seed"));
  Tensor mask = empty(shape, in[0].dtype, in[0].device);
  SF_FLOAT_SWITCH(op, mask.dtype, T, {
    using A = typename Acc<T>::type;
    T* pm = mask.data<T>();
    uint32_t threshold = static_cast<uint32_t>(rate * 4294967296.0);
    A keep = static_cast<A>(1.0 / (1.0 - rate));
    forEach(mask.device, mask.numel(), op, [=] SF_LAMBDA(int64_t i) {
      uint32_t r = mixBits(seed * 0x100000001b3ull ^ static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ull);
      pm[i] = store<T>(r >= threshold ? keep : A(0));
    });
  });
  return {mask};
}

}  // namespace sf
