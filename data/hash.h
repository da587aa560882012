#pragma once
// Small non-cryptographic hashing for the data layer: a 64-bit hash of bytes
// (8 bytes per step, then a final avalanche) used for duplicate-id detection
// and cache keys, and a flat open-addressing map from 64-bit id hashes to the
// line where the id was first seen (16 bytes per entry; grows by doubling).
// Two different ids collide with probability about n^2 / 2^65 (3e-8 for the
// 781,602-row ZTF catalog); a collision would be reported as a duplicate id.
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace varstar::data {

inline uint64_t hash_mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// Hash of `size` bytes, continuing from `seed` (chain calls to hash several pieces).
inline uint64_t hash_bytes(const void* data, size_t size, uint64_t seed = 0x9e3779b97f4a7c15ULL) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = seed ^ (size * 0x9e3779b97f4a7c15ULL);
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ hash_mix(w)) * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
  }
  uint64_t tail = 0;
  if (i < size) std::memcpy(&tail, p + i, size - i);
  h ^= hash_mix(tail ^ (uint64_t{size - i} << 56));
  return hash_mix(h);
}

inline uint64_t hash_string(std::string_view s, uint64_t seed = 0x9e3779b97f4a7c15ULL) {
  return hash_bytes(s.data(), s.size(), seed);
}

// Remembers ids by their 64-bit hash. insert() returns 0 for a new id, or the
// line number given when the same (hash of the) id was inserted before.
class IdLineMap {
 public:
  int64_t insert(std::string_view id, int64_t line) { return insert_hash(hash_string(id), line); }
  // Hints the cache about the slot of a hash inserted soon (readers queue a few
  // rows so that the random access into a large table overlaps with parsing).
  void prefetch(uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[(h == 0 ? 1 : h) & (slots_.size() - 1)]);
  }
  // insert() with the id's hash_string() already computed.
  int64_t insert_hash(uint64_t h, int64_t line) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    if (h == 0) h = 1;  // 0 marks an empty slot
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots_[i].hash == 0) {
        slots_[i] = {h, line};
        ++size_;
        return 0;
      }
      if (slots_[i].hash == h) return slots_[i].line;
    }
  }
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    int64_t line = 0;
  };
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.hash == 0) continue;
      size_t i = s.hash & mask;
      while (slots_[i].hash != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace varstar::data
