#pragma once
// Group commit: concurrent writers share one transaction instead of paying a commit each.
//
// A writer hands its item to Submit. The first writer to find no batch running leads: it takes every item
// queued so far (its own included), has `apply` write and commit them in one go, then wakes each writer of the
// batch with its result and hands the lead to the first writer that queued meanwhile. Every writer sleeps at
// most once, on its own semaphore: no thundering herd on a shared condition variable, which on a 2-core VM
// cost more context switches than the commits it saved.

#include <functional>
#include <mutex>
#include <semaphore>
#include <vector>

#include "common/status.h"

namespace lakeshift {

template <typename Item>
class GroupCommit {
 public:
  struct Entry {
    const Item* item;
    Status result;  // set by apply
  };
  // Writes and commits a batch, setting each entry's result. Runs on the leading writer's thread, one batch at a
  // time.
  using ApplyFn = std::function<void(const std::vector<Entry*>& batch)>;

  explicit GroupCommit(ApplyFn apply) : apply_(std::move(apply)) {}

  // Returns once `item` is committed (or failed), with apply's result for it.
  Status Submit(const Item& item) {
    Waiter me;
    me.entry.item = &item;
    std::unique_lock lock(mu_);
    queue_.push_back(&me);
    if (leading_) {
      lock.unlock();
      me.wake.acquire();
      if (!me.lead) return me.entry.result;
      lock.lock();
    } else {
      leading_ = true;
    }
    std::vector<Waiter*> batch;
    batch.swap(queue_);
    lock.unlock();
    std::vector<Entry*> entries;
    entries.reserve(batch.size());
    for (Waiter* w : batch) entries.push_back(&w->entry);
    apply_(entries);
    lock.lock();
    Waiter* next = nullptr;
    if (queue_.empty()) {
      leading_ = false;
    } else {
      next = queue_.front();
      next->lead = true;
    }
    lock.unlock();
    // A woken writer returns at once and its Waiter is gone: touch none after its release.
    for (Waiter* w : batch) {
      if (w != &me) w->wake.release();
    }
    if (next != nullptr) next->wake.release();
    return me.entry.result;
  }

 private:
  struct Waiter {
    Entry entry;
    bool lead = false;  // woken to lead the next batch rather than with a result
    std::binary_semaphore wake{0};
  };

  ApplyFn apply_;
  std::mutex mu_;  // guards queue_ and leading_
  std::vector<Waiter*> queue_;
  bool leading_ = false;
};

}  // namespace lakeshift
