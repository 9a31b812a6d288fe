#include "tests/support/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/sqlite/database.h"

extern char** environ;

namespace gridsight::test {
namespace fs = std::filesystem;

std::string edge_binary() {
  const char* bin = std::getenv("GRIDSIGHT_TEST_EDGE_BIN");
  return bin != nullptr && *bin != '\0' ? std::string(bin) : std::string(GRIDSIGHT_EDGE_BIN);
}
std::vector<std::string> edge_command() {
  std::vector<std::string> command;
  const char* emulator = std::getenv("GRIDSIGHT_TEST_EDGE_EMULATOR");
  if (emulator != nullptr && *emulator != '\0') command.emplace_back(emulator);
  command.push_back(edge_binary());
  return command;
}
std::string aggregator_binary() {
  return GRIDSIGHT_AGGREGATOR_BIN;
}
std::string mosquitto_binary() {
  return GRIDSIGHT_MOSQUITTO_BIN;
}
std::string mosquitto_pub_binary() {
  return GRIDSIGHT_MOSQUITTO_PUB_BIN;
}

// ---- small helpers ----------------------------------------------------------------------

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool port_accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

bool wait_until(const std::function<bool()>& predicate, Millis timeout, Millis poll) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(poll);
  }
}

void write_file(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) {
    throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
  }
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (keep_ || std::getenv("GRIDSIGHT_KEEP_TEST_DIRS")) {
    std::fprintf(stderr, "[harness] kept %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
}

// ---- processes --------------------------------------------------------------------------

Process::Process(std::string name, std::vector<std::string> argv, fs::path log,
                 std::vector<std::pair<std::string, std::string>> extra_env)
    : name_(std::move(name)),
      argv_(std::move(argv)),
      log_(std::move(log)),
      extra_env_(std::move(extra_env)) {}

Process::~Process() {
  if (pid_ > 0) kill();
}

void Process::start() {
  if (pid_ > 0 && is_running()) throw std::runtime_error(name_ + " is already running");
  if (argv_.empty()) throw std::runtime_error(name_ + ": no argv");
  fs::create_directories(log_.parent_path());
  {
    // A marker between runs, so a log spanning restarts can be read.
    std::ofstream out(log_, std::ios::app);
    out << "---- [harness] starting " << name_ << " ----\n";
  }
  // Everything the child needs is prepared before fork(): only async-signal-safe calls after.
  std::vector<char*> args;
  for (auto& a : argv_) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    bool overridden = false;
    for (const auto& [k, v] : extra_env_) {
      if (entry.compare(0, k.size() + 1, k + "=") == 0) overridden = true;
    }
    if (!overridden) env_strings.push_back(std::move(entry));
  }
  for (const auto& [k, v] : extra_env_) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string log = log_.string();
  const pid_t parent = ::getpid();
  // A child that runs as another user may not be allowed to open the log: open it here.
  const int log_fd =
      run_as_ ? ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(name_ + ": fork: " + std::strerror(errno));
  if (pid == 0) {
    // Credentials first: changing them clears the parent-death signal set below.
    if (run_as_) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(run_as_->second) != 0 ||
          ::setuid(run_as_->first) != 0) {
        ::_exit(124);
      }
    }
    // The child dies with the test process, whatever kills it (no stray daemons).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    ::setpgid(0, 0);
    int in = ::open("/dev/null", O_RDONLY);
    int out = log_fd >= 0 ? log_fd : ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0) ::_exit(125);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::close(in);
    ::close(out);
    // Unblock everything the test process may have blocked.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
  pid_ = pid;
  exit_status_.reset();
}

int Process::reap(bool block) {
  if (pid_ <= 0) return -1;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return -2;  // still running
  if (r < 0) {            // not our child any more (should not happen)
    pid_ = -1;
    exit_status_ = -1;
    return -1;
  }
  int code = WIFEXITED(status)     ? WEXITSTATUS(status)
             : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                   : -1;
  pid_ = -1;
  exit_status_ = code;
  return code;
}

bool Process::is_running() {
  if (pid_ <= 0) return false;
  return reap(false) == -2;
}

int Process::stop(Millis grace) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto end = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < end) {
    int r = reap(false);
    if (r != -2) return r;
    std::this_thread::sleep_for(10ms);
  }
  std::fprintf(stderr, "[harness] %s (pid %d) ignored SIGTERM for %lld ms: SIGKILL\n",
               name_.c_str(), pid_, static_cast<long long>(grace.count()));
  return kill();
}

int Process::kill() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGKILL);
  return reap(true);
}

std::string Process::log_text() const {
  return read_file(log_);
}

std::size_t Process::log_size() const {
  std::error_code ec;
  auto n = fs::file_size(log_, ec);
  return ec ? 0 : static_cast<std::size_t>(n);
}

bool Process::wait_for_log(const std::string& needle, Millis timeout, std::size_t from) {
  return wait_until(
      [&] {
        std::string text = log_text();
        return text.size() > from && text.find(needle, from) != std::string::npos;
      },
      timeout, 100ms);
}

std::string Process::log_tail(std::size_t bytes) const {
  std::string text = log_text();
  if (text.size() > bytes) text = "..." + text.substr(text.size() - bytes);
  return "---- " + name_ + " log (" + log_.string() + ") ----\n" + text;
}

bool wait_while_running(const std::vector<Process*>& watched,
                        const std::function<bool()>& predicate, Millis timeout, std::string* why,
                        Millis poll) {
  const Process* died = nullptr;
  const bool done = wait_until(
      [&] {
        for (Process* p : watched) {
          if (!p->is_running()) {
            died = p;
            return true;
          }
        }
        return predicate();
      },
      timeout, poll);
  if (died) {
    if (why) {
      *why = died->name() + " exited with status " +
             std::to_string(died->exit_status().value_or(-1)) + " while the test waited for it";
    }
    return false;
  }
  return done;
}

// ---- mosquitto --------------------------------------------------------------------------

Mosquitto::Mosquitto(const fs::path& dir, Options options)
    : dir_(dir),
      options_(options),
      port_(free_port()),
      process_("mosquitto", {mosquitto_binary(), "-c", (dir / "mosquitto.conf").string()},
               dir / "mosquitto.log") {
  fs::create_directories(dir_);
  std::ostringstream c;
  c << "# written by the gridsight system-test harness\n"
    << "listener " << port_ << " 127.0.0.1\n";
  if (options_.tls) {
    const fs::path& pki = options_.tls->dir();
    c << "cafile " << (pki / "ca.pem").string() << "\n"
      << "certfile " << options_.tls->cert("localhost").string() << "\n"
      << "keyfile " << options_.tls->key("localhost").string() << "\n"
      << "crlfile " << (pki / "crl.pem").string() << "\n"
      << "tls_version tlsv1.2\n"
      << "require_certificate true\n"
      << "use_identity_as_username true\n"
      << "use_username_as_clientid true\n"
      << "allow_anonymous false\n"
      << "acl_file " << (pki / "acl").string() << "\n";
  } else {
    c << "allow_anonymous true\n";
  }
  c
      // 0: never drop QoS 1 messages queued for an absent subscriber (the default is 1000).
      << "max_queued_messages " << options_.max_queued_messages << "\n"
      << "log_dest stderr\n"
      << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
      // Subscriptions are logged ("<client> <qos> <filter>"): tests wait for them.
      << "log_type subscribe\n"
      << "connection_messages true\n";
  if (options_.persistence) {
    c << "persistence true\n"
      << "persistence_location " << (dir_ / "persist").string() << "/\n"
      << "autosave_interval " << options_.autosave_interval_s << "\n";
    fs::create_directories(dir_ / "persist");
  } else {
    c << "persistence false\n";
  }
  // As root mosquitto would switch to the "mosquitto" user and could not write our folder.
  if (::geteuid() == 0) c << "user root\n";
  write_file(dir_ / "mosquitto.conf", c.str());
}

Mosquitto::~Mosquitto() {
  process_.kill();
}

void Mosquitto::start() {
  process_.start();
  const bool up =
      wait_until([&] { return port_accepts(port_) || !process_.is_running(); }, 20s, 20ms);
  if (!up || !process_.is_running()) {
    throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_) + "\n" +
                             process_.log_tail());
  }
}

int Mosquitto::stop() {
  return process_.stop();
}
int Mosquitto::kill() {
  return process_.kill();
}

int mosquitto_pub(int port, const std::string& topic, const std::string& payload,
                  const fs::path& scratch_dir) {
  static int counter = 0;
  const int n = ++counter;
  const fs::path file = scratch_dir / ("pub-" + std::to_string(n) + ".bin");
  write_file(file, payload);
  Process pub("mosquitto_pub",
              {mosquitto_pub_binary(), "-h", "127.0.0.1", "-p", std::to_string(port), "-q", "1",
               "-i", "gridsight-test-pub-" + std::to_string(::getpid()) + "-" + std::to_string(n),
               "-t", topic, "-f", file.string()},
              scratch_dir / "mosquitto_pub.log");
  pub.start();
  if (!wait_until([&] { return !pub.is_running(); }, 30s, 10ms)) {
    pub.kill();
    return -1;
  }
  return *pub.exit_status();
}

// ---- configuration files ----------------------------------------------------------------

namespace {

// The mqtt section's host and TLS lines for a client.
void mqtt_tls_yaml(std::ostringstream& y, const std::optional<ClientTls>& tls) {
  if (!tls) {
    y << "  host: 127.0.0.1\n"
      << "  allow_insecure: true  # plain TCP on loopback\n";
    return;
  }
  y << "  host: localhost\n"
    << "  tls:\n"
    << "    enabled: true\n"
    << "    ca_file: " << tls->ca.string() << "\n"
    << "    cert_file: " << tls->cert.string() << "\n"
    << "    key_file: " << tls->key.string() << "\n";
}

}  // namespace

std::string edge_config_yaml(const EdgeSpec& s) {
  std::ostringstream y;
  y << "# written by the gridsight system-test harness\n"
    << "device_id: " << s.device_id << "\n"
    << "data_dir: " << s.data_dir.string() << "\n"
    << "log_level: " << s.log_level << "\n"
    << "mqtt:\n";
  mqtt_tls_yaml(y, s.tls);
  y << "  port: " << s.mqtt_port << "\n"
    << "  reconnect: {initial: 100ms, max: " << s.reconnect_max << "}\n";
  if (s.outbox_max_events) y << "outbox:\n  max_events: " << s.outbox_max_events << "\n";
  y << "uplink:\n"
    << "  resend_timeout: " << s.resend_timeout << "\n"
    << "  resend_timeout_max: " << s.resend_timeout_max << "\n"
    << "  telemetry_interval: " << s.telemetry_interval << "\n";
  if (s.unconfirmed_window) y << "  unconfirmed_window: " << s.unconfirmed_window << "\n";
  if (!s.evidence_chunk_size.empty() || !s.evidence_rate_per_second.empty()) {
    y << "  evidence:\n";
    if (!s.evidence_chunk_size.empty()) y << "    chunk_size: " << s.evidence_chunk_size << "\n";
    if (!s.evidence_rate_per_second.empty()) {
      y << "    rate_per_second: " << s.evidence_rate_per_second << "\n";
    }
  }
  y << "status:\n" << (s.status_yaml.empty() ? "  enabled: false\n" : s.status_yaml);
  y << "cameras:\n";  // extra_yaml may continue this list (a camera with video)
  for (const auto& c : s.cameras) {
    y << "  - id: " << c << "\n"
      << "    location: " << s.camera_location << "\n";
  }
  if (s.synthetic_evidence_bytes) {
    y << "synthetic:\n  evidence_bytes: " << s.synthetic_evidence_bytes << "\n";
  }
  y << s.extra_yaml;
  return y.str();
}

std::string aggregator_config_yaml(const AggregatorSpec& s) {
  std::ostringstream y;
  y << "# written by the gridsight system-test harness\n"
    << "data_dir: " << s.data_dir.string() << "\n"
    << "log_level: " << s.log_level << "\n"
    << "mqtt:\n";
  mqtt_tls_yaml(y, s.tls);
  y << "  port: " << s.mqtt_port << "\n"
    << "  reconnect: {initial: 100ms, max: " << s.reconnect_max << "}\n";
  y << s.extra_yaml;
  return y.str();
}

// ---- the daemons ------------------------------------------------------------------------

Edge::Edge(const fs::path& dir, EdgeSpec spec)
    : spec_(std::move(spec)),
      config_(dir / (spec_.device_id + ".yaml")),
      process_("gridsight-edge " + spec_.device_id, {}, dir / (spec_.device_id + ".log")) {
  if (spec_.data_dir.empty()) spec_.data_dir = dir / ("data-" + spec_.device_id);
  write_file(config_, edge_config_yaml(spec_));
}

void Edge::start(std::vector<std::string> extra_args) {
  std::vector<std::string> argv = edge_command();
  argv.insert(argv.end(), {"--config", config_.string()});
  for (auto& a : extra_args) argv.push_back(std::move(a));
  process_.set_argv(std::move(argv));
  process_.start();
}

std::optional<std::int64_t> Edge::meta(const std::string& key) const {
  return query_int(outbox_db(), "SELECT value FROM meta WHERE key = '" + key + "'");
}

std::optional<std::int64_t> Edge::pending() const {
  return query_int(outbox_db(), "SELECT COUNT(*) FROM events");
}

Aggregator::Aggregator(const fs::path& dir, AggregatorSpec spec)
    : spec_(std::move(spec)),
      config_(dir / "aggregator.yaml"),
      process_("gridsight-aggregator", {}, dir / "aggregator.log") {
  if (spec_.data_dir.empty()) spec_.data_dir = dir / "data-aggregator";
  write_file(config_, aggregator_config_yaml(spec_));
}

void Aggregator::start(std::vector<std::string> extra_args) {
  std::vector<std::string> argv = {aggregator_binary(), "--config", config_.string()};
  for (auto& a : extra_args) argv.push_back(std::move(a));
  process_.set_argv(std::move(argv));
  process_.start();
}

std::optional<std::int64_t> Aggregator::stored() const {
  return query_int(db(), "SELECT COUNT(*) FROM events");
}

std::optional<std::int64_t> Aggregator::stored(const std::string& device_id) const {
  return query_int(db(), "SELECT COUNT(*) FROM events WHERE device_id = '" + device_id + "'");
}

// ---- read-only SQLite -------------------------------------------------------------------

std::vector<Row> query(const fs::path& db, const std::string& sql) {
  if (!fs::exists(db)) throw std::runtime_error("no database " + db.string());
  sqlite::OpenOptions options;
  options.read_only = true;
  sqlite::Database conn(db.string(), options);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(conn.handle(), sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(conn.handle());
    sqlite3_finalize(st);
    throw std::runtime_error(db.string() + ": " + msg + " in: " + sql);
  }
  std::vector<Row> rows;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Row row;
    const int n = sqlite3_column_count(st);
    for (int i = 0; i < n; ++i) {
      if (sqlite3_column_type(st, i) == SQLITE_NULL) {
        row.emplace_back(std::nullopt);
      } else {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(st, i));
        row.emplace_back(
            std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st, i))));
      }
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) {
    std::string msg = sqlite3_errmsg(conn.handle());
    sqlite3_finalize(st);
    throw std::runtime_error(db.string() + ": " + msg + " in: " + sql);
  }
  sqlite3_finalize(st);
  return rows;
}

std::optional<std::string> query_text(const fs::path& db, const std::string& sql) {
  try {
    auto rows = query(db, sql);
    if (rows.empty() || rows[0].empty()) return std::nullopt;
    return rows[0][0];
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::int64_t> query_int(const fs::path& db, const std::string& sql) {
  auto t = query_text(db, sql);
  if (!t) return std::nullopt;
  try {
    return std::stoll(*t);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string journal_mode(const fs::path& db) {
  sqlite::OpenOptions options;
  options.read_only = true;
  sqlite::Database conn(db.string(), options);
  return conn.journal_mode();
}

std::string sha256_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::string buf(1 << 16, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  static const char* hex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

}  // namespace gridsight::test

// ---- PKI ----------------------------------------------------------------------------------

namespace gridsight::test {

std::string mosquitto_sub_binary() {
  return GRIDSIGHT_MOSQUITTO_SUB_BIN;
}
std::string pki_tool() {
  return std::string(GRIDSIGHT_SOURCE_DIR) + "/tools/gridsight-pki";
}

Pki::Pki(const fs::path& dir) : dir_(dir) {
  if (run({"init"}) != 0 || run({"broker", "localhost", "IP:127.0.0.1"}) != 0) {
    throw std::runtime_error("gridsight-pki could not create a CA in " + dir_.string());
  }
}

int Pki::run(const std::vector<std::string>& args,
             std::vector<std::pair<std::string, std::string>> env) {
  std::vector<std::string> argv{pki_tool(), "--dir", dir_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  Process p("gridsight-pki", argv, dir_.parent_path() / "pki-tool.log", std::move(env));
  p.start();
  wait_until([&] { return !p.is_running(); }, 60s);
  return p.exit_status().value_or(-1);
}

void Pki::device(const std::string& id) {
  if (run({"device", id}) != 0) throw std::runtime_error("gridsight-pki device " + id + " failed");
}

void Pki::consumer(const std::string& name) {
  if (run({"consumer", name}) != 0) {
    throw std::runtime_error("gridsight-pki consumer " + name + " failed");
  }
}

void Pki::aggregator() {
  if (run({"aggregator"}) != 0) throw std::runtime_error("gridsight-pki aggregator failed");
}

void Pki::revoke(const std::string& id) {
  if (run({"revoke", id}) != 0) throw std::runtime_error("gridsight-pki revoke " + id + " failed");
}

fs::path Pki::cert(const std::string& name) const {
  return dir_ / "issued" / name / "cert.pem";
}
fs::path Pki::key(const std::string& name) const {
  return dir_ / "issued" / name / "key.pem";
}

}  // namespace gridsight::test
