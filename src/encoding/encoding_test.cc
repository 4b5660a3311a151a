// Table-driven tests for percent-encoding, time formats, base64 and digests. Expected values were computed
// independently (Python urllib.parse.quote, email.utils.formatdate, hashlib/hmac) or come from the RFCs.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "encoding/base64.h"
#include "encoding/digest.h"
#include "encoding/percent.h"
#include "encoding/time_format.h"

namespace lakeshift::encoding {
namespace {

// ---- percent-encoding ------------------------------------------------------------------------------------

struct EncodeCase {
  std::string raw;
  std::string path;       // PercentEncodePath
  std::string component;  // PercentEncodeComponent
};

// Values from Python: quote(raw, safe='/') and quote(raw, safe='').
const std::vector<EncodeCase> kEncodeCases = {
    {"", "", ""},
    {"plain.txt", "plain.txt", "plain.txt"},
    {"12,+3#456?.txt", "12%2C%2B3%23456%3F.txt", "12%2C%2B3%23456%3F.txt"},
    {"/dir with space/a b.txt", "/dir%20with%20space/a%20b.txt", "%2Fdir%20with%20space%2Fa%20b.txt"},
    {"100%", "100%25", "100%25"},
    {"a+b", "a%2Bb", "a%2Bb"},
    {"#hash", "%23hash", "%23hash"},
    {"q?x=1&y=2", "q%3Fx%3D1%26y%3D2", "q%3Fx%3D1%26y%3D2"},
    {"~-._", "~-._", "~-._"},
    {"ÄÖÜ", "%C3%84%C3%96%C3%9C", "%C3%84%C3%96%C3%9C"},
    {"/日本語/x", "/%E6%97%A5%E6%9C%AC%E8%AA%9E/x", "%2F%E6%97%A5%E6%9C%AC%E8%AA%9E%2Fx"},
    {"😀.bin", "%F0%9F%98%80.bin", "%F0%9F%98%80.bin"},
    {"it's (1)", "it%27s%20%281%29", "it%27s%20%281%29"},
    {"a//b/", "a//b/", "a%2F%2Fb%2F"},
    {std::string("nul\0byte", 8), "nul%00byte", "nul%00byte"},
    {"\x7F\xFF", "%7F%FF", "%7F%FF"},
};

TEST(PercentTest, EncodeTable) {
  for (const EncodeCase& c : kEncodeCases) {
    SCOPED_TRACE(c.raw);
    EXPECT_EQ(PercentEncodePath(c.raw), c.path);
    EXPECT_EQ(PercentEncodeComponent(c.raw), c.component);
  }
}

TEST(PercentTest, RoundTripTable) {
  for (const EncodeCase& c : kEncodeCases) {
    SCOPED_TRACE(c.raw);
    for (const std::string& encoded : {c.path, c.component}) {
      for (bool plus_as_space : {false, true}) {  // encoders never emit '+', so both modes must agree
        Result<std::string> decoded = PercentDecode(encoded, plus_as_space);
        ASSERT_TRUE(decoded.ok()) << decoded.status();
        EXPECT_EQ(*decoded, c.raw);
      }
    }
  }
}

struct DecodeCase {
  std::string text;
  bool plus_as_space;
  bool require_utf8;
  std::string want;         // when ok
  std::string error_piece;  // when failing: a fragment of the message
};

const std::vector<DecodeCase> kDecodeCases = {
    {"a%20b", false, false, "a b", ""},
    {"a+b", false, false, "a+b", ""},
    {"a+b", true, false, "a b", ""},
    {"a%2Bb", true, false, "a+b", ""},
    {"%c3%a4", false, true, "ä", ""},  // lower-case hex is accepted
    {"%E6%97%A5", false, true, "日", ""},
    {"100%", false, false, "", "truncated percent-escape \"%\" at byte 3"},
    {"ab%4", false, false, "", "truncated percent-escape \"%4\" at byte 2"},
    {"a%G1b", false, false, "", "bad percent-escape \"%G1\" at byte 1"},
    {"x%2", false, false, "", "truncated percent-escape \"%2\" at byte 1"},
    {"%%41", false, false, "", "bad percent-escape \"%%4\" at byte 0"},
    {"%zz", false, false, "", "bad percent-escape \"%zz\" at byte 0"},
    {"%FF", false, false, "\xFF", ""},  // bytes are fine when UTF-8 is not required
    {"%FF", false, true, "", "not valid UTF-8: byte 0xFF at decoded offset 0"},
    {"ok%C3", false, true, "", "byte 0xC3 at decoded offset 2"},         // truncated sequence
    {"%C0%AF", false, true, "", "byte 0xC0 at decoded offset 0"},        // overlong '/'
    {"%ED%A0%80", false, true, "", "byte 0xED at decoded offset 0"},     // UTF-16 surrogate
    {"%F4%90%80%80", false, true, "", "byte 0xF4 at decoded offset 0"},  // above U+10FFFF
    {"a%80", false, true, "", "byte 0x80 at decoded offset 1"},          // lone continuation byte
    {"%F0%9F%98%80", false, true, "😀", ""},
};

TEST(PercentTest, DecodeTable) {
  for (const DecodeCase& c : kDecodeCases) {
    SCOPED_TRACE(c.text);
    Result<std::string> got = PercentDecode(c.text, c.plus_as_space, c.require_utf8);
    if (c.error_piece.empty()) {
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(*got, c.want);
    } else {
      ASSERT_FALSE(got.ok()) << "decoded to " << *got;
      EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(got.status().message().find(c.error_piece), std::string::npos) << got.status().message();
    }
  }
}

TEST(PercentTest, FindInvalidUtf8) {
  EXPECT_EQ(FindInvalidUtf8("plain ÄÖÜ 日本語 😀"), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8("ab\xE6\x97"), 2u);
  EXPECT_EQ(FindInvalidUtf8("\xE0\x80\x80"), 0u);  // overlong 3-byte form
  EXPECT_EQ(FindInvalidUtf8("x\xF8"), 1u);
}

TEST(PercentTest, ParseQueryString) {
  Result<std::vector<QueryParam>> got =
      ParseQueryString("?op=LISTSTATUS&path=%2Fa%20b%2F12%2C%2B3%23456%3F.txt&x=a+b&flag&&empty=&op=again&k=v=w");
  ASSERT_TRUE(got.ok()) << got.status();
  const std::vector<QueryParam> want = {
      {"op", "LISTSTATUS"}, {"path", "/a b/12,+3#456?.txt"}, {"x", "a b"}, {"flag", ""}, {"empty", ""}, {"op", "again"},
      {"k", "v=w"}};
  EXPECT_EQ(*got, want);

  Result<std::vector<QueryParam>> literal_plus = ParseQueryString("continuation=ab+cd", /*plus_as_space=*/false);
  ASSERT_TRUE(literal_plus.ok());
  EXPECT_EQ((*literal_plus)[0].value, "ab+cd");

  EXPECT_TRUE(ParseQueryString("").ok());
  EXPECT_TRUE(ParseQueryString("")->empty());

  Result<std::vector<QueryParam>> bad = ParseQueryString("a=1&aclspec=user%3Abob%3Ar-x%2");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("query parameter \"aclspec\""), std::string::npos) << bad.status();
  EXPECT_NE(bad.status().message().find("truncated percent-escape \"%2\""), std::string::npos) << bad.status();
}

TEST(PercentTest, BuildQueryStringRoundTrips) {
  const std::vector<QueryParam> params = {
      {"aclspec", "user::rwx,user:oid:r-x"}, {"path", "/a b/+&=#%,日"}, {"empty", ""}};
  const std::string query = BuildQueryString(params);
  EXPECT_EQ(query, "aclspec=user%3A%3Arwx%2Cuser%3Aoid%3Ar-x&path=%2Fa%20b%2F%2B%26%3D%23%25%2C%E6%97%A5&empty=");
  Result<std::vector<QueryParam>> back = ParseQueryString(query);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, params);
}

// ---- time formats ----------------------------------------------------------------------------------------

struct Rfc1123Case {
  int64_t epoch_ms;
  std::string text;
};

// From Python email.utils.formatdate(..., usegmt=True).
const std::vector<Rfc1123Case> kRfc1123Cases = {
    {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
    {1677033686000, "Wed, 22 Feb 2023 02:41:26 GMT"},
    {951782400000, "Tue, 29 Feb 2000 00:00:00 GMT"},
    {1709164800000, "Thu, 29 Feb 2024 00:00:00 GMT"},
    {4102444800000, "Fri, 01 Jan 2100 00:00:00 GMT"},
    {-1000, "Wed, 31 Dec 1969 23:59:59 GMT"},
};

TEST(TimeTest, Rfc1123Table) {
  for (const Rfc1123Case& c : kRfc1123Cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(FormatRfc1123(c.epoch_ms), c.text);
    Result<int64_t> parsed = ParseRfc1123(c.text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, c.epoch_ms);
  }
  EXPECT_EQ(FormatRfc1123(1677033686804), "Wed, 22 Feb 2023 02:41:26 GMT");  // ms truncated
  EXPECT_EQ(FormatRfc1123(-1), "Wed, 31 Dec 1969 23:59:59 GMT");             // floor, not toward zero
  EXPECT_EQ(*ParseRfc1123("Wed, 1 Feb 2023 00:00:00 GMT"), 1675209600000);   // 1-digit day
}

struct BadTimeCase {
  std::string text;
  std::string error_piece;
};

TEST(TimeTest, Rfc1123Errors) {
  const std::vector<BadTimeCase> cases = {
      {"", "unknown weekday \"\""},
      {"Xyz, 22 Feb 2023 02:41:26 GMT", "unknown weekday \"Xyz\""},
      {"Thu, 22 Feb 2023 02:41:26 GMT", "weekday \"Thu\" does not match the date (it was a Wed)"},
      {"Wed 22 Feb 2023 02:41:26 GMT", "missing ',' after the weekday at offset 3"},
      {"Wed, 22 Fbr 2023 02:41:26 GMT", "unknown month \"Fbr\""},
      {"Wed, 22 Feb 23 02:41:26 GMT", "the year needs 4 digits at offset 12"},
      {"Wed, 22 Feb 2023 2:41:26 GMT", "the hour needs 2 digits"},
      {"Wed, 22 Feb 2023 02:41:26 UTC", "the zone must be exactly \"GMT\""},
      {"Wed, 22 Feb 2023 02:41:26 GMT ", "the zone must be exactly \"GMT\""},
      {"Wed, 22 Feb 2023 24:41:26 GMT", "hour 24 is not 0..23"},
      {"Wed, 22 Feb 2023 02:60:26 GMT", "minute 60 is not 0..59"},
      {"Wed, 22 Feb 2023 02:41:60 GMT", "second 60 is not 0..59"},
      {"Wed, 29 Feb 2023 02:41:26 GMT", "day 29 does not exist in 2023-2"},
  };
  for (const BadTimeCase& c : cases) {
    SCOPED_TRACE(c.text);
    Result<int64_t> got = ParseRfc1123(c.text);
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.status().message().find(c.error_piece), std::string::npos) << got.status().message();
    EXPECT_NE(got.status().message().find("\"" + c.text + "\""), std::string::npos) << got.status().message();
  }
}

TEST(TimeTest, FiletimeVectors) {
  // 1601 -> 1970 offset: 369 years incl. 89 leap days = 134774 days.
  EXPECT_EQ(kFiletimeUnixEpochTicks, int64_t{134774} * 86400 * 10000000);
  // Gen2 List Paths creationTime recorded with "lastModified":"Wed, 22 Feb 2023 02:41:26 GMT".
  const int64_t ticks = 133215072868040267;
  EXPECT_EQ(FiletimeToEpochMillis(ticks), 1677033686804);
  EXPECT_EQ(FiletimeToEpochNanos(ticks), 1677033686804026700);
  EXPECT_EQ(EpochNanosToFiletime(1677033686804026700), ticks);  // sub-ms precision survives
  EXPECT_EQ(FormatRfc1123(FiletimeToEpochMillis(ticks)), "Wed, 22 Feb 2023 02:41:26 GMT");
  EXPECT_EQ(FormatIso8601(FiletimeToEpochNanos(ticks)), "2023-02-22T02:41:26.8040267Z");
  EXPECT_EQ(EpochMillisToFiletime(0), kFiletimeUnixEpochTicks);
  EXPECT_EQ(EpochMillisToFiletime(1677033686804), 133215072868040000);
  EXPECT_EQ(FiletimeToEpochMillis(kFiletimeUnixEpochTicks - 1), -1);  // floor below the epoch
  EXPECT_EQ(EpochNanosToFiletime(-1), kFiletimeUnixEpochTicks - 1);
  EXPECT_EQ(FiletimeToEpochNanos(0), INT64_MIN);  // "0" (unset) saturates, no overflow
  EXPECT_EQ(FiletimeToEpochNanos(INT64_MAX), INT64_MAX);

  EXPECT_EQ(*ParseFiletimeTicks("133215072864453051"), 133215072864453051);
  EXPECT_EQ(*ParseFiletimeTicks("0"), 0);
  const std::vector<BadTimeCase> bad = {
      {"", "empty"},
      {"13321507286445305x", "'x' at offset 17 is not a decimal digit"},
      {"-5", "'-' at offset 0"},
      {"99999999999999999999", "more than 19 digits"},
      {"9999999999999999999", "too large for 64 bits"},
  };
  for (const BadTimeCase& c : bad) {
    Result<int64_t> got = ParseFiletimeTicks(c.text);
    ASSERT_FALSE(got.ok()) << c.text;
    EXPECT_NE(got.status().message().find(c.error_piece), std::string::npos) << got.status().message();
  }
}

struct Rfc3339Case {
  std::string text;
  int64_t epoch_ns;
};

TEST(TimeTest, Rfc3339ParseTable) {
  const std::vector<Rfc3339Case> cases = {
      {"2023-08-09T02:32:19.4463042Z", 1691548339446304200},       // Gen1/Gen2 error-message form
      {"2017-05-26T16:00:40.5724231-07:00", 1495839640572423100},  // Gen1 RemoteException suffix
      {"2023-02-22T02:41:26.804Z", 1677033686804000000},
      {"2023-02-22T02:41:26Z", 1677033686000000000},
      {"2023-02-22t02:41:26.123456789z", 1677033686123456789},
      {"2023-02-22 04:41:26+02:00", 1677033686000000000},
      {"1970-01-01T00:00:00Z", 0},
      {"1969-12-31T23:59:59.9Z", -100000000},
  };
  for (const Rfc3339Case& c : cases) {
    SCOPED_TRACE(c.text);
    Result<int64_t> got = ParseRfc3339(c.text);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.epoch_ns);
  }
}

TEST(TimeTest, Rfc3339Format) {
  EXPECT_EQ(FormatIso8601(1691548339446304200), "2023-08-09T02:32:19.4463042Z");
  EXPECT_EQ(FormatIso8601(1691548339446304299), "2023-08-09T02:32:19.4463042Z");  // truncated, not rounded
  EXPECT_EQ(FormatRfc3339(1495839640572423100, 7, -7 * 60), "2017-05-26T16:00:40.5724231-07:00");
  EXPECT_EQ(FormatRfc3339(1677033686804000000, 3), "2023-02-22T02:41:26.804Z");
  EXPECT_EQ(FormatRfc3339(1677033686804000000), "2023-02-22T02:41:26Z");
  EXPECT_EQ(FormatRfc3339(1677033686000000000, 0, 330), "2023-02-22T08:11:26+05:30");
  EXPECT_EQ(FormatRfc3339(-100000000, 1), "1969-12-31T23:59:59.9Z");
  for (int64_t ns : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{1691548339446304201}}) {
    EXPECT_EQ(*ParseRfc3339(FormatRfc3339(ns, 9)), ns);
  }
}

TEST(TimeTest, Rfc3339Errors) {
  const std::vector<BadTimeCase> cases = {
      {"2023-8-09T02:32:19Z", "the month needs 2 digits at offset 5"},
      {"2023-08-09X02:32:19Z", "missing 'T' between date and time at offset 10"},
      {"2023-08-09T02:32:19", "missing zone ('Z' or +hh:mm) at offset 19"},
      {"2023-08-09T02:32:19.Z", "no digits after '.'"},
      {"2023-08-09T02:32:19.1234567890Z", "more than 9 fractional digits"},
      {"2023-08-09T02:32:19Zjunk", "unexpected trailing text at offset 20"},
      {"2023-08-09T02:32:19+0700", "missing ':' in the offset"},
      {"2023-13-09T02:32:19Z", "month 13 is not 1..12"},
      {"2023-02-30T02:32:19Z", "day 30 does not exist in 2023-2"},
      {"2023-08-09T02:32:60Z", "second 60 is not 0..59"},
      {"2300-01-01T00:00:00Z", "outside the representable range"},
  };
  for (const BadTimeCase& c : cases) {
    SCOPED_TRACE(c.text);
    Result<int64_t> got = ParseRfc3339(c.text);
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.status().message().find(c.error_piece), std::string::npos) << got.status().message();
    EXPECT_NE(got.status().message().find(c.text), std::string::npos) << got.status().message();
  }
}

TEST(TimeTest, NowIsPlausible) {
  const int64_t ms = NowEpochMillis();
  EXPECT_GT(ms, 1700000000000);  // after 2023-11
  EXPECT_LE(ms / 1000 - NowEpochNanos() / 1000000000, 0);
}

// ---- base64 ----------------------------------------------------------------------------------------------

TEST(Base64Test, Rfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {"\xFB\xFF\xFE", "+//+"},
  };
  for (const auto& [raw, b64] : cases) {
    SCOPED_TRACE(b64);
    EXPECT_EQ(Base64Encode(raw), b64);
    Result<std::string> back = Base64Decode(b64);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, raw);
  }
}

TEST(Base64Test, UrlVectors) {
  EXPECT_EQ(Base64UrlEncode("\xFB\xFF\xFE"), "-__-");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"), "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
  EXPECT_EQ(*Base64UrlDecode("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"), "{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
  EXPECT_EQ(*Base64UrlDecode("Zg"), "f");
  EXPECT_EQ(*Base64UrlDecode("Zg=="), "f");
  EXPECT_EQ(*Base64UrlDecode("-__-"), "\xFB\xFF\xFE");
}

TEST(Base64Test, StrictErrors) {
  const std::vector<BadTimeCase> cases = {
      {"Zg=", "length 3 is not a multiple of 4"},
      {"Zm9v YmFy", "length 9 is not a multiple of 4"},
      {"Zm9vYm y", "offset 6: byte 0x20 is not in the base64 alphabet"},
      {"Zm9v\nYmF", "offset 4: byte 0x0A is not in the base64 alphabet"},
      {"Zm=v", "offset 2: '=' padding is only allowed at the end"},
      {"Z===", "offset 1: '=' padding is only allowed at the end"},
      {"-__-", "offset 0: '-' is not in the base64 alphabet"},
      {"Zh==", "offset 1: non-zero padding bits"},
      {"Zm9=", "offset 2: non-zero padding bits"},
  };
  for (const BadTimeCase& c : cases) {
    SCOPED_TRACE(c.text);
    Result<std::string> got = Base64Decode(c.text);
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.status().message().find(c.error_piece), std::string::npos) << got.status().message();
  }
  EXPECT_FALSE(Base64UrlDecode("+//+").ok());
  EXPECT_FALSE(Base64UrlDecode("Zg=").ok());
  EXPECT_NE(Base64UrlDecode("Z").status().message().find("lone trailing character"), std::string::npos);
}

TEST(Base64Test, RoundTripAllByteValues) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all.size(); len += 37) {
    const std::string raw = all.substr(0, len);
    EXPECT_EQ(*Base64Decode(Base64Encode(raw)), raw);
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(raw)), raw);
  }
}

// ---- digests ---------------------------------------------------------------------------------------------

TEST(DigestTest, Md5Rfc1321Suite) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  for (const auto& [input, hex] : cases) {
    EXPECT_EQ(HexEncode(*Md5(input)), hex) << input;
  }
  EXPECT_EQ(Base64Encode(*Md5("Hello World")), "sQqNsWTgdUEFt6mb5y4/5Q==");  // Content-MD5 header form
}

TEST(DigestTest, Md5IncrementalMatchesOneShot) {
  Hasher h(HashAlgorithm::kMd5);
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.Update(chunk);  // one million 'a's in 1000-byte appends
  Result<std::string> digest = h.Finish();
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(HexEncode(*digest), "7707d6ae4e027c70eea2a935c2296f21");
  EXPECT_FALSE(h.Finish().ok());  // a second Finish is a bug and says so

  Hasher moved(HashAlgorithm::kSha256);
  moved.Update("ab");
  Hasher target = std::move(moved);
  target.Update("c");
  EXPECT_EQ(HexEncode(*target.Finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DigestTest, Sha256AndHmacRfc4231) {
  EXPECT_EQ(HexEncode(*Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(*Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  struct HmacCase {
    std::string key, message, hex;
  };
  const std::vector<HmacCase> cases = {
      {std::string(20, '\x0b'), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"", "", "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
  };
  // Each key twice in a row, then the next (the keyed state is kept per thread between calls).
  for (int round = 0; round < 2; ++round) {
    for (const HmacCase& c : cases) {
      for (int repeat = 0; repeat < 2; ++repeat) {
        Result<std::string> mac = HmacSha256(c.key, c.message);
        ASSERT_TRUE(mac.ok()) << mac.status();
        EXPECT_EQ(HexEncode(*mac), c.hex) << c.message;
      }
    }
  }
}

TEST(DigestTest, Crc64AsTheServiceSendsIt) {
  // "H" -> MlSW/U5mnKQ= is x-ms-content-crc64 from a recorded Get Blob of the real service.
  EXPECT_EQ(Base64Encode(Crc64("H")), "MlSW/U5mnKQ=");
  EXPECT_EQ(Base64Encode(Crc64("")), "AAAAAAAAAAA=");
  EXPECT_EQ(Base64Encode(Crc64("Hello World")), "YeJLfssylmU=");
}

TEST(DigestTest, Hex) {
  EXPECT_EQ(HexEncode(std::string_view("\x00\x7f\xff", 3)), "007fff");
  EXPECT_EQ(*HexDecode("007FfF"), std::string("\x00\x7f\xff", 3));
  EXPECT_NE(HexDecode("abc").status().message().find("odd length 3"), std::string::npos);
  EXPECT_NE(HexDecode("0g").status().message().find("offset 1 is not a hex digit"), std::string::npos);
}

}  // namespace
}  // namespace lakeshift::encoding
