#include "aggregator/ingest/ingest.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

#include "aggregator/ingest/evidence_receiver.h"
#include "aggregator/ingest/sequence_tracker.h"
#include "common/clock.h"
#include "common/config/section.h"
#include "common/metrics.h"
#include "protocol/evidence_frame.h"
#include "protocol/limits.h"
#include "protocol/utf8.h"

namespace gridsight::aggregator {

IngestConfig IngestConfig::read(config::Section& s) {
  IngestConfig c;
  c.queue_capacity = static_cast<std::size_t>(
      s.integer("queue_capacity", static_cast<std::int64_t>(c.queue_capacity), 100, 10'000'000));
  c.batch_max = static_cast<std::size_t>(
      s.integer("batch_max", static_cast<std::int64_t>(c.batch_max), 1, 100'000));
  c.batch_wait_ms = s.duration_ms("batch_wait", c.batch_wait_ms, 0, 1000);
  c.log_events = s.boolean("log_events", c.log_events);
  auto limits = s.section("device_limits");
  c.device_limits = DeviceLimitsConfig::read(limits);
  s.finish();
  return c;
}

struct Ingest::Metrics_ {
  Metrics_(Metrics& m)
      : metrics(m),
        received(
            m.counter("gridsight_aggregator_messages_received_total", "MQTT messages received")),
        stored(m.counter("gridsight_aggregator_events_stored_total",
                         "Events stored for the first time")),
        duplicates(m.counter("gridsight_aggregator_events_duplicate_total",
                             "Events received again (already stored; confirmed again)")),
        batches(m.counter("gridsight_aggregator_ingest_batches_total", "Transactions committed")),
        evicted(m.counter("gridsight_aggregator_events_evicted_reported_total",
                          "Events the edges reported evicted from a full outbox")),
        gaps(m.counter("gridsight_aggregator_sequence_gaps_total", "Sequence gaps opened")),
        store_errors(m.counter("gridsight_aggregator_store_errors_total",
                               "Batches that failed to commit (retried by the edges)")),
        batch_messages(m.counter("gridsight_aggregator_ingest_batch_messages_total",
                                 "Messages in committed batches, summed (over batches_total: "
                                 "the mean batch size)")),
        commit_us(m.counter("gridsight_aggregator_ingest_commit_latency_microseconds_total",
                            "Time to store and commit a batch, summed")),
        last_commit(m.gauge("gridsight_aggregator_ingest_commit_latency_last_seconds",
                            "Time to store and commit the last batch")),
        last_batch(m.gauge("gridsight_aggregator_ingest_batch_messages_last",
                           "Messages in the last committed batch")) {}
  Counter& rate_limited(const std::string& kind) {
    return metrics.counter("gridsight_aggregator_rate_limited_total",
                           "Messages refused beyond their device's limits (code rate_limited)",
                           {{"kind", kind}});
  }
  Counter& dead_letter(const std::string& code) {
    return metrics.counter("gridsight_aggregator_dead_letters_total",
                           "Messages refused, by reason code", {{"code", code}});
  }
  Metrics& metrics;
  Counter& received;
  Counter& stored;
  Counter& duplicates;
  Counter& batches;
  Counter& evicted;
  Counter& gaps;
  Counter& store_errors;
  Counter& batch_messages;
  Counter& commit_us;
  Gauge& last_commit;
  Gauge& last_batch;
  std::atomic<std::uint64_t> dead_letters{0};
};

// What one transaction produced: acknowledgements per device, events to announce.
struct Ingest::Batch {
  std::map<std::string, protocol::Ack> acks;
  std::set<std::string> touched_sequences;
  struct Stored {
    protocol::Event event;
    std::int64_t received_ms;
    std::int64_t row;
  };
  std::vector<Stored> stored;
  std::uint64_t duplicates = 0;
};

Ingest::Ingest(IngestConfig config, protocol::Topics topics, EventStore& store,
               EvidenceReceiver& evidence, Clock& clock, Metrics& metrics,
               std::function<void(const std::string&, const std::string&)> publish_ack,
               OnStored on_stored)
    : config_(config),
      topics_(std::move(topics)),
      store_(store),
      evidence_(evidence),
      clock_(clock),
      m_(std::make_unique<Metrics_>(metrics)),
      publish_ack_(std::move(publish_ack)),
      on_stored_(std::move(on_stored)),
      limiter_(config.device_limits),
      queue_(config.queue_capacity) {
  sequences_ = store_.load_sequences();
}

Ingest::~Ingest() {
  stop();
}

void Ingest::start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { run(); });
}

void Ingest::stop() {
  if (!running_.exchange(false)) return;
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

void Ingest::submit(std::string topic, std::string payload) {
  m_->received.inc();
  if (auto t = topics_.parse(topic);
      t && (t->kind == protocol::TopicKind::kEvents || t->kind == protocol::TopicKind::kEvidence)) {
    const bool event = t->kind == protocol::TopicKind::kEvents;
    const auto a = limiter_.admit(
        t->device_id, event ? DeviceLimiter::Kind::kEvents : DeviceLimiter::Kind::kEvidence,
        event ? 1.0 : static_cast<double>(payload.size()), clock_.steady_ms());
    if (!a.ok) {
      m_->rate_limited(event ? "events" : "evidence").inc();
      if (a.report) {
        spdlog::warn(
            "ingest: device {} is over its {} limit: refusing (rate_limited); it keeps "
            "them and sends them again",
            t->device_id, event ? "events" : "evidence");
      }
      return;
    }
  }
  queue_.push(Message{std::move(topic), std::move(payload), clock_.now_ms()});
}

IngestStats Ingest::stats() const {
  IngestStats s;
  s.received = m_->received.value();
  s.stored = m_->stored.value();
  s.duplicates = m_->duplicates.value();
  s.dead_letters = m_->dead_letters.load();
  s.batches = m_->batches.value();
  return s;
}

void Ingest::run() {
  while (true) {
    auto messages = queue_.pop_batch(config_.batch_max, std::chrono::milliseconds(200));
    if (messages.empty()) {
      if (!running_) break;
      continue;
    }
    // Group commit: wait briefly for more, so one fsync covers many messages.
    if (messages.size() < config_.batch_max && config_.batch_wait_ms > 0) {
      auto more = queue_.pop_batch(config_.batch_max - messages.size(),
                                   std::chrono::milliseconds(config_.batch_wait_ms));
      for (auto& m : more) messages.push_back(std::move(m));
    }
    process(messages);
  }
}

void Ingest::process(std::vector<Message>& messages) {
  Batch b;
  const auto saved_sequences = sequences_;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    store_.begin();
    for (auto& m : messages) handle(m, b);
    for (const auto& device : b.touched_sequences) store_.save_sequence(device, sequences_[device]);
    store_.commit();
  } catch (const std::exception& e) {
    // Environment failure (disk full, I/O error): nothing of this batch is acknowledged, so
    // the edges will send it again. Keep running.
    m_->store_errors.inc();
    spdlog::error("ingest: batch of {} messages not stored: {}", messages.size(), e.what());
    try {
      store_.rollback();
    } catch (const std::exception&) {
    }
    sequences_ = saved_sequences;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    return;
  }
  const auto took = std::chrono::steady_clock::now() - t0;
  m_->commit_us.inc(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
  m_->last_commit.set(std::chrono::duration<double>(took).count());
  m_->batch_messages.inc(messages.size());
  m_->last_batch.set(static_cast<double>(messages.size()));
  m_->batches.inc();
  m_->stored.inc(b.stored.size());
  m_->duplicates.inc(b.duplicates);
  for (const auto& [device, ack] : b.acks) publish_ack_(device, protocol::encode(ack));
  for (auto& [event, received_ms, row] : b.stored) {
    if (config_.log_events) {
      spdlog::info(
          "event stored: device {} camera {} seq {} type {} confidence {:.2f}{}", event.device_id,
          event.camera_id, event.seq, event.type, event.confidence,
          event.evidence.empty() ? "" : fmt::format(" evidence {}", event.evidence.size()));
    }
    if (on_stored_) on_stored_(std::move(event), received_ms, row);
  }
}

void Ingest::handle(Message& m, Batch& b) {
  auto t = topics_.parse(m.topic);
  if (!t) {
    dead_letter(m, "",
                {protocol::ErrorCode::kInvalidValue, "topic", "not a gridsight v1 topic", "", {}},
                b);
    return;
  }
  switch (t->kind) {
    case protocol::TopicKind::kEvents:
      handle_event(m, t->device_id, b);
      break;
    case protocol::TopicKind::kNotice:
      handle_notice(m, t->device_id, b);
      break;
    case protocol::TopicKind::kEvidence:
      handle_evidence(m, t->device_id, b);
      break;
    case protocol::TopicKind::kState:
      handle_state(m, t->device_id, b);
      break;
    case protocol::TopicKind::kTelemetry:
      handle_telemetry(m, t->device_id, b);
      break;
    default:
      break;  // our own publishes (acks, commands) and results handled elsewhere
  }
}

void Ingest::dead_letter(const Message& m, const std::string& device, const protocol::ParseError& e,
                         Batch&) {
  DeadLetter d;
  d.device_id = device;
  d.topic = m.topic.substr(0, 256);
  d.code = protocol::to_string(e.code);
  d.field = protocol::valid_utf8(e.field, 256);
  d.reason = protocol::valid_utf8(e.reason, 1024);  // a text column: never raw bytes
  d.event_id = e.event_id;
  d.received_ms = m.received_ms;
  d.payload = m.payload.substr(0, 4096);
  store_.add_dead_letter(d);
  m_->dead_letter(d.code).inc();
  ++m_->dead_letters;
  spdlog::warn("ingest: refused message on {}: {}", d.topic, e.describe());
}

void Ingest::handle_event(Message& m, const std::string& device, Batch& b) {
  auto parsed = protocol::decode_event(m.payload);
  if (parsed && parsed.value->device_id != device) {
    // The payload claims another device than the topic (which the broker's ACL binds to the
    // sender's certificate): a forgery or a misconfiguration. Refuse it.
    parsed.error = {protocol::ErrorCode::kDeviceMismatch, "device_id",
                    "payload device \"" + parsed.value->device_id +
                        "\" differs from the topic's \"" + device + "\"",
                    parsed.value->event_id, parsed.value->seq};
    parsed.value.reset();
  }
  if (!parsed) {
    dead_letter(m, device, parsed.error, b);
    // Tell the sender to stop re-sending an event it can never get accepted.
    if (!parsed.error.event_id.empty() && parsed.error.seq) {
      b.acks[device].events.push_back({parsed.error.event_id, *parsed.error.seq,
                                       protocol::AckStatus::kDeadLetter, parsed.error.describe()});
    }
    return;
  }
  protocol::Event& e = *parsed.value;
  if (const std::int64_t row = store_.insert_event(e, m.payload, m.received_ms)) {
    auto& seq = sequences_[device];
    if (observe(seq, e.seq) == SeqObservation::kGapOpened) {
      m_->gaps.inc();
      spdlog::debug("ingest: device {} sequence gap before {}", device, e.seq);
    }
    b.touched_sequences.insert(device);
    b.acks[device].events.push_back({e.event_id, e.seq, protocol::AckStatus::kStored, ""});
    b.stored.push_back({std::move(e), m.received_ms, row});
  } else {
    ++b.duplicates;
    b.acks[device].events.push_back({e.event_id, e.seq, protocol::AckStatus::kStored, ""});
  }
}

void Ingest::handle_notice(Message& m, const std::string& device, Batch& b) {
  auto n = protocol::decode_notice(m.payload);
  if (n && n.value->device_id != device) {
    n.error = {
        protocol::ErrorCode::kDeviceMismatch, "device_id", "differs from the topic's", "", {}};
    n.value.reset();
  }
  if (!n) {
    dead_letter(m, device, n.error, b);
    return;
  }
  auto changed = mark_evicted(sequences_[device], n.value->first_seq, n.value->last_seq);
  b.touched_sequences.insert(device);
  m_->evicted.inc(n.value->count);
  spdlog::warn(
      "ingest: device {} evicted {} events (seq {}..{}, {}) from its outbox; {} "
      "sequence numbers marked evicted",
      device, n.value->count, n.value->first_seq, n.value->last_seq, n.value->reason, changed);
  b.acks[device].notices.push_back({n.value->notice_id});
}

void Ingest::handle_evidence(Message& m, const std::string& device, Batch& b) {
  auto c = protocol::decode_evidence_chunk(m.payload);
  if (!c) {
    dead_letter(m, device, c.error, b);
    return;
  }
  auto ack = evidence_.receive(device, *c.value, m.received_ms);
  auto& list = b.acks[device].evidence;
  // One ack per object per batch: the latest progress.
  auto it =
      std::find_if(list.begin(), list.end(), [&](const auto& a) { return a.hash == ack.hash; });
  if (it != list.end())
    *it = ack;
  else
    list.push_back(ack);
}

void Ingest::handle_state(Message& m, const std::string& device, Batch& b) {
  auto s = protocol::decode_state(m.payload);
  if (s && s.value->device_id != device) {
    s.error = {
        protocol::ErrorCode::kDeviceMismatch, "device_id", "differs from the topic's", "", {}};
    s.value.reset();
  }
  if (!s) {
    if (!m.payload.empty()) dead_letter(m, device, s.error, b);  // empty = retained cleared
    return;
  }
  store_.record_state(*s.value, m.payload, m.received_ms);
  spdlog::info("device {} is {}{}", device, s.value->online ? "online" : "offline",
               s.value->reason.empty() ? "" : " (" + s.value->reason + ")");
}

void Ingest::handle_telemetry(Message& m, const std::string& device, Batch& b) {
  auto t = protocol::decode_telemetry_envelope(m.payload);
  if (t && t.value->device_id != device) {
    t.error = {
        protocol::ErrorCode::kDeviceMismatch, "device_id", "differs from the topic's", "", {}};
    t.value.reset();
  }
  if (!t) {
    dead_letter(m, device, t.error, b);
    return;
  }
  store_.record_telemetry(device, m.payload, t.value->at_ms, m.received_ms);
}

}  // namespace gridsight::aggregator
