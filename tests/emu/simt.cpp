// The fiber scheduler behind tests/emu/simt.h.
#include "tests/emu/simt.h"

#include <sys/mman.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define VARSTAR_EMU_ASAN 1
#else
#define VARSTAR_EMU_ASAN 0
#endif
// Our own fiber switch under AddressSanitizer: stacks' shadow cleared by hand (Stacks below).
#if VARSTAR_EMU_ASAN && defined(__x86_64__)
#define VARSTAR_EMU_CLEAR_STACK_SHADOW 1
#else
#define VARSTAR_EMU_CLEAR_STACK_SHADOW 0
#endif

// ---- fiber switches ----------------------------------------------------------------------
// On x86-64 a switch saves the callee-saved registers and the stack pointer
// and loads another fiber's (nothing here changes the floating-point control
// words, so they are not switched): no system
// call (ucontext's swapcontext saves the signal mask, a system call each way,
// which took 80% of an emulated training step). Elsewhere, ucontext.
#if defined(__x86_64__)
// Saves this context's registers on its stack and its stack pointer in *from; resumes the one at `to`.
extern "C" void varstar_emu_switch(void** from, void* to);
// Where a new fiber starts: calls the function in r12 (fiber_main, which never returns).
extern "C" void varstar_emu_fiber_start();
asm(R"(
  .text
  .globl varstar_emu_switch
  .type varstar_emu_switch, @function
varstar_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size varstar_emu_switch, .-varstar_emu_switch

  .globl varstar_emu_fiber_start
  .type varstar_emu_fiber_start, @function
varstar_emu_fiber_start:
  callq *%r12
  ud2
  .size varstar_emu_fiber_start, .-varstar_emu_fiber_start
)");
#endif

namespace varstar::emu {
namespace {

#if defined(__x86_64__)
struct Context {
  void* sp = nullptr;
};
inline void switch_context(Context& from, const Context& to) { varstar_emu_switch(&from.sp, to.sp); }
// A context that runs entry() on [stack, stack + bytes) when first switched to.
inline void make_context(Context& c, char* stack, size_t bytes, void (*entry)()) {
  auto top = reinterpret_cast<uintptr_t>(stack + bytes) & ~uintptr_t{15};
  auto* slot = reinterpret_cast<uint64_t*>(top - 72);  // what varstar_emu_switch pops, lowest first
  slot[0] = 0;                                                      // r15
  slot[1] = 0;                                                      // r14
  slot[2] = 0;                                                      // r13
  slot[3] = reinterpret_cast<uint64_t>(entry);                      // r12
  slot[4] = 0;                                                      // rbx
  slot[5] = 0;                                                      // rbp
  slot[6] = reinterpret_cast<uint64_t>(&varstar_emu_fiber_start);  // return address: rsp 16-aligned after it
  c.sp = slot;
}
#else
struct Context {
  ucontext_t uc{};
};
inline void switch_context(Context& from, const Context& to) { swapcontext(&from.uc, &to.uc); }
inline void make_context(Context& c, char* stack, size_t bytes, void (*entry)()) {
  getcontext(&c.uc);
  c.uc.uc_stack.ss_sp = stack;
  c.uc.uc_stack.ss_size = bytes;
  c.uc.uc_link = nullptr;
  makecontext(&c.uc, entry, 0);
}
#endif

constexpr unsigned kMaxBlockThreads = 1024;
constexpr unsigned kWarpSize = 32;
// Room for a kernel's frames at -O0 under AddressSanitizer; the lowest page is a guard.
constexpr size_t kStackBytes = size_t{256} << 10;
constexpr size_t kGuardBytes = 4096;

struct Fiber {
  Context context;
  Dim3 thread;
  unsigned linear = 0;
  char* stack = nullptr;
  bool done = false;
  const uint64_t* wait_generation = nullptr;  // runnable again once *wait_generation != waited_value
  uint64_t waited_value = 0;
  const char* waiting_at = nullptr;
  WarpValues warp_result{};
  void* fake_stack = nullptr;
};

struct Warp {
  uint64_t slot[kWarpSize] = {};
  unsigned arrived = 0, expected = 0;
  const char* primitive = nullptr;
  uint64_t generation = 0;
};

// What a block of a cooperative launch throws when the grid failed elsewhere
// (the launch reports the first other error, if any).
struct GridAborted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The blocks of a cooperative launch meet here at grid.sync(): the last thread
// of each block to arrive waits for the other blocks' (the block's other
// threads wait at the block's own barrier meanwhile).
class GridBarrier {
 public:
  explicit GridBarrier(unsigned blocks) : blocks_(blocks) {}
  void arrive_and_wait() {
    std::unique_lock lock(mutex_);
    if (exited_ > 0) abort_locked("emu: deadlock: a block waits at grid.sync() after another block exited");
    if (aborted_) throw GridAborted(reason_);
    const uint64_t generation = generation_;
    if (++arrived_ == blocks_) {
      arrived_ = 0;
      ++generation_;
      changed_.notify_all();
      return;
    }
    changed_.wait(lock, [&] { return generation_ != generation || aborted_; });
    if (generation_ == generation) throw GridAborted(reason_);
  }
  void exited() {
    std::lock_guard lock(mutex_);
    ++exited_;
    if (arrived_ > 0) abort_locked("emu: deadlock: a block exited while others wait at grid.sync()");
  }
  void failed(const std::string& why) {
    std::lock_guard lock(mutex_);
    abort_locked(why);
  }

 private:
  void abort_locked(const std::string& why) {
    if (!aborted_) reason_ = why;
    aborted_ = true;
    changed_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  unsigned blocks_, arrived_ = 0, exited_ = 0;
  uint64_t generation_ = 0;
  bool aborted_ = false;
  std::string reason_;
};

struct Block {
  const LaunchShape* shape = nullptr;
  GridBarrier* grid = nullptr;  // cooperative launches only
  Dim3 index;
  const std::function<void()>* body = nullptr;
  std::vector<Fiber> fibers;
  std::vector<Warp> warps;
  unsigned barrier_arrived = 0, grid_arrived = 0;
  uint64_t barrier_generation = 0, grid_generation = 0;
  std::unique_ptr<std::byte[]> shared;
  std::map<const void*, std::unique_ptr<std::byte[]>> shared_variables;  // this block's __shared__ variables
  Fiber* current = nullptr;
  Context scheduler;
  const void* scheduler_stack = nullptr;
  size_t scheduler_stack_size = 0;
  std::exception_ptr error;
};

thread_local Block* t_block = nullptr;
thread_local Order t_order = Order::forward;
thread_local int64_t t_launches = 0;

// Fiber stacks, kept between launches (mapped lazily, so 1,024 of them cost little).
class Stacks {
 public:
  ~Stacks() {
    if (base_ != nullptr) munmap(base_, count_ * kStackBytes);
  }
  char* stack(unsigned i) const { return static_cast<char*>(base_) + size_t{i} * kStackBytes + kGuardBytes; }
  void reserve(unsigned count) {
    if (count <= count_) return;
    if (base_ != nullptr) munmap(base_, count_ * kStackBytes);
    base_ = mmap(nullptr, count * kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
    if (base_ == MAP_FAILED) {
      base_ = nullptr;
      count_ = 0;
      throw std::runtime_error("emu: cannot map fiber stacks");
    }
    for (unsigned i = 0; i < count; ++i) mprotect(static_cast<char*>(base_) + size_t{i} * kStackBytes, kGuardBytes, PROT_NONE);
    count_ = count;
#if VARSTAR_EMU_CLEAR_STACK_SHADOW
    __asan_unpoison_memory_region(base_, count * kStackBytes);  // the shadow of an earlier mapping here
    lowest_.assign(count, nullptr);
#endif
  }
#if VARSTAR_EMU_CLEAR_STACK_SHADOW
  // A fiber's frames that never returned (it ended in a switch, or its block
  // failed) leave their redzones poisoned; ucontext's swapcontext, which
  // AddressSanitizer intercepts, clears a stack's shadow at every switch.
  // Here each stack's next fiber clears it from its last fiber's lowest live frame up.
  void left_at(unsigned i, const void* sp) { lowest_[i] = static_cast<const char*>(sp); }
  void clear_for_new_fiber(unsigned i) {
    if (lowest_[i] == nullptr) return;
    char* top = stack(i) + (kStackBytes - kGuardBytes);
    __asan_unpoison_memory_region(lowest_[i], static_cast<size_t>(top - lowest_[i]));
    lowest_[i] = nullptr;
  }
#endif

 private:
  void* base_ = nullptr;
  size_t count_ = 0;
#if VARSTAR_EMU_CLEAR_STACK_SHADOW
  std::vector<const char*> lowest_;
#endif
};
thread_local Stacks t_stacks;

[[noreturn]] void fail(const std::string& what) {
  const Block* b = t_block;
  std::string where;
  if (b != nullptr && b->current != nullptr) {
    const Dim3& t = b->current->thread;
    where = " (block " + std::to_string(b->index.x) + "," + std::to_string(b->index.y) + "," +
            std::to_string(b->index.z) + ", thread " + std::to_string(t.x) + "," + std::to_string(t.y) + "," +
            std::to_string(t.z) + ")";
  }
  throw std::runtime_error("emu: " + what + where);
}

// Fiber -> scheduler. `dying`: the fiber never runs again.
void switch_to_scheduler(Fiber& f, bool dying) {
  Block& b = *t_block;
#if VARSTAR_EMU_ASAN
  __sanitizer_start_switch_fiber(dying ? nullptr : &f.fake_stack, b.scheduler_stack, b.scheduler_stack_size);
#else
  (void)dying;
#endif
  switch_context(f.context, b.scheduler);
#if VARSTAR_EMU_ASAN
  __sanitizer_finish_switch_fiber(f.fake_stack, &b.scheduler_stack, &b.scheduler_stack_size);
#endif
}

void fiber_main() {
  Block& b = *t_block;
  Fiber& f = *b.current;
#if VARSTAR_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &b.scheduler_stack, &b.scheduler_stack_size);
#endif
  try {
    (*b.body)();
  } catch (...) {
    if (!b.error) b.error = std::current_exception();
  }
  f.done = true;
  switch_to_scheduler(f, true);
}

void resume(Block& b, Fiber& f) {
  b.current = &f;
#if VARSTAR_EMU_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, f.stack, kStackBytes - kGuardBytes);
  switch_context(b.scheduler, f.context);
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#else
  switch_context(b.scheduler, f.context);
#endif
  b.current = nullptr;
}

void wait(Fiber& f, const uint64_t* generation, const char* where) {
  f.wait_generation = generation;
  f.waited_value = *generation;
  f.waiting_at = where;
  switch_to_scheduler(f, false);
}

[[noreturn]] void deadlock(const Block& b) {
  std::map<std::string, int> waiting;
  int exited = 0;
  for (const Fiber& f : b.fibers) {
    if (f.done)
      ++exited;
    else
      ++waiting[f.waiting_at != nullptr ? f.waiting_at : "?"];
  }
  std::string what = "emu: deadlock in block (";
  what.append(std::to_string(b.index.x)).append(",").append(std::to_string(b.index.y)).append(",");
  what.append(std::to_string(b.index.z)).append("):");
  for (const auto& [at, n] : waiting) what.append(" ").append(std::to_string(n)).append(" threads wait at ").append(at).append(";");
  what.append(" ").append(std::to_string(exited)).append(" have exited");
  throw std::runtime_error(what);
}

void run_block(Block& b) {
  const Dim3& bd = b.shape->block;
  const unsigned threads = bd.x * bd.y * bd.z;
  b.fibers.resize(threads);  // each reset below: a Fiber{} a thread costs more than some kernels
  b.warps.assign((threads + kWarpSize - 1) / kWarpSize, Warp{});
  b.barrier_arrived = b.grid_arrived = 0;
  b.shared_variables.clear();
  if (b.shared) std::memset(b.shared.get(), 0xff, b.shape->dynamic_shared_bytes);
  for (unsigned i = 0; i < threads; ++i) {
    Fiber& f = b.fibers[i];
    f.done = false;
    f.wait_generation = nullptr;
    f.waited_value = 0;
    f.waiting_at = nullptr;
    f.fake_stack = nullptr;
    f.linear = i;
    f.thread = Dim3{i % bd.x, i / bd.x % bd.y, i / (bd.x * bd.y)};
    f.stack = t_stacks.stack(i);
#if VARSTAR_EMU_CLEAR_STACK_SHADOW
    t_stacks.clear_for_new_fiber(i);
#endif
    make_context(f.context, f.stack, kStackBytes - kGuardBytes, fiber_main);
  }
#if VARSTAR_EMU_CLEAR_STACK_SHADOW
  struct NoteStacks {  // however the block ends
    Block& b;
    ~NoteStacks() {
      for (unsigned i = 0; i < b.fibers.size(); ++i) t_stacks.left_at(i, b.fibers[i].context.sp);
    }
  } note_stacks{b};
#endif
  // The order of each pass over the threads: fixed, or a new shuffle each pass
  // (seeded by the block, so a launch repeats).
  std::vector<unsigned> turn(threads);
  for (unsigned k = 0; k < threads; ++k) turn[k] = t_order == Order::reverse ? threads - 1 - k : k;
  std::optional<std::mt19937> shuffler;
  if (t_order == Order::shuffled) shuffler.emplace(b.index.x + 65536u * (b.index.y + 65536u * b.index.z));
  unsigned remaining = threads;
  while (remaining > 0) {
    bool ran = false;
    if (shuffler) std::shuffle(turn.begin(), turn.end(), *shuffler);
    for (unsigned k = 0; k < threads; ++k) {
      Fiber& f = b.fibers[turn[k]];
      if (f.done) continue;
      if (f.wait_generation != nullptr && *f.wait_generation == f.waited_value) continue;
      f.wait_generation = nullptr;
      f.waiting_at = nullptr;
      resume(b, f);
      ran = true;
      if (b.error) std::rethrow_exception(b.error);
      if (f.done) --remaining;
    }
    if (!ran && remaining > 0) deadlock(b);
  }
}

Block& block() {
  if (t_block == nullptr || t_block->current == nullptr) throw std::runtime_error("emu: device code called outside a launch");
  return *t_block;
}

}  // namespace

void set_order(Order order) { t_order = order; }
Order order() { return t_order; }

namespace {
void check_shape(const LaunchShape& shape) {
  const Dim3 &g = shape.grid, &bd = shape.block;
  const uint64_t threads = uint64_t{bd.x} * bd.y * bd.z;
  if (g.x == 0 || g.y == 0 || g.z == 0 || threads == 0)
    throw std::runtime_error("emu: invalid launch: a grid or block dimension is 0");
  if (threads > kMaxBlockThreads)
    throw std::runtime_error("emu: invalid launch: " + std::to_string(threads) + " threads a block (at most 1024)");
  if (g.y > 65535 || g.z > 65535) throw std::runtime_error("emu: invalid launch: grid y or z above 65535");
  if (t_block != nullptr) throw std::runtime_error("emu: a launch from device code (dynamic parallelism) is not modelled");
}

// Runs the blocks of `shape` whose linear index is in [first, last), one after another, on this thread.
void run_blocks(const LaunchShape& shape, const std::function<void()>& body, GridBarrier* grid, uint64_t first,
                uint64_t last) {
  const Dim3& g = shape.grid;
  t_stacks.reserve(shape.block.x * shape.block.y * shape.block.z);
  Block b;
  b.shape = &shape;
  b.body = &body;
  b.grid = grid;
  if (shape.dynamic_shared_bytes > 0) b.shared.reset(new std::byte[shape.dynamic_shared_bytes]);
  t_block = &b;
  struct Unset {
    ~Unset() { t_block = nullptr; }
  } unset;
  for (uint64_t i = first; i < last; ++i) {
    b.index = Dim3{static_cast<unsigned>(i % g.x), static_cast<unsigned>(i / g.x % g.y),
                   static_cast<unsigned>(i / (uint64_t{g.x} * g.y))};
    run_block(b);
  }
}
}  // namespace

void run_grid(const LaunchShape& shape, const std::function<void()>& body) {
  check_shape(shape);
  ++t_launches;
  run_blocks(shape, body, nullptr, 0, uint64_t{shape.grid.x} * shape.grid.y * shape.grid.z);
}

void run_grid_cooperative(const LaunchShape& shape, const std::function<void()>& body) {
  check_shape(shape);
  constexpr uint64_t kMaxCooperativeBlocks = 256;
  const uint64_t blocks = uint64_t{shape.grid.x} * shape.grid.y * shape.grid.z;
  if (blocks > kMaxCooperativeBlocks)
    throw std::runtime_error("emu: a cooperative launch of " + std::to_string(blocks) + " blocks (at most " +
                             std::to_string(kMaxCooperativeBlocks) + " here)");
  ++t_launches;
  GridBarrier grid(static_cast<unsigned>(blocks));
  std::vector<std::exception_ptr> errors(blocks);
  std::vector<std::thread> threads;
  const Order order = t_order;
  for (uint64_t i = 0; i < blocks; ++i)
    threads.emplace_back([&, i] {
      t_order = order;
      try {
        run_blocks(shape, body, &grid, i, i + 1);
        grid.exited();
      } catch (const std::exception& e) {
        errors[i] = std::current_exception();
        grid.failed(e.what());
      } catch (...) {
        errors[i] = std::current_exception();
        grid.failed("a block threw");
      }
    });
  for (std::thread& t : threads) t.join();
  // The first error that is not a GridAborted echo of another; else the first (a deadlock at grid.sync()).
  for (const std::exception_ptr& e : errors) {
    if (!e) continue;
    try {
      std::rethrow_exception(e);
    } catch (const GridAborted&) {
    }
  }
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

const Dim3& thread_idx() { return block().current->thread; }
const Dim3& block_idx() { return block().index; }
const Dim3& block_dim() { return block().shape->block; }
const Dim3& grid_dim() { return block().shape->grid; }
unsigned lane_id() { return block().current->linear % kWarpSize; }

std::byte* dynamic_shared() { return block().shared.get(); }

void* shared_variable(const void* tag, size_t bytes) {
  auto& storage = block().shared_variables[tag];
  if (!storage) {
    storage.reset(new std::byte[bytes]);
    std::memset(storage.get(), 0xff, bytes);
  }
  return storage.get();
}

void sync_threads() {
  Block& b = block();
  if (++b.barrier_arrived == b.fibers.size()) {
    b.barrier_arrived = 0;
    ++b.barrier_generation;
    return;
  }
  wait(*b.current, &b.barrier_generation, "__syncthreads");
}

void grid_sync() {
  Block& b = block();
  if (b.grid == nullptr) fail("grid.sync() outside a cooperative launch");
  if (++b.grid_arrived == b.fibers.size()) {
    b.grid->arrive_and_wait();  // this OS thread waits; the block's other threads wait below
    b.grid_arrived = 0;
    ++b.grid_generation;
    return;
  }
  wait(*b.current, &b.grid_generation, "grid.sync()");
}

const WarpValues& warp_exchange(unsigned mask, uint64_t value, const char* primitive) {
  Block& b = block();
  Fiber& f = *b.current;
  const unsigned lane = f.linear % kWarpSize, warp_index = f.linear / kWarpSize;
  const unsigned warp_lanes = std::min<unsigned>(kWarpSize, static_cast<unsigned>(b.fibers.size()) - warp_index * kWarpSize);
  const unsigned present = warp_lanes == kWarpSize ? ~0u : (1u << warp_lanes) - 1;
  if ((mask & (1u << lane)) == 0) fail(std::string(primitive) + ": the calling lane is not in its mask");
  if ((mask & ~present) != 0) fail(std::string(primitive) + ": the mask names lanes the block does not have");
  Warp& w = b.warps[warp_index];
  if (w.arrived == 0) {
    w.expected = mask;
    w.primitive = primitive;
  } else if (w.expected != mask || std::strcmp(w.primitive, primitive) != 0) {
    fail(std::string(primitive) + " meets " + w.primitive +
         " of other lanes of its warp, or the same with another mask (divergent warp primitives)");
  }
  w.slot[lane] = value;
  w.arrived |= 1u << lane;
  if (w.arrived == w.expected) {
    for (unsigned l = 0; l < kWarpSize; ++l) {
      if ((mask >> l & 1u) == 0) continue;
      Fiber& member = b.fibers[warp_index * kWarpSize + l];
      for (unsigned k = 0; k < kWarpSize; ++k) member.warp_result.value[k] = (mask >> k & 1u) != 0 ? w.slot[k] : 0;
      member.warp_result.mask = mask;
    }
    w.arrived = 0;
    ++w.generation;
    return f.warp_result;
  }
  wait(f, &w.generation, primitive);
  return f.warp_result;
}

namespace {
struct Coverage {
  std::mutex mutex;
  std::set<std::string> declared, ran, exempt;
};
Coverage& coverage() {
  static Coverage* c = new Coverage();  // used by static initialisers of other files; never destroyed
  return *c;
}
}  // namespace

bool declare_kernels(std::initializer_list<const char*> keys) {
  Coverage& c = coverage();
  std::lock_guard lock(c.mutex);
  for (const char* key : keys) c.declared.insert(key);
  return true;
}

void note_kernel_ran(const char* key) {
  Coverage& c = coverage();
  std::lock_guard lock(c.mutex);
  c.ran.insert(key);
}

void exempt_kernel(const char* key, const char* /*why*/) {
  Coverage& c = coverage();
  std::lock_guard lock(c.mutex);
  c.exempt.insert(key);
}

std::vector<std::string> kernels_never_run() {
  Coverage& c = coverage();
  std::lock_guard lock(c.mutex);
  std::vector<std::string> missing;
  for (const std::string& key : c.declared)
    if (c.ran.count(key) == 0 && c.exempt.count(key) == 0) missing.push_back(key);
  return missing;
}

int64_t launch_count() { return t_launches; }
void reset_launch_count() { t_launches = 0; }

}  // namespace varstar::emu
