#include "migrate/concurrency.h"

#include <chrono>

namespace lakeshift::migrate {

ThreadPool::ThreadPool(int threads, size_t queue_limit) : queue_limit_(queue_limit == 0 ? 1 : queue_limit) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  has_work_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void ThreadPool::Submit(std::function<void()> task) {
  std::unique_lock lock(mu_);
  has_room_.wait(lock, [&] { return queue_.size() < queue_limit_; });
  queue_.push_back(std::move(task));
  has_work_.notify_one();
}

void ThreadPool::Wait() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
}

void ThreadPool::Loop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      has_work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
      has_room_.notify_one();
    }
    task();
    {
      std::lock_guard lock(mu_);
      --running_;
      if (queue_.empty() && running_ == 0) idle_.notify_all();
    }
  }
}

BufferPool::Lease BufferPool::Acquire() {
  std::unique_lock lock(mu_);
  returned_.wait(lock, [&] { return !free_.empty() || created_ < limit_; });
  if (!free_.empty()) {
    std::unique_ptr<std::string> buffer = std::move(free_.back());
    free_.pop_back();
    return Lease(this, std::move(buffer));
  }
  ++created_;
  lock.unlock();
  auto buffer = std::make_unique<std::string>();
  buffer->reserve(size_);
  return Lease(this, std::move(buffer));
}

std::optional<BufferPool::Lease> BufferPool::TryAcquire() {
  std::unique_lock lock(mu_);
  if (!free_.empty()) {
    std::unique_ptr<std::string> buffer = std::move(free_.back());
    free_.pop_back();
    return Lease(this, std::move(buffer));
  }
  if (created_ >= limit_) return std::nullopt;
  ++created_;
  lock.unlock();
  auto buffer = std::make_unique<std::string>();
  buffer->reserve(size_);
  return Lease(this, std::move(buffer));
}

void BufferPool::Return(std::unique_ptr<std::string> buffer) {
  // Size and bytes are kept: a buffer resized to its old size again is not zero-filled (megabytes per block).
  {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(buffer));
  }
  returned_.notify_one();
}

void RateLimiter::Acquire(int64_t bytes) {
  if (rate_ <= 0 || bytes <= 0) return;
  std::unique_lock lock(mu_);
  auto now_ns = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  int64_t now = now_ns();
  if (last_ns_ == 0) last_ns_ = now;
  // Up to one second of burst.
  available_ = std::min<double>(static_cast<double>(rate_), available_ + (now - last_ns_) * 1e-9 * rate_);
  last_ns_ = now;
  available_ -= static_cast<double>(bytes);
  if (available_ < 0) {
    auto wait = std::chrono::nanoseconds(static_cast<int64_t>(-available_ / static_cast<double>(rate_) * 1e9));
    lock.unlock();
    std::this_thread::sleep_for(wait);
  }
}

}  // namespace lakeshift::migrate
