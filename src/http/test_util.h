#pragma once
// Helpers for the http tests: a raw socket HTTP/1.1 client, deterministic data patterns and a body source
// streaming them, memory probes.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/body_source.h"
#include "http/headers.h"

namespace lakeshift::http::testing {

// A one-shot event: Wait blocks until Notify.
class Notification {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mutex_);
    notified_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return notified_; });
  }
  bool HasBeenNotified() {
    std::lock_guard<std::mutex> lock(mutex_);
    return notified_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool notified_ = false;
};

// Bytes of a long deterministic stream, generated for any offset without materialising the stream.
class Pattern {
 public:
  static constexpr size_t kBlock = 64 * 1024;
  Pattern() : bytes_(2 * kBlock) {
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < kBlock; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      bytes_[i] = bytes_[i + kBlock] = static_cast<char>(x);
    }
  }
  void Fill(uint64_t offset, char* buf, size_t n) const {
    while (n > 0) {
      uint64_t block = offset / kBlock;
      size_t in = static_cast<size_t>(offset % kBlock);
      size_t rotation = static_cast<size_t>((block * 7919) % kBlock);
      size_t count = std::min(n, kBlock - in);
      std::memcpy(buf, bytes_.data() + (in + rotation) % kBlock, count);
      buf += count;
      n -= count;
      offset += count;
    }
  }
  // True when buf holds the stream's bytes at offset. scratch must hold n bytes.
  bool Matches(uint64_t offset, const char* buf, size_t n, std::vector<char>& scratch) const {
    if (scratch.size() < n) scratch.resize(n);
    Fill(offset, scratch.data(), n);
    return std::memcmp(scratch.data(), buf, n) == 0;
  }

 private:
  std::vector<char> bytes_;
};

// An upload generated on the fly; it never exists in memory as a whole.
class PatternSource : public BodySource {
 public:
  explicit PatternSource(uint64_t size, bool rewindable = true) : size_(size), rewindable_(rewindable) {}
  std::optional<uint64_t> size() const override { return size_; }
  Result<size_t> Read(char* buf, size_t n) override {
    size_t count = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset_));
    pattern_.Fill(offset_, buf, count);
    offset_ += count;
    return count;
  }
  bool Rewind() override {
    ++rewinds_;
    if (!rewindable_) return false;
    offset_ = 0;
    return true;
  }
  int rewinds() const { return rewinds_; }

 private:
  Pattern pattern_;
  uint64_t size_;
  bool rewindable_;
  uint64_t offset_ = 0;
  int rewinds_ = 0;
};

// A field of /proc/self/status in KiB (VmHWM, VmRSS), or -1.
inline long ProcStatusKb(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':') {
      return std::stol(line.substr(field.size() + 1));
    }
  }
  return -1;
}

// Resets VmHWM to the current RSS so a test measures its own peak (Linux >= 4.0); false if not permitted.
inline bool ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

struct RawResponse {
  int status = 0;  // 0: the connection closed before a status line
  Headers headers;
  std::string body;
};

// A blocking HTTP/1.1 connection for precise protocol tests. Reads time out after 30 s (a safety net only).
// Subclasses may layer a protocol (TLS) over the socket by overriding RawRead/RawWrite.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  virtual ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  uint16_t local_port() const {
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
  }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = RawWrite(data.data(), data.size());
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response (a 100 Continue counts as one). head: the request was HEAD (no body follows).
  RawResponse ReadResponse(bool head = false) {
    RawResponse r;
    std::string status_line;
    if (!ReadLine(status_line) || status_line.size() < 12) return r;
    r.status = std::stoi(status_line.substr(9, 3));
    std::string line;
    while (ReadLine(line) && !line.empty()) {
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      r.headers.Add(line.substr(0, colon), line.substr(v));
    }
    if (head || r.status < 200 || r.status == 204 || r.status == 304) return r;
    if (auto length = r.headers.Get("Content-Length")) {
      ReadExactly(std::stoull(*length), r.body);
    } else if (auto te = r.headers.Get("Transfer-Encoding"); te && HeaderHasToken(*te, "chunked")) {
      while (ReadLine(line)) {
        size_t size = std::stoull(line, nullptr, 16);
        if (size == 0) {
          ReadLine(line);
          break;
        }
        ReadExactly(size, r.body);
        ReadLine(line);
      }
    } else {
      while (Fill()) {
      }
      r.body += buffered_;
      buffered_.clear();
    }
    return r;
  }

  // Reads up to n bytes of raw input (whatever is buffered or arrives next).
  std::string ReadSome(size_t n) {
    if (buffered_.empty() && !Fill()) return "";
    std::string out = buffered_.substr(0, n);
    buffered_.erase(0, out.size());
    return out;
  }

  // True when the peer closed the connection (after any buffered bytes).
  bool AtEof() { return buffered_.empty() && !Fill(); }

  bool ReadLine(std::string& line) {
    while (true) {
      size_t end = buffered_.find("\r\n");
      if (end != std::string::npos) {
        line = buffered_.substr(0, end);
        buffered_.erase(0, end + 2);
        return true;
      }
      if (!Fill()) return false;
    }
  }

  void ReadExactly(uint64_t n, std::string& out) {
    while (buffered_.size() < n && Fill()) {
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, buffered_.size()));
    out.append(buffered_, 0, take);
    buffered_.erase(0, take);
  }

 protected:
  // One read or write on the connection: bytes moved, or <= 0 at the end of input or on an error.
  virtual ssize_t RawRead(char* buf, size_t n) { return ::recv(fd_, buf, n, 0); }
  virtual ssize_t RawWrite(const char* data, size_t n) { return ::send(fd_, data, n, MSG_NOSIGNAL); }
  int fd() const { return fd_; }

 private:
  bool Fill() {
    char buf[64 * 1024];
    ssize_t n = RawRead(buf, sizeof(buf));
    if (n <= 0) return false;
    buffered_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffered_;
};

}  // namespace lakeshift::http::testing
