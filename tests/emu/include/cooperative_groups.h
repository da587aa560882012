#pragma once
// The part of cooperative groups the kernels use, for the emulator
// (tests/emu/simt.h): the grid of a cooperative launch and its barrier.
#include "tests/emu/simt.h"

namespace cooperative_groups {
class grid_group {
 public:
  void sync() const { ::varstar::emu::grid_sync(); }
};
inline grid_group this_grid() { return {}; }
}  // namespace cooperative_groups
