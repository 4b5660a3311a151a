#include "encoding/md5.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "encoding/digest.h"
#include "testing/random_bytes.h"

namespace lakeshift::encoding {
namespace {

using testing_util::RandomBytes;

std::string OpenSslMd5(std::string_view bytes) {
  Result<std::string> d = encoding::Md5(bytes);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *d : "";
}

std::string Hex(const std::string& raw) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

TEST(Md5Test, KnownDigests) {
  // RFC 1321, appendix A.5.
  const std::pair<std::string, std::string> cases[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"}};
  for (const auto& [input, hex] : cases) {
    Md5Hash md5;
    md5.Update(input);
    EXPECT_EQ(Hex(md5.Finish()), hex) << input;
  }
}

// Lengths around the block and padding edges, fed in uneven pieces (some past the lane threshold).
TEST(Md5Test, MatchesOpenSslForEveryLengthAndSplit) {
  std::string data = RandomBytes((1 << 20) + 300, 1);
  for (size_t length : {size_t{55}, size_t{56}, size_t{63}, size_t{64}, size_t{65}, size_t{119}, size_t{120},
                        size_t{128}, size_t{65535}, size_t{65536}, size_t{65536 + 63}, size_t{1 << 20}, data.size()}) {
    std::string_view input(data.data(), length);
    for (size_t piece : {size_t{1} << 20, size_t{70000}, size_t{4097}, size_t{1}}) {
      if (piece == 1 && length > 5000) continue;
      Md5Hash md5;
      for (size_t at = 0; at < input.size(); at += piece) md5.Update(input.substr(at, piece));
      EXPECT_EQ(md5.Finish(), OpenSslMd5(input)) << "length " << length << " piece " << piece;
    }
  }
}

// Every lane count, on the CPU's kernel and on the portable one: each lane's state is its own stream's.
TEST(Md5Test, LanesMatchOneStreamAtATime) {
  const size_t blocks = 37;
  std::vector<std::string> data;
  for (unsigned j = 0; j < 8; ++j) data.push_back(RandomBytes(blocks * 64, 10 + j));
  for (bool simd : {true, false}) {
    for (int lanes = 1; lanes <= 8; ++lanes) {
      uint32_t expected[8][4], got[8][4];
      uint32_t* states[8];
      const unsigned char* sources[8];
      for (int j = 0; j < lanes; ++j) {
        uint32_t init[4] = {0x67452301u + static_cast<uint32_t>(j), 0xefcdab89, 0x98badcfe, 0x10325476};
        std::memcpy(expected[j], init, sizeof(init));
        std::memcpy(got[j], init, sizeof(init));
        md5_internal::CompressOne(expected[j], reinterpret_cast<const unsigned char*>(data[j].data()), blocks);
        states[j] = got[j];
        sources[j] = reinterpret_cast<const unsigned char*>(data[j].data());
      }
      md5_internal::CompressLanes(states, sources, lanes, blocks, simd);
      for (int j = 0; j < lanes; ++j) {
        EXPECT_EQ(0, std::memcmp(expected[j], got[j], 16))
            << "lane " << j << " of " << lanes << (simd ? " on " : " without ") << md5_internal::LaneKernelName();
      }
    }
  }
}

// Many threads hashing large updates at once share lanes; each still gets its own stream's digest.
TEST(Md5Test, ConcurrentStreamsGetTheirOwnDigests) {
  constexpr int kThreads = 12;
  std::vector<std::string> inputs;
  for (int t = 0; t < kThreads; ++t)
    inputs.push_back(RandomBytes((600 << 10) + static_cast<size_t>(t) * 4099, 100 + t));
  std::vector<std::string> digests(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        Md5Hash md5;
        std::string_view in = inputs[t];
        // Uneven large pieces, so lanes finish at different times and others join mid-way.
        size_t piece = (70 << 10) + static_cast<size_t>(t) * 1000;
        for (size_t at = 0; at < in.size(); at += piece) md5.Update(in.substr(at, piece));
        std::string d = md5.Finish();
        if (round > 0 && d != digests[t]) digests[t] = "differs between rounds";
        if (round == 0) digests[t] = d;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(Hex(digests[t]), Hex(OpenSslMd5(inputs[t]))) << "thread " << t;
}

}  // namespace
}  // namespace lakeshift::encoding
