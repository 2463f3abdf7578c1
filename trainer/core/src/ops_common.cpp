#include <sstream>

#include "ops.h"

namespace sf {

double Attrs::number(const std::string& op, const std::string& key) const {
  auto it = num.find(key);
  if (it == num.end()) throw CoreError(op + ": missing numeric attribute '" + key + "'");
  return it->second;
}
double Attrs::number(const std::string& key, double fallback) const {
  auto it = num.find(key);
  return it == num.end() ? fallback : it->second;
}
std::vector<int64_t> Attrs::ints(const std::string& op, const std::string& key) const {
  auto it = list.find(key);
  if (it == list.end()) throw CoreError(op + ": missing list attribute '" + key + "'");
  return it->second;
}
std::string Attrs::text(const std::string& key, const std::string& fallback) const {
  auto it = str.find(key);
  return it == str.end() ? fallback : it->second;
}

std::string describeAll(const Tensors& in) {
  std::ostringstream o;
  for (size_t i = 0; i < in.size(); ++i) o << (i ? ", " : "") << (in[i].defined() ? in[i].describe() : "none");
  return o.str();
}

void shapeError(const char* op, const Tensors& in, const std::string& why) {
  throw CoreError(std::string(op) + ": " + why + " (inputs: " + describeAll(in) + ")");
}

void requireCount(const char* op, const Tensors& in, size_t n) {
  if (in.size() != n) shapeError(op, in, "expects " + std::to_string(n) + " inputs, got " + std::to_string(in.size()));
}
void requireDefined(const char* op, const Tensors& in, size_t i) {
  if (i >= in.size() || !in[i].defined()) shapeError(op, in, "input " + std::to_string(i) + " is missing");
}
void requireFloat(const char* op, const Tensor& t) {
  if (t.dtype == DType::I32) throw CoreError(std::string(op) + ": needs a floating dtype, got " + t.describe());
}
void requireSameDevice(const char* op, const Tensors& in) {
  const Tensor* first = nullptr;
  for (const Tensor& t : in) {
    if (!t.defined()) continue;
    if (!first) first = &t;
    else if (t.device != first->device) shapeError(op, in, "inputs on different devices");
  }
}
void requireSameDtype(const char* op, const Tensors& in) {
  const Tensor* first = nullptr;
  for (const Tensor& t : in) {
    if (!t.defined()) continue;
    if (!first) first = &t;
    else if (t.dtype != first->dtype) shapeError(op, in, "inputs of different dtypes");
  }
}
int normAxis(const char* op, int64_t axis, int ndim) {
  int64_t a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim) throw CoreError(std::string(op) + ": axis " + std::to_string(axis) + " out of range for rank " + std::to_string(ndim));
  return static_cast<int>(a);
}
Dims dimsOf(const Shape& shape) {
  Dims d;
  d.n = static_cast<int>(shape.size());
  Shape st = contiguousStrides(shape);
  for (int i = 0; i < d.n; ++i) {
    d.size[i] = shape[i];
    d.stride[i] = st[i];
  }
  return d;
}

}  // namespace sf
