#include "edge/uplink/uplink.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <utility>

#include "common/clock.h"
#include "common/config/section.h"
#include "common/metrics.h"
#include "common/mqtt/session.h"
#include "edge/outbox/outbox.h"
#include "protocol/evidence_frame.h"
#include "protocol/ids.h"
#include "protocol/limits.h"

namespace gridsight::edge {

UplinkConfig UplinkConfig::read(config::Section& s) {
  UplinkConfig c;
  c.unconfirmed_window = static_cast<std::size_t>(
      s.integer("unconfirmed_window", static_cast<std::int64_t>(c.unconfirmed_window), 1, 100'000));
  c.resend_timeout_ms = s.duration_ms("resend_timeout", c.resend_timeout_ms, 200, 3'600'000);
  c.resend_timeout_max_ms =
      s.duration_ms("resend_timeout_max", std::max(c.resend_timeout_max_ms, c.resend_timeout_ms),
                    200, 86'400'000);
  if (c.resend_timeout_max_ms < c.resend_timeout_ms) {
    s.fail("resend_timeout_max", "must be at least uplink.resend_timeout");
  }
  c.telemetry_interval_ms =
      s.duration_ms("telemetry_interval", c.telemetry_interval_ms, 200, 3'600'000);
  auto e = s.section("evidence");
  c.evidence_chunk_bytes = static_cast<std::size_t>(
      e.bytes("chunk_size", c.evidence_chunk_bytes, 1024, protocol::kMaxEvidenceChunk));
  c.evidence_rate_bytes_per_s =
      e.bytes("rate_per_second", c.evidence_rate_bytes_per_s, 0, 1ULL << 34);
  c.evidence_inflight_chunks = static_cast<std::size_t>(
      e.integer("inflight_chunks", static_cast<std::int64_t>(c.evidence_inflight_chunks), 1, 1024));
  e.finish();
  s.finish();
  return c;
}

const char* to_string(AggregatorPresence p) {
  switch (p) {
    case AggregatorPresence::kOnline:
      return "online";
    case AggregatorPresence::kOffline:
      return "offline";
    case AggregatorPresence::kUnknown:
      break;
  }
  return "unknown";
}

struct Uplink::Metrics_ {
  explicit Metrics_(Metrics& m)
      : published(m.counter("gridsight_edge_uplink_published_total", "Event messages published")),
        resent(m.counter("gridsight_edge_uplink_resent_total",
                         "Events published again after a timeout or reconnect")),
        refused(m.counter("gridsight_edge_uplink_refused_total",
                          "Publishes the broker refused (e.g. reason 135, not authorized)")),
        bad_acks(m.counter("gridsight_edge_uplink_bad_messages_total",
                           "Malformed acknowledgements or commands received")),
        evidence_bytes(
            m.counter("gridsight_edge_uplink_evidence_bytes_total", "Evidence bytes published")),
        unconfirmed(m.gauge("gridsight_edge_uplink_unconfirmed", "Events awaiting the aggregator")),
        aggregator_online(m.gauge("gridsight_edge_uplink_aggregator_online",
                                  "The aggregator's presence: 1 online, 0 offline, -1 unknown")) {
    aggregator_online.set(-1);
  }
  Counter& published;
  Counter& resent;
  Counter& refused;
  Counter& bad_acks;
  Counter& evidence_bytes;
  Gauge& unconfirmed;
  Gauge& aggregator_online;
};

Uplink::Uplink(std::string device_id, mqtt::Options mqtt, UplinkConfig config, Outbox& outbox,
               Clock& clock, Metrics& metrics, std::function<std::string()> telemetry,
               std::string version)
    : device_id_(std::move(device_id)),
      mqtt_options_(std::move(mqtt)),
      config_(config),
      outbox_(outbox),
      clock_(clock),
      m_(std::make_unique<Metrics_>(metrics)),
      telemetry_(std::move(telemetry)),
      version_(std::move(version)),
      session_id_(protocol::new_event_id()),
      topics_(mqtt_options_.topic_root),
      resend_after_ms_(config_.resend_timeout_ms) {
  if (mqtt_options_.client_id.empty()) mqtt_options_.client_id = device_id_;
  mqtt::Will will{topics_.device(device_id_, protocol::TopicKind::kState),
                  state_message(false, "lost"), true};
  mqtt::Session::Handlers h;
  h.on_connected = [this](bool session_present) { on_connected(session_present); };
  h.on_connection_lost = [this](const std::string& cause) {
    spdlog::warn("uplink: connection lost: {}", cause.empty() ? "no reason given" : cause);
    std::lock_guard lock(mu_);
    last_error_ = "connection lost";
    cv_.notify_all();
  };
  h.on_message = [this](std::string topic, std::string payload) {
    on_message(topic, std::move(payload));
  };
  session_ =
      std::make_unique<mqtt::Session>(mqtt_options_, will, std::move(h), metrics, "gridsight_edge");
}

Uplink::~Uplink() {
  stop();
  session_.reset();  // no Paho callback may run once the members it uses are gone
}

std::string Uplink::state_message(bool online, const std::string& reason) const {
  protocol::DeviceState s;
  s.device_id = device_id_;
  s.online = online;
  s.reason = reason;
  s.version = version_;
  s.session = session_id_;
  s.at_ms = online || reason == "shutdown" ? clock_.now_ms() : 0;
  s.clock_synced = system_clock_synchronised();
  return protocol::encode(s);
}

void Uplink::start() {
  if (running_.exchange(true)) return;
  session_->start();
  thread_ = std::thread([this] { run(); });
}

void Uplink::stop() {
  if (!running_.exchange(false)) return;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  session_->stop(mqtt::Will{topics_.device(device_id_, protocol::TopicKind::kState),
                            state_message(false, "shutdown"), true});
}

void Uplink::wake() {
  std::lock_guard lock(mu_);
  woken_ = true;
  cv_.notify_all();
}

void Uplink::on_command(std::function<void(std::string)> handler) {
  std::lock_guard lock(mu_);
  command_handler_ = std::move(handler);
}

bool Uplink::publish_command_result(const std::string& payload) {
  const std::string topic = topics_.device(device_id_, protocol::TopicKind::kCommandResult);
  return session_->publish(topic, payload, 1, false, [this, topic](const mqtt::PublishResult& res) {
    if (!res.ok) report_refusal("command result on " + topic, res);
  });
}

void Uplink::on_connected(bool session_present) {
  // Runs on the session's thread right after each connect.
  auto refused = session_->subscribe({topics_.device(device_id_, protocol::TopicKind::kAck),
                                      topics_.device(device_id_, protocol::TopicKind::kCommand)},
                                     1);
  if (!refused.empty()) {
    // Most likely the certificate was issued to another device id than this box's
    // configuration says. Keep going: publishes will be refused and reported too, and the
    // outbox keeps every event until the identity is fixed.
    spdlog::error(
        "uplink: not authorized for device {}'s topics: does this box's certificate "
        "name it? (check device_id and mqtt.tls.cert_file)",
        device_id_);
  }
  if (!session_->subscribe({topics_.aggregator_state()}, 1).empty()) {
    spdlog::warn(
        "uplink: cannot read the aggregator's presence on {} (an ACL older than it: "
        "rewrite it with gridsight-pki acl); unconfirmed events are re-sent on timeouts",
        topics_.aggregator_state());
  }
  std::uint64_t generation;
  {
    std::lock_guard lock(mu_);
    session_present_ = session_present;
    generation = ++connect_generation_;
    last_error_ = refused.empty() ? "" : "subscription refused by the broker";
    cv_.notify_all();
  }
  // The birth message goes first and alone; events follow once the broker has taken it.
  const std::string state_topic = topics_.device(device_id_, protocol::TopicKind::kState);
  session_->publish(state_topic, state_message(true, ""), 1, true,
                    [this, state_topic, generation](const mqtt::PublishResult& res) {
                      if (!res.ok) {
                        report_refusal("birth message on " + state_topic, res);
                        return;
                      }
                      std::lock_guard lock(mu_);
                      admitted_generation_ = generation;
                      woken_ = true;
                      cv_.notify_all();
                    });
}

void Uplink::report_refusal(const std::string& what, const mqtt::PublishResult& res) {
  if (!res.refused()) {
    // Not an answer of the broker: the connection went before its PUBACK came. Events stay
    // in the outbox until confirmed and the birth message is published at every connect.
    spdlog::warn("uplink: the {} was not acknowledged before the connection dropped ({})", what,
                 res.error);
    return;
  }
  ++refused_total_;
  m_->refused.inc();
  spdlog::error("uplink: the broker refused the {} ({}){}", what, res.error,
                res.reason_code == 135 ? ": not authorized for this device id" : "");
  std::lock_guard lock(mu_);
  last_error_ = "publish refused: " + res.error;
}

void Uplink::on_message(const std::string& topic, std::string payload) {
  if (topic == topics_.aggregator_state()) {
    AggregatorPresence p = AggregatorPresence::kUnknown;  // an empty payload clears it
    if (!payload.empty()) {
      auto state = protocol::decode_state(payload);
      if (!state) {
        m_->bad_acks.inc();
        spdlog::warn("uplink: malformed aggregator presence ignored: {}", state.error.describe());
        return;
      }
      p = state.value->online ? AggregatorPresence::kOnline : AggregatorPresence::kOffline;
    }
    std::lock_guard lock(mu_);
    presence_update_ = p;
    cv_.notify_all();
    return;
  }
  auto t = topics_.parse(topic);
  if (!t || t->device_id != device_id_) return;
  if (t->kind == protocol::TopicKind::kAck) {
    auto ack = protocol::decode_ack(payload);
    if (!ack) {
      m_->bad_acks.inc();
      spdlog::warn("uplink: malformed acknowledgement ignored: {}", ack.error.describe());
      return;
    }
    std::lock_guard lock(mu_);
    acks_.push_back(std::move(*ack.value));
    cv_.notify_all();
  } else if (t->kind == protocol::TopicKind::kCommand) {
    std::function<void(std::string)> handler;
    {
      std::lock_guard lock(mu_);
      handler = command_handler_;
    }
    if (handler) handler(std::move(payload));
  }
}

void Uplink::run() {
  while (running_) {
    heartbeat_ms_ = clock_.steady_ms();
    std::vector<protocol::Ack> acks;
    std::vector<std::uint64_t> pubacked;
    std::optional<AggregatorPresence> presence;
    std::uint64_t generation;
    std::uint64_t admitted;
    bool session_present;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(50), [&] {
        return !running_ || woken_ || !acks_.empty() || presence_update_.has_value();
      });
      acks.swap(acks_);
      pubacked.swap(pubacked_);
      presence = std::exchange(presence_update_, std::nullopt);
      woken_ = false;
      generation = connect_generation_;
      admitted = admitted_generation_;
      session_present = session_present_;
    }
    try {
      const std::int64_t now = clock_.steady_ms();
      for (auto seq : pubacked) {
        if (auto it = unconfirmed_.find(seq); it != unconfirmed_.end()) it->second.pubacked = true;
      }
      if (!acks.empty()) handle_acks(acks);
      if (presence) apply_presence(*presence, now);
      if (!session_->connected()) continue;
      if (generation != seen_generation_) {
        seen_generation_ = generation;
        on_reconnected(session_present);
      }
      // Nothing before the birth message of this connection is taken (generation 0: before
      // the first connect's set-up).
      if (generation == 0 || admitted != generation) continue;
      resend_if_due(now);
      fill_window(now);
      if (now - last_debug_ms_ >= 1000) {
        last_debug_ms_ = now;
        spdlog::debug("uplink: {} unconfirmed, {} awaiting PUBACK, cursor {}", unconfirmed_.size(),
                      awaiting_puback_->load(), cursor_);
      }
      send_notices(now);
      send_evidence(now);
      send_telemetry(now);
    } catch (const std::exception& e) {
      // Environment failures (disk, database): log, keep the loop alive, try again later.
      spdlog::error("uplink: {}", e.what());
      {
        std::lock_guard lock(mu_);
        last_error_ = e.what();
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    unconfirmed_count_ = unconfirmed_.size();
    awaiting_count_ = awaiting_puback_->load();
    m_->unconfirmed.set(static_cast<double>(unconfirmed_.size()));
  }
}

void Uplink::on_reconnected(bool session_present) {
  // The broker kept this box's session: it also kept what it took for the aggregator's
  // session, so only what it had not taken (no PUBACK) is sent again. Without the session
  // (a broker that lost its state) everything unconfirmed is sent again, oldest first. What
  // a broker lost after its last save is sent again by resend_if_due.
  auto first = unconfirmed_.begin();
  if (session_present) {
    first = std::find_if(unconfirmed_.begin(), unconfirmed_.end(),
                         [](const auto& entry) { return !entry.second.pubacked; });
  }
  const auto again = static_cast<std::size_t>(std::distance(first, unconfirmed_.end()));
  if (again > 0) {
    resent_total_ += again;
    m_->resent.inc(again);
  }
  unconfirmed_.erase(first, unconfirmed_.end());
  cursor_ = unconfirmed_.empty() ? 0 : unconfirmed_.rbegin()->first;
  evidence_.clear();
  last_notice_ms_ = 0;
  awaiting_puback_ = std::make_shared<std::atomic<std::size_t>>(0);
}

void Uplink::apply_presence(AggregatorPresence p, std::int64_t now) {
  if (p == aggregator_) return;
  const AggregatorPresence was = aggregator_;
  aggregator_ = p;
  aggregator_seen_ = p;
  m_->aggregator_online.set(p == AggregatorPresence::kOnline    ? 1
                            : p == AggregatorPresence::kOffline ? 0
                                                                : -1);
  if (p == AggregatorPresence::kOffline) {
    spdlog::info(
        "uplink: the aggregator is offline: the broker keeps what it took for it, "
        "nothing is sent again until it returns ({} events unconfirmed)",
        unconfirmed_.size());
  } else if (was == AggregatorPresence::kOffline) {
    spdlog::info(
        "uplink: the aggregator is {}: waiting for its confirmations ({} events "
        "unconfirmed)",
        to_string(p), unconfirmed_.size());
  }
  // The re-send timeout starts again (the broker now delivers its backlog) without back-off.
  last_progress_ms_ = now;
  resend_after_ms_ = config_.resend_timeout_ms;
  for (auto& [hash, e] : evidence_) e.last_progress_ms = now;
}

void Uplink::resend_if_due(std::int64_t now) {
  if (unconfirmed_.empty() || aggregator_ == AggregatorPresence::kOffline) return;
  const std::int64_t oldest = unconfirmed_.begin()->second.at_ms;
  // Nothing confirmed for the (backed-off) timeout; or the oldest waited the longest timeout
  // while later ones were confirmed (the broker lost that one).
  const bool stalled = now - std::max(oldest, last_progress_ms_) >= resend_after_ms_;
  const bool stuck = now - oldest >= config_.resend_timeout_max_ms;
  if (!stalled && !stuck) return;
  spdlog::info("uplink: {} events unconfirmed, nothing confirmed for {} ms: sending them again",
               unconfirmed_.size(), now - std::max(oldest, last_progress_ms_));
  resent_total_ += unconfirmed_.size();
  m_->resent.inc(unconfirmed_.size());
  unconfirmed_.clear();
  cursor_ = 0;
  resend_after_ms_ = std::min(resend_after_ms_ * 2, config_.resend_timeout_max_ms);
}

void Uplink::handle_acks(const std::vector<protocol::Ack>& acks) {
  const std::int64_t now = clock_.steady_ms();
  for (const auto& ack : acks) {
    AckOutcome out = outbox_.apply(ack);
    for (auto seq : out.settled_seqs) unconfirmed_.erase(seq);
    if (!out.settled_seqs.empty()) {
      last_progress_ms_ = now;
      resend_after_ms_ = config_.resend_timeout_ms;
    }
    for (const auto& ev : ack.evidence) {
      auto it = evidence_.find(ev.hash);
      if (it == evidence_.end()) continue;
      if (ev.complete || ev.refused) {
        evidence_.erase(it);
      } else if (ev.received != it->second.acked) {
        // Behind what it had confirmed before: the aggregator lost bytes or discarded the
        // object after a hash mismatch. Resume from where it is.
        if (ev.received < it->second.acked) it->second.next_offset = ev.received;
        it->second.acked = ev.received;
        it->second.last_progress_ms = now;
      }
    }
  }
}

void Uplink::fill_window(std::int64_t now) {
  auto awaiting = awaiting_puback_;
  const auto max_inflight = static_cast<std::size_t>(mqtt_options_.max_inflight);
  const std::string topic = topics_.device(device_id_, protocol::TopicKind::kEvents);
  while (unconfirmed_.size() < config_.unconfirmed_window && *awaiting < max_inflight) {
    std::size_t room = std::min<std::size_t>(
        {config_.unconfirmed_window - unconfirmed_.size(), max_inflight - *awaiting, 512});
    auto batch = outbox_.pending_after(cursor_, room);
    if (batch.empty()) return;
    for (const auto& r : batch) {
      ++*awaiting;
      bool ok = session_->publish(topic, r.payload, 1, false,
                                  [this, awaiting, seq = r.seq](const mqtt::PublishResult& res) {
                                    --*awaiting;
                                    if (!res.ok) {
                                      report_refusal("event seq " + std::to_string(seq), res);
                                    }
                                    // A slot of the in-flight window is free.
                                    std::lock_guard lock(mu_);
                                    if (res.ok) pubacked_.push_back(seq);
                                    woken_ = true;
                                    cv_.notify_all();
                                  });
      if (!ok) {  // disconnected meanwhile
        --*awaiting;
        return;
      }
      unconfirmed_[r.seq] = Sent{now, false};
      cursor_ = r.seq;
      ++published_total_;
      m_->published.inc();
    }
  }
}

void Uplink::send_notices(std::int64_t now) {
  if (last_notice_ms_ != 0 && (now - last_notice_ms_ < config_.resend_timeout_ms ||
                               aggregator_ == AggregatorPresence::kOffline)) {
    return;
  }
  auto notices = outbox_.pending_notices();
  if (notices.empty()) return;
  last_notice_ms_ = now;
  const std::string topic = topics_.device(device_id_, protocol::TopicKind::kNotice);
  for (const auto& [id, payload] : notices) session_->publish(topic, payload, 1, false);
}

void Uplink::send_evidence(std::int64_t now) {
  if (evidence_.empty()) {
    for (auto& item : outbox_.pending_evidence(2)) {
      EvidenceSend s;
      s.hash = item.hash;
      s.event_id = item.event_id;
      s.media_type = item.media_type;
      s.path = item.path.string();
      s.size = item.size;
      s.acked = s.next_offset = item.acked;
      s.last_progress_ms = now;
      evidence_.emplace(s.hash, std::move(s));
    }
  }
  if (evidence_.empty()) return;
  // Token bucket for the evidence byte rate (at most one second of burst).
  if (config_.evidence_rate_bytes_per_s > 0) {
    const double rate = static_cast<double>(config_.evidence_rate_bytes_per_s);
    if (evidence_tokens_ms_ == 0) evidence_tokens_ms_ = now;
    evidence_tokens_ = std::min(
        rate, evidence_tokens_ + rate * static_cast<double>(now - evidence_tokens_ms_) / 1000.0);
    evidence_tokens_ms_ = now;
  }
  const std::string topic = topics_.device(device_id_, protocol::TopicKind::kEvidence);
  const std::uint64_t window = config_.evidence_chunk_bytes * config_.evidence_inflight_chunks;
  for (auto it = evidence_.begin(); it != evidence_.end();) {
    EvidenceSend& s = it->second;
    if (now - s.last_progress_ms >= config_.resend_timeout_ms &&
        aggregator_ != AggregatorPresence::kOffline) {
      s.next_offset = s.acked;  // resume from what the aggregator holds
      s.last_progress_ms = now;
    }
    std::ifstream in(s.path, std::ios::binary);
    if (!in) {  // evicted meanwhile
      it = evidence_.erase(it);
      continue;
    }
    std::string buf;
    while (s.next_offset < s.size && s.next_offset - s.acked < window) {
      const auto n = static_cast<std::size_t>(
          std::min<std::uint64_t>(config_.evidence_chunk_bytes, s.size - s.next_offset));
      if (config_.evidence_rate_bytes_per_s > 0) {
        if (evidence_tokens_ < static_cast<double>(n)) return;
        evidence_tokens_ -= static_cast<double>(n);
      }
      buf.resize(n);
      in.seekg(static_cast<std::streamoff>(s.next_offset));
      in.read(buf.data(), static_cast<std::streamsize>(n));
      if (static_cast<std::size_t>(in.gcount()) != n) break;
      protocol::EvidenceChunkHeader h{s.hash, s.event_id, s.media_type, s.size, s.next_offset};
      if (!session_->publish(topic, protocol::encode_evidence_chunk(h, buf), 1, false)) return;
      s.next_offset += n;
      evidence_bytes_sent_ += n;
      m_->evidence_bytes.inc(n);
    }
    ++it;
  }
}

void Uplink::send_telemetry(std::int64_t now) {
  if (!telemetry_ ||
      (last_telemetry_ms_ != 0 && now - last_telemetry_ms_ < config_.telemetry_interval_ms)) {
    return;
  }
  last_telemetry_ms_ = now;
  session_->publish(topics_.device(device_id_, protocol::TopicKind::kTelemetry), telemetry_(), 0,
                    false);
}

UplinkStatus Uplink::status() const {
  UplinkStatus s;
  s.connected = session_->connected();
  s.aggregator = aggregator_seen_;
  s.unconfirmed = unconfirmed_count_;
  s.awaiting_puback = awaiting_count_;
  s.published_total = published_total_;
  s.resent_total = resent_total_;
  s.refused_total = refused_total_;
  s.evidence_bytes_sent = evidence_bytes_sent_;
  std::lock_guard lock(mu_);
  s.last_error = last_error_;
  return s;
}

}  // namespace gridsight::edge
