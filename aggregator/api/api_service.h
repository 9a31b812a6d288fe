#pragma once
// The aggregator's HTTP API (docs/api.md): cases, lifecycle actions, reports, indicators,
// grid and cameras as GeoJSON, the live feed, evidence files, Open311 GeoReport v2 and the
// web console, on one common/http server. Reads use their own SQLite connections; commands
// go to the case engine under the engine's mutex (the case feed thread holds it too).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "aggregator/api/api_config.h"
#include "aggregator/cases/case_sink.h"

namespace gridsight {
class Clock;
class Metrics;
}  // namespace gridsight
namespace gridsight::grid {
class GridModel;
class CameraRegistry;
}  // namespace gridsight::grid
namespace gridsight::aggregator::fleet {
class FleetView;
}
namespace gridsight::cases {
class CaseEngine;
class ClassCatalog;
struct IndicatorConfig;
}  // namespace gridsight::cases

namespace gridsight::api {

struct ApiContext {
  cases::CaseEngine* engine = nullptr;  // null: the grid engine is off (case routes answer 503)
  std::mutex* engine_mutex = nullptr;   // serialises engine calls; required with engine
  std::string case_db_path;             // cases.db
  std::string event_db_path;            // aggregator.db (evidence index)
  std::filesystem::path evidence_dir;   // where EvidenceReceiver keeps complete files
  const grid::GridModel* grid = nullptr;
  const grid::CameraRegistry* cameras = nullptr;
  const cases::ClassCatalog* classes = nullptr;
  const cases::IndicatorConfig* indicators = nullptr;  // null: the built-in rate definitions
  int utc_offset_minutes = 480;  // the district's time (the working calendar's): trends, display
  std::string grid_file;         // the GeoJSON the grid came from (geometries for /grid/cells)
  const Clock* clock = nullptr;
  Metrics* metrics = nullptr;
  aggregator::fleet::FleetView* fleet = nullptr;  // null: no fleet routes, no fleet alerts
  int feed_poll_ms = 200;                         // the feed also wakes on notify_feed()
  // The external platform's status callback (the connector's apply_callback): the JSON body
  // in, {HTTP status, JSON answer} out. Unset: POST /api/v1/connector/callback is not mounted.
  std::function<std::pair<int, std::string>(const std::string& body)> connector_callback;
};

class ApiService {
 public:
  // Throws std::runtime_error when the server cannot be set up (TLS files).
  ApiService(ApiConfig config, ApiContext context);
  ~ApiService();
  ApiService(const ApiService&) = delete;
  ApiService& operator=(const ApiService&) = delete;

  // Binds (throws std::runtime_error naming the address), starts the feed and the
  // evidence retention sweep.
  void start();
  void stop();
  std::uint16_t port() const;
  std::string url() const;

  // New engine outputs are stored: wake the feed now (it also polls).
  void notify_feed();
  // Runs one evidence retention sweep now; returns the number of files removed.
  std::size_t sweep_evidence();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// One evidence retention pass over `dir` (regular files directly inside it): removes files
// older than max_age_ms (0: none), then the oldest until the total is at most max_bytes
// (0: no limit). Returns the number removed.
std::size_t sweep_evidence_dir(const std::filesystem::path& dir, std::int64_t now_ms,
                               std::int64_t max_age_ms, std::uint64_t max_bytes);

// "h264", "h265" or "" (unknown) from an MP4 file's sample entries.
std::string probe_mp4_codec(const std::filesystem::path& file);

// Passes the engine's outputs on and then wakes the API's feed (set once before the engine
// runs).
class FeedNotifyingSink final : public cases::CaseSink {
 public:
  explicit FeedNotifyingSink(cases::CaseSink& inner) : inner_(inner) {}
  void set_service(ApiService* service) { service_ = service; }
  void publish(const cases::CaseOutput& output) override {
    inner_.publish(output);
    if (service_) service_->notify_feed();
  }

 private:
  cases::CaseSink& inner_;
  ApiService* service_ = nullptr;
};

}  // namespace gridsight::api
