#include "encoding/md5.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <mutex>
#include <semaphore>
#include <utility>
#include <vector>

namespace lakeshift::encoding {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "MD5 words are loaded as little-endian machine words");

// RFC 1321: the sine table and the per-round rotations.
constexpr uint32_t kT[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
constexpr int kShift[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

// Every function taking or returning a vector is always inlined into a kernel built for its instruction set,
// so the ABI of passing vectors between differently built functions (what -Wpsabi warns of) never arises.
#pragma GCC diagnostic ignored "-Wpsabi"

// One body for a scalar word and an 8-lane vector (GCC vector extensions: the operators work lane-wise, and a
// constant rotation becomes vprold under AVX-512VL).
using Lanes8 = uint32_t __attribute__((vector_size(32)));

template <int S, typename V>
[[gnu::always_inline]] inline V Rotl(const V& x) {
  return (x << S) | (x >> (32 - S));
}

template <int I, typename V>
[[gnu::always_inline]] inline void Step(V& a, const V& b, const V& c, const V& d, const V* x) {
  constexpr int round = I / 16;
  constexpr int k = round == 0 ? I : round == 1 ? (5 * I + 1) % 16 : round == 2 ? (3 * I + 5) % 16 : (7 * I) % 16;
  V f;
  if constexpr (round == 0) {
    f = d ^ (b & (c ^ d));
  } else if constexpr (round == 1) {
    f = c ^ (d & (b ^ c));
  } else if constexpr (round == 2) {
    f = b ^ c ^ d;
  } else {
    f = c ^ (b | ~d);
  }
  V t = a + f + x[k] + kT[I];
  a = b + Rotl<kShift[round][I % 4]>(t);
}

// The four registers trade roles each step (a, b, c, d) -> (d, a', b, c); unrolled, no value ever moves.
template <typename V, size_t... I>
[[gnu::always_inline]] inline void Steps(V& a, V& b, V& c, V& d, const V* x, std::index_sequence<I...>) {
  V* r[4] = {&a, &d, &c, &b};  // step I writes r[I % 4] from r[(I + 3) % 4], r[(I + 2) % 4], r[(I + 1) % 4]
  ((Step<static_cast<int>(I)>(*r[I % 4], *r[(I + 3) % 4], *r[(I + 2) % 4], *r[(I + 1) % 4], x)), ...);
}

template <typename V>
[[gnu::always_inline]] inline void Block(V& a0, V& b0, V& c0, V& d0, const V* x) {
  V a = a0, b = b0, c = c0, d = d0;
  Steps(a, b, c, d, x, std::make_index_sequence<64>{});
  a0 += a;
  b0 += b;
  c0 += c;
  d0 += d;
}

[[gnu::always_inline]] inline void LanesBody(uint32_t* const state[8], const unsigned char* const data[8],
                                             size_t blocks) {
  Lanes8 a, b, c, d;
  for (int j = 0; j < 8; ++j) {
    a[j] = state[j][0];
    b[j] = state[j][1];
    c[j] = state[j][2];
    d[j] = state[j][3];
  }
  for (size_t n = 0; n < blocks; ++n) {
    // Transposed: x[k] holds word k of every lane's block.
    alignas(32) uint32_t words[16][8];
    for (int j = 0; j < 8; ++j) {
      const unsigned char* p = data[j] + n * 64;
      for (size_t k = 0; k < 16; ++k) std::memcpy(&words[k][j], p + 4 * k, 4);
    }
    Lanes8 x[16];
    std::memcpy(x, words, sizeof(x));
    Block(a, b, c, d, x);
  }
  for (int j = 0; j < 8; ++j) {
    state[j][0] = a[j];
    state[j][1] = b[j];
    state[j][2] = c[j];
    state[j][3] = d[j];
  }
}

__attribute__((target("avx512f,avx512vl"))) void LanesAvx512(uint32_t* const state[8],
                                                             const unsigned char* const data[8], size_t blocks) {
  LanesBody(state, data, blocks);
}
__attribute__((target("avx2"))) void LanesAvx2(uint32_t* const state[8], const unsigned char* const data[8],
                                               size_t blocks) {
  LanesBody(state, data, blocks);
}
void LanesPortable(uint32_t* const state[8], const unsigned char* const data[8], size_t blocks) {
  LanesBody(state, data, blocks);
}

using LanesFn = void (*)(uint32_t* const[8], const unsigned char* const[8], size_t);

std::pair<LanesFn, const char*> PickLanes() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return {LanesAvx512, "avx512vl"};
  if (__builtin_cpu_supports("avx2")) return {LanesAvx2, "avx2"};
#endif
  return {LanesPortable, "portable"};
}

const std::pair<LanesFn, const char*>& Lanes() {
  static const std::pair<LanesFn, const char*> picked = PickLanes();
  return picked;
}

constexpr int kLanes = 8;
constexpr size_t kShareMinBlocks = 1024;  // 64 KiB: smaller updates hash at once in the caller
constexpr size_t kSliceBlocks = 1024;     // between slices, updates that arrived meanwhile join

// Joins concurrent large updates into lanes (see md5.h).
class LaneScheduler {
 public:
  static LaneScheduler& Get() {
    static LaneScheduler* scheduler = new LaneScheduler();  // never destroyed: hashing may run during exit
    return *scheduler;
  }

  void Run(uint32_t* state, const unsigned char* data, size_t blocks) {
    Job me{state, data, blocks};
    std::unique_lock lock(mu_);
    pending_.push_back(&me);
    if (leading_) {
      lock.unlock();
      me.wake.acquire();
      if (!me.lead) return;  // hashed by another caller
      lock.lock();
    } else {
      leading_ = true;
    }
    while (true) {
      while (active_.size() < kLanes && !pending_.empty()) {
        active_.push_back(pending_.front());
        pending_.pop_front();
      }
      if (me.done) {
        // active_ was just filled from pending_: both are empty, or active_ holds a job to lead on.
        Job* next = active_.empty() ? nullptr : active_.front();
        if (next == nullptr) leading_ = false;
        if (next != nullptr) next->lead = true;
        lock.unlock();
        if (next != nullptr) next->wake.release();
        return;
      }
      lock.unlock();
      RunSlice();
      lock.lock();
      // A finished job's owner returns as soon as it is woken: drop it from active_ first, touch it never after.
      for (size_t i = 0; i < active_.size();) {
        Job* j = active_[i];
        if (j->blocks > 0) {
          ++i;
          continue;
        }
        active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(i));
        j->done = true;
        if (j != &me) j->wake.release();
      }
    }
  }

 private:
  struct Job {
    uint32_t* state;
    const unsigned char* data;
    size_t blocks;
    bool lead = false;  // woken to lead rather than because the job is done
    bool done = false;
    std::binary_semaphore wake{0};
  };

  // Runs the same number of blocks of every active job.
  void RunSlice() {
    size_t n = kSliceBlocks;
    for (Job* j : active_) n = std::min(n, j->blocks);
    if (active_.size() == 1) {
      md5_internal::CompressOne(active_[0]->state, active_[0]->data, n);
    } else {
      uint32_t* states[kLanes];
      const unsigned char* data[kLanes];
      for (size_t i = 0; i < active_.size(); ++i) {
        states[i] = active_[i]->state;
        data[i] = active_[i]->data;
      }
      md5_internal::CompressLanes(states, data, static_cast<int>(active_.size()), n);
    }
    for (Job* j : active_) {
      j->data += n * 64;
      j->blocks -= n;
    }
  }

  std::mutex mu_;  // guards pending_, leading_ and the jobs' lead/done; active_ belongs to the leader
  std::deque<Job*> pending_;
  std::vector<Job*> active_;
  bool leading_ = false;
};

}  // namespace

namespace md5_internal {

void CompressOne(uint32_t state[4], const unsigned char* data, size_t blocks) {
  for (size_t n = 0; n < blocks; ++n) {
    uint32_t x[16];
    std::memcpy(x, data + n * 64, 64);
    Block(state[0], state[1], state[2], state[3], x);
  }
}

void CompressLanes(uint32_t* const state[], const unsigned char* const data[], int lanes, size_t blocks, bool simd) {
  // Unused lanes hash a copy of lane 0 into scratch state: the 8-lane code costs the same either way.
  uint32_t scratch[kLanes][4];
  uint32_t* states[kLanes];
  const unsigned char* sources[kLanes];
  for (int j = 0; j < kLanes; ++j) {
    states[j] = j < lanes ? state[j] : scratch[j];
    sources[j] = j < lanes ? data[j] : data[0];
    if (j >= lanes) std::memcpy(scratch[j], state[0], sizeof(scratch[j]));
  }
  (simd ? Lanes().first : LanesPortable)(states, sources, blocks);
}

const char* LaneKernelName() {
  return Lanes().second;
}

}  // namespace md5_internal

Md5Hash::Md5Hash() : state_{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476} {}

void Md5Hash::Update(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  length_ += n;
  if (pending_size_ > 0) {
    size_t take = std::min(n, sizeof(pending_) - pending_size_);
    std::memcpy(pending_ + pending_size_, p, take);
    pending_size_ += take;
    p += take;
    n -= take;
    if (pending_size_ < sizeof(pending_)) return;
    md5_internal::CompressOne(state_, pending_, 1);
    pending_size_ = 0;
  }
  size_t blocks = n / 64;
  if (blocks >= kShareMinBlocks) {
    LaneScheduler::Get().Run(state_, p, blocks);
  } else if (blocks > 0) {
    md5_internal::CompressOne(state_, p, blocks);
  }
  p += blocks * 64;
  n -= blocks * 64;
  std::memcpy(pending_, p, n);
  pending_size_ = n;
}

std::string Md5Hash::Finish() {
  uint64_t bits = length_ * 8;
  unsigned char tail[128] = {};
  std::memcpy(tail, pending_, pending_size_);
  tail[pending_size_] = 0x80;
  size_t size = pending_size_ + 1 + 8 <= 64 ? 64 : 128;
  for (int i = 0; i < 8; ++i) tail[size - 8 + i] = static_cast<unsigned char>(bits >> (8 * i));
  md5_internal::CompressOne(state_, tail, size / 64);
  std::string out(16, '\0');
  std::memcpy(out.data(), state_, 16);
  return out;
}

}  // namespace lakeshift::encoding
