// runtime.h where the core was built without nvcc: every CUDA request is
// refused with an error naming the op; pinned buffers are plain host memory.
#include <cstdlib>

#include "../common.h"
#include "../runtime.h"

namespace sf {

static CoreError noCuda(const char* what) { return CoreError(std::string(what) + ": this build of the core has no CUDA"); }

bool cudaCompiled() { return false; }
bool cudaUsable() { return false; }
int cudaDeviceCount() { return 0; }
void requireCuda(const char* op) { throw noCuda(op); }
void* deviceAlloc(size_t) { throw noCuda("deviceAlloc"); }
void deviceFree(void*) {}
void* pinnedAlloc(size_t bytes) {
  void* p = std::malloc(bytes == 0 ? 1 : bytes);
  if (!p) throw CoreError("pinnedAlloc: out of host memory");
  return p;
}
void pinnedFree(void* p) { std::free(p); }
void memcpyAsync(void*, const void*, size_t, int, bool) { throw noCuda("memcpy"); }
void memsetAsync(void*, int, size_t) { throw noCuda("memset"); }
int streamCreate(int) { throw noCuda("streamCreate"); }
void streamDestroy(int) { throw noCuda("streamDestroy"); }
void streamSetCurrent(int id) {
  if (id != 0) throw noCuda("streamSetCurrent");
}
int streamCurrent() { return 0; }
void streamSynchronize(int) {}
void* currentStreamHandle() { return nullptr; }
int eventCreate() { throw noCuda("eventCreate"); }
void eventDestroy(int) { throw noCuda("eventDestroy"); }
void eventRecord(int, int) { throw noCuda("eventRecord"); }
void eventSynchronize(int) { throw noCuda("eventSynchronize"); }
void streamWaitEvent(int, int) { throw noCuda("streamWaitEvent"); }
float eventElapsedMs(int, int) { throw noCuda("eventElapsed"); }
void deviceSynchronize() {}
void checkLastLaunch(const char*) {}
void poisonDevicePool(size_t) { throw noCuda("poisonDevicePool"); }

}  // namespace sf
