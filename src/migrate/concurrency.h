#pragma once
// Small concurrency pieces the engine is built from: a fixed thread pool with a bounded queue (so a fast
// walker cannot queue the whole lake in memory), a pool of reusable block buffers that caps memory, and a
// token-bucket rate limiter (--max-rate).

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace lakeshift::migrate {

class ThreadPool {
 public:
  // `queue_limit` bounds the waiting tasks; Submit blocks while the queue is full.
  ThreadPool(int threads, size_t queue_limit);
  ~ThreadPool();  // runs what was queued, then joins
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Submit(std::function<void()> task);
  // Waits until every submitted task has finished.
  void Wait();

 private:
  void Loop();
  std::mutex mu_;
  std::condition_variable has_work_, has_room_, idle_;
  std::deque<std::function<void()>> queue_;
  size_t queue_limit_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Block buffers of one size, allocated on first use and reused (with whatever size and bytes their last user
// left: resize before use); at most `count` exist at once, so the
// engine's data memory is bounded by count * size whatever the file sizes.
class BufferPool {
 public:
  BufferPool(size_t count, size_t size) : limit_(count), size_(size) {}
  class Lease {
   public:
    Lease(BufferPool* pool, std::unique_ptr<std::string> buffer) : pool_(pool), buffer_(std::move(buffer)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (buffer_) pool_->Return(std::move(buffer_));
    }
    std::string& operator*() { return *buffer_; }
    std::string* operator->() { return buffer_.get(); }

   private:
    BufferPool* pool_;
    std::unique_ptr<std::string> buffer_;
  };
  Lease Acquire();  // blocks while all buffers are out
  // A buffer if one is free now. A holder of buffers must use this, never Acquire: waiting for more while
  // holding some can deadlock once every buffer is held by a waiter.
  std::optional<Lease> TryAcquire();
  size_t size() const { return size_; }

 private:
  void Return(std::unique_ptr<std::string> buffer);
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<std::string>> free_;
  size_t limit_;
  size_t created_ = 0;
  size_t size_;
};

// Bytes per second across all threads; 0 = unlimited.
class RateLimiter {
 public:
  explicit RateLimiter(int64_t bytes_per_second) : rate_(bytes_per_second) {}
  void Acquire(int64_t bytes);

 private:
  std::mutex mu_;
  int64_t rate_;
  double available_ = 0;
  int64_t last_ns_ = 0;
};

}  // namespace lakeshift::migrate
