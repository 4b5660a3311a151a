// MD5 throughput: OpenSSL's one-stream MD5, lakeshift's one-stream code, its 8-lane kernel with 1..8 streams
// filled, and several threads hashing at once through encoding::Md5Hash (which shares lanes between them).
// Prints MB/s of hashed input; asserts nothing.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "encoding/digest.h"
#include "encoding/md5.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main() {
  using namespace lakeshift::encoding;
  constexpr size_t kBytes = size_t{256} << 20;
  std::string data(kBytes, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 2654435761u >> 13);
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());

  auto start = Clock::now();
  (void)Md5(data);
  std::printf("OpenSSL MD5, one stream            %7.0f MB/s\n", kBytes / 1e6 / Seconds(start));

  uint32_t state[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  start = Clock::now();
  md5_internal::CompressOne(state, bytes, kBytes / 64);
  std::printf("lakeshift MD5, one stream          %7.0f MB/s\n", kBytes / 1e6 / Seconds(start));

  for (int lanes : {2, 4, 8}) {
    uint32_t states[8][4] = {};
    uint32_t* sp[8];
    const unsigned char* dp[8];
    size_t per_lane = kBytes / 8;  // the same bytes per lane whatever the count: total = lanes * per_lane
    for (int j = 0; j < 8; ++j) {
      sp[j] = states[j];
      dp[j] = bytes + static_cast<size_t>(j) * per_lane;
    }
    start = Clock::now();
    md5_internal::CompressLanes(sp, dp, lanes, per_lane / 64);
    std::printf("lakeshift MD5, %d lanes (%-8s)     %7.0f MB/s\n", lanes, md5_internal::LaneKernelName(),
                static_cast<double>(lanes) * per_lane / 1e6 / Seconds(start));
  }

  for (int threads : {1, 4}) {
    start = Clock::now();
    std::vector<std::thread> pool;
    size_t share = kBytes / static_cast<size_t>(threads);
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        Md5Hash md5;
        std::string_view mine(data.data() + static_cast<size_t>(t) * share, share);
        for (size_t at = 0; at < mine.size(); at += size_t{8} << 20) md5.Update(mine.substr(at, size_t{8} << 20));
        (void)md5.Finish();
      });
    }
    for (auto& th : pool) th.join();
    std::printf("Md5Hash, %d threads, 8 MiB updates  %7.0f MB/s\n", threads, kBytes / 1e6 / Seconds(start));
  }
  return 0;
}
