#include "emulator/gen2_lease.h"

#include <random>
#include <vector>

#include "encoding/time_format.h"
#include "gen2/errors.h"
#include "store/sqlite.h"

namespace lakeshift::emulator {
namespace {

using gen2::MakeError;

Status Conflict409(std::string_view code, std::string detail) {
  return MakeError(409, code, std::move(detail));
}

std::string_view MismatchCode(LeaseTarget target) {
  switch (target) {
    case LeaseTarget::kPath: return "LeaseIdMismatch";
    case LeaseTarget::kBlob: return "LeaseIdMismatchWithBlobOperation";
    case LeaseTarget::kContainer: return "LeaseIdMismatchWithContainerOperation";
  }
  return "LeaseIdMismatch";
}

std::string_view NotPresentCode(LeaseTarget target) {
  switch (target) {
    case LeaseTarget::kPath: return "LeaseNotPresent";
    case LeaseTarget::kBlob: return "LeaseNotPresentWithBlobOperation";
    case LeaseTarget::kContainer: return "LeaseNotPresentWithContainerOperation";
  }
  return "LeaseNotPresent";
}

// Whole seconds left until `until_ms`, rounded up, as x-ms-lease-time reports them.
int SecondsLeft(int64_t until_ms, int64_t now) {
  if (until_ms <= now) return 0;
  return static_cast<int>((until_ms - now + 999) / 1000);
}

std::string Describe(const std::string& filesystem, const std::string& path) {
  return path.empty() ? "filesystem " + filesystem : filesystem + path;
}

}  // namespace

std::string_view LeaseInfo::StateName() const {
  switch (state) {
    case LeaseState::kAvailable: return "available";
    case LeaseState::kLeased: return "leased";
    case LeaseState::kExpired: return "expired";
    case LeaseState::kBreaking: return "breaking";
    case LeaseState::kBroken: return "broken";
  }
  return "available";
}

Result<std::string> ParseLeaseId(std::string_view value, std::string_view header) {
  std::string hex;
  for (char c : value) {
    if (c == '-') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) break;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  bool dashed_ok = value.size() == 36 && value[8] == '-' && value[13] == '-' && value[18] == '-' && value[23] == '-';
  if (hex.size() != 32 || (value.size() != 32 && !dashed_ok)) {
    return MakeError(400, "InvalidHeaderValue", std::string(header) + " \"" + std::string(value) + "\" is not a GUID");
  }
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

std::string NewLeaseId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng();
  uint64_t b = rng();
  a = (a & ~0xF000ULL) | 0x4000ULL;                  // version 4
  b = (b & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

Status ValidateLeaseDuration(int seconds) {
  if (seconds == kInfiniteLease || (seconds >= 15 && seconds <= 60)) return Status::Ok();
  return MakeError(400, "InvalidHeaderValue",
                   "x-ms-lease-duration " + std::to_string(seconds) + " must be -1 or between 15 and 60");
}

LeaseRegistry::LeaseRegistry(std::unique_ptr<store::Database> db, Clock clock)
    : db_(std::move(db)), clock_(std::move(clock)) {}
LeaseRegistry::~LeaseRegistry() = default;

Result<std::unique_ptr<LeaseRegistry>> LeaseRegistry::Open(const std::string& db_file, Clock clock) {
  if (!clock) clock = [] { return encoding::NowEpochMillis(); };
  ASSIGN_OR_RETURN(auto db, store::Database::Open(db_file, false));
  RETURN_IF_ERROR(
      db->Exec("CREATE TABLE IF NOT EXISTS leases (filesystem TEXT NOT NULL, path TEXT NOT NULL, lease_id TEXT NOT "
               "NULL, duration_s INTEGER NOT NULL, state INTEGER NOT NULL, expires_ms INTEGER NOT NULL, break_ms "
               "INTEGER NOT NULL, PRIMARY KEY (filesystem, path)) WITHOUT ROWID"));
  std::unique_ptr<LeaseRegistry> registry(new LeaseRegistry(std::move(db), std::move(clock)));
  std::lock_guard<std::mutex> lock(registry->mu_);
  RETURN_IF_ERROR(registry->Load());
  return registry;
}

Status LeaseRegistry::Load() {
  records_.clear();
  ASSIGN_OR_RETURN(store::Statement * s,
                   db_->Prepare("SELECT filesystem, path, lease_id, duration_s, state, expires_ms, break_ms FROM "
                                "leases"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    Record r{s->Text(2), static_cast<int>(s->Int(3)), static_cast<LeaseState>(s->Int(4)), s->Int(5), s->Int(6)};
    records_[{s->Text(0), s->Text(1)}] = std::move(r);
  }
  return Status::Ok();
}

LeaseState LeaseRegistry::Effective(const Record& r, int64_t now) const {
  if (r.stored == LeaseState::kLeased && r.duration_s != kInfiniteLease && now >= r.expires_ms) {
    return LeaseState::kExpired;
  }
  if (r.stored == LeaseState::kBreaking && now >= r.break_ms) return LeaseState::kBroken;
  return r.stored;
}

Status LeaseRegistry::Save(const Key& key, const Record& r) {
  ASSIGN_OR_RETURN(store::Statement * s,
                   db_->Prepare("INSERT OR REPLACE INTO leases (filesystem, path, lease_id, duration_s, state, "
                                "expires_ms, break_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  s->Bind(1, key.first)
      .Bind(2, key.second)
      .Bind(3, r.id)
      .Bind(4, int64_t{r.duration_s})
      .Bind(5, static_cast<int64_t>(r.stored))
      .Bind(6, r.expires_ms)
      .Bind(7, r.break_ms);
  RETURN_IF_ERROR(s->Run());
  records_[key] = r;
  return Status::Ok();
}

Status LeaseRegistry::Erase(const Key& key) {
  ASSIGN_OR_RETURN(store::Statement * s, db_->Prepare("DELETE FROM leases WHERE filesystem = ? AND path = ?"));
  s->Bind(1, key.first).Bind(2, key.second);
  RETURN_IF_ERROR(s->Run());
  records_.erase(key);
  return Status::Ok();
}

Result<LeaseOutcome> LeaseRegistry::Apply(const std::string& filesystem, const std::string& path,
                                          const LeaseRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_();
  const Key key{filesystem, path};
  auto it = records_.find(key);
  const LeaseState state = it == records_.end() ? LeaseState::kAvailable : Effective(it->second, now);
  const std::string current = it == records_.end() ? "" : it->second.id;
  const std::string what = Describe(filesystem, path);
  auto need_id = [&]() -> Status {
    if (request.lease_id.empty())
      return MakeError(400, "MissingRequiredHeader", "this lease action needs x-ms-lease-id");
    return Status::Ok();
  };
  auto not_present = [&] { return Conflict409("LeaseNotPresentWithLeaseOperation", what + " has no lease"); };
  auto mismatch = [&] {
    return Conflict409("LeaseIdMismatchWithLeaseOperation",
                       "lease id " + request.lease_id + " does not match the lease on " + what);
  };

  switch (request.action) {
    case LeaseAction::kAcquire: {
      RETURN_IF_ERROR(ValidateLeaseDuration(request.duration_s));
      if (state == LeaseState::kBreaking) {
        if (!request.proposed_id.empty() && request.proposed_id == current) {
          return Conflict409("LeaseIsBreakingAndCannotBeAcquired", what + " has a breaking lease");
        }
        return Conflict409("LeaseAlreadyPresent", what + " has a breaking lease with another id");
      }
      // Acquiring again with the current id restarts the lease with the new duration.
      if (state == LeaseState::kLeased && request.proposed_id != current) {
        return Conflict409("LeaseAlreadyPresent", what + " is already leased");
      }
      Record r;
      r.id = request.proposed_id.empty() ? NewLeaseId() : request.proposed_id;
      r.duration_s = request.duration_s;
      r.stored = LeaseState::kLeased;
      r.expires_ms = r.duration_s == kInfiniteLease ? 0 : now + int64_t{r.duration_s} * 1000;
      RETURN_IF_ERROR(Save(key, r));
      return LeaseOutcome{r.id, 0};
    }
    case LeaseAction::kRenew: {
      RETURN_IF_ERROR(need_id());
      if (state == LeaseState::kAvailable) return not_present();
      if (request.lease_id != current) return mismatch();
      if (state == LeaseState::kBreaking || state == LeaseState::kBroken) {
        return Conflict409("LeaseIsBrokenAndCannotBeRenewed", what + ": the lease was broken");
      }
      Record r = it->second;  // leased or expired (no write since): the clock restarts
      r.stored = LeaseState::kLeased;
      r.expires_ms = r.duration_s == kInfiniteLease ? 0 : now + int64_t{r.duration_s} * 1000;
      RETURN_IF_ERROR(Save(key, r));
      return LeaseOutcome{r.id, 0};
    }
    case LeaseAction::kChange: {
      RETURN_IF_ERROR(need_id());
      if (request.proposed_id.empty()) {
        return MakeError(400, "MissingRequiredHeader", "changing a lease needs x-ms-proposed-lease-id");
      }
      if (state == LeaseState::kAvailable || state == LeaseState::kExpired || state == LeaseState::kBroken) {
        return not_present();
      }
      bool matches = request.lease_id == current;
      if (state == LeaseState::kBreaking) {
        return matches ? Conflict409("LeaseIsBreakingAndCannotBeChanged", what + " has a breaking lease") : mismatch();
      }
      if (!matches && request.proposed_id != current) return mismatch();
      Record r = it->second;
      r.id = request.proposed_id;  // a repeated change (proposed already current) is a no-op
      RETURN_IF_ERROR(Save(key, r));
      return LeaseOutcome{r.id, 0};
    }
    case LeaseAction::kRelease: {
      RETURN_IF_ERROR(need_id());
      if (state == LeaseState::kAvailable) return not_present();
      if (request.lease_id != current) return mismatch();
      RETURN_IF_ERROR(Erase(key));
      return LeaseOutcome{};
    }
    case LeaseAction::kBreak: {
      if (request.break_period_s && (*request.break_period_s < 0 || *request.break_period_s > 60)) {
        return MakeError(
            400, "InvalidHeaderValue",
            "x-ms-lease-break-period " + std::to_string(*request.break_period_s) + " must be between 0 and 60");
      }
      if (state == LeaseState::kAvailable) return not_present();
      Record r = it->second;
      int period = 0;
      if (state == LeaseState::kLeased) {
        bool infinite = r.duration_s == kInfiniteLease;
        int left = infinite ? 0 : SecondsLeft(r.expires_ms, now);
        period = request.break_period_s ? (infinite ? *request.break_period_s : std::min(*request.break_period_s, left))
                                        : left;
        r.break_ms = now + int64_t{period} * 1000;
      } else if (state == LeaseState::kBreaking) {
        // A second break may shorten the break period, never lengthen it.
        if (request.break_period_s) r.break_ms = std::min(r.break_ms, now + int64_t{*request.break_period_s} * 1000);
        period = SecondsLeft(r.break_ms, now);
      }
      r.stored = period > 0 ? LeaseState::kBreaking : LeaseState::kBroken;
      RETURN_IF_ERROR(Save(key, r));
      return LeaseOutcome{"", period};
    }
  }
  return MakeError(400, "InvalidHeaderValue", "unknown lease action");
}

LeaseInfo LeaseRegistry::Get(const std::string& filesystem, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find({filesystem, path});
  if (it == records_.end()) return {};
  LeaseInfo info;
  info.state = Effective(it->second, clock_());
  info.infinite = it->second.duration_s == kInfiniteLease;
  info.id = it->second.id;
  return info;
}

Status LeaseRegistry::CheckLocked(const Key& key, std::string_view lease_id, LeaseTarget target, bool is_write) {
  auto it = records_.find(key);
  const LeaseState state = it == records_.end() ? LeaseState::kAvailable : Effective(it->second, clock_());
  const std::string what = Describe(key.first, key.second);
  if (state == LeaseState::kLeased || state == LeaseState::kBreaking) {
    if (lease_id.empty()) {
      if (!is_write) return Status::Ok();
      return MakeError(412, "LeaseIdMissing", what + " is leased and the request names no x-ms-lease-id");
    }
    if (lease_id != it->second.id) {
      return MakeError(412, MismatchCode(target),
                       "lease id " + std::string(lease_id) + " does not match the lease on " + what);
    }
    return Status::Ok();
  }
  if (lease_id.empty()) {
    // The write goes ahead: an expired or broken lease ends with it.
    if (is_write && it != records_.end()) return Erase(key);
    return Status::Ok();
  }
  if (it != records_.end() && lease_id == it->second.id) {
    return MakeError(412, "LeaseLost",
                     "the lease " + std::string(lease_id) + " on " + what + " has expired or was broken");
  }
  return MakeError(412, NotPresentCode(target), what + " has no active lease for id " + std::string(lease_id));
}

Status LeaseRegistry::CheckWrite(const std::string& filesystem, const std::string& path, std::string_view lease_id,
                                 LeaseTarget target) {
  std::lock_guard<std::mutex> lock(mu_);
  return CheckLocked({filesystem, path}, lease_id, target, /*is_write=*/true);
}

Status LeaseRegistry::CheckRead(const std::string& filesystem, const std::string& path, std::string_view lease_id,
                                LeaseTarget target) {
  if (lease_id.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  return CheckLocked({filesystem, path}, lease_id, target, /*is_write=*/false);
}

Status LeaseRegistry::Forget(const std::string& filesystem, const std::string& path, bool descendants) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Key> doomed;
  if (descendants) {
    for (const auto& [key, record] : Subtree(filesystem, path)) doomed.push_back(key);
  } else if (records_.count({filesystem, path})) {
    doomed.push_back({filesystem, path});
  }
  if (doomed.empty()) return Status::Ok();
  return InTransaction([&]() -> Status {
    for (const Key& key : doomed) RETURN_IF_ERROR(Erase(key));
    return Status::Ok();
  });
}

Status LeaseRegistry::ForgetFilesystem(const std::string& filesystem) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(store::Statement * s, db_->Prepare("DELETE FROM leases WHERE filesystem = ?"));
  s->Bind(1, filesystem);
  RETURN_IF_ERROR(s->Run());
  for (auto it = records_.lower_bound({filesystem, ""}); it != records_.end() && it->first.first == filesystem;) {
    it = records_.erase(it);
  }
  return Status::Ok();
}

Status LeaseRegistry::Move(const std::string& from_filesystem, const std::string& from_path,
                           const std::string& to_filesystem, const std::string& to_path) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<Key, Record>> moving = Subtree(from_filesystem, from_path);
  // The destination was replaced: its own leases end.
  std::vector<std::pair<Key, Record>> replaced = Subtree(to_filesystem, to_path);
  if (moving.empty() && replaced.empty()) return Status::Ok();
  return InTransaction([&]() -> Status {
    for (const auto& [key, record] : replaced) RETURN_IF_ERROR(Erase(key));
    for (const auto& [key, record] : moving) RETURN_IF_ERROR(Erase(key));
    for (const auto& [key, record] : moving) {
      RETURN_IF_ERROR(Save({to_filesystem, to_path + key.second.substr(from_path.size())}, record));
    }
    return Status::Ok();
  });
}

std::vector<std::pair<LeaseRegistry::Key, LeaseRegistry::Record>> LeaseRegistry::Subtree(
    const std::string& filesystem, const std::string& path) const {
  std::vector<std::pair<Key, Record>> out;
  auto self = records_.find({filesystem, path});
  if (self != records_.end()) out.push_back(*self);
  std::string prefix = path == "/" ? "/" : path + "/";
  for (auto it = records_.lower_bound({filesystem, prefix});
       it != records_.end() && it->first.first == filesystem && it->first.second.starts_with(prefix); ++it) {
    if (it->first.second != path) out.push_back(*it);
  }
  return out;
}

Status LeaseRegistry::InTransaction(const std::function<Status()>& body) {
  store::Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  Status s = body();
  if (s.ok()) s = tx.Commit();
  if (!s.ok()) Load().IgnoreError();  // the table rolled back: so does the memory
  return s;
}

}  // namespace lakeshift::emulator
