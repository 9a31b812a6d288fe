#pragma once
// The live feed: the engine's stored outputs (CaseOutputLog, ids increasing) sent to every
// subscribed event stream. A subscriber resuming after id N first gets every output after N
// from the store, then live ones, so nothing is lost across reconnects. One thread sends each
// subscriber what it lacks when woken: by the case service handing it a committed output
// (publish), by a new subscriber, or by a subscriber's connection that has drained. A
// replay is paged from the store at the client's pace (at most 256 frames queued per
// client), so a long Last-Event-ID backlog never overflows the connection. No timer reads
// the log; a ping every 15 s keeps proxies from closing idle streams.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "aggregator/cases/case_output_log.h"
#include "aggregator/cases/case_sink.h"

namespace gridsight::http {
class EventStream;
}

namespace gridsight::api {

class FeedHub final : public cases::CaseSink {
 public:
  using OpenLog = std::function<std::unique_ptr<cases::CaseOutputLog>()>;
  // The feed's own reader of the outputs, opened by start().
  explicit FeedHub(OpenLog open_log);
  ~FeedHub() override;
  void start();
  void stop();
  // since: resume after this id (nullopt: only new entries). department: only outputs of
  // cases involving it (empty: all).
  void subscribe(std::shared_ptr<http::EventStream> stream, std::optional<std::int64_t> since,
                 std::string department);
  void notify();
  // A committed output (the case service's thread): wakes the feed.
  void publish(const cases::CaseOutput&) override { notify(); }
  // A fleet alert (JSON) to every subscriber except department users; live only (no id:
  // the browser's Last-Event-ID stays the last case entry's).
  void broadcast_alert(const std::string& json);
  std::size_t subscribers() const;

  // "id: N\nevent: case\ndata: {...}\n\n"
  static std::string frame(std::int64_t id, const std::string& body);

 private:
  struct Sub {
    std::shared_ptr<http::EventStream> stream;
    std::int64_t cursor = -1;  // -1: start at the head (feed thread only)
    std::string department;
    std::atomic<bool> held{false};  // waiting for its connection to drain
  };
  void run();
  void round();

  OpenLog open_log_;
  std::unique_ptr<cases::CaseOutputLog> log_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;
  bool woken_ = false;
  std::vector<std::shared_ptr<Sub>> subs_;
  std::thread thread_;
};

}  // namespace gridsight::api
