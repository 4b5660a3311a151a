#pragma once
// From a user's URL and environment to a connected FileSystem: the migration's --from / --to locations.
//
// ParseLocation reads a URL (adl://, abfs[s]://, webhdfs://, http(s):// in the service and emulator forms,
// file:///) into a Location; Connect picks a credential from ConnectOptions and the environment and builds
// the REST client and FileSystem adapter for it, without sending a request; Probe then checks that the
// location is reachable and authorized. Secrets (keys, client secrets, SAS signatures, tokens) never appear
// in a Location's url, in Connection::credential_kind, in log lines or in error messages.
//
// Credential precedence (the first that applies wins; see SelectCredential in credentials.h):
//   Gen1 (adl://, https://<account>.azuredatalakestore.net) and WebHDFS (http(s)://host:port/webhdfs/v1):
//     1. ConnectOptions::token_file   2. ConnectOptions::managed_identity
//     3. Entra client credentials: AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET
//        (AZURE_AUTHORITY_HOST: another authority, e.g. the local identity provider's identity.url)
//     4. WebHDFS only: no credential, or Hadoop simple auth (user.name) from HADOOP_USER_NAME;
//        Gen1 without any of these is kInvalidArgument naming the variables to set.
//   Gen2 (abfs[s]://, https://<account>.dfs.core.windows.net, the emulator's path-style URLs):
//     1. a SAS in the URL's query   2. ConnectOptions::token_file   3. ConnectOptions::managed_identity
//     4. Shared Key: AZURE_STORAGE_KEY   5. SAS: AZURE_STORAGE_SAS_TOKEN
//     6. Entra client credentials (as above)
//     none of these: kInvalidArgument naming the variables to set.
//   file:// needs no credential.
// ConnectOptions::ca_file (the CLI's --ca-file) or LAKESHIFT_CA_FILE adds a PEM CA bundle to trust, e.g. the emulators'
// ca_file.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "fs/filesystem.h"
#include "http/retry.h"

namespace lakeshift::endpoint {

enum class Kind : uint8_t {
  kGen1,     // an ADLS Gen1 account: adl://<account>.azuredatalakestore.net, https://<account>.azuredatalakestore.net
  kWebHdfs,  // any other WebHDFS service: the Gen1 emulator, a Hadoop NameNode, HttpFS
  kGen2,     // an ADLS Gen2 account (DFS endpoint), or the Gen2 emulator (path-style URLs)
  kLocal,    // a local directory: file:///<path>
};

// "Gen1", "WebHDFS", "Gen2", "local".
std::string_view KindName(Kind kind);

struct Location {
  Kind kind = Kind::kLocal;
  // The URL as given, for messages. Never holds secrets: a SAS query is removed (and kept in `sas`).
  std::string url;
  // The service base URL the REST client talks to: "https://acct.azuredatalakestore.net",
  // "http://127.0.0.1:8081", "https://acct.dfs.core.windows.net", "http://127.0.0.1:10004/devstoreaccount1".
  // Empty for kLocal.
  std::string endpoint;
  // The Gen1 or Gen2 account name (the emulator's: from the path-style URL); empty for WebHDFS and local.
  std::string account;
  // Gen2 only: the filesystem (container). "gen1" when the URL names none, as the portal's migration does.
  std::string filesystem;
  bool filesystem_given = false;
  // The store path inside the account / filesystem (local: the absolute directory), percent-decoded and
  // normalised: "/" or "/a/b".
  std::string path;
  // Gen2 only: the SAS query string from the URL (without '?'), if any. A secret: never print it.
  std::string sas;

  bool path_style() const;  // a Gen2 emulator URL (the account is the first path segment)
};

// The default Gen2 filesystem when a URL names none (the Azure portal's Gen1-to-Gen2 migration uses "gen1").
inline constexpr std::string_view kDefaultFilesystem = "gen1";

// Accepted forms (anything else is kInvalidArgument saying what is wrong, with an example of the right form):
//   Gen1:    adl://<account>.azuredatalakestore.net/<path>
//            https://<account>.azuredatalakestore.net/webhdfs/v1/<path>
//   WebHDFS: http(s)://<host>:<port>[/<prefix>]/webhdfs/v1/<path>   (the Gen1 emulator, a NameNode, HttpFS, Knox)
//            webhdfs://<host>[:<port>]/<path>, swebhdfs://<host>[:<port>]/<path>   (Hadoop's schemes; ports
//            9870 / 9871 by default)
//   Gen2:    abfss://<filesystem>@<account>.dfs.core.windows.net/<path>   (abfs:// too; both use https)
//            https://<account>.dfs.core.windows.net[/<filesystem>[/<path>]][?<SAS>]
//            http(s)://<host>:<port>/<account>[/<filesystem>[/<path>]][?<SAS>]   (path-style: the Gen2
//            emulator; the host is an IP address or localhost, or the URL has a port)
//   local:   file:///<path>
// Any Gen2 form may carry a SAS query; no other form takes a query.
Result<Location> ParseLocation(std::string_view url);

// The URL for messages: Location::url, plus a note when a SAS was taken out of it.
std::string DisplayUrl(const Location& location);

// Builds the FileSystem of a file:// location (the local filesystem module plugs in here). It receives the
// Location and returns a FileSystem whose store paths are the local paths (location.path is inside it).
using LocalFileSystemFactory = std::function<Result<std::unique_ptr<fs::FileSystem>>(const Location&)>;

struct ConnectOptions {
  // An extra PEM CA bundle to trust for https (the emulators' self-signed certificate: emulators.json's
  // ca_file). Empty: LAKESHIFT_CA_FILE from the environment, else only the system CA store.
  std::string ca_file;
  // A file holding a bearer token for this location's service (raw, or JSON with accessToken / access_token
  // as `az account get-access-token` writes it). Re-read whenever the file changes.
  std::string token_file;
  // Tokens from the Azure managed identity: App Service / Functions (IDENTITY_ENDPOINT + IDENTITY_HEADER) or
  // the instance metadata service (IMDS); AZURE_CLIENT_ID picks a user-assigned identity.
  bool managed_identity = false;
  // Transient errors (connection failures, 408/429/5xx) are retried with backoff, honouring Retry-After.
  http::RetryPolicy retry;
  int max_connections = 64;
  std::chrono::milliseconds connect_timeout{10000};
  // Environment lookup; null means ::getenv. Tests inject their own.
  std::function<const char*(const char*)> getenv;
  // For file:// locations; null makes Connect fail with kUnsupported.
  LocalFileSystemFactory local_filesystem;
};

struct ConnectionState;  // clients and token source behind the FileSystem (opaque)

struct Connection {
  Location location;
  // Store paths are those of the whole account (Gen1, WebHDFS) or filesystem (Gen2); the engine prefixes
  // location.path.
  std::unique_ptr<fs::FileSystem> fs;
  // For reports, never the secret: "shared key", "SAS", "SAS (from the URL)", "Entra client credentials",
  // "managed identity", "token file", "Hadoop simple auth (user.name=...)", "none".
  std::string credential_kind;
  std::shared_ptr<const ConnectionState> state;
};

// Picks the credential and builds the clients. Sends no request (token endpoints are first called on the
// first request). Errors: kInvalidArgument for missing or inconsistent configuration, naming the environment
// variables or options to set; kUnsupported for file:// without a LocalFileSystemFactory.
Result<Connection> Connect(const Location& location, const ConnectOptions& options);

// Checks that the location is reachable and authorized: gets a token (when the credential uses tokens), then
// the status of location.path. Returns that status. Errors say what to do:
//   token endpoint failures: the endpoint, its error (AADSTS...), and the variable to check;
//   unreachable service: kUnavailable / kTimeout naming the URL, suggesting what to check (and the CA file
//   for certificate problems);
//   401: kUnauthenticated naming the credential used and how to fix it; 403: kPermissionDenied likewise;
//   missing path or Gen2 filesystem: kNotFound saying which.
Result<fs::FileInfo> Probe(const Connection& connection);

// Gen2 only (kUnsupported otherwise): whether the account has the hierarchical namespace on (Get Account
// Information's x-ms-is-hns-enabled; when that call is not allowed, e.g. with a directory SAS, Get Filesystem
// Properties' x-ms-namespace-enabled).
Result<bool> HierarchicalNamespaceEnabled(const Connection& connection);

// Gen2: OK when the filesystem exists; when it does not, creates it if create_if_missing, else kNotFound.
// Other kinds have no filesystem to ensure: OK.
Status EnsureFilesystem(const Connection& connection, bool create_if_missing);

}  // namespace lakeshift::endpoint
