// The Node-API module: thin wrappers that convert JS values to tensors and
// attributes, call the op table, and turn every CoreError (and any other C++
// exception) into a thrown JS Error. No math here. trainer/core/binding.ts
// is the only TS file that loads this module.
#include <node_api.h>

#include <atomic>
#include <string>
#include <vector>

#include "ops.h"
#include "runtime.h"
#include "tensor.h"

namespace sf {
bool cublasLtCompiled();
// Op ids (ops_table.cpp): an op's index in the table, resolved once per name.
size_t findOpId(const std::string& name);
size_t opIdChecked(double id);
OpFn opAt(size_t id);
const char* opNameAt(size_t id);
}

using namespace sf;

namespace {

std::atomic<int64_t> gLiveHandles{0};

struct Handle {
  Tensor t;
  bool disposed = false;
  Handle() { ++gLiveHandles; }
  ~Handle() {
    if (!disposed) --gLiveHandles;
  }
  void dispose() {
    if (!disposed) {
      disposed = true;
      t = Tensor();
      --gLiveHandles;
    }
  }
};

struct JsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void ok(napi_env env, napi_status s, const char* what) {
  if (s != napi_ok) {
    const napi_extended_error_info* info = nullptr;
    napi_get_last_error_info(env, &info);
    throw JsError(std::string("native binding: ") + what + " failed" +
                  (info && info->error_message ? std::string(": ") + info->error_message : ""));
  }
}

template <class F>
napi_value guard(napi_env env, F f) {
  try {
    return f();
  } catch (const std::exception& e) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_error(env, nullptr, e.what());
  } catch (...) {
    napi_throw_error(env, nullptr, "native core: unknown C++ exception");
  }
  return nullptr;
}

std::vector<napi_value> args(napi_env env, napi_callback_info info, size_t n) {
  std::vector<napi_value> v(n);
  size_t got = n;
  ok(env, napi_get_cb_info(env, info, &got, v.data(), nullptr, nullptr), "get arguments");
  if (got < n) throw JsError("native binding: expected " + std::to_string(n) + " arguments, got " + std::to_string(got));
  return v;
}

double num(napi_env env, napi_value v) {
  double d;
  ok(env, napi_get_value_double(env, v, &d), "read number");
  return d;
}
std::string str(napi_env env, napi_value v) {
  // Short strings (op names, attribute keys and values) in one call.
  char small[64];
  size_t len = 0;
  ok(env, napi_get_value_string_utf8(env, v, small, sizeof(small), &len), "read string");
  if (len + 1 < sizeof(small)) return std::string(small, len);
  len = 0;
  ok(env, napi_get_value_string_utf8(env, v, nullptr, 0, &len), "read string");
  std::string s(len, '\0');
  ok(env, napi_get_value_string_utf8(env, v, s.data(), len + 1, &len), "read string");
  return s;
}
std::vector<int64_t> intList(napi_env env, napi_value v) {
  uint32_t n = 0;
  ok(env, napi_get_array_length(env, v, &n), "read array length");
  std::vector<int64_t> out(n);
  for (uint32_t i = 0; i < n; ++i) {
    napi_value e;
    ok(env, napi_get_element(env, v, i, &e), "read array element");
    out[i] = static_cast<int64_t>(num(env, e));
  }
  return out;
}
napi_value mkNum(napi_env env, double d) {
  napi_value v;
  ok(env, napi_create_double(env, d, &v), "create number");
  return v;
}
napi_value mkBool(napi_env env, bool b) {
  napi_value v;
  ok(env, napi_get_boolean(env, b, &v), "create boolean");
  return v;
}
napi_value undefinedValue(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}
void setProp(napi_env env, napi_value obj, const char* key, napi_value v) { ok(env, napi_set_named_property(env, obj, key, v), "set property"); }

napi_value wrap(napi_env env, const Tensor& t) {
  if (!t.defined()) {
    napi_value n;
    napi_get_null(env, &n);
    return n;
  }
  Handle* h = new Handle();
  h->t = t;
  napi_value ext;
  napi_status s = napi_create_external(
      env, h, [](napi_env, void* data, void*) { delete static_cast<Handle*>(data); }, nullptr, &ext);
  if (s != napi_ok) {
    delete h;
    ok(env, s, "create tensor handle");
  }
  return ext;
}

Handle* handleOf(napi_env env, napi_value v, const char* op) {
  napi_valuetype type;
  ok(env, napi_typeof(env, v, &type), "typeof");
  if (type != napi_external) throw JsError(std::string(op) + ": expected a tensor handle");
  void* data = nullptr;
  ok(env, napi_get_value_external(env, v, &data), "read tensor handle");
  return static_cast<Handle*>(data);
}

const Tensor& tensorOf(napi_env env, napi_value v, const char* op) {
  Handle* h = handleOf(env, v, op);
  if (h->disposed) throw CoreError(std::string(op) + ": tensor was already disposed");
  return h->t;
}

Device deviceOf(double code) {
  if (code != 0 && code != 1) throw CoreError("unknown device code " + std::to_string(code));
  return static_cast<Device>(static_cast<int>(code));
}
DType dtypeOf(double code) {
  if (code < 0 || code > 3) throw CoreError("unknown dtype code " + std::to_string(code));
  return static_cast<DType>(static_cast<int>(code));
}

// fromTypedArray(array, shape, dtype, device): copies host data into a new tensor.
napi_value FromTypedArray(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    auto a = args(env, info, 4);
    napi_typedarray_type type;
    size_t length;
    void* data;
    napi_value ab;
    size_t offset;
    ok(env, napi_get_typedarray_info(env, a[0], &type, &length, &data, &ab, &offset), "read typed array");
    Shape shape = intList(env, a[1]);
    DType dt = dtypeOf(num(env, a[2]));
    Device dev = deviceOf(num(env, a[3]));
    size_t elem = dtypeSize(dt);
    size_t typeBytes = (type == napi_float64_array) ? 8 : (type == napi_uint16_array || type == napi_int16_array) ? 2 : (type == napi_float32_array || type == napi_int32_array || type == napi_uint32_array) ? 4 : 0;
    if (typeBytes != elem) throw CoreError(std::string("fromArray: typed array does not match dtype ") + dtypeName(dt));
    if (static_cast<int64_t>(length) != numelOf(shape))
      throw CoreError("fromArray: " + std::to_string(length) + " values for shape " + shapeStr(shape));
    Tensor host;
    host.dtype = dt;
    host.device = Device::CPU;
    host.shape = shape;
    Tensor t = empty(shape, dt, dev);
    if (dev == Device::CPU) {
      std::memcpy(t.raw(), data, length * elem);
    } else if (length > 0) {
      memcpyAsync(t.raw(), data, length * elem, 0, true);
    }
    return wrap(env, t);
  });
}

// toTypedArray(handle): a host copy (Float32Array, Float64Array, Int32Array,
// or Uint16Array holding bfloat16 bits).
napi_value ToTypedArray(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    auto a = args(env, info, 1);
    const Tensor& t = tensorOf(env, a[0], "toArray");
    size_t bytes = t.bytes();
    void* out = nullptr;
    napi_value ab;
    ok(env, napi_create_arraybuffer(env, bytes, &out, &ab), "create array buffer");
    if (bytes > 0) {
      if (t.device == Device::CPU) std::memcpy(out, t.raw(), bytes);
      else memcpyAsync(out, t.raw(), bytes, 1, true);
    }
    napi_typedarray_type type = t.dtype == DType::F32 ? napi_float32_array
                                : t.dtype == DType::F64 ? napi_float64_array
                                : t.dtype == DType::I32 ? napi_int32_array
                                                        : napi_uint16_array;
    napi_value ta;
    ok(env, napi_create_typedarray(env, type, static_cast<size_t>(t.numel()), ab, 0, &ta), "create typed array");
    return ta;
  });
}

// describe(handle): [dtype, device, ...shape]
napi_value Describe(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    auto a = args(env, info, 1);
    const Tensor& t = tensorOf(env, a[0], "describe");
    napi_value arr;
    ok(env, napi_create_array_with_length(env, t.shape.size() + 2, &arr), "create array");
    ok(env, napi_set_element(env, arr, 0, mkNum(env, static_cast<int>(t.dtype))), "set");
    ok(env, napi_set_element(env, arr, 1, mkNum(env, static_cast<int>(t.device))), "set");
    for (size_t i = 0; i < t.shape.size(); ++i) ok(env, napi_set_element(env, arr, i + 2, mkNum(env, static_cast<double>(t.shape[i]))), "set");
    return arr;
  });
}

napi_value Reshape(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    auto a = args(env, info, 2);
    return wrap(env, reshape(tensorOf(env, a[0], "reshape"), intList(env, a[1])));
  });
}

napi_value Dispose(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    auto a = args(env, info, 1);
    handleOf(env, a[0], "dispose")->dispose();
    return undefinedValue(env);
  });
}

napi_value IsDisposed(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    auto a = args(env, info, 1);
    return mkBool(env, handleOf(env, a[0], "isDisposed")->disposed);
  });
}

// toDevice(handle, device): a copy on the other device (stream-ordered).
napi_value ToDevice(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    auto a = args(env, info, 2);
    const Tensor& t = tensorOf(env, a[0], "toDevice");
    Tensor out = empty(t.shape, t.dtype, deviceOf(num(env, a[1])));
    copyInto(out, t);
    return wrap(env, out);
  });
}

Attrs readAttrs(napi_env env, napi_value obj) {
  Attrs attrs;
  napi_valuetype type;
  ok(env, napi_typeof(env, obj, &type), "typeof");
  if (type != napi_object) return attrs;
  napi_value keys;
  ok(env, napi_get_property_names(env, obj, &keys), "attribute names");
  uint32_t n = 0;
  ok(env, napi_get_array_length(env, keys, &n), "attribute count");
  for (uint32_t i = 0; i < n; ++i) {
    napi_value k, v;
    ok(env, napi_get_element(env, keys, i, &k), "attribute name");
    ok(env, napi_get_property(env, obj, k, &v), "attribute value");
    std::string key = str(env, k);
    napi_valuetype vt;
    ok(env, napi_typeof(env, v, &vt), "typeof attribute");
    bool isArray = false;
    if (vt == napi_object) napi_is_array(env, v, &isArray);
    if (vt == napi_number) attrs.num[key] = num(env, v);
    else if (vt == napi_boolean) {
      bool b;
      ok(env, napi_get_value_bool(env, v, &b), "read boolean");
      attrs.num[key] = b ? 1 : 0;
    } else if (vt == napi_string) attrs.str[key] = str(env, v);
    else if (isArray) attrs.list[key] = intList(env, v);
  }
  return attrs;
}

// Per-environment state (one per main thread / worker): the Float64Array
// that run() fills with its outputs' descriptions, so the TS side builds its
// Tensors without a describe() call per output.
struct EnvState {
  napi_ref describeRef = nullptr;
  double* describe = nullptr;
  size_t describeLen = 0;
};

EnvState* envState(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<EnvState*>(data);
}

// Writes [count, then per output: dtype, device, rank, ...shape (an absent
// output: -1)] into the bound buffer; count is -1 when it does not fit (the
// caller then falls back to describe()).
void writeDescriptions(napi_env env, const Tensors& out) {
  EnvState* st = envState(env);
  if (!st || !st->describe) return;
  double* b = st->describe;
  size_t need = 1;
  for (const Tensor& t : out) need += t.defined() ? 3 + t.shape.size() : 1;
  if (need > st->describeLen) {
    if (st->describeLen > 0) b[0] = -1;
    return;
  }
  size_t p = 0;
  b[p++] = static_cast<double>(out.size());
  for (const Tensor& t : out) {
    if (!t.defined()) {
      b[p++] = -1;
      continue;
    }
    b[p++] = static_cast<int>(t.dtype);
    b[p++] = static_cast<int>(t.device);
    b[p++] = static_cast<double>(t.shape.size());
    for (int64_t d : t.shape) b[p++] = static_cast<double>(d);
  }
}

// bindDescribeBuffer(f64): the buffer run() writes its output descriptions into.
napi_value BindDescribeBuffer(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    auto a = args(env, info, 1);
    napi_typedarray_type type;
    size_t length;
    void* data;
    napi_value ab;
    size_t offset;
    ok(env, napi_get_typedarray_info(env, a[0], &type, &length, &data, &ab, &offset), "read describe buffer");
    if (type != napi_float64_array) throw CoreError("bindDescribeBuffer: expected a Float64Array");
    EnvState* st = envState(env);
    if (!st) {
      st = new EnvState();
      ok(env, napi_set_instance_data(env, st, [](napi_env e, void* d, void*) {
        EnvState* s = static_cast<EnvState*>(d);
        if (s->describeRef) napi_delete_reference(e, s->describeRef);
        delete s;
      }, nullptr), "set instance data");
    }
    if (st->describeRef) napi_delete_reference(env, st->describeRef);
    ok(env, napi_create_reference(env, a[0], 1, &st->describeRef), "keep describe buffer");
    st->describe = static_cast<double*>(data);
    st->describeLen = length;
    return undefinedValue(env);
  });
}

// opId(name): the index of an op in the table (run accepts it in place of the name).
napi_value OpId(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    auto a = args(env, info, 1);
    return mkNum(env, static_cast<double>(findOpId(str(env, a[0]))));
  });
}

// run(name or op id, inputs (handles or null), attrs): outputs as handles
// (null for an output the op did not produce).
napi_value Run(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[3];
    size_t got = 3;
    ok(env, napi_get_cb_info(env, info, &got, a, nullptr, nullptr), "get arguments");
    if (got < 3) throw JsError("native binding: expected 3 arguments, got " + std::to_string(got));
    napi_valuetype nameType;
    ok(env, napi_typeof(env, a[0], &nameType), "typeof op");
    size_t id = nameType == napi_number ? opIdChecked(num(env, a[0])) : findOpId(str(env, a[0]));
    const char* name = opNameAt(id);
    OpFn fn = opAt(id);
    uint32_t n = 0;
    ok(env, napi_get_array_length(env, a[1], &n), "read inputs");
    Tensors in(n);
    for (uint32_t i = 0; i < n; ++i) {
      napi_value e;
      ok(env, napi_get_element(env, a[1], i, &e), "read input");
      napi_valuetype vt;
      ok(env, napi_typeof(env, e, &vt), "typeof input");
      if (vt == napi_null || vt == napi_undefined) continue;
      in[i] = tensorOf(env, e, name);
    }
    Tensors out = fn(in, readAttrs(env, a[2]));
    napi_value arr;
    ok(env, napi_create_array_with_length(env, out.size(), &arr), "create outputs");
    for (size_t i = 0; i < out.size(); ++i) ok(env, napi_set_element(env, arr, i, wrap(env, out[i])), "set output");
    writeDescriptions(env, out);
    return arr;
  });
}

napi_value MemoryStatsJs(napi_env env, napi_callback_info) {
  return guard(env, [&] {
    MemoryStats m = memoryStats();
    napi_value o;
    ok(env, napi_create_object(env, &o), "create object");
    setProp(env, o, "liveTensors", mkNum(env, static_cast<double>(gLiveHandles.load())));
    setProp(env, o, "liveStorages", mkNum(env, static_cast<double>(m.liveStorages)));
    setProp(env, o, "hostBytes", mkNum(env, static_cast<double>(m.liveHostBytes)));
    setProp(env, o, "deviceBytes", mkNum(env, static_cast<double>(m.liveDeviceBytes)));
    return o;
  });
}

napi_value CudaInfo(napi_env env, napi_callback_info) {
  return guard(env, [&] {
    napi_value o;
    ok(env, napi_create_object(env, &o), "create object");
    setProp(env, o, "compiled", mkBool(env, cudaCompiled()));
    setProp(env, o, "usable", mkBool(env, cudaUsable()));
    setProp(env, o, "devices", mkNum(env, cudaDeviceCount()));
    setProp(env, o, "cublasLt", mkBool(env, cublasLtCompiled()));
    return o;
  });
}

napi_value OpNames(napi_env env, napi_callback_info) {
  return guard(env, [&] {
    std::vector<std::string> names = opNames();
    napi_value arr;
    ok(env, napi_create_array_with_length(env, names.size(), &arr), "create array");
    for (size_t i = 0; i < names.size(); ++i) {
      napi_value s;
      ok(env, napi_create_string_utf8(env, names[i].c_str(), names[i].size(), &s), "create string");
      ok(env, napi_set_element(env, arr, i, s), "set");
    }
    return arr;
  });
}

// Streams and events: integer ids.
// streamCreate(priority?): 0 (default) the lowest priority, higher numbers more urgent.
napi_value StreamCreate(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    size_t argc = 1;
    napi_value a[1];
    ok(env, napi_get_cb_info(env, info, &argc, a, nullptr, nullptr), "get arguments");
    napi_valuetype t = napi_undefined;
    if (argc >= 1) ok(env, napi_typeof(env, a[0], &t), "typeof");
    int priority = t == napi_number ? static_cast<int>(num(env, a[0])) : 0;
    return mkNum(env, streamCreate(priority));
  });
}
napi_value StreamDestroy(napi_env env, napi_callback_info info) {
  return guard(env, [&] { streamDestroy(static_cast<int>(num(env, args(env, info, 1)[0]))); return undefinedValue(env); });
}
napi_value StreamSetCurrent(napi_env env, napi_callback_info info) {
  return guard(env, [&] { streamSetCurrent(static_cast<int>(num(env, args(env, info, 1)[0]))); return undefinedValue(env); });
}
napi_value StreamCurrent(napi_env env, napi_callback_info) { return guard(env, [&] { return mkNum(env, streamCurrent()); }); }
napi_value StreamSynchronize(napi_env env, napi_callback_info info) {
  return guard(env, [&] { streamSynchronize(static_cast<int>(num(env, args(env, info, 1)[0]))); return undefinedValue(env); });
}
napi_value EventCreate(napi_env env, napi_callback_info) { return guard(env, [&] { return mkNum(env, eventCreate()); }); }
napi_value EventDestroy(napi_env env, napi_callback_info info) {
  return guard(env, [&] { eventDestroy(static_cast<int>(num(env, args(env, info, 1)[0]))); return undefinedValue(env); });
}
napi_value EventRecord(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    auto a = args(env, info, 2);
    eventRecord(static_cast<int>(num(env, a[0])), static_cast<int>(num(env, a[1])));
    return undefinedValue(env);
  });
}
napi_value EventSynchronize(napi_env env, napi_callback_info info) {
  return guard(env, [&] { eventSynchronize(static_cast<int>(num(env, args(env, info, 1)[0]))); return undefinedValue(env); });
}
napi_value StreamWaitEvent(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    auto a = args(env, info, 2);
    streamWaitEvent(static_cast<int>(num(env, a[0])), static_cast<int>(num(env, a[1])));
    return undefinedValue(env);
  });
}
napi_value EventElapsed(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    auto a = args(env, info, 2);
    return mkNum(env, eventElapsedMs(static_cast<int>(num(env, a[0])), static_cast<int>(num(env, a[1]))));
  });
}
napi_value PoisonDevicePool(napi_env env, napi_callback_info info) {
  return guard(env, [&] { poisonDevicePool(static_cast<size_t>(num(env, args(env, info, 1)[0]))); return undefinedValue(env); });
}
napi_value Synchronize(napi_env env, napi_callback_info) {
  return guard(env, [&] { deviceSynchronize(); return undefinedValue(env); });
}

// pinnedBuffer(bytes): an ArrayBuffer in page-locked host memory (plain
// memory without CUDA), freed when the buffer is collected.
napi_value PinnedBuffer(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    size_t bytes = static_cast<size_t>(num(env, args(env, info, 1)[0]));
    void* p = pinnedAlloc(bytes);
    napi_value ab;
    napi_status s = napi_create_external_arraybuffer(
        env, p, bytes, [](napi_env, void* data, void*) { pinnedFree(data); }, nullptr, &ab);
    if (s != napi_ok) {
      pinnedFree(p);
      ok(env, s, "create pinned buffer");
    }
    return ab;
  });
}

void* arrayBufferData(napi_env env, napi_value v, size_t need, const char* op) {
  void* data = nullptr;
  size_t len = 0;
  bool isAb = false;
  napi_is_arraybuffer(env, v, &isAb);
  if (!isAb) throw CoreError(std::string(op) + ": expected an ArrayBuffer from pinnedBuffer");
  ok(env, napi_get_arraybuffer_info(env, v, &data, &len), "read array buffer");
  if (len < need) throw CoreError(std::string(op) + ": buffer of " + std::to_string(len) + " bytes, tensor needs " + std::to_string(need));
  return data;
}

// copyToHostAsync(handle, buffer) / copyFromHostAsync(handle, buffer):
// stream-ordered copies on the current stream; the caller synchronizes
// (an event or the stream) before reading or reusing the buffer.
napi_value CopyToHostAsync(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    auto a = args(env, info, 2);
    const Tensor& t = tensorOf(env, a[0], "copyToHostAsync");
    void* dst = arrayBufferData(env, a[1], t.bytes(), "copyToHostAsync");
    if (t.device == Device::CPU) std::memcpy(dst, t.raw(), t.bytes());
    else if (t.bytes() > 0) memcpyAsync(dst, t.raw(), t.bytes(), 1, false);
    return undefinedValue(env);
  });
}
napi_value CopyFromHostAsync(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    auto a = args(env, info, 2);
    const Tensor& t = tensorOf(env, a[0], "copyFromHostAsync");
    void* src = arrayBufferData(env, a[1], t.bytes(), "copyFromHostAsync");
    if (t.device == Device::CPU) std::memcpy(t.raw(), src, t.bytes());
    else if (t.bytes() > 0) memcpyAsync(t.raw(), src, t.bytes(), 0, false);
    return undefinedValue(env);
  });
}

}  // namespace

NAPI_MODULE_INIT() {
  struct Fn {
    const char* name;
    napi_callback cb;
  };
  const Fn fns[] = {
      {"fromTypedArray", FromTypedArray}, {"toTypedArray", ToTypedArray},       {"describe", Describe},
      {"reshape", Reshape},               {"dispose", Dispose},                 {"isDisposed", IsDisposed},
      {"toDevice", ToDevice},             {"run", Run},                         {"memoryStats", MemoryStatsJs},
      {"cudaInfo", CudaInfo},             {"opNames", OpNames},                 {"streamCreate", StreamCreate},
      {"streamDestroy", StreamDestroy},   {"streamSetCurrent", StreamSetCurrent}, {"streamCurrent", StreamCurrent},
      {"streamSynchronize", StreamSynchronize}, {"eventCreate", EventCreate}, {"eventDestroy", EventDestroy},
      {"eventRecord", EventRecord},       {"eventSynchronize", EventSynchronize}, {"streamWaitEvent", StreamWaitEvent},
      {"eventElapsed", EventElapsed},     {"synchronize", Synchronize},         {"pinnedBuffer", PinnedBuffer},
      {"copyToHostAsync", CopyToHostAsync}, {"copyFromHostAsync", CopyFromHostAsync}, {"poisonDevicePool", PoisonDevicePool},
      {"opId", OpId},                     {"bindDescribeBuffer", BindDescribeBuffer},
  };
  for (const Fn& f : fns) {
    napi_value fn;
    if (napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn) != napi_ok) return nullptr;
    if (napi_set_named_property(env, exports, f.name, fn) != napi_ok) return nullptr;
  }
  return exports;
}
