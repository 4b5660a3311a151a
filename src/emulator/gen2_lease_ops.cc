#include "emulator/gen2_lease_ops.h"

#include "emulator/gen2_dfs.h"
#include "encoding/time_format.h"
#include "gen2/wire.h"

namespace lakeshift::emulator {
namespace {

using gen2::Api;
using gen2::MakeError;

Result<std::optional<int>> IntHeader(const Gen2Request& r, std::string_view name) {
  auto v = r.Header(name);
  if (!v) return std::optional<int>();
  try {
    size_t used = 0;
    int n = std::stoi(*v, &used);
    if (used == v->size()) return std::optional<int>(n);
  } catch (...) {
  }
  return MakeError(400, "InvalidHeaderValue", std::string(name) + " \"" + *v + "\" is not an integer");
}

Result<LeaseAction> ParseAction(const Gen2Request& r) {
  auto v = r.Header("x-ms-lease-action");
  if (!v) return MakeError(400, "MissingRequiredHeader", "a lease request needs x-ms-lease-action");
  if (*v == "acquire") return LeaseAction::kAcquire;
  if (*v == "renew") return LeaseAction::kRenew;
  if (*v == "change") return LeaseAction::kChange;
  if (*v == "release") return LeaseAction::kRelease;
  if (*v == "break") return LeaseAction::kBreak;
  return MakeError(400, "InvalidHeaderValue", "x-ms-lease-action \"" + *v + "\" is not a lease action");
}

// If-Match and friends against the resource a lease request names (the store checks them for writes).
Status CheckConditions(const Gen2Request& r, const std::string& etag, int64_t last_modified_ms) {
  ASSIGN_OR_RETURN(fs::Conditions c, ParseConditions(r));
  auto failed = [](const std::string& why) { return MakeError(412, "ConditionNotMet", why); };
  if (c.if_match && *c.if_match != "*" && *c.if_match != etag) return failed("If-Match: the etag is " + etag);
  if (c.if_none_match && (*c.if_none_match == "*" || *c.if_none_match == etag)) return failed("If-None-Match");
  if (c.if_modified_since_ms && last_modified_ms / 1000 <= *c.if_modified_since_ms / 1000) {
    return failed("If-Modified-Since");
  }
  if (c.if_unmodified_since_ms && last_modified_ms / 1000 > *c.if_unmodified_since_ms / 1000) {
    return failed("If-Unmodified-Since");
  }
  return Status::Ok();
}

LeaseTarget PathTarget(Api api) {
  return api == Api::kDfs ? LeaseTarget::kPath : LeaseTarget::kBlob;
}
LeaseTarget FilesystemTarget(Api api) {
  return api == Api::kDfs ? LeaseTarget::kPath : LeaseTarget::kContainer;
}

}  // namespace

Result<std::string> RequestLeaseId(const Gen2Request& r, std::string_view header) {
  auto v = r.Header(header);
  if (!v || v->empty()) return std::string();
  return ParseLeaseId(*v, header);
}

Status HandleLeaseRequest(Gen2Request& r, Gen2Account& account, Api api, http::ResponseWriter& out) {
  LeaseRequest request;
  ASSIGN_OR_RETURN(request.action, ParseAction(r));
  ASSIGN_OR_RETURN(request.lease_id, RequestLeaseId(r));
  ASSIGN_OR_RETURN(request.proposed_id, RequestLeaseId(r, "x-ms-proposed-lease-id"));
  ASSIGN_OR_RETURN(std::optional<int> duration, IntHeader(r, "x-ms-lease-duration"));
  if (request.action == LeaseAction::kAcquire && !duration) {
    return MakeError(400, "MissingRequiredHeader", "acquiring a lease needs x-ms-lease-duration");
  }
  request.duration_s = duration.value_or(kInfiniteLease);
  ASSIGN_OR_RETURN(request.break_period_s, IntHeader(r, "x-ms-lease-break-period"));

  // The resource must exist; its etag and time go back with the answer.
  std::string etag;
  int64_t last_modified_ms = 0;
  std::string key;
  if (!r.has_path) {
    RETURN_IF_ERROR(gen2::ValidateFilesystemName(r.filesystem));
    auto info = account.GetFilesystem(r.filesystem);
    if (!info.ok() && info.status().code() == StatusCode::kNotFound) {
      return api == Api::kDfs ? MakeError(404, "FilesystemNotFound", "filesystem " + r.filesystem)
                              : MakeError(404, "ContainerNotFound", "container " + r.filesystem);
    }
    RETURN_IF_ERROR(info.status());
    etag = info->etag;
    last_modified_ms = info->last_modified_ms;
    key = std::string(LeaseRegistry::kContainerPath);
  } else {
    ASSIGN_OR_RETURN(auto store, FileSystemFor(r, account, api));
    ASSIGN_OR_RETURN(fs::FileInfo info, store->GetFileInfo(r.path));
    etag = info.etag;
    last_modified_ms = std::max(info.modification_time_ms, info.change_time_ms);
    key = r.path;
  }
  RETURN_IF_ERROR(CheckConditions(r, etag, last_modified_ms));
  ASSIGN_OR_RETURN(LeaseOutcome outcome, account.leases().Apply(r.filesystem, key, request));

  http::Headers h = CommonHeaders(r, api);
  h.Set("ETag", gen2::QuotedEtag(etag));
  h.Set("Last-Modified", encoding::FormatRfc1123(last_modified_ms));
  int status = 200;
  switch (request.action) {
    case LeaseAction::kAcquire:
      status = 201;
      h.Set("x-ms-lease-id", outcome.lease_id);
      break;
    case LeaseAction::kRenew:
    case LeaseAction::kChange: h.Set("x-ms-lease-id", outcome.lease_id); break;
    case LeaseAction::kBreak:
      status = 202;
      h.Set("x-ms-lease-time", std::to_string(outcome.lease_time_s));
      break;
    case LeaseAction::kRelease: break;
  }
  return out.Send(status, std::move(h), "");
}

Status CheckPathWrite(const Gen2Request& r, Gen2Account& account, Api api) {
  ASSIGN_OR_RETURN(std::string id, RequestLeaseId(r));
  return account.leases().CheckWrite(r.filesystem, r.path, id, PathTarget(api));
}

Status CheckPathRead(const Gen2Request& r, Gen2Account& account, Api api) {
  ASSIGN_OR_RETURN(std::string id, RequestLeaseId(r));
  return account.leases().CheckRead(r.filesystem, r.path, id, PathTarget(api));
}

Status CheckFilesystemWrite(const Gen2Request& r, Gen2Account& account, Api api) {
  ASSIGN_OR_RETURN(std::string id, RequestLeaseId(r));
  return account.leases().CheckWrite(r.filesystem, std::string(LeaseRegistry::kContainerPath), id,
                                     FilesystemTarget(api));
}

Status CheckFilesystemRead(const Gen2Request& r, Gen2Account& account, Api api) {
  ASSIGN_OR_RETURN(std::string id, RequestLeaseId(r));
  return account.leases().CheckRead(r.filesystem, std::string(LeaseRegistry::kContainerPath), id,
                                    FilesystemTarget(api));
}

LeaseInfo PathLease(const Gen2Request& r, Gen2Account& account) {
  return account.leases().Get(r.filesystem, r.path);
}

LeaseInfo FilesystemLease(const std::string& filesystem, Gen2Account& account) {
  return account.leases().Get(filesystem, std::string(LeaseRegistry::kContainerPath));
}

void AddLeaseHeaders(http::Headers& h, const LeaseInfo& lease) {
  h.Set("x-ms-lease-state", lease.StateName());
  h.Set("x-ms-lease-status", lease.StatusName());
  if (lease.state == LeaseState::kLeased) {
    h.Set("x-ms-lease-duration", lease.DurationName());
  } else {
    h.Remove("x-ms-lease-duration");
  }
}

std::string LeaseXml(const LeaseInfo& lease) {
  std::string xml = "<LeaseStatus>" + std::string(lease.StatusName()) + "</LeaseStatus><LeaseState>" +
                    std::string(lease.StateName()) + "</LeaseState>";
  if (lease.state == LeaseState::kLeased)
    xml += "<LeaseDuration>" + std::string(lease.DurationName()) + "</LeaseDuration>";
  return xml;
}

Result<WriteLease> WriteLease::Parse(const Gen2Request& r) {
  WriteLease w;
  ASSIGN_OR_RETURN(w.lease_id_, RequestLeaseId(r));
  ASSIGN_OR_RETURN(w.proposed_id_, RequestLeaseId(r, "x-ms-proposed-lease-id"));
  ASSIGN_OR_RETURN(std::optional<int> duration, IntHeader(r, "x-ms-lease-duration"));
  w.duration_s_ = duration.value_or(kInfiniteLease);
  auto action = r.Header("x-ms-lease-action");
  if (!action) {
    // Create with a proposed id and duration acquires, as the JS SDK asks for it.
    if (!w.proposed_id_.empty()) w.action_ = Action::kAcquire;
  } else if (*action == "acquire") {
    w.action_ = Action::kAcquire;
  } else if (*action == "auto-renew") {
    w.action_ = Action::kAutoRenew;
  } else if (*action == "release") {
    w.action_ = Action::kRelease;
  } else if (*action == "acquire-release") {
    w.action_ = Action::kAcquireRelease;
  } else {
    return MakeError(400, "InvalidHeaderValue", "x-ms-lease-action \"" + *action + "\" is not valid on a write");
  }
  if (w.action_ == Action::kAcquire || w.action_ == Action::kAcquireRelease) {
    RETURN_IF_ERROR(ValidateLeaseDuration(w.duration_s_));
    if (w.proposed_id_.empty()) w.proposed_id_ = NewLeaseId();
  }
  if ((w.action_ == Action::kAutoRenew || w.action_ == Action::kRelease) && w.lease_id_.empty()) {
    return MakeError(400, "MissingRequiredHeader", "x-ms-lease-action " + *action + " needs x-ms-lease-id");
  }
  return w;
}

Status WriteLease::Before(const Gen2Request& r, Gen2Account& account) const {
  LeaseRegistry& leases = account.leases();
  switch (action_) {
    case Action::kNone:
    case Action::kRelease: return leases.CheckWrite(r.filesystem, r.path, lease_id_, LeaseTarget::kPath);
    case Action::kAutoRenew: {
      LeaseRequest renew;
      renew.action = LeaseAction::kRenew;
      renew.lease_id = lease_id_;
      RETURN_IF_ERROR(leases.Apply(r.filesystem, r.path, renew).status());
      return leases.CheckWrite(r.filesystem, r.path, lease_id_, LeaseTarget::kPath);
    }
    case Action::kAcquire:
    case Action::kAcquireRelease: {
      // The lease is taken once the write succeeds; someone else's lease refuses both now.
      LeaseInfo current = leases.Get(r.filesystem, r.path);
      if (current.locked() && current.id != proposed_id_) {
        return MakeError(409, "LeaseAlreadyPresent", r.filesystem + r.path + " is already leased");
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status WriteLease::After(const Gen2Request& r, Gen2Account& account) const {
  LeaseRequest request;
  switch (action_) {
    case Action::kNone:
    case Action::kAutoRenew:
    case Action::kAcquireRelease: return Status::Ok();  // acquire-release leaves no lease behind
    case Action::kAcquire:
      request.action = LeaseAction::kAcquire;
      request.proposed_id = proposed_id_;
      request.duration_s = duration_s_;
      break;
    case Action::kRelease:
      request.action = LeaseAction::kRelease;
      request.lease_id = lease_id_;
      break;
  }
  return account.leases().Apply(r.filesystem, r.path, request).status();
}

}  // namespace lakeshift::emulator
