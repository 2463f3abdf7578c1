// Tensors of the native core: a shared storage block (host memory, or device
// memory from CUDA's stream-ordered pool) plus dtype, device and a row-major
// (contiguous) shape. Reshape shares the storage; every other op writes a new
// one. Live storages and bytes are counted so tests can prove nothing leaks.
#pragma once
#include <memory>

#include "common.h"

namespace sf {

struct Storage {
  void* ptr = nullptr;
  size_t bytes = 0;
  Device device = Device::CPU;
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct Tensor {
  std::shared_ptr<Storage> storage;
  DType dtype = DType::F32;
  Device device = Device::CPU;
  Shape shape;

  int64_t numel() const;
  size_t bytes() const { return static_cast<size_t>(numel()) * dtypeSize(dtype); }
  int ndim() const { return static_cast<int>(shape.size()); }
  bool defined() const { return storage != nullptr; }
  void* raw() const { return storage->ptr; }
  template <typename T> T* data() const { return static_cast<T*>(storage->ptr); }
  std::string describe() const;  // e.g. "float32[2,3]@cuda"
};

int64_t numelOf(const Shape& s);
Shape contiguousStrides(const Shape& s);
Tensor empty(const Shape& shape, DType dtype, Device device);
Tensor reshape(const Tensor& t, const Shape& shape);
// Copies between any two devices (same dtype, same numel); stream-ordered on
// the current stream when a device is involved.
void copyInto(const Tensor& dst, const Tensor& src);
void fillZero(const Tensor& t);

struct MemoryStats {
  int64_t liveStorages;
  int64_t liveHostBytes;
  int64_t liveDeviceBytes;
};
MemoryStats memoryStats();

}  // namespace sf
