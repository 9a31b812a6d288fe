// The live feed's replay is paged at the client's pace: a client resuming far behind (more
// than the server's per-connection queue limit) that reads slowly gets every entry, in order,
// over one connection, through a real http::Server on loopback.
#include "aggregator/api/feed_hub.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "aggregator/store/sqlite/sqlite_case_store.h"
#include "common/http/server.h"
#include "common/sqlite/database.h"
#include "tests/support/raw_http.h"

namespace gridsight::api {
namespace {

namespace fs = std::filesystem;

TEST(FeedHubTest, ALongReplayIsPacedByTheClientNotCut) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("feed-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "cases.db").string();
  constexpr int kEntries = 6'000;  // the server cuts a connection 1 024 frames behind
  {
    store::SqliteCaseStore schema(db);
    sqlite::Database d(db);
    d.exec("BEGIN");
    d.exec(
        "INSERT INTO cases (id, state, class_code, cell_code, source, detector, camera_id, "
        "reported_ms, filed_ms, closed_ms, due_ms, body) VALUES "
        "(1, 'reported', 'x', 'c', 'ai_camera', 'd', 'cam', 0, 0, 0, 0, '{}')");
    const std::string pad(800, 'p');  // ~5 MB in all: more than the sockets hold
    auto st = d.prepare("INSERT INTO case_outputs (case_id, kind, at_ms, body) VALUES (1,?,?,?)");
    for (int i = 0; i < kEntries; ++i) {
      st.reset();
      st.bind(1, "transition")
          .bind(2, i)
          .bind(3, "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + pad + "\"}");
      st.run();
    }
    d.exec("COMMIT");
  }
  FeedHub hub([db] { return std::make_unique<store::SqliteCaseStore>(db); });
  http::Router rt;
  rt.add("GET", "/feed", [&](http::Request&) {
    return http::Response::event_stream(
        [&](std::shared_ptr<http::EventStream> s) { hub.subscribe(std::move(s), 0, ""); });
  });
  http::ServerOptions o;
  o.bind_address = "127.0.0.1";
  o.port = 0;
  o.threads = 1;
  http::Server server(o, std::move(rt));
  server.start();
  hub.start();

  // The client takes frames far slower than the feed could queue them (~5 MB in a moment).
  test::Conn c(server.port());
  c.send("GET /feed HTTP/1.1\r\nHost: t\r\n\r\n");
  std::int64_t expected = 1;
  while (expected <= kEntries) {
    std::string& b = c.buffer();
    auto p = b.find("id: ");
    auto e = p == std::string::npos ? p : b.find("\n\n", p);
    if (e == std::string::npos) {
      if (!c.fill()) break;  // cut (or 10 s without data)
      continue;
    }
    ASSERT_EQ(std::stoll(b.substr(p + 4, b.find('\n', p) - p - 4)), expected);
    ++expected;
    b.erase(0, e + 2);
  }
  EXPECT_EQ(expected, kEntries + 1) << "the stream ended early";
  hub.stop();
  server.stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gridsight::api
