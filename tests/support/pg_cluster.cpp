#include "tests/support/pg_cluster.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <stdexcept>

namespace gridsight::test {
namespace fs = std::filesystem;

namespace {

std::string bin(const std::string& name) {
  return std::string(GRIDSIGHT_PG_BINDIR) + "/" + name;
}

// root cannot run PostgreSQL: the `postgres` user can.
std::optional<std::pair<uid_t, gid_t>> server_user() {
  if (::geteuid() != 0) return std::nullopt;
  const passwd* pw = ::getpwnam("postgres");
  if (!pw) {
    throw std::runtime_error(
        "PgCluster: running as root and there is no `postgres` user to run PostgreSQL "
        "(install postgresql-15: scripts/install-deps.sh)");
  }
  return std::make_pair(pw->pw_uid, pw->pw_gid);
}

void give(const fs::path& p, const std::optional<std::pair<uid_t, gid_t>>& user) {
  if (user && ::chown(p.c_str(), user->first, user->second) != 0) {
    throw std::runtime_error("PgCluster: chown " + p.string() + " failed");
  }
}

}  // namespace

PgCluster::PgCluster(const fs::path& dir)
    : dir_(dir),
      data_(dir / "data"),
      sockets_(dir / "sockets"),
      port_(free_port()),
      run_as_(server_user()),
      server_("postgres", {}, dir / "postgres.log") {
  // The server's user must reach its folders (a test's temporary folder is 0700 root's).
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  fs::create_directories(sockets_);
  give(sockets_, run_as_);
  const fs::path pwfile = dir_ / "pwfile";
  write_file(pwfile, std::string(kPassword) + "\n");
  give(pwfile, run_as_);
  give(dir_, run_as_);

  Process initdb("initdb",
                 {bin("initdb"), "-D", data_.string(), "-U", kUser, "--pwfile=" + pwfile.string(),
                  "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"},
                 dir_ / "initdb.log");
  if (run_as_) initdb.run_as(run_as_->first, run_as_->second);
  initdb.start();
  while (initdb.is_running()) ::usleep(20'000);
  if (initdb.exit_status().value_or(-1) != 0) {
    throw std::runtime_error("PgCluster: initdb failed:\n" + initdb.log_tail());
  }
  fs::remove(pwfile);
  server_.set_argv({bin("postgres"), "-D", data_.string(), "-p", std::to_string(port_), "-k",
                    sockets_.string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c",
                    "max_connections=100", "-c", "shared_buffers=32MB"});
  if (run_as_) server_.run_as(run_as_->first, run_as_->second);
}

PgCluster::~PgCluster() {
  if (server_.is_running()) stop();
}

void PgCluster::start() {
  server_.start();
  const bool up = wait_while_running(
      {&server_}, [&] { return port_accepts(port_) && psql("SELECT 1") == 0; }, 120s);
  if (!up) throw std::runtime_error("PgCluster: the server did not start:\n" + server_.log_tail());
}

int PgCluster::stop() {
  if (!server_.is_running()) return -1;
  ::kill(server_.pid(), SIGINT);  // fast shutdown; SIGTERM would wait for every session
  wait_until([&] { return !server_.is_running(); }, 120s);
  return server_.is_running() ? server_.kill() : server_.exit_status().value_or(-1);
}

int PgCluster::kill() {
  if (!server_.is_running()) return -1;
  // The whole process group, backends included: as a power cut would.
  ::kill(-server_.pid(), SIGKILL);
  return server_.kill();
}

std::string PgCluster::dsn(const std::string& database, const std::string& user,
                           const std::string& password) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + database + " user=" + user +
         " password=" + password;
}

int PgCluster::psql(const std::string& sql, const std::string& database) {
  Process p("psql",
            {bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
             std::to_string(port_), "-U", kUser, "-d", database, "-c", sql},
            dir_ / "psql.log", {{"PGPASSWORD", kPassword}, {"PGCONNECT_TIMEOUT", "10"}});
  p.start();
  while (p.is_running()) ::usleep(10'000);
  return p.exit_status().value_or(-1);
}

void PgCluster::create_database(const std::string& name) {
  if (psql("CREATE DATABASE \"" + name + "\"") != 0) {
    throw std::runtime_error("PgCluster: CREATE DATABASE " + name + " failed");
  }
}

}  // namespace gridsight::test
