// Makes realistic event streams for bench/spine/run.sh: either an edge outbox holding a
// backlog of N events, or N encoded event messages on stdout (one per line, for mosquitto_pub -l).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <optional>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "edge/outbox/outbox.h"
#include "protocol/ids.h"

namespace {

// `at`: the events of a district, spread over about 1.2 km x 1.2 km around this GCJ-02 point
// (so that they fall into several grid cells and make many cases), from cameras the
// aggregator does not know (placed by the event's own location).
std::optional<gridsight::protocol::GeoPoint> at;

gridsight::protocol::Event realistic(std::uint64_t n) {
  gridsight::protocol::Event e;
  e.camera_id = "34020000001320000" + std::to_string(100 + n % 8);
  e.type = n % 3 ? "parking.illegal" : "zone.intrusion";
  e.start_ms = 1'764'000'000'000 + static_cast<std::int64_t>(n) * 200;
  e.end_ms = e.start_ms + 180'000;
  e.clock_synced = true;
  e.confidence = 0.62 + static_cast<double>(n % 30) / 100.0;
  e.zone = "no-parking-east";
  e.boxes.push_back({0.412, 0.533, 0.118, 0.091, "vehicle", 0.83, static_cast<std::int64_t>(n)});
  e.boxes.push_back({0.127, 0.602, 0.041, 0.137, "person", 0.71, static_cast<std::int64_t>(n + 1)});
  e.location =
      gridsight::protocol::GeoPoint{120.155071, 30.274085, gridsight::protocol::Crs::kWgs84};
  if (at) {
    e.location = *at;
    e.location->lon += static_cast<double>(n % 97) * 0.00014 - 0.0068;
    e.location->lat += static_cast<double>((n / 97) % 89) * 0.00012 - 0.0053;
  }
  e.evidence.push_back(
      {gridsight::protocol::content_hash(std::to_string(n)), 48213, "image/jpeg", "snapshot"});
  e.attributes["detector"] = "mog2+tracker";
  e.attributes["dwell_s"] = "183";
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"make benchmark events"};
  std::string outbox_dir, device = "bench-edge";
  std::uint64_t count = 100'000;
  app.add_option("--outbox", outbox_dir, "Fill the outbox in this folder (else print lines)");
  app.add_option("--device", device, "Device id");
  app.add_option("--count", count, "Number of events");
  std::vector<double> lonlat;
  app.add_option("--at", lonlat, "LON LAT (GCJ-02): events spread around this point")->expected(2);
  CLI11_PARSE(app, argc, argv);
  if (lonlat.size() == 2) {
    at = gridsight::protocol::GeoPoint{lonlat[0], lonlat[1], gridsight::protocol::Crs::kGcj02};
  }

  if (!outbox_dir.empty()) {
    gridsight::Metrics metrics;
    gridsight::edge::OutboxConfig cfg;
    cfg.max_events = count + 1;
    gridsight::edge::Outbox box(outbox_dir, device, cfg, gridsight::SystemClock::instance(),
                                metrics);
    for (std::uint64_t done = 0; done < count;) {
      std::vector<gridsight::edge::Draft> batch;
      for (std::uint64_t i = 0; i < 5000 && done + i < count; ++i) {
        batch.push_back({realistic(done + i), {}});
      }
      done += batch.size();
      box.append(std::move(batch));
    }
    auto s = box.stats();
    std::printf("%llu %llu\n", static_cast<unsigned long long>(s.pending),
                static_cast<unsigned long long>(s.pending_bytes));
    return 0;
  }
  std::ios::sync_with_stdio(false);
  for (std::uint64_t i = 0; i < count; ++i) {
    auto e = realistic(i);
    e.event_id = gridsight::protocol::new_event_id();
    e.device_id = device;
    e.seq = i + 1;
    std::cout << gridsight::protocol::encode(e) << '\n';
  }
  return 0;
}
