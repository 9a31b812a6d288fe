#include "edge/daemon/status_page.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/metrics.h"
#include "edge/config/edge_config.h"
#include "edge/daemon/video_pipeline.h"
#include "edge/outbox/outbox.h"

namespace gridsight::edge {
namespace {

// Healthy when the outbox folder takes a write and the outbox database answers.
std::optional<std::string> outbox_problem(Outbox& outbox) {
  const auto probe = outbox.dir() / ".healthz";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return "outbox folder " + outbox.dir().string() + " is not writable: " + std::strerror(errno);
  }
  const bool wrote = ::write(fd, "ok", 2) == 2;
  const int err = errno;
  ::close(fd);
  ::unlink(probe.c_str());
  if (!wrote)
    return "outbox folder " + outbox.dir().string() + ": write failed: " + std::strerror(err);
  try {
    outbox.stats();
  } catch (const std::exception& e) {
    return std::string("outbox database: ") + e.what();
  }
  return std::nullopt;
}

}  // namespace

std::unique_ptr<status::StatusServer> start_status_page(const EdgeConfig& config, Outbox& outbox,
                                                        VideoPipeline& video, Metrics& metrics,
                                                        status::RecentEvents& recent,
                                                        std::function<nlohmann::json()> report,
                                                        std::vector<status::Route> routes) {
  if (!config.status.enabled) return nullptr;
  status::Sources s;
  s.status = std::move(report);
  s.latest_frame = [&video](const std::string& id) -> std::optional<status::FramePixels> {
    auto look = video.look(id);
    if (look.pixels.empty()) return std::nullopt;
    return status::FramePixels{look.width,    look.height,   look.stride,
                               look.channels, look.frame_ms, std::move(look.pixels)};
  };
  s.metrics = [&metrics] { return metrics.prometheus(); };
  s.unhealthy = [&outbox] { return outbox_problem(outbox); };
  s.events = &recent;
  s.routes = std::move(routes);
  recent.start(outbox);
  try {
    auto server = std::make_unique<status::StatusServer>(config.status, std::move(s), &metrics);
    server->start();
    spdlog::info("status page: {}", server->url());
    return server;
  } catch (const std::exception& e) {
    spdlog::error("status page: cannot start: {}", e.what());
    return nullptr;
  }
}

}  // namespace gridsight::edge
