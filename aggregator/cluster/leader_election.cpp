#include "aggregator/cluster/leader_election.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "aggregator/store/postgresql/connection.h"

namespace gridsight::aggregator::cluster {

LeaderElection::LeaderElection(Options options, OnChange on_change)
    : options_(std::move(options)), on_change_(std::move(on_change)) {}

LeaderElection::~LeaderElection() {
  stop();
}

void LeaderElection::start() {
  thread_ = std::thread([this] { run(); });
}

void LeaderElection::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string LeaderElection::problem() const {
  std::lock_guard lock(mu_);
  return problem_;
}

void LeaderElection::set_problem(std::string p) {
  std::lock_guard lock(mu_);
  problem_ = std::move(p);
}

void LeaderElection::set_leader(bool leader) {
  if (leader_.exchange(leader) == leader) return;
  if (leader)
    spdlog::info("cluster: {} is the leader: the case engine runs here", options_.instance);
  else
    spdlog::warn("cluster: {} is no longer the leader", options_.instance);
  if (on_change_) on_change_(leader);
}

void LeaderElection::run() {
  std::unique_ptr<pg::Connection> db;
  const std::string key = std::to_string(options_.lock_key);
  while (true) {
    try {
      if (!db || !db->healthy()) {
        set_leader(false);
        db.reset();
        pg::ConnectOptions co;
        co.connect_timeout_s = 5;
        co.statement_timeout_ms = 5000;
        co.application_name = "gridsight-leader:" + options_.instance;
        db = std::make_unique<pg::Connection>(
            options_.dsn +
                " keepalives=1 keepalives_idle=" + std::to_string(options_.keepalive_idle_s) +
                " keepalives_interval=" + std::to_string(options_.keepalive_interval_s) +
                " keepalives_count=" + std::to_string(options_.keepalive_count),
            co);
        // The server side too, so a leader whose host vanished loses the lock quickly.
        db->exec("SET tcp_keepalives_idle = " + std::to_string(options_.keepalive_idle_s));
        db->exec("SET tcp_keepalives_interval = " + std::to_string(options_.keepalive_interval_s));
        db->exec("SET tcp_keepalives_count = " + std::to_string(options_.keepalive_count));
        set_problem({});
      }
      if (leader_) {
        // Still our session? (A terminated or lost session has released the lock.)
        auto r = db->exec(
            "SELECT EXISTS(SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
            "pid = pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = " +
            key + ")");
        if (!r.boolean(0, 0)) set_leader(false);
      } else {
        auto r = db->exec("SELECT pg_try_advisory_lock(" + key + ")");
        if (r.boolean(0, 0)) set_leader(true);
      }
    } catch (const pg::Error& e) {
      set_problem(e.what());
      spdlog::warn("cluster: {}: {}", options_.instance, e.what());
      db.reset();
      set_leader(false);
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, options_.retry, [&] { return stopping_; })) break;
  }
  if (db && leader_) {
    try {
      db->exec("SELECT pg_advisory_unlock(" + key + ")");
    } catch (const pg::Error&) {
      // The session ends below anyway, and with it the lock.
    }
  }
  db.reset();
  set_leader(false);
}

}  // namespace gridsight::aggregator::cluster
