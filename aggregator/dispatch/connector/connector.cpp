#include "aggregator/dispatch/connector/connector.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "aggregator/cases/lifecycle.h"
#include "common/backoff.h"
#include "common/clock.h"
#include "common/http/client.h"
#include "common/metrics.h"

namespace gridsight::connector {
namespace {

bool filed_or_later(cases::State s) {
  switch (s) {
    case cases::State::kFiled:
    case cases::State::kDispatched:
    case cases::State::kReturned:
    case cases::State::kParked:
    case cases::State::kResolved:
    case cases::State::kVerified:
    case cases::State::kClosed:
    case cases::State::kEvaluated:
      return true;
    default:
      return false;
  }
}

// Keeps what a log line or dead letter shows of a platform answer short.
std::string clip(const std::string& s, std::size_t n = 2000) {
  return s.size() <= n ? s : s.substr(0, n) + "...";
}

http::ClientOptions client_options(const ConnectorConfig& c) {
  http::ClientOptions o;
  o.ca_file = c.ca_file;
  o.connect_timeout_ms = c.connect_timeout_ms;
  o.timeout_ms = c.timeout_ms;
  o.user_agent = "gridsight-connector";
  return o;
}

// Our case id from a callback field: 12, "12" or "gridsight-12".
std::optional<cases::CaseId> case_id_of(const nlohmann::json& v) {
  if (v.is_number_integer()) return v.get<cases::CaseId>();
  if (!v.is_string()) return std::nullopt;
  std::string s = v.get<std::string>();
  if (s.rfind("gridsight-", 0) == 0) s = s.substr(10);
  if (s.empty() || s.size() > 18) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoll(s);
}

}  // namespace

nlohmann::json CallbackResult::to_json() const {
  return {{"outcome", outcome}, {"reason", reason}};
}

Connector::Connector(ConnectorConfig config, const std::string& queue_path, EngineAccess engine,
                     const Clock& clock, Metrics& metrics)
    : config_(std::move(config)),
      actor_("platform:" + config_.name),
      engine_(std::move(engine)),
      clock_(clock),
      queue_(std::make_unique<PushQueue>(queue_path)),
      push_client_(std::make_unique<http::Client>(client_options(config_))),
      poll_client_(std::make_unique<http::Client>(client_options(config_))),
      queued_(
          metrics.counter("gridsight_connector_queued_total", "Messages queued for the platform")),
      sent_(metrics.counter("gridsight_connector_sent_total", "Messages the platform accepted")),
      retried_(metrics.counter("gridsight_connector_retried_total",
                               "Failed deliveries that will be retried")),
      dead_(metrics.counter("gridsight_connector_dead_lettered_total",
                            "Messages the platform refused for good")),
      enqueue_failed_(metrics.counter("gridsight_connector_enqueue_failures_total",
                                      "Outputs that could not be queued (storage error)")),
      status_applied_(metrics.counter("gridsight_connector_status_applied_total",
                                      "Platform statuses applied to cases")),
      status_unknown_(metrics.counter("gridsight_connector_status_refused_total",
                                      "Platform statuses refused", {{"reason", "unknown"}})),
      status_illegal_(metrics.counter("gridsight_connector_status_refused_total",
                                      "Platform statuses refused", {{"reason", "illegal"}})),
      poll_failed_(
          metrics.counter("gridsight_connector_poll_failures_total", "Status polls that failed")),
      depth_(metrics.gauge("gridsight_connector_queue_depth", "Messages waiting for delivery")),
      oldest_age_(metrics.gauge("gridsight_connector_oldest_age_seconds",
                                "Age of the oldest waiting message")) {
  update_gauges();
}

Connector::~Connector() {
  stop();
}

void Connector::start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  worker_ = std::thread([this] { deliver_loop(); });
  if (!config_.status_url.empty()) poller_ = std::thread([this] { poll_loop(); });
}

void Connector::stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  if (poller_.joinable()) poller_.join();
  std::lock_guard lock(mu_);
  running_ = false;
}

bool Connector::wait_for(std::int64_t ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping_; });
  return !stopping_;
}

bool Connector::matches(const cases::CaseOutput& o) const {
  if (!config_.classes.empty() && std::find(config_.classes.begin(), config_.classes.end(),
                                            o.class_code) == config_.classes.end()) {
    return false;
  }
  if (config_.cell_prefixes.empty()) return true;
  for (const auto& p : config_.cell_prefixes) {
    if (o.cell_code.rfind(p, 0) == 0) return true;
  }
  return false;
}

void Connector::publish(const cases::CaseOutput& o) {
  try {
    const bool known = queue_->known(o.case_id);
    if (!known && !(filed_or_later(o.state) && matches(o))) return;
    const bool open = cases::is_open(o.state);
    if (known) {
      const bool echo = o.transition && o.transition->actor == actor_;
      if (!config_.push_updates || config_.update_endpoint.empty() ||
          (echo && !config_.echo_platform_actions)) {
        queue_->set_engine_state(o.case_id, cases::to_string(o.state), open);
        return;
      }
    }
    cases::Case c;
    if (auto found = engine_.lookup ? engine_.lookup(o.case_id) : std::nullopt) {
      c = std::move(*found);
    } else {  // what the output says
      c.id = o.case_id;
      c.class_code = o.class_code;
      c.cell_code = o.cell_code;
      c.state = o.state;
    }
    CaseNames names = engine_.names ? engine_.names(c) : CaseNames{};
    const auto now = clock_.now_ms();
    int seq = queue_->enqueue(
        o.case_id, cases::to_string(o.state), open,
        [&](int s) {
          auto view = case_view(c, o, names, s);
          const bool first = s == 1;
          // The first message is the new case, whichever output made it filed.
          if (first) view["kind"] = "new_case";
          auto doc = render(first ? config_.fields : config_.update_fields, view);
          return std::make_pair(
              with_case_id(first ? config_.endpoint : config_.update_endpoint, o.case_id),
              doc.dump());
        },
        now);
    queued_.inc();
    spdlog::debug("connector: case {} message {} queued", o.case_id, seq);
  } catch (const std::exception& e) {
    enqueue_failed_.inc();
    spdlog::error("connector: case {} {}: not queued: {}", o.case_id, cases::to_string(o.kind),
                  e.what());
  }
  cv_.notify_all();  // the worker also refreshes the gauges
}

void Connector::update_gauges() {
  try {
    auto s = queue_->stats();
    depth_.set(static_cast<double>(s.depth));
    oldest_age_.set(s.oldest_created_ms
                        ? static_cast<double>(clock_.now_ms() - s.oldest_created_ms) / 1000.0
                        : 0.0);
  } catch (const std::exception& e) {
    spdlog::warn("connector: queue statistics: {}", e.what());
  }
}

QueueStats Connector::stats() {
  return queue_->stats();
}

Connector::Delivery Connector::deliver(const QueueItem& item, std::int64_t* retry_after_ms) {
  auto& client = push_client_;
  http::ClientRequest r;
  r.method = "POST";
  r.url = item.url;
  r.content_type = "application/json";
  r.body = item.body;
  r.headers.emplace_back("Idempotency-Key", "gridsight-" + std::to_string(item.case_id) + "-" +
                                                std::to_string(item.seq));
  if (!config_.token.empty()) r.headers.emplace_back(config_.auth_header, config_.token);
  auto res = client->request(r);
  const auto now = clock_.now_ms();
  if (!res.ok()) {
    spdlog::warn("connector: case {} message {}: {} (attempt {})", item.case_id, item.seq,
                 res.error, item.attempts + 1);
    queue_->mark_retry(item.id, res.error);
    return Delivery::kRetry;
  }
  const int status = res.response->status;
  if ((status >= 200 && status < 300) || status == 409) {
    queue_->mark_sent(item.id, status, now);
    spdlog::debug("connector: case {} message {} accepted ({})", item.case_id, item.seq, status);
    return Delivery::kAccepted;
  }
  if (status == 408 || status == 425 || status == 429 || status >= 500) {
    auto after = res.response->header("Retry-After");
    if (!after.empty() && after.size() < 7 &&
        after.find_first_not_of("0123456789") == std::string::npos) {
      *retry_after_ms = std::stoll(after) * 1000;
    }
    queue_->mark_retry(item.id, "HTTP " + std::to_string(status));
    spdlog::warn("connector: case {} message {}: platform answered {} (attempt {})", item.case_id,
                 item.seq, status, item.attempts + 1);
    return Delivery::kRetry;
  }
  queue_->mark_dead(item.id, status, clip(res.response->body), now);
  spdlog::error("connector: case {} message {} dead-lettered: platform answered {}: {}",
                item.case_id, item.seq, status, clip(res.response->body, 300));
  return Delivery::kDead;
}

void Connector::deliver_loop() {
  BackoffPolicy policy;
  policy.initial_ms = config_.backoff_initial_ms;
  policy.max_ms = config_.backoff_max_ms;
  Backoff backoff(policy);
  std::int64_t last_prune_ms = 0;
  while (true) {
    std::optional<QueueItem> item;
    try {
      item = queue_->head();
    } catch (const std::exception& e) {
      spdlog::error("connector: queue: {}", e.what());
      if (!wait_for(1'000)) return;
      continue;
    }
    if (!item) {
      const auto now = clock_.now_ms();
      if (now - last_prune_ms >= 3'600'000) {  // idle: drop what was delivered long ago
        last_prune_ms = now;
        try {
          if (int n = queue_->prune_sent(now - config_.keep_sent_ms)) {
            spdlog::debug("connector: {} delivered messages pruned", n);
          }
        } catch (const std::exception& e) {
          spdlog::warn("connector: pruning: {}", e.what());
        }
      }
      update_gauges();
      std::unique_lock lock(mu_);
      if (stopping_) return;
      cv_.wait_for(lock, std::chrono::seconds(1));  // publish() wakes it; gauges refresh
      if (stopping_) return;
      continue;
    }
    std::int64_t retry_after = 0;
    Delivery d = Delivery::kRetry;
    try {
      d = deliver(*item, &retry_after);
    } catch (const std::exception& e) {  // storage errors: try again later
      spdlog::error("connector: case {} message {}: {}", item->case_id, item->seq, e.what());
    }
    switch (d) {
      case Delivery::kAccepted:
        sent_.inc();
        backoff.reset();
        break;
      case Delivery::kDead:
        dead_.inc();
        backoff.reset();
        break;
      case Delivery::kRetry: {
        retried_.inc();
        update_gauges();
        // The whole platform is treated as unavailable: the queue waits (and keeps order).
        std::int64_t delay = std::max(backoff.next_delay_ms(), retry_after);
        if (!wait_for(std::min(delay, config_.backoff_max_ms))) return;
        break;
      }
    }
    update_gauges();
    std::lock_guard lock(mu_);
    if (stopping_) return;
  }
}

void Connector::poll_loop() {
  while (wait_for(config_.poll_interval_ms)) {
    try {
      poll_once();
    } catch (const std::exception& e) {
      spdlog::error("connector: status poll: {}", e.what());
    }
  }
}

void Connector::poll_once() {
  if (config_.status_url.empty()) return;
  std::lock_guard poll_lock(poll_mu_);
  auto& client = poll_client_;
  http::Headers headers;
  if (!config_.token.empty()) headers.emplace_back(config_.auth_header, config_.token);
  for (auto id : queue_->pollable()) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    auto res = client->get(with_case_id(config_.status_url, id), headers);
    if (!res.ok() || res.response->status != 200) {
      if (res.ok() && res.response->status == 404) continue;  // not known there (yet)
      poll_failed_.inc();
      spdlog::warn("connector: status of case {}: {}", id,
                   res.ok() ? "HTTP " + std::to_string(res.response->status) : res.error);
      if (!res.ok()) return;  // the platform is away: the next round tries again
      continue;
    }
    auto doc = nlohmann::json::parse(res.response->body, nullptr, false);
    if (!doc.is_object() || !doc.contains(config_.status_field) ||
        !doc[config_.status_field].is_string()) {
      poll_failed_.inc();
      spdlog::warn("connector: status of case {}: no \"{}\" text in the answer", id,
                   config_.status_field);
      continue;
    }
    auto text = [&](const std::string& key) {
      auto it = doc.find(key);
      return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    apply_status(id, doc[config_.status_field].get<std::string>(), text(config_.department_field),
                 text(config_.note_field));
  }
}

CallbackResult Connector::apply_callback(const nlohmann::json& body) {
  CallbackResult r;
  r.outcome = "refused";
  r.http_status = 400;
  if (!body.is_object()) {
    r.reason = "the body must be a JSON object";
    return r;
  }
  auto id_it = body.find(config_.case_field);
  auto st_it = body.find(config_.status_field);
  if (id_it == body.end()) {
    r.reason = "\"" + config_.case_field + "\" is missing";
    return r;
  }
  auto id = case_id_of(*id_it);
  if (!id) {
    r.reason = "\"" + config_.case_field + "\" is not a case number";
    return r;
  }
  if (st_it == body.end() || !st_it->is_string()) {
    r.reason = "\"" + config_.status_field + "\" must be text";
    return r;
  }
  auto text = [&](const std::string& key) -> std::optional<std::string> {
    auto it = body.find(key);
    if (it == body.end()) return std::string();
    if (!it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto department = text(config_.department_field);
  auto note = text(config_.note_field);
  if (!department || !note) {
    r.reason =
        "\"" + config_.department_field + "\" and \"" + config_.note_field + "\" must be text";
    return r;
  }
  for (const auto& [k, v] : body.items()) {
    if (k != config_.case_field && k != config_.status_field && k != config_.department_field &&
        k != config_.note_field) {
      r.reason = "unknown field \"" + k + "\"";
      return r;
    }
  }
  if (!queue_->known(*id)) {
    r.http_status = 404;
    r.reason = "case " + std::to_string(*id) + " was not pushed to this platform";
    return r;
  }
  return apply_status(*id, st_it->get<std::string>(), *department, *note);
}

CallbackResult Connector::apply_status(cases::CaseId id, const std::string& status,
                                       const std::string& department, const std::string& note) {
  CallbackResult r;
  if (queue_->platform_status(id) == status) {
    r.outcome = "unchanged";
    r.reason = "the case already had status \"" + status + "\"";
    return r;
  }
  r.outcome = "refused";
  auto mapped = config_.status_map.find(status);
  if (mapped == config_.status_map.end()) {
    status_unknown_.inc();
    queue_->set_platform_status(id, status);  // refused once, not at every poll
    r.http_status = 422;
    r.reason = "unknown platform status \"" + status + "\"";
    spdlog::warn("connector: case {}: {}", id, r.reason);
    return r;
  }
  cases::Command cmd;
  cmd.action = *cases::action_from_string(mapped->second);
  cmd.actor = actor_;
  cmd.note = note.empty() ? "platform status " + status : note;
  cmd.department = department;
  if (cmd.action == cases::Action::kReject) cmd.label = "not_our_matter";
  if (cmd.action == cases::Action::kRework && note.empty()) cmd.note = "platform status " + status;
  try {
    auto c = engine_.act(id, cmd);
    queue_->set_platform_status(id, status);
    queue_->set_engine_state(id, cases::to_string(c.state), cases::is_open(c.state));
    status_applied_.inc();
    r.http_status = 200;
    r.outcome = "applied";
    r.reason = std::string(cases::to_string(cmd.action)) + ": case is " + cases::to_string(c.state);
    spdlog::info("connector: case {}: platform status \"{}\" applied ({})", id, status, r.reason);
  } catch (const cases::CaseError& e) {
    status_illegal_.inc();
    queue_->set_platform_status(id, status);
    r.http_status = e.code() == cases::CaseError::Code::kNotFound ? 404 : 409;
    r.reason = e.what();
    spdlog::warn("connector: case {}: platform status \"{}\" refused: {}", id, status, e.what());
  }
  return r;
}

}  // namespace gridsight::connector
