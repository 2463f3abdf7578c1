#include "tensor.h"

#include <atomic>
#include <cstdlib>
#include <sstream>

#include "runtime.h"

namespace sf {

static std::atomic<int64_t> gLiveStorages{0};
static std::atomic<int64_t> gHostBytes{0};
static std::atomic<int64_t> gDeviceBytes{0};

std::string shapeStr(const Shape& s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? "," : "") << s[i];
  o << "]";
  return o.str();
}

Storage::Storage(size_t n, Device d) : bytes(n), device(d) {
  size_t alloc = n == 0 ? 1 : n;
  if (d == Device::CPU) {
    ptr = std::malloc(alloc);
    SF_CHECK(ptr != nullptr, "out of host memory allocating " + std::to_string(n) + " bytes");
    gHostBytes += static_cast<int64_t>(n);
  } else {
    ptr = deviceAlloc(alloc);
    gDeviceBytes += static_cast<int64_t>(n);
  }
  ++gLiveStorages;
}

Storage::~Storage() {
  if (device == Device::CPU) {
    std::free(ptr);
    gHostBytes -= static_cast<int64_t>(bytes);
  } else {
    try {
      deviceFree(ptr);
    } catch (...) {
    }
    gDeviceBytes -= static_cast<int64_t>(bytes);
  }
  --gLiveStorages;
}

int64_t numelOf(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

Shape contiguousStrides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (int i = static_cast<int>(s.size()) - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

int64_t Tensor::numel() const { return numelOf(shape); }

std::string Tensor::describe() const {
  return std::string(dtypeName(dtype)) + shapeStr(shape) + (device == Device::CPU ? "@cpu" : "@cuda");
}

Tensor empty(const Shape& shape, DType dtype, Device device) {
  SF_CHECK(shape.size() <= static_cast<size_t>(kMaxDims), "tensor rank above 8: " + shapeStr(shape));
  for (int64_t d : shape) SF_CHECK(d >= 0, "negative dimension in shape " + shapeStr(shape));
  if (device == Device::CUDA) requireCuda("empty");
  Tensor t;
  t.dtype = dtype;
  t.device = device;
  t.shape = shape;
  t.storage = std::make_shared<Storage>(static_cast<size_t>(numelOf(shape)) * dtypeSize(dtype), device);
  return t;
}

Tensor reshape(const Tensor& t, const Shape& shape) {
  Shape s = shape;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      SF_CHECK(infer < 0, "reshape: more than one -1 in " + shapeStr(shape));
      infer = static_cast<int>(i);
    } else {
      known *= s[i];
    }
  }
  if (infer >= 0 && known > 0) s[infer] = t.numel() / known;
  SF_CHECK(numelOf(s) == t.numel(), "reshape: cannot view " + t.describe() + " as " + shapeStr(shape));
  Tensor r = t;
  r.shape = s;
  return r;
}

void copyInto(const Tensor& dst, const Tensor& src) {
  SF_CHECK(dst.dtype == src.dtype && dst.numel() == src.numel(),
           "copy: " + src.describe() + " into " + dst.describe());
  size_t n = src.bytes();
  if (n == 0) return;
  if (dst.device == Device::CPU && src.device == Device::CPU) {
    std::memcpy(dst.raw(), src.raw(), n);
  } else if (dst.device == Device::CUDA && src.device == Device::CPU) {
    memcpyAsync(dst.raw(), src.raw(), n, 0, true);
  } else if (dst.device == Device::CPU && src.device == Device::CUDA) {
    memcpyAsync(dst.raw(), src.raw(), n, 1, true);
  } else {
    memcpyAsync(dst.raw(), src.raw(), n, 2, false);
  }
}

void fillZero(const Tensor& t) {
  if (t.device == Device::CPU) std::memset(t.raw(), 0, t.bytes());
  else memsetAsync(t.raw(), 0, t.bytes());
}

MemoryStats memoryStats() { return {gLiveStorages.load(), gHostBytes.load(), gDeviceBytes.load()}; }

}  // namespace sf
