#pragma once
// The connector to an external case platform (docs/connector.md). As a CaseSink it turns
// each filed case of the configured classes and cells into a message in a durable queue
// (committed before publish() returns), and later outputs of that case into update
// messages. A worker thread POSTs them in order with an Idempotency-Key
// "gridsight-<case>-<seq>", retrying with exponential backoff and jitter until the platform
// accepts (2xx, or 409: it has it already); other 4xx (but 408/429) are dead-lettered with
// the platform's answer. Status changes come back by polling and through apply_callback();
// configured platform statuses map to lifecycle actions applied as "platform:<name>".

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "aggregator/cases/case.h"
#include "aggregator/cases/case_engine.h"
#include "aggregator/cases/case_sink.h"
#include "aggregator/dispatch/connector/connector_config.h"
#include "aggregator/dispatch/connector/field_map.h"
#include "aggregator/dispatch/connector/push_queue.h"

namespace gridsight {
class Clock;
namespace http {
class Client;
}
class Counter;
class Gauge;
class Metrics;
}  // namespace gridsight

namespace gridsight::connector {

// How the connector reaches the engine. `lookup` runs inside publish() (the engine's
// thread); `act` must serialise with the engine's other callers (it is called from the poll
// thread and from apply_callback's caller).
struct EngineAccess {
  std::function<std::optional<cases::Case>(cases::CaseId)> lookup;
  std::function<CaseNames(const cases::Case&)> names;  // optional
  std::function<cases::Case(cases::CaseId, const cases::Command&)> act;
};

struct CallbackResult {
  int http_status = 200;  // 200 applied/unchanged, 400 malformed, 404 unknown case,
                          // 409 illegal in the case's state, 422 unknown status
  std::string outcome;    // "applied", "unchanged", "refused"
  std::string reason;
  nlohmann::json to_json() const;
};

class Connector final : public cases::CaseSink {
 public:
  Connector(ConnectorConfig config, const std::string& queue_path, EngineAccess engine,
            const Clock& clock, Metrics& metrics);
  ~Connector() override;
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

  void start();  // the delivery worker and (when status.url is set) the poller
  void stop();

  void publish(const cases::CaseOutput& output) override;

  // A status report from the platform: {"<case_field>": 12, "<status_field>": "done", ...}.
  CallbackResult apply_callback(const nlohmann::json& body);
  // One status poll of every pushed open case (the poller runs it every poll_interval).
  void poll_once();

  const std::string& actor() const { return actor_; }
  PushQueue& queue() { return *queue_; }
  QueueStats stats();

 private:
  enum class Delivery { kAccepted, kRetry, kDead };
  void deliver_loop();
  void poll_loop();
  Delivery deliver(const QueueItem& item, std::int64_t* retry_after_ms);
  CallbackResult apply_status(cases::CaseId id, const std::string& status,
                              const std::string& department, const std::string& note);
  bool matches(const cases::CaseOutput& o) const;
  void update_gauges();
  bool wait_for(std::int64_t ms);  // false when stopping

  ConnectorConfig config_;
  std::string actor_;
  EngineAccess engine_;
  const Clock& clock_;
  std::unique_ptr<PushQueue> queue_;
  std::unique_ptr<http::Client> push_client_;  // the worker's
  std::unique_ptr<http::Client> poll_client_;  // poll_once's (under poll_mu_)
  std::mutex poll_mu_;

  Counter& queued_;
  Counter& sent_;
  Counter& retried_;
  Counter& dead_;
  Counter& enqueue_failed_;
  Counter& status_applied_;
  Counter& status_unknown_;
  Counter& status_illegal_;
  Counter& poll_failed_;
  Gauge& depth_;
  Gauge& oldest_age_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool running_ = false;
  std::thread worker_;
  std::thread poller_;
};

}  // namespace gridsight::connector
