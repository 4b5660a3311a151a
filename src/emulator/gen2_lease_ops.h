#pragma once
// The HTTP side of leases, shared by the DFS and Blob handlers: the lease operations themselves (DFS
// `POST` on a path with x-ms-lease-action, Blob `PUT ?comp=lease` on blobs and containers), the write and
// read checks every handler calls with the request's x-ms-lease-id, the lease actions that ride along on
// create, append and flush, and the x-ms-lease-* response headers. The state lives in the account's
// LeaseRegistry (gen2_lease.h).

#include <string>

#include "emulator/gen2_account.h"
#include "emulator/gen2_lease.h"
#include "emulator/gen2_request.h"

namespace lakeshift::emulator {

// Lease Path (DFS POST), Lease Blob and Lease Container (Blob comp=lease): acquire, renew, change,
// release and break, answered 201/200/202 with x-ms-lease-id or x-ms-lease-time.
Status HandleLeaseRequest(Gen2Request& request, Gen2Account& account, gen2::Api api, http::ResponseWriter& out);

// The canonical lease id in `header` (empty when absent); 400 InvalidHeaderValue when malformed.
Result<std::string> RequestLeaseId(const Gen2Request& request, std::string_view header = "x-ms-lease-id");

// The request writes, deletes, reads the path it names (request.path) with its x-ms-lease-id. Writes
// fail with 412 when the path is leased to someone else; reads only check an id that was given.
Status CheckPathWrite(const Gen2Request& request, Gen2Account& account, gen2::Api api);
Status CheckPathRead(const Gen2Request& request, Gen2Account& account, gen2::Api api);
// The same for the filesystem (container) itself.
Status CheckFilesystemWrite(const Gen2Request& request, Gen2Account& account, gen2::Api api);
Status CheckFilesystemRead(const Gen2Request& request, Gen2Account& account, gen2::Api api);

LeaseInfo PathLease(const Gen2Request& request, Gen2Account& account);
LeaseInfo FilesystemLease(const std::string& filesystem, Gen2Account& account);
// x-ms-lease-state, x-ms-lease-status and (while leased) x-ms-lease-duration.
void AddLeaseHeaders(http::Headers& headers, const LeaseInfo& lease);
// The same for listings: <LeaseStatus>, <LeaseState> and (while leased) <LeaseDuration>.
std::string LeaseXml(const LeaseInfo& lease);

// Lease actions on a write (x-ms-lease-action on append and flush; on create also the bare
// x-ms-proposed-lease-id + x-ms-lease-duration the JS SDK sends): acquire, auto-renew, release,
// acquire-release. Before() checks that the write may go ahead (it replaces CheckPathWrite); After()
// takes or ends the lease once the write succeeded.
class WriteLease {
 public:
  static Result<WriteLease> Parse(const Gen2Request& request);
  Status Before(const Gen2Request& request, Gen2Account& account) const;
  Status After(const Gen2Request& request, Gen2Account& account) const;

 private:
  enum class Action : uint8_t { kNone, kAcquire, kAutoRenew, kRelease, kAcquireRelease };
  Action action_ = Action::kNone;
  std::string lease_id_;
  std::string proposed_id_;
  int duration_s_ = kInfiniteLease;
};

}  // namespace lakeshift::emulator
