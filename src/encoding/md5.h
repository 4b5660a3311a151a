#pragma once
// MD5 for copying many large files at once.
//
// One MD5 stream cannot go faster than one core running its 64 dependent steps per block (~700 MB/s here), and
// the migrator hashes every byte it copies. But MD5s of different streams are independent: with SIMD, 8
// streams take one step together in about the time one takes alone. Large updates (64 KiB and more) from
// concurrent streams are therefore joined: the first caller to find no hashing running leads, packs the
// waiting updates into 8 lanes (AVX-512VL or AVX2 when the CPU has them) and runs them in slices until its own
// update is done, then hands the lead to a waiting caller. Smaller updates, and a stream hashing alone, use
// the plain one-stream code.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lakeshift::encoding {

class Md5Hash {
 public:
  Md5Hash();
  void Update(std::string_view bytes);
  // The 16-byte digest. The object is spent afterwards.
  std::string Finish();

 private:
  uint32_t state_[4];
  uint64_t length_ = 0;
  unsigned char pending_[64];  // the start of a block not yet complete
  size_t pending_size_ = 0;
};

namespace md5_internal {
// Exposed for tests and the benchmark: the one-stream compression, and `lanes` (1..8) streams at once, each
// running `blocks` 64-byte blocks from its own data. `simd` false forces the portable build of the lane code.
void CompressOne(uint32_t state[4], const unsigned char* data, size_t blocks);
void CompressLanes(uint32_t* const state[], const unsigned char* const data[], int lanes, size_t blocks,
                   bool simd = true);
// "avx512vl", "avx2" or "portable": what CompressLanes uses on this CPU.
const char* LaneKernelName();
}  // namespace md5_internal

}  // namespace lakeshift::encoding
