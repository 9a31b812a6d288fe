#pragma once
// The aggregator's HTTP API (docs/api.md): cases, lifecycle actions, reports, indicators,
// grid and cameras as GeoJSON, the live feed, evidence files, Open311 GeoReport v2 and the
// web console, on one common/http server. The stores come through their ports, opened by
// the daemon's assembly (which picks the implementations): reads use read connections of
// their own; commands are posted to the case service (which owns the engine) and the handler
// waits for their result. The live feed is woken by the case service's outputs.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "aggregator/api/api_config.h"

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
namespace gridsight::aggregator {
class EventEvidenceIndex;
}
namespace gridsight::store {
class CaseStore;
}
namespace gridsight::cases {
class CaseOutputLog;
class CaseService;
class ClassCatalog;
struct IndicatorConfig;
}  // namespace gridsight::cases

namespace gridsight::api {

class AuditLog;

struct ApiContext {
  // Null: the grid engine is off (case routes answer 503). Not started yet: the API
  // subscribes its live feed to the service's outputs.
  cases::CaseService* cases = nullptr;
  // Opens one read connection to the case store: the API keeps a pool of them, one per
  // request in flight. Required.
  std::function<std::unique_ptr<store::CaseStore>()> open_cases;
  // Opens the live feed's reader of the stored outputs (its head, the Last-Event-ID replay),
  // once. Required.
  std::function<std::unique_ptr<cases::CaseOutputLog>()> open_outputs;
  // Opens one reader of the event store's evidence index (pooled like the case readers).
  // Unset: no event store, events show no evidence.
  std::function<std::unique_ptr<aggregator::EventEvidenceIndex>()> open_evidence;
  // Opens the audit log, once. Required.
  std::function<std::unique_ptr<AuditLog>()> open_audit;
  std::filesystem::path evidence_dir;  // where EvidenceReceiver keeps complete files
  const grid::GridModel* grid = nullptr;
  const grid::CameraRegistry* cameras = nullptr;
  const cases::ClassCatalog* classes = nullptr;
  const cases::IndicatorConfig* indicators = nullptr;  // null: the built-in rate definitions
  int utc_offset_minutes = 480;  // the district's time (the working calendar's): trends, display
  std::string grid_file;         // the GeoJSON the grid came from (geometries for /grid/cells)
  const Clock* clock = nullptr;
  Metrics* metrics = nullptr;
  aggregator::fleet::FleetView* fleet = nullptr;  // null: no fleet routes, no fleet alerts
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

}  // namespace gridsight::api
