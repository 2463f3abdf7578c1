// Shared definitions of the native core: dtypes, devices, the bfloat16 storage
// type, the host/device function marker and the error type that the Node-API
// layer turns into a JS Error naming the op and the shapes.
#pragma once
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__CUDACC__)
#define SF_HD __host__ __device__ __forceinline__
#else
#define SF_HD inline
#endif

namespace sf {

enum class DType : int { F32 = 0, F64 = 1, BF16 = 2, I32 = 3 };
enum class Device : int { CPU = 0, CUDA = 1 };

inline size_t dtypeSize(DType d) {
  switch (d) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    case DType::BF16: return 2;
    case DType::I32: return 4;
  }
  return 0;
}
inline const char* dtypeName(DType d) {
  switch (d) {
    case DType::F32: return "float32";
    case DType::F64: return "float64";
    case DType::BF16: return "bfloat16";
    case DType::I32: return "int32";
  }
  return "?";
}

// bfloat16 as raw bits (bit-compatible with __nv_bfloat16), converted by hand
// so that the CPU build needs no CUDA header. Rounding: nearest-even.
struct bf16 {
  uint16_t bits;
  SF_HD static bf16 fromFloat(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    bf16 r;
    if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu)) {
      r.bits = static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
    } else {
      uint32_t lsb = (u >> 16) & 1u;
      r.bits = static_cast<uint16_t>((u + 0x7fffu + lsb) >> 16);
    }
    return r;
  }
  SF_HD float toFloat() const {
    uint32_t u = static_cast<uint32_t>(bits) << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
  }
};

// Accumulation type: double for double, float for float and bf16.
template <typename T> struct Acc { using type = float; };
template <> struct Acc<double> { using type = double; };

template <typename T> SF_HD typename Acc<T>::type load(T v) { return static_cast<typename Acc<T>::type>(v); }
template <> SF_HD float load<bf16>(bf16 v) { return v.toFloat(); }
template <typename T, typename A> SF_HD T store(A v) { return static_cast<T>(v); }
template <> SF_HD bf16 store<bf16, float>(float v) { return bf16::fromFloat(v); }
template <> SF_HD bf16 store<bf16, double>(double v) { return bf16::fromFloat(static_cast<float>(v)); }

using Shape = std::vector<int64_t>;
std::string shapeStr(const Shape& s);

// Every misuse is reported through this: the Node-API layer converts it to
// a JS Error. The message names the op and the shapes involved.
struct CoreError : std::runtime_error {
  explicit CoreError(const std::string& m) : std::runtime_error(m) {}
};

#define SF_CHECK(cond, msg)                                          \
  do {                                                               \
    if (!(cond)) throw ::sf::CoreError(std::string(msg));           \
  } while (0)

constexpr int kMaxDims = 8;

// Strides and shape in a fixed-size struct that kernels take by value.
struct Dims {
  int n = 0;
  int64_t size[kMaxDims] = {0};
  int64_t stride[kMaxDims] = {0};
};

}  // namespace sf

// Dtype dispatch: runs the body with T bound to the tensor's element type.
#define SF_FLOAT_SWITCH(op, dt, T, ...)                                                    \
  switch (dt) {                                                                            \
    case ::sf::DType::F32: { using T = float; __VA_ARGS__; break; }                       \
    case ::sf::DType::F64: { using T = double; __VA_ARGS__; break; }                      \
    case ::sf::DType::BF16: { using T = ::sf::bf16; __VA_ARGS__; break; }                 \
    default: throw ::sf::CoreError(std::string(op) + ": needs a floating dtype, got " +   \
                                   ::sf::dtypeName(dt));                                  \
  }

#define SF_ANY_SWITCH(op, dt, T, ...)                                                      \
  switch (dt) {                                                                            \
    case ::sf::DType::I32: { using T = int32_t; __VA_ARGS__; break; }                     \
    default: SF_FLOAT_SWITCH(op, dt, T, __VA_ARGS__)                                       \
  }
