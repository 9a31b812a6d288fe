#include "edge/health/health.h"

#include <sys/statvfs.h>
#include <sys/timex.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "common/clock.h"
#include "protocol/sha256.h"

namespace gridsight::edge::health {

namespace {

std::uint64_t meminfo_kb(const std::string& text, const std::string& key) {
  auto pos = text.find(key + ":");
  if (pos == std::string::npos) return 0;
  std::istringstream in(text.substr(pos + key.size() + 1));
  std::uint64_t kb = 0;
  in >> kb;
  return kb;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json opt_ms(const std::optional<std::int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

DiskStatus read_disk(const std::filesystem::path& path) {
  DiskStatus d;
  d.path = path.string();
  struct statvfs s {};
  if (::statvfs(d.path.c_str(), &s) != 0) return d;
  d.total_bytes = static_cast<std::uint64_t>(s.f_blocks) * s.f_frsize;
  d.available_bytes = static_cast<std::uint64_t>(s.f_bavail) * s.f_frsize;
  if (d.total_bytes > 0) {
    d.used_fraction =
        1.0 - static_cast<double>(d.available_bytes) / static_cast<double>(d.total_bytes);
  }
  return d;
}

SystemStatus read_system(const std::filesystem::path& thermal_root) {
  SystemStatus s;
  {
    std::istringstream in(slurp("/proc/loadavg"));
    in >> s.load1 >> s.load5 >> s.load15;
  }
  s.cpus = static_cast<int>(std::thread::hardware_concurrency());
  {
    const std::string status = slurp("/proc/self/status");
    s.rss_bytes = meminfo_kb(status, "VmRSS") * 1024;
    const std::string mem = slurp("/proc/meminfo");
    s.mem_total_bytes = meminfo_kb(mem, "MemTotal") * 1024;
    s.mem_available_bytes = meminfo_kb(mem, "MemAvailable") * 1024;
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(thermal_root, ec)) {
    if (entry.path().filename().string().rfind("thermal_zone", 0) != 0) continue;
    std::istringstream in(slurp(entry.path() / "temp"));
    long long milli = 0;
    if (!(in >> milli)) continue;
    const double c = static_cast<double>(milli) / 1000.0;
    if (!s.temperature_c || c > *s.temperature_c) s.temperature_c = c;
  }
  return s;
}

ClockStatus read_clock() {
  ClockStatus c;
  struct timex tx {};
  const int state = ::adjtimex(&tx);
  c.synced = state != TIME_ERROR && state != -1 && !(tx.status & STA_UNSYNC);
  c.maxerror_us = tx.maxerror;
  c.esterror_us = tx.esterror;
  return c;
}

std::string file_sha256(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  protocol::Sha256 h;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    h.update(std::string_view(buf, static_cast<std::size_t>(in.gcount())));
  }
  return h.finish_content_hash();
}

Collector::Collector(Identity identity, const HealthSource& source, Clock& clock)
    : identity_(std::move(identity)),
      source_(source),
      clock_(clock),
      config_sha256_(file_sha256(identity_.config_path)) {}

void Collector::config_reloaded() {
  std::string sum = file_sha256(identity_.config_path);
  std::lock_guard lock(mu_);
  config_sha256_ = std::move(sum);
  ++reloads_;
}

HealthReport Collector::collect() const {
  HealthReport r;
  r.device_id = identity_.device_id;
  r.version = identity_.version;
  r.at_ms = clock_.now_ms();
  r.started_ms = identity_.started_ms;
  r.uptime_s = (r.at_ms - identity_.started_ms) / 1000;
  {
    std::lock_guard lock(mu_);
    r.config_sha256 = config_sha256_;
    r.config_reloads = reloads_;
  }
  r.cameras = source_.cameras();
  r.outbox = source_.outbox();
  if (r.outbox.oldest_pending_ms) {
    r.oldest_unconfirmed_age_ms = std::max<std::int64_t>(0, r.at_ms - *r.outbox.oldest_pending_ms);
  }
  r.mqtt = source_.mqtt();
  r.commands_refused = source_.commands_refused();
  r.disk = read_disk(identity_.data_dir);
  r.system = read_system(thermal_root_);
  r.clock = read_clock();
  return r;
}

nlohmann::json confirmed_json(const ConfirmedEvent& c) {
  return {{"seq", c.seq},
          {"event_id", c.event_id},
          {"camera_id", c.camera_id},
          {"created_ms", c.created_ms},
          {"confirmed_ms", c.confirmed_ms}};
}

namespace {
nlohmann::json confirmed_or_null(const std::optional<ConfirmedEvent>& c) {
  return c ? confirmed_json(*c) : nlohmann::json(nullptr);
}
}  // namespace

nlohmann::json HealthReport::to_json() const {
  using nlohmann::json;
  json j;
  j["schema"] = "1.0";
  j["device_id"] = device_id;
  j["at_ms"] = at_ms;
  j["version"] = version;
  j["started_ms"] = started_ms;
  j["uptime_s"] = uptime_s;
  j["clock_synced"] = clock.synced;
  j["config"] = {{"sha256", config_sha256}, {"reloads", config_reloads}};
  const auto& s = outbox;
  j["outbox"] = {{"pending", s.pending},
                 {"pending_bytes", s.pending_bytes},
                 {"oldest_pending_ms", opt_ms(s.oldest_pending_ms)},
                 {"oldest_pending_age_ms", opt_ms(oldest_unconfirmed_age_ms)},
                 {"last_seq", s.last_seq},
                 {"confirmed_total", s.confirmed_total},
                 {"evicted_total", s.evicted_total},
                 {"dead_lettered_total", s.dead_lettered_total},
                 {"evidence_pending", s.evidence_pending},
                 {"evidence_bytes", s.evidence_bytes},
                 {"evidence_evicted_total", s.evidence_evicted_total},
                 {"notices_pending", s.notices_pending},
                 {"first_confirmed", confirmed_or_null(s.first_confirmed)},
                 {"latest_confirmed", confirmed_or_null(s.latest_confirmed)}};
  const auto& u = mqtt;
  j["uplink"] = {{"connected", u.connected},
                 {"unconfirmed", u.unconfirmed},
                 {"published_total", u.published_total},
                 {"resent_total", u.resent_total},
                 {"refused_total", u.refused_total},
                 {"last_error", u.last_error}};
  json cams = json::array();
  for (const auto& c : cameras) {
    json jc = {{"id", c.id},
               {"state_since_ms", c.state_since_ms},
               {"pipeline_starts", c.pipeline_starts},
               {"pipeline_started_ms", c.pipeline_started_ms},
               {"analytics", c.analytics},
               {"analytics_paused", c.analytics_paused},
               {"rules", c.rules},
               {"rule_sets", c.rule_sets},
               {"open_incidents", c.open_incidents}};
    if (c.capture) {
      const auto& h = *c.capture;
      jc["state"] = capture::to_string(h.state);
      jc["input_fps"] = h.input_fps;
      jc["decoded_fps"] = h.decoded_fps;
      jc["analysed_fps"] = h.analysed_fps;
      jc["dropped"] = h.dropped;
      jc["decode_errors"] = h.decode_errors;
      jc["reconnects"] = h.reconnects;
      jc["last_error"] = h.last_error;
      jc["codec"] = h.codec;
      jc["width"] = h.width;
      jc["height"] = h.height;
      jc["decoder"] = h.decoder;
    } else {
      jc["state"] = "no_video";
    }
    cams.push_back(std::move(jc));
  }
  j["cameras"] = std::move(cams);
  j["disk"] = {{"path", disk.path},
               {"total_bytes", disk.total_bytes},
               {"available_bytes", disk.available_bytes},
               {"used_fraction", disk.used_fraction}};
  j["system"] = {
      {"load1", system.load1},
      {"load5", system.load5},
      {"load15", system.load15},
      {"cpus", system.cpus},
      {"rss_bytes", system.rss_bytes},
      {"mem_total_bytes", system.mem_total_bytes},
      {"mem_available_bytes", system.mem_available_bytes},
      {"temperature_c", system.temperature_c ? json(*system.temperature_c) : json(nullptr)}};
  j["clock"] = {{"synced", clock.synced},
                {"maxerror_us", clock.maxerror_us},
                {"esterror_us", clock.esterror_us}};
  j["commands"] = {{"refused_total", commands_refused}};
  return j;
}

}  // namespace gridsight::edge::health
