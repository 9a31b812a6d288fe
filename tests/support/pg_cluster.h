#pragma once
// A real PostgreSQL server for tests: a fresh cluster made with Debian's initdb in a temporary
// folder, on a free loopback port, with a socket folder of its own, stopped by PID.
//
// PostgreSQL refuses to run as root: when the tests run as root (as CI does), initdb and the
// server run as the unprivileged `postgres` user (created by Debian's postgresql-common), which
// gets the cluster's folder. The superuser `gridsight` logs in over TCP with a password
// (scram-sha-256), so wrong-password paths are real.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "tests/support/harness.h"

namespace gridsight::test {

class PgCluster {
 public:
  static constexpr const char* kUser = "gridsight";
  static constexpr const char* kPassword = "gridsight-test-password";

  // initdb into dir/data (throws with initdb's output if it fails).
  explicit PgCluster(const std::filesystem::path& dir);
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // Starts the server and waits until it accepts connections (throws if it exits instead).
  // Restarts keep the port.
  void start();
  // Fast shutdown (SIGINT: sessions are ended, the server checkpoints and exits).
  int stop();
  // SIGKILL of the postmaster: a crash; the next start() recovers from the WAL.
  int kill();
  bool is_running() { return server_.is_running(); }

  int port() const { return port_; }
  // A libpq connection string for `database` as the superuser (or another user/password).
  std::string dsn(const std::string& database = "gridsight", const std::string& user = kUser,
                  const std::string& password = kPassword) const;
  // Runs SQL with psql against `database`; returns psql's exit status (output in the log).
  int psql(const std::string& sql, const std::string& database = "postgres");
  // CREATE DATABASE (throws if psql fails).
  void create_database(const std::string& name);
  Process& process() { return server_; }
  std::string log_tail() const { return server_.log_tail(); }

 private:
  std::filesystem::path dir_, data_, sockets_;
  int port_;
  std::optional<std::pair<uid_t, gid_t>> run_as_;
  Process server_;
};

}  // namespace gridsight::test
