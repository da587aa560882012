#pragma once
// A CPU emulator of the CUDA execution model, for running kernels/cuda/*.cu on
// a machine without a GPU. Each CUDA thread of a block is a fiber (its own stack);
// the fibers of one block run on the calling thread, one at a time, switching
// only at __syncthreads and the warp primitives, so a launch gives the same
// result on every run. Blocks run one after another.
//
// What it checks that real hardware would leave undefined:
//   - a barrier that cannot complete (a thread exited, or waits at another
//     barrier): "deadlock";
//   - a warp primitive whose lanes disagree on the mask, or that reads a lane
//     outside the mask;
//   - a launch of zero blocks or threads, or more than 1,024 threads a block.
// Shared memory (each block's own copy of every __shared__ variable and of the
// dynamic shared memory), scratch workspaces and the buffers tests allocate are
// plain heap memory of exactly their size, so AddressSanitizer sees kernels'
// out-of-bounds accesses; shared memory starts as 0xff bytes (NaN as float).
//
// Order::reverse runs the threads between two barriers last to first, and
// Order::shuffled in a new random order each time (seeded by the block): a
// result that changes with the order reads another thread's write without a
// barrier.
//
// A cooperative launch (run_grid_cooperative) runs every block at once, each on
// its own OS thread, so that grid.sync() can wait for all of them.
//
// Not modelled: memory fences, device-only intrinsics' rounding (the host's
// libm computes rsqrtf and friends). Streams are runtime_api.cpp's: a launch
// runs when it is made (eager streams) or when a host wait needs it (deferred
// streams: then on the waiting thread, in that thread's order), unless its
// stream captures a graph.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace varstar::emu {

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};

enum class Order { forward, reverse, shuffled };
// The order a block's threads take between barriers (for the calling thread's launches).
void set_order(Order order);
Order order();

struct LaunchShape {
  Dim3 grid, block;
  size_t dynamic_shared_bytes = 0;
};

// Runs body once for every thread of every block of `shape`.
void run_grid(const LaunchShape& shape, const std::function<void()>& body);
// The same with all blocks resident at once (cudaLaunchCooperativeKernel).
void run_grid_cooperative(const LaunchShape& shape, const std::function<void()>& body);

// The running thread's built-in variables.
const Dim3& thread_idx();
const Dim3& block_idx();
const Dim3& block_dim();
const Dim3& grid_dim();
unsigned lane_id();

// The block's dynamic shared memory (extern __shared__), as bytes.
std::byte* dynamic_shared();
// The running block's copy of the __shared__ variable `tag` names: `bytes`
// filled with 0xff when the block first asks for it (tests/emu/translate.cmake).
void* shared_variable(const void* tag, size_t bytes);

void sync_threads();
// cooperative_groups::this_grid().sync(): every thread of every block arrives first.
void grid_sync();
// Every lane in `mask` (which must include the caller) contributes `value`; the
// call returns once they all have, with the values of all 32 lanes (lanes not
// in the mask hold 0) and the mask itself.
struct WarpValues {
  uint64_t value[32];
  unsigned mask;
};
const WarpValues& warp_exchange(unsigned mask, uint64_t value, const char* primitive);

// Kernel coverage: each translated .cu file declares its kernels ("file.cu:name")
// when the program starts, and each kernel notes its first run.
bool declare_kernels(std::initializer_list<const char*> keys);
void note_kernel_ran(const char* key);
// A kernel the tests cannot run here (why: e.g. the sizes it needs).
void exempt_kernel(const char* key, const char* why);
// Declared kernels that neither ran nor were exempted, sorted.
std::vector<std::string> kernels_never_run();

// Launches made by the calling thread since the last reset (tests count them).
int64_t launch_count();
void reset_launch_count();

}  // namespace varstar::emu
