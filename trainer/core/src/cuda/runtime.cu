// The CUDA runtime behind runtime.h. cudart is linked statically and loads
// the driver on first use, so the addon loads on a machine with no driver;
// cudaUsable() then answers false and CUDA tensors are refused with an error.
#include <cuda_runtime.h>

#include <map>
#include <mutex>

#include "../common.h"
#include "../runtime.h"

namespace sf {

static void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw CoreError(std::string(what) + ": CUDA error " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

bool cudaCompiled() { return true; }

int cudaDeviceCount() {
  static int count = -1;
  if (count < 0) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();
      n = 0;
    }
    count = n;
    if (n > 0) {
      cudaMemPool_t pool;
      if (cudaDeviceGetDefaultMemPool(&pool, 0) == cudaSuccess) {
        uint64_t keep = UINT64_MAX;
        cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
      }
    }
  }
  return count;
}

bool cudaUsable() { return cudaDeviceCount() > 0; }

void requireCuda(const char* op) {
  if (!cudaUsable()) throw CoreError(std::string(op) + ": no CUDA device is usable here (no driver or no GPU)");
}

// Streams and events are shared by every thread that loads the core (the
// trainer and its evaluation worker), so the tables are locked; the current
// stream is per thread, so the worker's kernels run on its own stream.
static std::map<int, cudaStream_t> gStreams;
static std::map<int, cudaEvent_t> gEvents;
static int gNextStream = 1, gNextEvent = 1;
static thread_local int gCurrent = 0;
static std::mutex gTablesLock;

static cudaStream_t streamOf(int id) {
  if (id == 0) return 0;
  std::lock_guard<std::mutex> hold(gTablesLock);
  auto it = gStreams.find(id);
  if (it == gStreams.end()) throw CoreError("stream " + std::to_string(id) + " does not exist");
  return it->second;
}
static cudaEvent_t eventOf(int id) {
  std::lock_guard<std::mutex> hold(gTablesLock);
  auto it = gEvents.find(id);
  if (it == gEvents.end()) throw CoreError("event " + std::to_string(id) + " does not exist");
  return it->second;
}

void* currentStreamHandle() { return streamOf(gCurrent); }

void* deviceAlloc(size_t bytes) {
  requireCuda("deviceAlloc");
  void* p = nullptr;
  check(cudaMallocAsync(&p, bytes, streamOf(gCurrent)), ("cudaMallocAsync of " + std::to_string(bytes) + " bytes").c_str());
  return p;
}
void deviceFree(void* p) { check(cudaFreeAsync(p, streamOf(gCurrent)), "cudaFreeAsync"); }

void* pinnedAlloc(size_t bytes) {
  void* p = nullptr;
  if (cudaUsable()) {
    check(cudaMallocHost(&p, bytes), "cudaMallocHost");
  } else {
    p = malloc(bytes == 0 ? 1 : bytes);
    if (!p) throw CoreError("pinnedAlloc: out of host memory");
  }
  return p;
}
void pinnedFree(void* p) {
  if (cudaUsable()) cudaFreeHost(p);
  else free(p);
}

void memcpyAsync(void* dst, const void* src, size_t bytes, int kind, bool sync) {
  requireCuda("memcpy");
  cudaMemcpyKind k = kind == 0 ? cudaMemcpyHostToDevice : kind == 1 ? cudaMemcpyDeviceToHost : cudaMemcpyDeviceToDevice;
  cudaStream_t s = streamOf(gCurrent);
  check(cudaMemcpyAsync(dst, src, bytes, k, s), "cudaMemcpyAsync");
  if (sync) check(cudaStreamSynchronize(s), "cudaStreamSynchronize after copy");
}
void memsetAsync(void* dst, int value, size_t bytes) {
  check(cudaMemsetAsync(dst, value, bytes, streamOf(gCurrent)), "cudaMemsetAsync");
}

int streamCreate(int priority) {
  requireCuda("streamCreate");
  // CUDA counts priorities downwards (greatest = most urgent, a negative
  // number); ours count upwards from 0, the default and lowest.
  int least = 0, greatest = 0;
  check(cudaDeviceGetStreamPriorityRange(&least, &greatest), "cudaDeviceGetStreamPriorityRange");
  int cudaPriority = least - priority;
  if (cudaPriority < greatest) cudaPriority = greatest;
  if (cudaPriority > least) cudaPriority = least;
  cudaStream_t s;
  check(cudaStreamCreateWithPriority(&s, cudaStreamNonBlocking, cudaPriority), "cudaStreamCreate");
  std::lock_guard<std::mutex> hold(gTablesLock);
  gStreams[gNextStream] = s;
  return gNextStream++;
}
void streamDestroy(int id) {
  cudaStream_t s = streamOf(id);
  if (id == 0) return;
  check(cudaStreamDestroy(s), "cudaStreamDestroy");
  {
    std::lock_guard<std::mutex> hold(gTablesLock);
    gStreams.erase(id);
  }
  if (gCurrent == id) gCurrent = 0;
}
void streamSetCurrent(int id) {
  streamOf(id);
  gCurrent = id;
}
int streamCurrent() { return gCurrent; }
void streamSynchronize(int id) { check(cudaStreamSynchronize(streamOf(id)), "cudaStreamSynchronize"); }

int eventCreate() {
  requireCuda("eventCreate");
  cudaEvent_t e;
  check(cudaEventCreate(&e), "cudaEventCreate");
  std::lock_guard<std::mutex> hold(gTablesLock);
  gEvents[gNextEvent] = e;
  return gNextEvent++;
}
void eventDestroy(int id) {
  check(cudaEventDestroy(eventOf(id)), "cudaEventDestroy");
  std::lock_guard<std::mutex> hold(gTablesLock);
  gEvents.erase(id);
}
void eventRecord(int id, int stream) { check(cudaEventRecord(eventOf(id), streamOf(stream)), "cudaEventRecord"); }
void eventSynchronize(int id) { check(cudaEventSynchronize(eventOf(id)), "cudaEventSynchronize"); }
void streamWaitEvent(int stream, int event) { check(cudaStreamWaitEvent(streamOf(stream), eventOf(event), 0), "cudaStreamWaitEvent"); }
float eventElapsedMs(int a, int b) {
  float ms = 0;
  check(cudaEventElapsedTime(&ms, eventOf(a), eventOf(b)), "cudaEventElapsedTime");
  return ms;
}
void deviceSynchronize() {
  requireCuda("synchronize");
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
}
void poisonDevicePool(size_t bytes) {
  void* p = deviceAlloc(bytes);
  memsetAsync(p, 0xFF, bytes);
  deviceFree(p);
}

void checkLastLaunch(const char* op) { check(cudaGetLastError(), (std::string(op) + " kernel launch").c_str()); }

}  // namespace sf
