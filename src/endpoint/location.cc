// ParseLocation: URL forms of the migration's sources and targets.

#include <algorithm>
#include <vector>

#include "auth/sas.h"
#include "common/path.h"
#include "encoding/percent.h"
#include "endpoint/endpoint.h"
#include "gen2/wire.h"
#include "http/url.h"

namespace lakeshift::endpoint {
namespace {

constexpr std::string_view kAdlExample = "adl://myaccount.azuredatalakestore.net/data";
constexpr std::string_view kGen1HttpsExample = "https://myaccount.azuredatalakestore.net/webhdfs/v1/data";
constexpr std::string_view kWebHdfsExample = "http://127.0.0.1:8081/webhdfs/v1/data";
constexpr std::string_view kAbfssExample = "abfss://myfilesystem@myaccount.dfs.core.windows.net/data";
constexpr std::string_view kDfsExample = "https://myaccount.dfs.core.windows.net/myfilesystem/data";
constexpr std::string_view kGen2EmulatorExample = "http://127.0.0.1:10004/devstoreaccount1/myfilesystem/data";
constexpr std::string_view kFileExample = "file:///srv/data";
constexpr std::string_view kAllForms =
    "adl://<account>.azuredatalakestore.net/<path>, http(s)://<host>:<port>/webhdfs/v1/<path>, "
    "abfss://<filesystem>@<account>.dfs.core.windows.net/<path>, "
    "https://<account>.dfs.core.windows.net/<filesystem>/<path>, "
    "http://127.0.0.1:10004/<account>/<filesystem>/<path> (the Gen2 emulator) or file:///<path>";

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string> SplitLabels(std::string_view host) {
  std::vector<std::string> labels;
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = std::min(host.find('.', start), host.size());
    labels.emplace_back(host.substr(start, dot - start));
    start = dot + 1;
  }
  return labels;
}

bool IsIpv4(std::string_view host) {
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

// Hosts for which the Azure SDKs take the account from the path (path-style / IP-style URLs).
bool IsPathStyleHost(std::string_view host) {
  std::string h = ToLower(host);
  return IsIpv4(h) || h.find(':') != std::string::npos || h == "localhost" || h == "host.docker.internal";
}

// The pieces of a URL that matter here; the query is kept apart so that messages never show it.
struct RawUrl {
  std::string scheme;     // lower case
  std::string authority;  // as given
  std::string path;       // raw, percent-encoded, "" or starting with '/'
  std::string query;      // raw, without '?'
  std::string display;    // the URL without its query
};

class Parser {
 public:
  explicit Parser(std::string_view url) : input_(url) {}

  Result<Location> Parse();

 private:
  Status Invalid(std::string_view what, std::string_view example) const {
    std::string message = "invalid location '" + display_ + "': " + std::string(what);
    if (!example.empty()) message += "; for example " + std::string(example);
    return InvalidArgument(std::move(message));
  }

  Result<RawUrl> Split();
  Result<std::string> StorePath(std::string_view raw, std::string_view example) const;
  Status CheckAccount(std::string_view account, std::string_view example) const;
  Status CheckFilesystem(std::string_view name, std::string_view example) const;
  Status TakeQuery(const RawUrl& raw, Location& location, std::string_view example) const;
  // Sets filesystem and path from a raw path "/<filesystem>/<path>" (both optional).
  Status FilesystemAndPath(std::string_view raw, Location& location, std::string_view example) const;

  Result<Location> ParseFile(const RawUrl& raw);
  Result<Location> ParseAdl(const RawUrl& raw);
  Result<Location> ParseAbfs(const RawUrl& raw);
  Result<Location> ParseWebHdfsScheme(const RawUrl& raw);
  Result<Location> ParseHttp(const RawUrl& raw);

  std::string input_;
  std::string display_;
};

Result<RawUrl> Parser::Split() {
  RawUrl raw;
  std::string_view text = input_;
  size_t query_at = text.find('?');
  raw.display = std::string(text.substr(0, query_at));
  display_ = raw.display;
  if (query_at != std::string_view::npos) raw.query = std::string(text.substr(query_at + 1));
  std::string_view rest = raw.display;
  if (rest.find('#') != std::string_view::npos) {
    return Invalid("'#' is not allowed (write a '#' in a name as %23)", "");
  }
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    std::string hint = "the URL has no scheme; use one of " + std::string(kAllForms);
    if (!rest.empty() && rest.front() == '/') return Invalid(hint, "file://" + std::string(rest));
    return Invalid(hint, "");
  }
  raw.scheme = ToLower(rest.substr(0, colon));
  rest.remove_prefix(colon + 1);
  if (raw.scheme == "file" && !rest.starts_with("//")) {  // file:/srv/data
    raw.path = std::string(rest);
    return raw;
  }
  if (!rest.starts_with("//")) return Invalid("expected '//' after '" + raw.scheme + ":'", "");
  rest.remove_prefix(2);
  size_t slash = rest.find('/');
  raw.authority = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) raw.path = std::string(rest.substr(slash));
  return raw;
}

// Percent-decodes and normalises a raw path ("" and "/" are the root; repeated '/' collapse).
Result<std::string> Parser::StorePath(std::string_view raw, std::string_view example) const {
  auto decoded = encoding::PercentDecode(raw, /*plus_as_space=*/false, /*require_utf8=*/true);
  if (!decoded.ok())
    return Invalid("the path is not valid percent-encoded UTF-8 (" + decoded.status().message() + ")", example);
  std::string collapsed = "/";
  for (char c : *decoded) {
    if (c == '/' && collapsed.back() == '/') continue;
    collapsed += c;
  }
  auto normalized = path::Normalize(collapsed);
  if (!normalized.ok()) return Invalid("bad path: " + normalized.status().message(), example);
  return std::move(normalized).value();
}

Status Parser::CheckAccount(std::string_view account, std::string_view example) const {
  bool ok = account.size() >= 3 && account.size() <= 24 && std::all_of(account.begin(), account.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            });
  if (!ok) {
    return Invalid("the account name '" + std::string(account) + "' must be 3 to 24 lower-case letters and digits",
                   example);
  }
  return Status::Ok();
}

Status Parser::CheckFilesystem(std::string_view name, std::string_view example) const {
  Status valid = gen2::ValidateFilesystemName(name);
  if (!valid.ok()) return Invalid(valid.message(), example);
  return Status::Ok();
}

// A Gen2 URL may carry a SAS; other URLs take no query. Only parameter names are ever quoted.
Status Parser::TakeQuery(const RawUrl& raw, Location& location, std::string_view example) const {
  if (raw.query.empty()) return Status::Ok();
  bool sas = auth::HasSasSignature(raw.query);
  if (location.kind == Kind::kGen2 && sas) {
    location.sas = raw.query;
    return Status::Ok();
  }
  std::string names;
  auto params = encoding::ParseQueryString(raw.query);
  if (params.ok()) {
    for (const auto& p : *params) names += (names.empty() ? "" : ", ") + p.name;
  }
  if (sas) return Invalid("a SAS token works only with Gen2 URLs", example);
  if (location.kind == Kind::kGen2) {
    return Invalid("the query of a Gen2 URL can only be a SAS token (with sig=); got " + names, example);
  }
  return Invalid(std::string(KindName(location.kind)) + " URLs take no query; got " + names, example);
}

Status Parser::FilesystemAndPath(std::string_view raw, Location& location, std::string_view example) const {
  while (raw.starts_with("/")) raw.remove_prefix(1);
  size_t slash = raw.find('/');
  std::string_view fs_raw = raw.substr(0, slash);
  std::string_view rest = slash == std::string_view::npos ? std::string_view() : raw.substr(slash);
  if (fs_raw.empty()) {
    location.filesystem = std::string(kDefaultFilesystem);
    location.filesystem_given = false;
  } else {
    auto fs = encoding::PercentDecode(fs_raw);
    if (!fs.ok()) return Invalid("the filesystem name is not valid percent-encoding", example);
    RETURN_IF_ERROR(CheckFilesystem(*fs, example));
    location.filesystem = *fs;
    location.filesystem_given = true;
  }
  ASSIGN_OR_RETURN(location.path, StorePath(rest, example));
  return Status::Ok();
}

Result<Location> Parser::ParseFile(const RawUrl& raw) {
  Location location;
  location.kind = Kind::kLocal;
  if (!raw.authority.empty() && ToLower(raw.authority) != "localhost") {
    return Invalid("a file URL names a local absolute path, not a host ('" + raw.authority + "'); write three slashes",
                   "file:///" + raw.authority + raw.path);
  }
  if (raw.path.empty() || raw.path.front() != '/') return Invalid("a file URL needs an absolute path", kFileExample);
  RETURN_IF_ERROR(TakeQuery(raw, location, kFileExample));
  ASSIGN_OR_RETURN(location.path, StorePath(raw.path, kFileExample));
  return location;
}

Result<Location> Parser::ParseAdl(const RawUrl& raw) {
  Location location;
  location.kind = Kind::kGen1;
  std::string host = ToLower(raw.authority);
  if (host.empty()) return Invalid("an adl URL needs the account's host name", kAdlExample);
  if (host.find('@') != std::string::npos) return Invalid("an adl URL takes no user name", kAdlExample);
  std::string host_only = host.substr(0, host.find(':'));
  if (IsPathStyleHost(host_only) || host_only.find('.') == std::string::npos) {
    return Invalid(
        "an adl URL names the account as <account>.azuredatalakestore.net; for the Gen1 emulator or "
        "another WebHDFS service use " +
            std::string(kWebHdfsExample),
        kAdlExample);
  }
  location.account = SplitLabels(host_only).front();
  RETURN_IF_ERROR(CheckAccount(location.account, kAdlExample));
  location.endpoint = "https://" + host;
  RETURN_IF_ERROR(TakeQuery(raw, location, kAdlExample));
  ASSIGN_OR_RETURN(location.path, StorePath(raw.path, kAdlExample));
  return location;
}

Result<Location> Parser::ParseAbfs(const RawUrl& raw) {
  Location location;
  location.kind = Kind::kGen2;
  size_t at = raw.authority.find('@');
  if (at == std::string::npos || at == 0) {
    return Invalid("an " + raw.scheme + " URL names the filesystem before '@'", kAbfssExample);
  }
  std::string fs = raw.authority.substr(0, at);
  RETURN_IF_ERROR(CheckFilesystem(fs, kAbfssExample));
  std::string host = ToLower(raw.authority.substr(at + 1));
  std::string host_only = host.substr(0, host.find(':'));
  std::vector<std::string> labels = SplitLabels(host_only);
  bool dfs = labels.size() >= 3 && std::find(labels.begin() + 1, labels.end(), "dfs") != labels.end();
  if (!dfs) {
    std::string what = "the host must be the account's DFS endpoint <account>.dfs.core.windows.net";
    if (std::find(labels.begin(), labels.end(), "blob") != labels.end()) {
      what += " (not the Blob endpoint)";
    } else if (IsPathStyleHost(host_only)) {
      what += "; for the Gen2 emulator use " + std::string(kGen2EmulatorExample);
    }
    return Invalid(what, kAbfssExample);
  }
  location.account = labels.front();
  RETURN_IF_ERROR(CheckAccount(location.account, kAbfssExample));
  location.endpoint = "https://" + host;  // abfs:// too: the service requires secure transfer by default
  location.filesystem = fs;
  location.filesystem_given = true;
  RETURN_IF_ERROR(TakeQuery(raw, location, kAbfssExample));
  ASSIGN_OR_RETURN(location.path, StorePath(raw.path, kAbfssExample));
  return location;
}

Result<Location> Parser::ParseWebHdfsScheme(const RawUrl& raw) {
  Location location;
  location.kind = Kind::kWebHdfs;
  bool tls = raw.scheme == "swebhdfs";
  std::string example = raw.scheme + "://namenode.example.com:" + (tls ? "9871" : "9870") + "/data";
  if (raw.authority.empty()) return Invalid("a " + raw.scheme + " URL needs the NameNode's host", example);
  std::string authority = raw.authority;
  bool has_port =
      authority.front() == '[' ? authority.find("]:") != std::string::npos : authority.find(':') != std::string::npos;
  if (!has_port) authority += tls ? ":9871" : ":9870";
  auto url = http::ParseUrl((tls ? "https://" : "http://") + authority + "/");
  if (!url.ok()) return Invalid(url.status().message(), example);
  location.endpoint = url->Origin();
  RETURN_IF_ERROR(TakeQuery(raw, location, example));
  ASSIGN_OR_RETURN(location.path, StorePath(raw.path, example));
  return location;
}

Result<Location> Parser::ParseHttp(const RawUrl& raw) {
  auto url = http::ParseUrl(raw.display);
  if (!url.ok()) return Invalid(url.status().message(), kDfsExample);
  Location location;
  std::string host = ToLower(url->host);
  std::vector<std::string> labels = SplitLabels(host);
  const std::string& path = raw.path;

  // Gen1: https://<account>.azuredatalakestore.net[/webhdfs/v1]/<path>
  if (labels.size() >= 3 && labels[1].starts_with("azuredatalakestore")) {
    location.kind = Kind::kGen1;
    if (url->scheme != "https") return Invalid("Gen1 accounts are served over https", kGen1HttpsExample);
    location.account = labels.front();
    RETURN_IF_ERROR(CheckAccount(location.account, kGen1HttpsExample));
    location.endpoint = url->Origin();
    std::string_view rest = path;
    if (rest == "/webhdfs/v1" || rest.starts_with("/webhdfs/v1/")) rest.remove_prefix(11);
    RETURN_IF_ERROR(TakeQuery(raw, location, kGen1HttpsExample));
    ASSIGN_OR_RETURN(location.path, StorePath(rest, kGen1HttpsExample));
    return location;
  }

  // WebHDFS: http(s)://host:port[/<prefix>]/webhdfs/v1/<path>
  size_t webhdfs = std::string::npos;
  for (size_t at = path.find("/webhdfs/v1"); at != std::string::npos; at = path.find("/webhdfs/v1", at + 1)) {
    if (at + 11 == path.size() || path[at + 11] == '/') {
      webhdfs = at;
      break;
    }
  }
  if (webhdfs != std::string::npos) {
    location.kind = Kind::kWebHdfs;
    location.endpoint = url->Origin() + path.substr(0, webhdfs);
    RETURN_IF_ERROR(TakeQuery(raw, location, kWebHdfsExample));
    ASSIGN_OR_RETURN(location.path, StorePath(std::string_view(path).substr(webhdfs + 11), kWebHdfsExample));
    return location;
  }

  // Gen2: https://<account>.dfs.core.windows.net/<filesystem>/<path>
  bool dfs = labels.size() >= 3 && std::find(labels.begin() + 1, labels.end(), "dfs") != labels.end();
  if (dfs && !IsPathStyleHost(host)) {
    location.kind = Kind::kGen2;
    location.account = labels.front();
    RETURN_IF_ERROR(CheckAccount(location.account, kDfsExample));
    location.endpoint = url->Origin();
    RETURN_IF_ERROR(TakeQuery(raw, location, kDfsExample));
    RETURN_IF_ERROR(FilesystemAndPath(path, location, kDfsExample));
    return location;
  }
  if (labels.size() >= 3 && std::find(labels.begin() + 1, labels.end(), "blob") != labels.end()) {
    std::string dfs_host = host;
    dfs_host.replace(dfs_host.find(".blob."), 6, ".dfs.");
    return Invalid("lakeshift talks to the DFS endpoint of a Gen2 account, not its Blob endpoint; use https://" +
                       dfs_host + "/...",
                   kDfsExample);
  }

  // Gen2 emulator, path-style: http(s)://<host>:<port>/<account>/<filesystem>/<path>
  std::string_view authority = raw.authority;
  bool explicit_port = authority.starts_with("[") ? authority.find("]:") != std::string_view::npos
                                                  : authority.find(':') != std::string_view::npos;
  if (IsPathStyleHost(host) || explicit_port) {
    location.kind = Kind::kGen2;
    std::string_view rest = path;
    while (rest.starts_with("/")) rest.remove_prefix(1);
    size_t slash = rest.find('/');
    std::string_view account = rest.substr(0, slash);
    if (account.empty()) {
      return Invalid("a path-style Gen2 URL names the account first (a WebHDFS URL has /webhdfs/v1)",
                     kGen2EmulatorExample);
    }
    location.account = std::string(account);
    RETURN_IF_ERROR(CheckAccount(location.account, kGen2EmulatorExample));
    location.endpoint = url->Origin() + "/" + location.account;
    RETURN_IF_ERROR(TakeQuery(raw, location, kGen2EmulatorExample));
    RETURN_IF_ERROR(FilesystemAndPath(slash == std::string_view::npos ? std::string_view() : rest.substr(slash),
                                      location, kGen2EmulatorExample));
    return location;
  }
  return Invalid("cannot tell which service this is; use one of " + std::string(kAllForms), "");
}

Result<Location> Parser::Parse() {
  size_t begin = input_.find_first_not_of(" \t\r\n");
  size_t end = input_.find_last_not_of(" \t\r\n");
  input_ = begin == std::string::npos ? "" : input_.substr(begin, end - begin + 1);
  if (input_.empty()) return InvalidArgument("empty location; use one of " + std::string(kAllForms));
  ASSIGN_OR_RETURN(RawUrl raw, Split());
  Result<Location> location = Status(StatusCode::kInternal, "unparsed");
  if (raw.scheme == "file") {
    location = ParseFile(raw);
  } else if (raw.scheme == "adl") {
    location = ParseAdl(raw);
  } else if (raw.scheme == "abfs" || raw.scheme == "abfss") {
    location = ParseAbfs(raw);
  } else if (raw.scheme == "webhdfs" || raw.scheme == "swebhdfs") {
    location = ParseWebHdfsScheme(raw);
  } else if (raw.scheme == "http" || raw.scheme == "https") {
    location = ParseHttp(raw);
  } else {
    std::string hint = "unknown scheme '" + raw.scheme + "'; use one of " + std::string(kAllForms);
    if (raw.scheme == "wasb" || raw.scheme == "wasbs") hint += " (wasb is the Blob API; use abfss)";
    return Invalid(hint, "");
  }
  if (location.ok()) location->url = raw.display;
  return location;
}

}  // namespace

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kGen1: return "Gen1";
    case Kind::kWebHdfs: return "WebHDFS";
    case Kind::kGen2: return "Gen2";
    case Kind::kLocal: return "local";
  }
  return "unknown";
}

bool Location::path_style() const {
  if (kind != Kind::kGen2) return false;
  size_t scheme = endpoint.find("://");
  return scheme != std::string::npos && endpoint.find('/', scheme + 3) != std::string::npos;
}

Result<Location> ParseLocation(std::string_view url) {
  return Parser(url).Parse();
}

std::string DisplayUrl(const Location& location) {
  if (location.sas.empty()) return location.url;
  return location.url + " (SAS query not shown)";
}

}  // namespace lakeshift::endpoint
