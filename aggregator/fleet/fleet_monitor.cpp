#include "aggregator/fleet/fleet_monitor.h"

#include <spdlog/spdlog.h>

#include <cmath>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/sqlite/database.h"
#include "protocol/event.h"
#include "protocol/messages.h"

namespace gridsight::aggregator::fleet {

namespace {

constexpr const char* kSchema = R"sql(
  CREATE TABLE IF NOT EXISTS fleet_devices(
    device_id TEXT PRIMARY KEY,
    online INTEGER NOT NULL,
    offline_reason TEXT NOT NULL,
    version TEXT NOT NULL,
    session TEXT NOT NULL,
    state_changed_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    clock_synced INTEGER NOT NULL,
    clock_skew_ms INTEGER,
    telemetry TEXT NOT NULL,
    telemetry_received_ms INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS fleet_cameras(
    device_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    state TEXT NOT NULL,
    state_since_ms INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    reconnects INTEGER NOT NULL,
    tampered INTEGER NOT NULL,
    tamper_type TEXT NOT NULL,
    tamper_ms INTEGER NOT NULL,
    PRIMARY KEY(device_id, camera_id));
  CREATE TABLE IF NOT EXISTS fleet_alerts(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    device_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    raised_ms INTEGER NOT NULL,
    cleared_ms INTEGER,
    active INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS fleet_alerts_active ON fleet_alerts(active);
  CREATE TABLE IF NOT EXISTS fleet_commands(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    command_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    issued_ms INTEGER NOT NULL,
    finished_ms INTEGER NOT NULL,
    status TEXT NOT NULL,
    accepted INTEGER NOT NULL,
    reason TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS fleet_commands_device ON fleet_commands(device_id, id);
)sql";

bool is_tamper(const std::string& type) {
  return type.find("tamper") != std::string::npos;
}

nlohmann::json alert_json(const Alert& a) {
  nlohmann::json j = {{"id", a.id},         {"kind", a.kind},           {"device_id", a.device_id},
                      {"active", a.active}, {"raised_ms", a.raised_ms}, {"detail", a.detail}};
  if (!a.camera_id.empty()) j["camera_id"] = a.camera_id;
  if (!a.active) j["cleared_ms"] = a.cleared_ms;
  return j;
}

template <class T>
T get_or(const nlohmann::json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const std::exception&) {
    return fallback;
  }
}

}  // namespace

FleetMonitor::FleetMonitor(FleetConfig config, const std::string& db_path, protocol::Topics topics,
                           Clock& clock, Metrics& metrics, Publish publish)
    : config_(std::move(config)),
      topics_(std::move(topics)),
      clock_(clock),
      publish_(std::move(publish)),
      db_(std::make_unique<sqlite::Database>(db_path)),
      metrics_(metrics) {
  db_->exec(kSchema);
  load();
}

FleetMonitor::~FleetMonitor() {
  stop();
}

void FleetMonitor::load() {
  auto st = db_->prepare(
      "SELECT device_id, online, offline_reason, version, session, state_changed_ms, "
      "last_seen_ms, clock_synced, clock_skew_ms, telemetry, telemetry_received_ms "
      "FROM fleet_devices");
  while (st.step()) {
    DeviceRow d;
    d.device_id = st.text(0);
    d.online = st.int64(1) != 0;
    d.offline_reason = st.text(2);
    d.version = st.text(3);
    d.session = st.text(4);
    d.state_changed_ms = st.int64(5);
    d.last_seen_ms = st.int64(6);
    d.clock_synced = st.int64(7) != 0;
    d.clock_skew_ms = st.optional_int64(8);
    d.telemetry = st.text(9);
    d.telemetry_received_ms = st.int64(10);
    devices_[d.device_id] = std::move(d);
  }
  auto cs = db_->prepare(
      "SELECT device_id, camera_id, state, state_since_ms, last_error, reconnects, tampered, "
      "tamper_type, tamper_ms FROM fleet_cameras ORDER BY device_id, camera_id");
  while (cs.step()) {
    auto it = devices_.find(cs.text(0));
    if (it == devices_.end()) continue;
    CameraRow c;
    c.camera_id = cs.text(1);
    c.state = cs.text(2);
    c.state_since_ms = cs.int64(3);
    c.last_error = cs.text(4);
    c.reconnects = static_cast<std::uint64_t>(cs.int64(5));
    c.tampered = cs.int64(6) != 0;
    c.tamper_type = cs.text(7);
    c.tamper_ms = cs.int64(8);
    if (c.state != "streaming" && c.state != "no_video") {
      camera_down_since_[it->first + "/" + c.camera_id] = c.state_since_ms;
    }
    it->second.cameras.push_back(std::move(c));
  }
  for (auto& [id, d] : devices_) {
    auto j = nlohmann::json::parse(d.telemetry, nullptr, false);
    if (!j.is_discarded() && j.is_object()) telemetry_[id] = std::move(j);
  }
  auto as = db_->prepare(
      "SELECT id, kind, device_id, camera_id, detail, raised_ms FROM fleet_alerts WHERE active = "
      "1");
  while (as.step()) {
    Alert a;
    a.id = as.int64(0);
    a.kind = as.text(1);
    a.device_id = as.text(2);
    a.camera_id = as.text(3);
    a.detail = as.text(4);
    a.raised_ms = as.int64(5);
    active_[{a.kind, a.device_id, a.camera_id}] = a;
  }
  if (!devices_.empty()) {
    spdlog::info("fleet: {} devices, {} active alerts", devices_.size(), active_.size());
  }
}

void FleetMonitor::start() {
  std::lock_guard lock(queue_mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void FleetMonitor::stop() {
  {
    std::lock_guard lock(queue_mu_);
    if (!running_) return;
    running_ = false;
    queue_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void FleetMonitor::submit(const std::string& topic, const std::string& payload) {
  auto t = topics_.parse(topic);
  if (!t) return;
  if (t->kind == protocol::TopicKind::kEvents) {
    // Only tamper events matter here; skip the rest without parsing them.
    if (payload.find("tamper") == std::string::npos) return;
  } else if (t->kind != protocol::TopicKind::kState && t->kind != protocol::TopicKind::kTelemetry) {
    return;
  }
  std::lock_guard lock(queue_mu_);
  if (queue_.size() >= 10'000) return;  // a flood: telemetry comes again
  queue_.push_back({topic, payload, clock_.now_ms()});
  queue_cv_.notify_all();
}

void FleetMonitor::record_command(CommandRecord record) {
  spdlog::info("fleet: command {} ({}) to {} for {}: {}{}{}", record.name, record.command_id,
               record.device_id, record.requested_by, record.status,
               record.reason.empty() ? "" : ", ", record.reason);
  metrics_
      .counter("gridsight_fleet_commands_total", "Remote commands by name and outcome",
               {{"name", record.name}, {"status", record.status}})
      .inc();
  std::lock_guard lock(queue_mu_);
  commands_queue_.push_back(std::move(record));
  queue_cv_.notify_all();
}

void FleetMonitor::store_commands(std::deque<CommandRecord>& records) {
  if (records.empty()) return;
  std::lock_guard work(work_mu_);
  auto st = db_->prepare(
      "INSERT INTO fleet_commands(command_id, device_id, name, args, requested_by, issued_ms, "
      "finished_ms, status, accepted, reason) VALUES(?,?,?,?,?,?,?,?,?,?)");
  for (const auto& r : records) {
    st.reset();
    st.bind(1, r.command_id);
    st.bind(2, r.device_id);
    st.bind(3, r.name);
    st.bind(4, r.args_json);
    st.bind(5, r.requested_by);
    st.bind(6, r.issued_ms);
    st.bind(7, r.finished_ms);
    st.bind(8, r.status);
    st.bind(9, static_cast<std::int64_t>(r.accepted ? 1 : 0));
    st.bind(10, r.reason);
    st.step();
  }
  records.clear();
}

std::vector<CommandRecord> FleetMonitor::commands(std::size_t limit,
                                                  const std::string& device_id) const {
  // A separate read-only connection: the monitor thread owns db_.
  sqlite::Database ro(db_->path(), sqlite::OpenOptions{true, 5000});
  auto st = ro.prepare(
      "SELECT id, command_id, device_id, name, args, requested_by, issued_ms, finished_ms, "
      "status, accepted, reason FROM fleet_commands WHERE (?1 = '' OR device_id = ?1) "
      "ORDER BY id DESC LIMIT ?2");
  st.bind(1, device_id);
  st.bind(2, static_cast<std::int64_t>(limit));
  std::vector<CommandRecord> out;
  while (st.step()) {
    CommandRecord r;
    r.id = st.int64(0);
    r.command_id = st.text(1);
    r.device_id = st.text(2);
    r.name = st.text(3);
    r.args_json = st.text(4);
    r.requested_by = st.text(5);
    r.issued_ms = st.int64(6);
    r.finished_ms = st.int64(7);
    r.status = st.text(8);
    r.accepted = st.int64(9) != 0;
    r.reason = st.text(10);
    out.push_back(std::move(r));
  }
  return out;
}

void FleetMonitor::run() {
  std::int64_t last_check = 0;
  while (true) {
    std::deque<Message> batch;
    std::deque<CommandRecord> records;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait_for(
          lock, std::chrono::milliseconds(std::min<std::int64_t>(config_.check_interval_ms, 500)),
          [&] { return !running_ || !queue_.empty() || !commands_queue_.empty(); });
      records.swap(commands_queue_);
      if (!running_) {
        lock.unlock();
        store_commands(records);  // the audit keeps what came before the stop
        return;
      }
      batch.swap(queue_);
    }
    try {
      store_commands(records);
    } catch (const std::exception& e) {
      spdlog::error("fleet: command audit: {}", e.what());
    }
    for (const auto& m : batch) {
      try {
        handle(m);
      } catch (const std::exception& e) {
        spdlog::error("fleet: {}", e.what());
      }
    }
    const std::int64_t now = clock_.steady_ms();
    if (now - last_check >= config_.check_interval_ms) {
      last_check = now;
      try {
        check();
      } catch (const std::exception& e) {
        spdlog::error("fleet: {}", e.what());
      }
    }
  }
}

void FleetMonitor::drain() {
  std::deque<Message> batch;
  std::deque<CommandRecord> records;
  {
    std::lock_guard lock(queue_mu_);
    batch.swap(queue_);
    records.swap(commands_queue_);
  }
  store_commands(records);
  for (const auto& m : batch) handle(m);
}

void FleetMonitor::handle(const Message& m) {
  std::lock_guard work(work_mu_);
  auto t = topics_.parse(m.topic);
  if (!t) return;
  switch (t->kind) {
    case protocol::TopicKind::kState:
      on_state(t->device_id, m.payload, m.received_ms);
      break;
    case protocol::TopicKind::kTelemetry:
      on_telemetry(t->device_id, m.payload, m.received_ms);
      break;
    case protocol::TopicKind::kEvents:
      on_event(t->device_id, m.payload, m.received_ms);
      break;
    default:
      return;
  }
  evaluate(t->device_id, m.received_ms);
}

void FleetMonitor::check() {
  std::lock_guard work(work_mu_);
  const std::int64_t now = clock_.now_ms();
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, d] : devices_) ids.push_back(id);
  }
  for (const auto& id : ids) evaluate(id, now);
}

void FleetMonitor::on_state(const std::string& device, const std::string& payload,
                            std::int64_t at) {
  auto s = protocol::decode_state(payload);
  if (!s || s.value->device_id != device) return;  // ingest counts the bad ones
  DeviceRow copy;
  {
    std::lock_guard lock(mu_);
    DeviceRow& d = devices_[device];
    d.device_id = device;
    if (d.online != s.value->online || d.state_changed_ms == 0) d.state_changed_ms = at;
    d.online = s.value->online;
    d.offline_reason = s.value->online ? "" : s.value->reason;
    if (s.value->online) {
      d.version = s.value->version;
      d.session = s.value->session;
      d.clock_synced = s.value->clock_synced;
      if (s.value->at_ms > 0) d.clock_skew_ms = s.value->at_ms - at;
      d.last_seen_ms = at;
    }
    copy = d;
  }
  spdlog::info("fleet: {} is {}{}", device, copy.online ? "online" : "offline",
               copy.online ? "" : " (" + copy.offline_reason + ")");
  save_device(copy);
}

void FleetMonitor::on_telemetry(const std::string& device, const std::string& payload,
                                std::int64_t at) {
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object() || get_or<std::string>(j, "device_id", "") != device) {
    return;
  }
  DeviceRow copy;
  {
    std::lock_guard lock(mu_);
    DeviceRow& d = devices_[device];
    d.device_id = device;
    if (!d.online) {
      d.online = true;  // telemetry means it is up, birth or not
      d.offline_reason.clear();
      d.state_changed_ms = at;
    }
    d.last_seen_ms = at;
    d.telemetry = payload;
    d.telemetry_received_ms = at;
    const auto edge_at = get_or<std::int64_t>(j, "at_ms", 0);
    if (edge_at > 0) d.clock_skew_ms = edge_at - at;
    if (j.contains("clock") && j["clock"].is_object()) {
      d.clock_synced = get_or<bool>(j["clock"], "synced", false);
    } else {
      d.clock_synced = get_or<bool>(j, "clock_synced", false);
    }
    if (auto v = get_or<std::string>(j, "version", ""); !v.empty()) d.version = v;
    std::vector<CameraRow> cams;
    if (j.contains("cameras") && j["cameras"].is_array()) {
      for (const auto& jc : j["cameras"]) {
        if (!jc.is_object()) continue;
        CameraRow c;
        c.camera_id = get_or<std::string>(jc, "id", "");
        if (c.camera_id.empty()) continue;
        c.state = get_or<std::string>(jc, "state", "unknown");
        c.last_error = get_or<std::string>(jc, "last_error", "");
        c.reconnects = get_or<std::uint64_t>(jc, "reconnects", 0);
        const CameraRow* old = nullptr;
        for (const auto& o : d.cameras) {
          if (o.camera_id == c.camera_id) old = &o;
        }
        c.state_since_ms = old && old->state == c.state ? old->state_since_ms : at;
        // Tampered while the edge reports an open tamper incident on it.
        std::string open_tamper;
        if (jc.contains("open_incidents") && jc["open_incidents"].is_array()) {
          for (const auto& oi : jc["open_incidents"]) {
            if (oi.is_string() && is_tamper(oi.get<std::string>()))
              open_tamper = oi.get<std::string>();
          }
        }
        c.tampered = !open_tamper.empty();
        c.tamper_type = old ? old->tamper_type : "";
        c.tamper_ms = old ? old->tamper_ms : 0;
        if (c.tampered) {
          c.tamper_type = open_tamper.substr(0, open_tamper.find('@'));
          if (!old || !old->tampered) c.tamper_ms = edge_at;
        }
        const std::string key = device + "/" + c.camera_id;
        if (c.state == "streaming" || c.state == "no_video") {
          camera_down_since_.erase(key);
        } else if (!camera_down_since_.count(key)) {
          camera_down_since_[key] = at;
        }
        cams.push_back(std::move(c));
      }
    }
    d.cameras = std::move(cams);
    copy = d;
  }
  telemetry_[device] = std::move(j);
  save_device(copy);
}

void FleetMonitor::on_event(const std::string& device, const std::string& payload,
                            std::int64_t at) {
  auto e = protocol::decode_event(payload);
  if (!e || e.value->device_id != device || !is_tamper(e.value->type)) return;
  DeviceRow copy;
  {
    std::lock_guard lock(mu_);
    DeviceRow& d = devices_[device];
    d.device_id = device;
    d.last_seen_ms = at;
    CameraRow* cam = nullptr;
    for (auto& c : d.cameras) {
      if (c.camera_id == e.value->camera_id) cam = &c;
    }
    if (!cam) {
      d.cameras.push_back(CameraRow{});
      cam = &d.cameras.back();
      cam->camera_id = e.value->camera_id;
      cam->state = "unknown";
      cam->state_since_ms = at;
    }
    // An event that has ended already does not leave the camera tampered.
    cam->tampered = !e.value->end_ms.has_value();
    cam->tamper_type = e.value->type;
    cam->tamper_ms = e.value->start_ms;
    copy = d;
  }
  spdlog::warn("fleet: {} camera {}: {}", device, e.value->camera_id, e.value->type);
  save_device(copy);
  // The alert is raised even when the incident already ended: someone touched the camera.
  set_alert("camera_tampered", device, e.value->camera_id, true, e.value->type, at);
}

void FleetMonitor::evaluate(const std::string& device, std::int64_t now) {
  DeviceRow d;
  {
    std::lock_guard lock(mu_);
    auto it = devices_.find(device);
    if (it == devices_.end()) return;
    if (it->second.online && it->second.last_seen_ms > 0 &&
        now - it->second.last_seen_ms >= config_.silent_after_ms) {
      it->second.online = false;
      it->second.offline_reason = "silent";
      it->second.state_changed_ms = now;
    }
    d = it->second;
  }
  const bool offline_long = !d.online && now - d.state_changed_ms >= config_.offline_after_ms;
  set_alert(
      "box_offline", device, "", offline_long,
      "offline (" + (d.offline_reason.empty() ? std::string("unknown") : d.offline_reason) + ")",
      now);
  if (!d.online) return;  // what a silent box last said is stale: keep its other alerts as they are

  for (const auto& c : d.cameras) {
    std::int64_t since = 0;
    {
      std::lock_guard lock(mu_);
      auto it = camera_down_since_.find(device + "/" + c.camera_id);
      if (it != camera_down_since_.end()) since = it->second;
    }
    const bool down = since != 0 && now - since >= config_.camera_down_after_ms;
    set_alert("camera_down", device, c.camera_id, down,
              c.state + (c.last_error.empty() ? "" : ": " + c.last_error), now);
    if (!c.tampered) {
      // Cleared by telemetry that shows no open tamper incident after the event.
      if (d.telemetry_received_ms > 0)
        set_alert("camera_tampered", device, c.camera_id, false, "", now);
    } else {
      set_alert("camera_tampered", device, c.camera_id, true, c.tamper_type, now);
    }
  }
  // Cameras no longer reported: their alerts end.
  {
    std::vector<std::tuple<std::string, std::string, std::string>> gone;
    {
      std::lock_guard lock(mu_);
      for (const auto& [key, a] : active_) {
        if (std::get<1>(key) != device || std::get<2>(key).empty()) continue;
        bool known = false;
        for (const auto& c : d.cameras) known = known || c.camera_id == std::get<2>(key);
        if (!known) gone.push_back(key);
      }
    }
    for (const auto& k : gone) set_alert(std::get<0>(k), device, std::get<2>(k), false, "", now);
  }

  auto tj = telemetry_.find(device);
  if (tj != telemetry_.end()) {
    const auto& j = tj->second;
    if (j.contains("outbox") && j["outbox"].is_object()) {
      const auto pending = get_or<std::uint64_t>(j["outbox"], "pending", 0);
      const auto age = get_or<std::int64_t>(j["outbox"], "oldest_pending_age_ms", 0);
      const bool growing =
          pending >= config_.outbox_pending_max || age >= config_.outbox_age_max_ms;
      set_alert(
          "outbox_growing", device, "", growing,
          std::to_string(pending) + " events pending, oldest " + std::to_string(age / 1000) + " s",
          now);
    }
    if (j.contains("tls") && j["tls"].is_object()) {
      // The box's certificate and its copy of the fleet CA (Unix ms; 0: unknown).
      std::string soonest;
      std::int64_t soonest_ms = 0;
      for (const auto& [what, key] :
           {std::pair{"certificate", "certificate_expires_ms"}, std::pair{"ca", "ca_expires_ms"}}) {
        const auto at = get_or<std::int64_t>(j["tls"], key, 0);
        if (at > 0 && (soonest_ms == 0 || at < soonest_ms)) {
          soonest_ms = at;
          soonest = what;
        }
      }
      const std::int64_t left = soonest_ms - now;
      set_alert("certificate_expiring", device, "",
                soonest_ms > 0 && left < config_.certificate_warning_ms,
                (soonest == "ca" ? std::string("fleet CA") : std::string("certificate")) +
                    (left <= 0 ? " expired " + std::to_string(-left / 86'400'000) + " days ago"
                               : " expires in " + std::to_string(left / 86'400'000) + " days"),
                now);
    }
    if (j.contains("disk") && j["disk"].is_object()) {
      const double used = get_or<double>(j["disk"], "used_fraction", 0.0);
      set_alert("disk_nearly_full", device, "", used >= config_.disk_full_fraction,
                std::to_string(static_cast<int>(std::lround(used * 100))) + "% used", now);
    }
  }
  const bool skewed = d.clock_skew_ms && std::llabs(*d.clock_skew_ms) > config_.clock_skew_max_ms;
  const bool unsynced = config_.alert_on_unsynced_clock && !d.clock_synced;
  set_alert("clock_unsynchronised", device, "", skewed || unsynced,
            std::string(unsynced ? "not synchronised" : "synchronised") + ", skew " +
                std::to_string(d.clock_skew_ms.value_or(0)) + " ms",
            now);
}

void FleetMonitor::set_alert(const std::string& kind, const std::string& device,
                             const std::string& camera, bool active, const std::string& detail,
                             std::int64_t now) {
  const auto key = std::make_tuple(kind, device, camera);
  Alert a;
  {
    std::lock_guard lock(mu_);
    auto it = active_.find(key);
    if (active == (it != active_.end())) return;
    if (!active) {
      a = it->second;
      active_.erase(it);
    }
  }
  if (active) {
    a.kind = kind;
    a.device_id = device;
    a.camera_id = camera;
    a.detail = detail;
    a.raised_ms = now;
    auto st = db_->prepare(
        "INSERT INTO fleet_alerts(kind, device_id, camera_id, detail, raised_ms, active) "
        "VALUES(?,?,?,?,?,1)");
    st.bind(1, kind).bind(2, device).bind(3, camera).bind(4, detail).bind(5, now);
    st.run();
    a.id = db_->last_insert_rowid();
    std::lock_guard lock(mu_);
    active_[key] = a;
  } else {
    a.active = false;
    a.cleared_ms = now;
    auto st = db_->prepare("UPDATE fleet_alerts SET active = 0, cleared_ms = ? WHERE id = ?");
    st.bind(1, now).bind(2, a.id);
    st.run();
  }
  if (active) {
    spdlog::warn("fleet: alert raised: {} {}{} ({})", kind, device,
                 camera.empty() ? "" : "/" + camera, detail);
    metrics_
        .counter("gridsight_aggregator_fleet_alerts_raised_total", "Fleet alerts raised",
                 {{"kind", kind}})
        .inc();
  } else {
    spdlog::info("fleet: alert cleared: {} {}{}", kind, device, camera.empty() ? "" : "/" + camera);
  }
  announce(a);
}

void FleetMonitor::announce(const Alert& a) {
  if (publish_) {
    nlohmann::json j = {{"schema", "1.0"},
                        {"type", "fleet_alert"},
                        {"state", a.active ? "raised" : "cleared"},
                        {"alert", alert_json(a)}};
    publish_(j.dump());
  }
  std::vector<AlertListener> ls;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, l] : listeners_) ls.push_back(l);
  }
  for (const auto& l : ls) l(a);
}

void FleetMonitor::save_device(const DeviceRow& d) {
  sqlite::Transaction tx(*db_);
  auto st = db_->prepare(
      "INSERT OR REPLACE INTO fleet_devices(device_id, online, offline_reason, version, session, "
      "state_changed_ms, last_seen_ms, clock_synced, clock_skew_ms, telemetry, "
      "telemetry_received_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  st.bind(1, d.device_id)
      .bind(2, d.online ? 1 : 0)
      .bind(3, d.offline_reason)
      .bind(4, d.version)
      .bind(5, d.session)
      .bind(6, d.state_changed_ms)
      .bind(7, d.last_seen_ms)
      .bind(8, d.clock_synced ? 1 : 0)
      .bind(9, d.clock_skew_ms)
      .bind(10, d.telemetry)
      .bind(11, d.telemetry_received_ms);
  st.run();
  auto del = db_->prepare("DELETE FROM fleet_cameras WHERE device_id = ?");
  del.bind(1, d.device_id);
  del.run();
  auto ins = db_->prepare(
      "INSERT INTO fleet_cameras(device_id, camera_id, state, state_since_ms, last_error, "
      "reconnects, tampered, tamper_type, tamper_ms) VALUES(?,?,?,?,?,?,?,?,?)");
  for (const auto& c : d.cameras) {
    ins.reset();
    ins.bind(1, d.device_id)
        .bind(2, c.camera_id)
        .bind(3, c.state)
        .bind(4, c.state_since_ms)
        .bind(5, c.last_error)
        .bind(6, c.reconnects)
        .bind(7, c.tampered ? 1 : 0)
        .bind(8, c.tamper_type)
        .bind(9, c.tamper_ms);
    ins.run();
  }
  tx.commit();
}

std::vector<DeviceRow> FleetMonitor::devices() const {
  std::lock_guard lock(mu_);
  std::vector<DeviceRow> out;
  for (const auto& [id, d] : devices_) out.push_back(d);
  return out;
}

std::optional<DeviceRow> FleetMonitor::device(const std::string& device_id) const {
  std::lock_guard lock(mu_);
  auto it = devices_.find(device_id);
  if (it == devices_.end()) return std::nullopt;
  return it->second;
}

std::vector<Alert> FleetMonitor::alerts(bool include_cleared, std::size_t limit) const {
  std::vector<Alert> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [k, a] : active_) out.push_back(a);
  }
  if (include_cleared) {
    // A separate read-only connection: the monitor thread owns db_.
    sqlite::Database ro(db_->path(), sqlite::OpenOptions{true, 5000});
    auto st = ro.prepare(
        "SELECT id, kind, device_id, camera_id, detail, raised_ms, cleared_ms FROM fleet_alerts "
        "WHERE active = 0 ORDER BY id DESC LIMIT ?");
    st.bind(1, static_cast<std::int64_t>(limit));
    while (st.step()) {
      Alert a;
      a.id = st.int64(0);
      a.kind = st.text(1);
      a.device_id = st.text(2);
      a.camera_id = st.text(3);
      a.detail = st.text(4);
      a.raised_ms = st.int64(5);
      a.cleared_ms = st.optional_int64(6).value_or(0);
      a.active = false;
      out.push_back(std::move(a));
    }
  }
  return out;
}

std::uint64_t FleetMonitor::subscribe(AlertListener listener) {
  std::lock_guard lock(mu_);
  const std::uint64_t id = next_listener_++;
  listeners_[id] = std::move(listener);
  return id;
}

void FleetMonitor::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mu_);
  listeners_.erase(id);
}

}  // namespace gridsight::aggregator::fleet
