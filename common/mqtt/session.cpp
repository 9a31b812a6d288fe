#include "common/mqtt/session.h"

#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/backoff.h"
#include "common/metrics.h"
#include "common/socket/tcp_connect.h"
#include "common/tls/credential_check.h"

namespace gridsight::mqtt {
namespace {

// Paho queues every command; this bounds that queue (its default of 100 refuses publishes
// long before the MQTT in-flight window is full). Callers bound what they publish.
constexpr int kMaxQueuedCommands = 65535;

// Whether something accepts TCP connections at host:port within timeout_ms. Used before
// handing a connect to Paho: Paho C 1.3.11 has a use-after-free between its threads when
// connection attempts fail in quick succession (seen under ASan while a broker was down), so
// an unreachable broker is detected here and Paho only ever tries a listening port.
bool tcp_reachable(const std::string& host, int port, std::int64_t timeout_ms, std::string& why) {
  const int fd = tcp_connect(host, port, timeout_ms, why);
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}

// One publish awaiting its PUBACK; owned by Impl::pending_ until Paho reports it.
struct PublishContext {
  std::function<void(const PublishResult&)> done;
};

// Paho C (1.3.12, and its master as of this writing) frees the topic of a QoS 1 publish whose
// first write fails with a socket error but keeps the message in the client's in-flight list:
// the next connect that resumes the session resends it (reading freed memory) and the PUBACK
// or the client's destruction frees the topic again. Such a client is never used nor destroyed
// again: it is retired here (it is disconnected, so Paho's threads skip it) and a new client
// takes its place. Bounded: past kMaxRetired the client is kept, with an error logged.
constexpr std::size_t kMaxRetired = 32;

std::mutex& retired_mutex() {
  static std::mutex m;
  return m;
}

// Never destroyed (reachable, so leak checkers do not report it).
std::vector<std::shared_ptr<::mqtt::async_client>>& retired_clients() {
  static auto* clients = new std::vector<std::shared_ptr<::mqtt::async_client>>();
  return *clients;
}

bool retire(std::shared_ptr<::mqtt::async_client> client) {
  std::lock_guard lock(retired_mutex());
  if (retired_clients().size() >= kMaxRetired) return false;
  retired_clients().push_back(std::move(client));
  return true;
}

}  // namespace

class Session::Impl : public ::mqtt::callback, public ::mqtt::iaction_listener {
 public:
  Impl(Session& owner, Metrics& metrics, const std::string& prefix)
      : owner_(owner),
        client_(new_client()),
        connects_(metrics.counter(prefix + "_mqtt_connects_total", "Successful MQTT connects")),
        connect_failures_(metrics.counter(prefix + "_mqtt_connect_failures_total",
                                          "Failed MQTT connection attempts")),
        lost_(metrics.counter(prefix + "_mqtt_connection_lost_total", "MQTT connections lost")),
        publish_failures_(metrics.counter(prefix + "_mqtt_publish_failures_total",
                                          "Publishes refused or failed (e.g. not authorized)")),
        connected_gauge_(metrics.gauge(prefix + "_mqtt_connected", "1 while connected")),
        cert_expiry_(metrics.gauge(prefix + "_tls_certificate_expiry_timestamp_seconds",
                                   "When this client's TLS certificate expires (Unix time)")),
        ca_expiry_(metrics.gauge(prefix + "_tls_ca_expiry_timestamp_seconds",
                                 "When the fleet CA certificate (mqtt.tls.ca_file) expires")),
        retired_(metrics.counter(prefix + "_mqtt_clients_retired_total",
                                 "MQTT client instances replaced after a publish hit a socket "
                                 "error (a defect of the MQTT library worked around)")) {
    client_->set_callback(*this);
  }

  ~Impl() override {
    client_->disable_callbacks();
    if (poisoned_) retire(client_);
  }

  std::shared_ptr<::mqtt::async_client> new_client() const {
    return std::make_shared<::mqtt::async_client>(
        owner_.options_.server_uri(), owner_.options_.client_id,
        ::mqtt::create_options(MQTTVERSION_5, kMaxQueuedCommands), nullptr);
  }

  // The current client (replaced only by the session's thread, between connections).
  std::shared_ptr<::mqtt::async_client> client() const {
    std::lock_guard lock(client_mu_);
    return client_;
  }

  // Called by the session's thread while disconnected, before a connect.
  void renew_client_if_poisoned() {
    if (!poisoned_) return;
    auto old = client();
    old->disable_callbacks();
    if (!retire(old)) {
      spdlog::error("mqtt: {} MQTT client instances retired already: keeping this one",
                    kMaxRetired);
      old->set_callback(*this);
      poisoned_ = false;
      return;
    }
    retired_.inc();
    spdlog::warn(
        "mqtt: a publish failed on a broken socket: a new MQTT client instance takes "
        "over (the old one keeps a message the library freed)");
    auto fresh = new_client();
    fresh->set_callback(*this);
    {
      std::lock_guard lock(client_mu_);
      client_ = std::move(fresh);
    }
    poisoned_ = false;
    drop_pending();
  }

  ::mqtt::connect_options connect_options() const {
    const Options& o = owner_.options_;
    auto b = ::mqtt::connect_options_builder()
                 .mqtt_version(MQTTVERSION_5)
                 .clean_start(false)
                 .keep_alive_interval(std::chrono::seconds(o.keepalive_s))
                 .connect_timeout(
                     std::chrono::milliseconds(std::max<std::int64_t>(o.connect_timeout_ms, 1000)))
                 .automatic_reconnect(false)
                 .max_inflight(o.max_inflight);
    if (owner_.will_) {
      ::mqtt::message will(owner_.will_->topic, owner_.will_->payload, 1, owner_.will_->retained);
      b.will(::mqtt::will_options(will));
    }
    if (o.tls.enabled) {
      auto ssl =
          ::mqtt::ssl_options_builder()
              .trust_store(o.tls.ca_file)
              .key_store(o.tls.cert_file)
              .private_key(o.tls.key_file)
              .enable_server_cert_auth(true)
              .verify(o.tls.verify_hostname)
              .ssl_version(MQTT_SSL_VERSION_TLS_1_2)
              .error_handler([](const std::string& msg) { spdlog::warn("mqtt tls: {}", msg); })
              .finalize();
      b.ssl(std::move(ssl));
    }
    auto opts = b.finalize();
    // Properties are set on the finished options (copying them through the builder of
    // Paho C++ 1.2 leaves a dangling pointer).
    ::mqtt::properties props;
    props.add(::mqtt::property(::mqtt::property::SESSION_EXPIRY_INTERVAL,
                               static_cast<int>(o.session_expiry_s)));
    opts.set_properties(props);
    return opts;
  }

  // ---- ::mqtt::callback (Paho's thread) ----
  void connection_lost(const std::string& cause) override {
    lost_.inc();
    connected_gauge_.set(0);
    owner_.connected_ = false;
    owner_.cv_.notify_all();
    if (owner_.handlers_.on_connection_lost) owner_.handlers_.on_connection_lost(cause);
  }

  void message_arrived(::mqtt::const_message_ptr msg) override {
    if (owner_.handlers_.on_message) {
      owner_.handlers_.on_message(msg->get_topic(), msg->get_payload_str());
    }
  }

  // ---- ::mqtt::iaction_listener for publishes (Paho's thread) ----
  void on_success(const ::mqtt::token& tok) override { finish(tok, PublishResult{true, 0, ""}); }

  void on_failure(const ::mqtt::token& tok) override {
    publish_failures_.inc();
    // MQTTASYNC_FAILURE: Paho's socket error on the write (see retire() above).
    if (tok.get_return_code() == MQTTASYNC_FAILURE) poisoned_ = true;
    PublishResult r{false, static_cast<int>(tok.get_reason_code()), ""};
    r.error = "publish failed: return code " + std::to_string(tok.get_return_code()) +
              ", reason code " + std::to_string(r.reason_code);
    finish(tok, r);
  }

  void finish(const ::mqtt::token& tok, const PublishResult& r) {
    std::unique_ptr<PublishContext> ctx;
    {
      std::lock_guard lock(pending_mu_);
      auto it = pending_.find(tok.get_user_context());
      if (it == pending_.end()) return;
      ctx = std::move(it->second);
      pending_.erase(it);
    }
    if (ctx->done) ctx->done(r);
  }

  bool publish(const std::string& topic, const std::string& payload, int qos, bool retained,
               std::function<void(const PublishResult&)> done) {
    auto ctx = std::make_unique<PublishContext>(PublishContext{std::move(done)});
    void* key = ctx.get();
    {
      std::lock_guard lock(pending_mu_);
      pending_.emplace(key, std::move(ctx));
    }
    try {
      auto msg = ::mqtt::make_message(topic, payload, qos, retained);
      client()->publish(msg, key, *this);
      return true;
    } catch (const ::mqtt::exception& e) {
      std::lock_guard lock(pending_mu_);
      pending_.erase(key);
      return false;
    }
  }

  // Publishes awaiting acknowledgement are abandoned at a disconnect: their callers re-send.
  void drop_pending() {
    std::lock_guard lock(pending_mu_);
    pending_.clear();
  }

  Session& owner_;
  mutable std::mutex client_mu_;
  std::shared_ptr<::mqtt::async_client> client_;
  std::atomic<bool> poisoned_{false};
  Counter& connects_;
  Counter& connect_failures_;
  Counter& lost_;
  Counter& publish_failures_;
  Gauge& connected_gauge_;
  Gauge& cert_expiry_;
  Gauge& ca_expiry_;
  Counter& retired_;
  std::mutex pending_mu_;
  std::unordered_map<void*, std::unique_ptr<PublishContext>> pending_;
};

Session::Session(Options options, std::optional<Will> will, Handlers handlers, Metrics& metrics,
                 std::string metric_prefix)
    : options_(std::move(options)), will_(std::move(will)), handlers_(std::move(handlers)) {
  impl_ = std::make_unique<Impl>(*this, metrics, metric_prefix);
}

Session::~Session() {
  stop();
}

void Session::start() {
  if (running_.exchange(true)) return;
  if (options_.tls.enabled) check_tls_files();
  thread_ = std::thread([this] { run(); });
}

void Session::check_tls_files() {
  const std::int64_t now = std::time(nullptr);
  const tls::ClientFiles files{options_.tls.ca_file, options_.tls.cert_file, options_.tls.key_file};
  for (const auto& p : tls::check_client_files(files, now)) spdlog::warn("mqtt tls: {}", p);
  constexpr std::int64_t kWarnS = 30 * 86'400;
  const std::pair<const std::string*, Gauge*> checks[] = {
      {&options_.tls.cert_file, &impl_->cert_expiry_}, {&options_.tls.ca_file, &impl_->ca_expiry_}};
  for (const auto& [file, gauge] : checks) {
    std::int64_t until = 0;
    if (!tls::certificate_not_after(*file, until)) continue;
    gauge->set(static_cast<double>(until));
    const std::int64_t left = until - now;
    if (left > 0 && left < kWarnS) {
      spdlog::warn("mqtt tls: {} expires in {} days: renew it (docs/security.md)", *file,
                   left / 86'400);
    }
  }
}

std::string Session::describe_tls_failure() const {
  const tls::ClientFiles files{options_.tls.ca_file, options_.tls.cert_file, options_.tls.key_file};
  auto problems = tls::check_client_files(files, std::time(nullptr));
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    return all;
  }
  return tls::diagnose_handshake(
      options_.host, options_.port, files, options_.tls.verify_hostname,
      static_cast<int>(std::min<std::int64_t>(options_.connect_timeout_ms, 5000)));
}

void Session::run() {
  Backoff backoff(options_.backoff);
  std::uint64_t failures_in_a_row = 0;
  std::unique_lock lock(mu_);
  while (running_) {
    if (connected_) {
      cv_.wait(lock, [&] { return !running_ || !connected_; });
      continue;
    }
    lock.unlock();
    bool ok = false;
    bool session_present = false;
    std::string why;
    try {
      if (!tcp_reachable(options_.host, options_.port, options_.connect_timeout_ms, why)) {
        throw std::runtime_error(why);
      }
      // Paho bounds the attempt by the connect timeout; never start a second attempt while
      // one is still in progress (Paho C does not survive overlapping connects).
      impl_->renew_client_if_poisoned();
      auto tok = impl_->client()->connect(impl_->connect_options());
      tok->wait();
      session_present = tok->get_connect_response().is_session_present();
      ok = true;
    } catch (const std::exception& e) {
      impl_->connect_failures_.inc();
      spdlog::warn("mqtt: cannot connect to {}: {}", options_.server_uri(), e.what());
      // Paho says only "TCP/TLS connect failure": name the cause on the first failure and
      // every tenth after it (the probe costs a handshake).
      if (options_.tls.enabled && why.empty() && failures_in_a_row++ % 10 == 0) {
        spdlog::warn("mqtt tls: {}", describe_tls_failure());
      }
    }
    if (ok) {
      if (failures_in_a_row > 0 && options_.tls.enabled) check_tls_files();
      failures_in_a_row = 0;
      impl_->connects_.inc();
      impl_->connected_gauge_.set(1);
      connected_ = true;
      backoff.reset();
      spdlog::info("mqtt: connected to {} as {} (session {})", options_.server_uri(),
                   options_.client_id, session_present ? "resumed" : "new");
      try {
        if (handlers_.on_connected) handlers_.on_connected(session_present);
      } catch (const std::exception& e) {
        // e.g. a refused subscription: drop the connection and try again later.
        spdlog::error("mqtt: set-up after connect failed: {}", e.what());
        try {
          impl_->client()->disconnect()->wait_for(std::chrono::seconds(2));
        } catch (const std::exception&) {
        }
        connected_ = false;
        impl_->connected_gauge_.set(0);
        ok = false;
      }
    } else {
      impl_->drop_pending();
    }
    lock.lock();
    if (!ok && running_) {
      auto delay = backoff.next_delay_ms();
      spdlog::debug("mqtt: retrying in {} ms", delay);
      cv_.wait_for(lock, std::chrono::milliseconds(delay), [&] { return !running_.load(); });
    }
  }
}

void Session::stop(std::optional<Will> final_message) {
  if (!running_.exchange(false)) return;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (connected_) {
    try {
      if (final_message) {
        impl_->client()
            ->publish(final_message->topic, final_message->payload.data(),
                      final_message->payload.size(), 1, final_message->retained)
            ->wait_for(std::chrono::seconds(2));
      }
      // Normal disconnection: the broker discards the will.
      impl_->client()->disconnect()->wait_for(std::chrono::seconds(2));
    } catch (const std::exception& e) {
      spdlog::warn("mqtt: disconnect: {}", e.what());
    }
  }
  connected_ = false;
  impl_->drop_pending();
}

bool Session::publish(const std::string& topic, const std::string& payload, int qos, bool retained,
                      std::function<void(const PublishResult&)> done) {
  if (!connected_) return false;
  return impl_->publish(topic, payload, qos, retained, std::move(done));
}

std::vector<std::pair<std::string, int>> Session::subscribe(const std::vector<std::string>& filters,
                                                            int qos) {
  auto topics = ::mqtt::string_collection::create(filters);
  std::vector<int> qoss(filters.size(), qos);
  auto tok = impl_->client()->subscribe(topics, qoss);
  if (!tok->wait_for(std::chrono::milliseconds(options_.connect_timeout_ms))) {
    throw std::runtime_error("subscribe timed out");
  }
  std::vector<std::pair<std::string, int>> refused;
  const auto response = tok->get_subscribe_response();
  const auto& codes = response.get_reason_codes();
  for (std::size_t i = 0; i < codes.size() && i < filters.size(); ++i) {
    if (codes[i] >= 0x80) {
      refused.emplace_back(filters[i], static_cast<int>(codes[i]));
      spdlog::error(
          "mqtt: the broker refused the subscription to {} (reason code {}{}) for "
          "client {}",
          filters[i], static_cast<int>(codes[i]), codes[i] == 0x87 ? ", not authorized" : "",
          options_.client_id);
    }
  }
  return refused;
}

}  // namespace gridsight::mqtt
