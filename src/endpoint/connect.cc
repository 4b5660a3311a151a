// Connect, Probe and the Gen2 account checks.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "endpoint/credentials.h"
#include "endpoint/endpoint.h"
#include "endpoint/token_source.h"
#include "gen1client/gen1_filesystem.h"
#include "gen2client/gen2_filesystem.h"

namespace lakeshift::endpoint {

struct ConnectionState {
  CredentialPlan plan;  // secrets cleared: only what messages need
  std::function<Result<std::string>()> token;
  std::shared_ptr<gen2client::DfsClient> dfs;  // Gen2
};

namespace {

CredentialPlan WithoutSecrets(CredentialPlan plan) {
  plan.key.clear();
  plan.sas.clear();
  plan.entra.client_secret.clear();
  plan.msi.identity_header.clear();
  return plan;
}

Status CheckReadable(const std::string& file, const std::string& what) {
  if (::access(file.c_str(), R_OK) != 0) {
    int err = errno;
    return InvalidArgument(what + " cannot be read: " + ErrnoError(file, err).message());
  }
  return Status::Ok();
}

bool Transient(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kTimeout;
}

bool CertificateProblem(const Status& s) {
  return s.message().find("SSL") != std::string::npos || s.message().find("certificate") != std::string::npos;
}

Status KeepDetail(Status out, const Status& from) {
  if (const ServiceDetail* d = from.detail()) return out.WithDetail(*d);
  return out;
}

Status RequireGen2(const Connection& c, std::string_view what) {
  if (c.location.kind != Kind::kGen2 || !c.state || !c.state->dfs) {
    return Unsupported(std::string(what) + " applies to Gen2 locations; " + c.location.url + " is " +
                       std::string(KindName(c.location.kind)));
  }
  return Status::Ok();
}

gen2client::DfsCall FilesystemCall(const Connection& c, std::string method) {
  gen2client::DfsCall call;
  call.method = std::move(method);
  call.filesystem = c.location.filesystem;
  call.query = {{"resource", "filesystem"}};
  return call;
}

std::string FilesystemNote(const Location& location) {
  return location.filesystem_given
             ? ""
             : " (the URL names no filesystem, so the default '" + std::string(kDefaultFilesystem) + "' is used)";
}

// Whether the Gen2 filesystem exists (Get Filesystem Properties).
Result<bool> FilesystemExists(const Connection& c) {
  auto r = c.state->dfs->Send(FilesystemCall(c, "HEAD"));
  if (r.ok()) return true;
  if (r.status().code() == StatusCode::kNotFound) return false;
  return r.status();
}

}  // namespace

Result<Connection> Connect(const Location& location, const ConnectOptions& options) {
  ASSIGN_OR_RETURN(CredentialPlan plan, SelectCredential(location, options));
  Connection c;
  c.location = location;
  c.credential_kind = plan.description;
  auto state = std::make_shared<ConnectionState>();

  if (location.kind == Kind::kLocal) {
    if (!options.local_filesystem) {
      return Unsupported("file:// locations need the local filesystem module, which is not available here (" +
                         location.url + ")");
    }
    ASSIGN_OR_RETURN(c.fs, options.local_filesystem(location));
    state->plan = WithoutSecrets(std::move(plan));
    c.state = std::move(state);
    return c;
  }

  if (!plan.ca_file.empty()) {
    RETURN_IF_ERROR(CheckReadable(plan.ca_file, "the CA file " + plan.ca_file + " (from " + plan.ca_file_source + ")"));
  }
  http::ClientOptions http_options;
  http_options.retry = options.retry;
  http_options.ca_file = plan.ca_file;
  http_options.max_connections = options.max_connections > 0 ? static_cast<size_t>(options.max_connections) : 64;
  http_options.connect_timeout = options.connect_timeout;

  switch (plan.kind) {
    case CredentialKind::kTokenFile:
      RETURN_IF_ERROR(CheckReadable(plan.token_file, "the token file " + plan.token_file));
      state->token = TokenFileSource(plan.token_file);
      break;
    case CredentialKind::kClientSecret: {
      http::ClientOptions token_http = http_options;
      token_http.max_connections = 4;
      auto http = std::make_shared<http::HttpClient>(token_http);
      state->token = AsFunction(std::make_shared<CachingTokenSource>(ClientSecretFetcher(http, plan.entra)));
      break;
    }
    case CredentialKind::kManagedIdentity: {
      http::ClientOptions token_http = http_options;
      token_http.max_connections = 4;
      // IMDS answers quickly or not at all (off Azure); it asks for retries with 410 while it starts.
      token_http.connect_timeout = std::min(options.connect_timeout, std::chrono::milliseconds(5000));
      token_http.retry.retry_statuses.insert(410);
      auto http = std::make_shared<http::HttpClient>(token_http);
      state->token = AsFunction(std::make_shared<CachingTokenSource>(ManagedIdentityFetcher(http, plan.msi)));
      break;
    }
    default: break;
  }

  if (location.kind == Kind::kGen2) {
    gen2client::Gen2Credential credential;
    switch (plan.kind) {
      case CredentialKind::kSharedKey:
        credential = gen2client::Gen2Credential::SharedKey(location.account, plan.key);
        break;
      case CredentialKind::kSas: credential = gen2client::Gen2Credential::Sas(plan.sas); break;
      case CredentialKind::kClientSecret:
      case CredentialKind::kManagedIdentity:
      case CredentialKind::kTokenFile: credential = gen2client::Gen2Credential::Bearer(state->token); break;
      default: return Internal("no Gen2 credential for " + plan.description);
    }
    gen2client::DfsClientOptions dfs_options;
    dfs_options.endpoint = location.endpoint;
    dfs_options.http = http_options;
    state->dfs = std::make_shared<gen2client::DfsClient>(std::move(dfs_options), std::move(credential));
    c.fs = std::make_unique<gen2client::Gen2FileSystem>(state->dfs, location.filesystem);
  } else {
    gen1client::WebHdfsClientOptions webhdfs;
    webhdfs.endpoint = location.endpoint;
    webhdfs.token = state->token;
    webhdfs.user_name = plan.hadoop_user;
    webhdfs.http = http_options;
    c.fs = std::make_unique<gen1client::Gen1FileSystem>(std::make_shared<gen1client::WebHdfsClient>(webhdfs));
  }
  state->plan = WithoutSecrets(std::move(plan));
  c.state = std::move(state);
  return c;
}

Result<fs::FileInfo> Probe(const Connection& c) {
  if (!c.fs || !c.state) return InvalidArgument("Probe of a connection that is not connected");
  const Location& location = c.location;
  const CredentialPlan& plan = c.state->plan;
  std::string where = DisplayUrl(location);
  if (c.state->token) {
    auto token = c.state->token();
    if (!token.ok()) return token.status().WithContext("getting a token (" + c.credential_kind + ") for " + where);
  }
  auto info = c.fs->GetFileInfo(location.path);
  if (info.ok()) return info;
  const Status& s = info.status();
  switch (s.code()) {
    case StatusCode::kNotFound: {
      if (location.kind == Kind::kGen2) {
        auto exists = FilesystemExists(c);
        if (exists.ok() && !*exists) {
          return KeepDetail(NotFound("filesystem '" + location.filesystem + "' does not exist in account " +
                                     location.account + " (" + location.endpoint + ")" + FilesystemNote(location)),
                            s);
        }
      }
      return KeepDetail(NotFound(location.path + " does not exist at " + where), s);
    }
    case StatusCode::kUnavailable:
    case StatusCode::kTimeout: {
      std::string endpoint = "the " + std::string(KindName(location.kind)) + " endpoint " + location.endpoint;
      if (CertificateProblem(s)) {
        std::string message = "no trusted TLS connection to " + endpoint + " (for " + where + "): " + s.message();
        message += plan.ca_file.empty() ? "; to trust a self-signed certificate (the emulators' ca_file in "
                                          "emulators.json) pass --ca-file or set LAKESHIFT_CA_FILE"
                                        : "; the CA file " + plan.ca_file + " (from " + plan.ca_file_source +
                                              ") does not vouch for this server, or the host name is not in its "
                                              "certificate";
        return KeepDetail(Status(s.code(), std::move(message)), s);
      }
      return KeepDetail(Status(s.code(), "cannot reach " + endpoint + " (for " + where + "): " + s.message() +
                                             "; check the host name and port, that the service is running (the "
                                             "local emulators: `lakeshift emulate`), and any firewall or proxy in "
                                             "between"),
                        s);
    }
    case StatusCode::kUnauthenticated: {
      std::string refused = plan.kind == CredentialKind::kNone
                                ? where + " wants credentials, and none were sent: "
                                : where + " refused the " + c.credential_kind + " credential: ";
      return KeepDetail(Unauthenticated(refused + s.message() + "; " + RefusedHint(plan, location)), s);
    }
    case StatusCode::kPermissionDenied:
      return KeepDetail(
          PermissionDenied(where + " accepted the " + c.credential_kind + " credential but denies reading " +
                           location.path + ": " + s.message() + "; " + DeniedHint(plan, location)),
          s);
    default: return s.WithContext(where);
  }
}

Result<bool> HierarchicalNamespaceEnabled(const Connection& c) {
  RETURN_IF_ERROR(RequireGen2(c, "the hierarchical namespace check"));
  const Location& location = c.location;
  // Get Account Information on the filesystem (a container SAS allows that), then on the account; when neither
  // is allowed, Get Filesystem Properties.
  std::vector<gen2client::DfsCall> calls;
  for (const std::string& filesystem : {location.filesystem, std::string()}) {
    gen2client::DfsCall call;
    call.method = "HEAD";
    call.blob = true;
    call.filesystem = filesystem;
    call.query = {{"restype", "account"}, {"comp", "properties"}};
    calls.push_back(std::move(call));
  }
  calls.push_back(FilesystemCall(c, "HEAD"));
  Status first;
  for (const auto& call : calls) {
    auto r = c.state->dfs->Send(call);
    if (r.ok()) {
      auto flag = r->headers.Get(call.blob ? "x-ms-is-hns-enabled" : "x-ms-namespace-enabled");
      if (flag) return http::EqualsIgnoreCase(*flag, "true");
      continue;
    }
    if (first.ok()) first = r.status();
    if (Transient(r.status())) break;
  }
  if (first.ok()) {
    return Unsupported("account " + location.account + " (" + location.endpoint +
                       ") does not say whether its hierarchical namespace is enabled");
  }
  return first.WithContext("checking the hierarchical namespace of account " + location.account + " (" +
                           location.endpoint + ")");
}

Status EnsureFilesystem(const Connection& c, bool create_if_missing) {
  if (c.location.kind != Kind::kGen2) return Status::Ok();
  RETURN_IF_ERROR(RequireGen2(c, "EnsureFilesystem"));
  const Location& location = c.location;
  std::string which =
      "filesystem '" + location.filesystem + "' of account " + location.account + " (" + location.endpoint + ")";
  auto exists = FilesystemExists(c);
  if (!exists.ok()) return exists.status().WithContext("checking " + which);
  if (*exists) return Status::Ok();
  if (!create_if_missing) return NotFound(which + " does not exist" + FilesystemNote(location));
  auto created = c.state->dfs->Send(FilesystemCall(c, "PUT"));
  if (created.ok() || created.status().code() == StatusCode::kAlreadyExists) return Status::Ok();
  return created.status().WithContext("creating " + which);
}

}  // namespace lakeshift::endpoint
