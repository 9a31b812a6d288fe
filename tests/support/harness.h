#pragma once
// System-test harness: real processes (mosquitto, gridsight-edge, gridsight-aggregator) on
// free loopback ports, in temporary folders, stopped by PID whatever happens to the test.
//
//  - Every child is started with PR_SET_PDEATHSIG=SIGKILL, so even a test binary killed by a
//    ctest timeout leaves no stray process behind; destructors stop children by PID.
//  - Waiting is done by polling with generous limits that only bound a hang, never a speed.
//  - The daemons' SQLite files are read through fresh read-only connections.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gridsight::test {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

// Paths of the binaries under test (compile definitions of gridsight_test_harness).
// The edge can be swapped for another build of it: GRIDSIGHT_TEST_EDGE_BIN replaces its path,
// and GRIDSIGHT_TEST_EDGE_EMULATOR (an absolute path) runs it, e.g. the arm64 edge under
// qemu-aarch64 with QEMU_LD_PREFIX=<sysroot> (scripts/cross-test.sh, docs/arm64.md).
std::string edge_binary();
// How Edge starts the edge: {emulator if set, edge_binary()}.
std::vector<std::string> edge_command();
std::string aggregator_binary();
std::string mosquitto_binary();
std::string mosquitto_pub_binary();
std::string mosquitto_sub_binary();
std::string pki_tool();  // tools/gridsight-pki in the source tree

// ---- small helpers ----------------------------------------------------------------------

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port();
// Whether something accepts TCP connections on 127.0.0.1:port.
bool port_accepts(int port);

// Polls `predicate` until it holds (true) or `timeout` passed (false). The timeout bounds a
// hang only; tests never assert on how fast something happened.
bool wait_until(const std::function<bool()>& predicate, Millis timeout, Millis poll = 50ms);

void write_file(const std::filesystem::path& path, std::string_view content);
std::string read_file(const std::filesystem::path& path);

// A fresh folder under $TMPDIR (or /tmp), removed on destruction unless keep() was called
// or GRIDSIGHT_KEEP_TEST_DIRS is set.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "gridsight-systest");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

// ---- processes --------------------------------------------------------------------------

// A child process: argv[0] is the binary; stdout and stderr are appended to `log`.
class Process {
 public:
  Process(std::string name, std::vector<std::string> argv, std::filesystem::path log,
          std::vector<std::pair<std::string, std::string>> extra_env = {});
  ~Process();  // SIGKILL + reap if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Spawns the process (again). Throws std::runtime_error if it cannot.
  void start();
  void set_argv(std::vector<std::string> argv) { argv_ = std::move(argv); }
  // Runs the child as this user and group (a test running as root starting a server that
  // refuses root, such as PostgreSQL).
  void run_as(uid_t uid, gid_t gid) { run_as_ = std::make_pair(uid, gid); }
  const std::vector<std::string>& argv() const { return argv_; }

  // SIGTERM, then waits up to `grace` for it to exit (SIGKILL after that). Returns the
  // exit status: the exit code, or 128 + signal number if killed by a signal; -1 if it was
  // not running.
  int stop(Millis grace = 30s);
  // SIGKILL and reap. Returns as stop().
  int kill();
  // True while the child has not exited (reaps it if it has).
  bool is_running();
  pid_t pid() const { return pid_; }
  // The status of the last exit (see stop()), if the child exited.
  std::optional<int> exit_status() const { return exit_status_; }

  const std::filesystem::path& log_path() const { return log_; }
  std::string log_text() const;
  // Current size of the log: pass it to wait_for_log to look only at what comes after.
  std::size_t log_size() const;
  // Waits until `needle` appears in the log at or after byte `from`.
  bool wait_for_log(const std::string& needle, Millis timeout, std::size_t from = 0);
  // The last `bytes` of the log, for failure messages.
  std::string log_tail(std::size_t bytes = 4000) const;
  const std::string& name() const { return name_; }

 private:
  int reap(bool block);
  std::string name_;
  std::vector<std::string> argv_;
  std::filesystem::path log_;
  std::vector<std::pair<std::string, std::string>> extra_env_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::optional<std::pair<uid_t, gid_t>> run_as_;
};

// As wait_until, but gives up as soon as one of `watched` exits (a crash during the wait
// should fail the test at once, not after the timeout); `why` then names it and its status.
bool wait_while_running(const std::vector<Process*>& watched,
                        const std::function<bool()>& predicate, Millis timeout,
                        std::string* why = nullptr, Millis poll = 100ms);

// ---- mosquitto --------------------------------------------------------------------------

// The real mosquitto broker on 127.0.0.1:<free port>, `max_queued_messages` as in Options,
// optionally with persistence in `dir`. Restarts keep the port.
// A fleet PKI made with the real tools/gridsight-pki (docs/security.md).
class Pki {
 public:
  explicit Pki(const std::filesystem::path& dir);  // init + broker cert for localhost
  // Runs `gridsight-pki --dir <dir> <args...>` (with `env` added); returns its exit status.
  int run(const std::vector<std::string>& args,
          std::vector<std::pair<std::string, std::string>> env = {});
  void device(const std::string& id);      // throws if the tool fails
  void consumer(const std::string& name);  // a read-only dispatch consumer
  void aggregator();
  void revoke(const std::string& id);
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path ca() const { return dir_ / "ca.pem"; }
  std::filesystem::path cert(const std::string& name) const;
  std::filesystem::path key(const std::string& name) const;

 private:
  std::filesystem::path dir_;
};

// The files one client presents over TLS.
struct ClientTls {
  std::filesystem::path ca, cert, key;
};

class Mosquitto {
 public:
  struct Options {
    bool persistence = false;
    int autosave_interval_s = 1800;  // mosquitto's default: only periodic snapshots
    // Mutual TLS with this PKI's CA, CRL and ACL (client certificate required, identity as
    // user name), as config/broker/mosquitto.conf.
    const Pki* tls = nullptr;
    // Queued QoS 1 messages per client; 0: unlimited (config/broker/mosquitto.conf bounds it).
    std::int64_t max_queued_messages = 0;
  };
  Mosquitto(const std::filesystem::path& dir, Options options);
  explicit Mosquitto(const std::filesystem::path& dir) : Mosquitto(dir, Options{}) {}
  ~Mosquitto();

  int port() const { return port_; }
  // Starts the broker and waits until it accepts connections (throws if it does not).
  void start();
  int stop();  // SIGTERM (mosquitto writes its persistence file), wait
  int kill();  // SIGKILL: whatever was only in memory is gone
  void restart() {
    stop();
    start();
  }
  bool is_running() { return process_.is_running(); }
  Process& process() { return process_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  Options options_;
  int port_;
  Process process_;
};

// Publishes `payload` with the real mosquitto_pub (QoS 1, MQTT v5) and waits for it to exit.
// Returns mosquitto_pub's exit status.
int mosquitto_pub(int port, const std::string& topic, const std::string& payload,
                  const std::filesystem::path& scratch_dir);

// ---- configuration files ----------------------------------------------------------------

struct EdgeSpec {
  std::string device_id = "edge-1";
  std::vector<std::string> cameras = {"cam-1"};
  std::string camera_location = "{lon: 120.15507, lat: 30.27408, crs: WGS84}";
  int mqtt_port = 0;
  std::filesystem::path data_dir;
  std::string log_level = "info";
  std::uint64_t outbox_max_events = 0;  // 0: the default
  std::string resend_timeout = "2s";
  std::string resend_timeout_max = "30s";  // at least resend_timeout
  std::string telemetry_interval = "1s";
  std::size_t unconfirmed_window = 0;          // 0: the default
  std::uint64_t synthetic_evidence_bytes = 0;  // 0: none
  std::string evidence_chunk_size;             // empty: the default
  std::string evidence_rate_per_second;        // empty: unlimited
  std::string reconnect_max = "1s";
  std::optional<ClientTls> tls;  // connect over mutual TLS to "localhost"
  std::string extra_yaml;        // appended to the config file as it is
  // Body of the `status:` section (indented two spaces); empty: the status page is off, so
  // parallel tests do not contend for its default port.
  std::string status_yaml;
};
std::string edge_config_yaml(const EdgeSpec& spec);

struct AggregatorSpec {
  int mqtt_port = 0;
  std::filesystem::path data_dir;
  std::string log_level = "info";
  std::string reconnect_max = "1s";
  std::optional<ClientTls> tls;
  std::string extra_yaml;  // appended to the config file as it is
};
std::string aggregator_config_yaml(const AggregatorSpec& spec);

// ---- the daemons ------------------------------------------------------------------------

// gridsight-edge with a config file written from `spec`, its data dir and log in `dir`.
class Edge {
 public:
  Edge(const std::filesystem::path& dir, EdgeSpec spec);
  // Starts the daemon with these extra arguments (e.g. --synthetic ...).
  void start(std::vector<std::string> extra_args = {});
  int stop() { return process_.stop(); }
  int kill() { return process_.kill(); }
  Process& process() { return process_; }
  const EdgeSpec& spec() const { return spec_; }
  std::filesystem::path outbox_db() const { return spec_.data_dir / "outbox" / "outbox.db"; }
  std::filesystem::path config_path() const { return config_; }

  // Reads of the outbox (nullopt while the file or table does not exist yet).
  std::optional<std::int64_t> meta(const std::string& key) const;
  std::optional<std::int64_t> pending() const;  // rows in the events table

 private:
  EdgeSpec spec_;
  std::filesystem::path config_;
  Process process_;
};

class Aggregator {
 public:
  Aggregator(const std::filesystem::path& dir, AggregatorSpec spec);
  void start(std::vector<std::string> extra_args = {});
  int stop() { return process_.stop(); }
  int kill() { return process_.kill(); }
  Process& process() { return process_; }
  std::filesystem::path db() const { return spec_.data_dir / "aggregator.db"; }
  std::filesystem::path evidence_dir() const { return spec_.data_dir / "evidence"; }
  // Events stored (nullopt while the database does not exist yet).
  std::optional<std::int64_t> stored() const;
  std::optional<std::int64_t> stored(const std::string& device_id) const;

 private:
  AggregatorSpec spec_;
  std::filesystem::path config_;
  Process process_;
};

// ---- read-only SQLite -------------------------------------------------------------------

using Row = std::vector<std::optional<std::string>>;  // NULL is nullopt

// Runs `sql` on a fresh read-only connection (common/sqlite, OpenOptions{read_only=true}).
// Throws on error.
std::vector<Row> query(const std::filesystem::path& db, const std::string& sql);
// The first column of the first row as an integer; nullopt if the file does not exist, the
// query fails (e.g. the table is not created yet) or returns no row / NULL.
std::optional<std::int64_t> query_int(const std::filesystem::path& db, const std::string& sql);
std::optional<std::string> query_text(const std::filesystem::path& db, const std::string& sql);
// PRAGMA journal_mode as a fresh connection reports it.
std::string journal_mode(const std::filesystem::path& db);

// SHA-256 of a file as "sha256:<hex>" (OpenSSL, independent of the product's own hashing).
std::string sha256_file(const std::filesystem::path& path);

}  // namespace gridsight::test
