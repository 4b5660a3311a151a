#pragma once
// Leases on paths (files and directories) and on filesystems (containers), shared by the DFS and Blob
// front-ends: a lease taken through one API binds calls through the other. The registry holds the
// service's state machine (Lease Blob / Lease Container / Path Lease: available, leased, expired,
// breaking, broken), computes expiry and break ends from a clock, answers write checks with the
// service's error codes, and persists every lease in SQLite (<data>/leases.db) so leases survive an
// emulator restart. It knows nothing about HTTP; gen2_lease_ops.h maps requests onto it.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace lakeshift::store {
class Database;
}

namespace lakeshift::emulator {

enum class LeaseState : uint8_t { kAvailable, kLeased, kExpired, kBreaking, kBroken };
enum class LeaseAction : uint8_t { kAcquire, kRenew, kChange, kRelease, kBreak };
// The API family of a write check, which picks the 412 codes (LeaseIdMismatch on DFS paths,
// LeaseIdMismatchWithBlobOperation on blobs, ...WithContainerOperation on containers).
enum class LeaseTarget : uint8_t { kPath, kBlob, kContainer };

inline constexpr int kInfiniteLease = -1;

// What HEAD/GET and listings show: x-ms-lease-state, -status and -duration.
struct LeaseInfo {
  LeaseState state = LeaseState::kAvailable;
  bool infinite = false;  // while leased
  std::string id;         // the current (or last) lease id; empty when available

  std::string_view StateName() const;  // available|leased|...
  std::string_view StatusName() const { return locked() ? "locked" : "unlocked"; }
  std::string_view DurationName() const { return infinite ? "infinite" : "fixed"; }  // only while leased
  bool locked() const { return state == LeaseState::kLeased || state == LeaseState::kBreaking; }
};

struct LeaseRequest {
  LeaseAction action = LeaseAction::kAcquire;
  std::string lease_id;               // x-ms-lease-id in canonical form; empty when absent
  std::string proposed_id;            // x-ms-proposed-lease-id in canonical form; empty when absent
  int duration_s = kInfiniteLease;    // acquire: -1 or 15..60
  std::optional<int> break_period_s;  // break: 0..60; absent = the rest of the lease (0 for infinite)
};

struct LeaseOutcome {
  std::string lease_id;  // after acquire, renew and change
  int lease_time_s = 0;  // after break: seconds until the lease is broken
};

// A lease id as the service accepts it (a GUID, with or without dashes, any case), in the canonical form
// the service returns (lower case with dashes). 400 InvalidHeaderValue naming `header` otherwise.
Result<std::string> ParseLeaseId(std::string_view value, std::string_view header);
// A fresh random lease id in canonical form.
std::string NewLeaseId();
// 400 InvalidHeaderValue unless -1 or 15..60.
Status ValidateLeaseDuration(int seconds);

class LeaseRegistry {
 public:
  using Clock = std::function<int64_t()>;  // epoch milliseconds

  // Opens (creating the table if needed) the lease table in the SQLite file `db_file`. The clock
  // defaults to the system clock; tests inject one.
  static Result<std::unique_ptr<LeaseRegistry>> Open(const std::string& db_file, Clock clock = {});
  ~LeaseRegistry();

  // Keys: `path` is a store path ("/dir/file") inside `filesystem`; kContainerPath names the filesystem
  // itself.
  static constexpr std::string_view kContainerPath = "";

  // One lease operation. Errors are the service's 409s (LeaseAlreadyPresent,
  // LeaseIdMismatchWithLeaseOperation, LeaseNotPresentWithLeaseOperation, LeaseIsBreakingAndCannotBe...,
  // LeaseIsBrokenAndCannotBeRenewed) and 400s for missing or invalid ids and durations.
  Result<LeaseOutcome> Apply(const std::string& filesystem, const std::string& path, const LeaseRequest& request);

  LeaseInfo Get(const std::string& filesystem, const std::string& path);

  // A write or delete presenting `lease_id` (canonical, empty when none): 412 LeaseIdMissing when the
  // resource is locked and no id was given, LeaseIdMismatch... for another id, LeaseLost /
  // LeaseNotPresent... when an id was given but no lease is active. A write that may proceed ends an
  // expired or broken lease, as the service does (such a lease can no longer be renewed).
  Status CheckWrite(const std::string& filesystem, const std::string& path, std::string_view lease_id,
                    LeaseTarget target);
  // A read: only an id that was given is checked (the same errors as a write).
  Status CheckRead(const std::string& filesystem, const std::string& path, std::string_view lease_id,
                   LeaseTarget target);

  // The path (and, with `descendants`, everything below it) was deleted.
  Status Forget(const std::string& filesystem, const std::string& path, bool descendants);
  // The filesystem was deleted: its own lease and every path lease in it go.
  Status ForgetFilesystem(const std::string& filesystem);
  // A rename: leases on the source and below it move to the destination.
  Status Move(const std::string& from_filesystem, const std::string& from_path, const std::string& to_filesystem,
              const std::string& to_path);

 private:
  struct Record {
    std::string id;
    int duration_s = kInfiniteLease;
    LeaseState stored = LeaseState::kLeased;  // kLeased, kBreaking or kBroken; expiry is computed
    int64_t expires_ms = 0;                   // fixed leases
    int64_t break_ms = 0;                     // breaking: when it becomes broken
  };
  using Key = std::pair<std::string, std::string>;

  LeaseRegistry(std::unique_ptr<store::Database> db, Clock clock);
  Status Load();  // replaces the in-memory records with the table's (mu_ held)
  LeaseState Effective(const Record& record, int64_t now) const;
  Status Save(const Key& key, const Record& record);
  Status Erase(const Key& key);
  Status CheckLocked(const Key& key, std::string_view lease_id, LeaseTarget target, bool is_write);
  // The records of `path` and of everything below it.
  std::vector<std::pair<Key, Record>> Subtree(const std::string& filesystem, const std::string& path) const;
  // Runs table changes atomically; on failure the in-memory records are reloaded from the table.
  Status InTransaction(const std::function<Status()>& body);

  std::mutex mu_;
  std::unique_ptr<store::Database> db_;
  Clock clock_;
  std::map<Key, Record> records_;  // ordered, so a path's descendants are a contiguous range
};

}  // namespace lakeshift::emulator
