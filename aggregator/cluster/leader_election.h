#pragma once
// Exactly one active case engine among several aggregator instances (docs/scaling.md).
//
// Leadership is a PostgreSQL session-level advisory lock held on a connection of its own: the
// server releases it the moment that session ends (the process is killed, its host dies and
// TCP keepalives expire, an operator terminates the backend). Standbys try to take it every
// `retry`; the leader checks its session every `retry` and steps down at once when the check
// fails, since it can no longer know that it holds the lock.
//
// One thread owns the connection; leadership changes are reported through `on_change`
// (called on that thread: post them to whoever acts on them).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace gridsight::aggregator::cluster {

class LeaderElection {
 public:
  struct Options {
    std::string dsn;
    std::int64_t lock_key = 0x6773636173657300;  // "gscases": one key per case engine
    std::chrono::milliseconds retry{500};
    // How fast the server notices a silent peer (host gone): TCP keepalive idle+interval×count.
    int keepalive_idle_s = 5, keepalive_interval_s = 2, keepalive_count = 2;
    std::string instance = "aggregator";  // shown in pg_stat_activity.application_name
  };
  using OnChange = std::function<void(bool leader)>;

  LeaderElection(Options options, OnChange on_change);
  ~LeaderElection();
  LeaderElection(const LeaderElection&) = delete;
  LeaderElection& operator=(const LeaderElection&) = delete;

  void start();
  void stop();  // steps down (releases the lock) if leader
  bool is_leader() const { return leader_.load(); }
  // The last connection problem, for readiness and metrics ("" when connected).
  std::string problem() const;

 private:
  void run();
  void set_leader(bool leader);
  void set_problem(std::string p);

  Options options_;
  OnChange on_change_;
  std::atomic<bool> leader_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::string problem_;
};

}  // namespace gridsight::aggregator::cluster
