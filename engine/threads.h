#pragma once
// CPU thread count for varstar's OpenMP loops and OpenBLAS.
namespace varstar {
// Sets the number of threads (n >= 1); 0 restores the default (all cores).
void set_num_threads(int n);
int num_threads();
}  // namespace varstar
