// The op interface: every op takes a list of tensors (an absent optional
// input is an undefined Tensor) plus named attributes, and returns tensors.
// ops_table.cpp lists every op by name; the Node-API layer calls them through
// that table. Each op validates dtypes, devices and shapes first and throws a
// CoreError naming the op and the shapes.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "tensor.h"

namespace sf {

struct Attrs {
  std::map<std::string, double> num;
  std::map<std::string, std::vector<int64_t>> list;
  std::map<std::string, std::string> str;

  double number(const std::string& op, const std::string& key) const;
  double number(const std::string& key, double fallback) const;
  std::vector<int64_t> ints(const std::string& op, const std::string& key) const;
  std::string text(const std::string& key, const std::string& fallback) const;
};

using Tensors = std::vector<Tensor>;
using OpFn = Tensors (*)(const Tensors&, const Attrs&);

OpFn findOp(const std::string& name);
std::vector<std::string> opNames();

// Validation helpers (all throw CoreError with the op name and shapes).
std::string describeAll(const Tensors& in);
void requireCount(const char* op, const Tensors& in, size_t n);
void requireDefined(const char* op, const Tensors& in, size_t i);
void requireFloat(const char* op, const Tensor& t);
void requireSameDevice(const char* op, const Tensors& in);
void requireSameDtype(const char* op, const Tensors& in);
[[noreturn]] void shapeError(const char* op, const Tensors& in, const std::string& why);
int normAxis(const char* op, int64_t axis, int ndim);
Dims dimsOf(const Shape& shape);

}  // namespace sf
