// The CUDA runtime as the rest of the core sees it. Built from
// cuda/runtime.cu where nvcc exists (cudart linked statically, so the addon
// loads where no driver is installed) and from cpu/runtime_none.cpp
// elsewhere. Every function throws CoreError on a CUDA error.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sf {

bool cudaCompiled();
bool cudaUsable();  // compiled in, a driver present and at least one device
int cudaDeviceCount();
void requireCuda(const char* op);

void* deviceAlloc(size_t bytes);          // cudaMallocAsync on the current stream
void deviceFree(void* p);                 // cudaFreeAsync on the current stream
void* pinnedAlloc(size_t bytes);          // cudaMallocHost (plain malloc without CUDA)
void pinnedFree(void* p);
// kind: 0 host->device, 1 device->host, 2 device->device. Async on the
// current stream; sync=true waits for the stream afterwards.
void memcpyAsync(void* dst, const void* src, size_t bytes, int kind, bool sync);
void memsetAsync(void* dst, int value, size_t bytes);

// Streams and events, addressed by small integer ids (0 = the default stream).
// priority: 0 the default (lowest), > 0 higher (clamped to the device range).
int streamCreate(int priority = 0);
void streamDestroy(int id);
void streamSetCurrent(int id);
int streamCurrent();
void streamSynchronize(int id);
void* currentStreamHandle();  // cudaStream_t
int eventCreate();
void eventDestroy(int id);
void eventRecord(int id, int stream);
void eventSynchronize(int id);
void streamWaitEvent(int stream, int event);
float eventElapsedMs(int start, int end);
void deviceSynchronize();
void checkLastLaunch(const char* op);
// Fills `bytes` of freshly pooled device memory with 0xFF (NaN in float32 and
// bfloat16) and returns it to the stream-ordered pool, so that the next
// allocations on the current stream are likely to start out poisoned: GPU
// tests call it before each op so unwritten output elements show up as NaN.
void poisonDevicePool(size_t bytes);

}  // namespace sf
