#include "common/http/server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <deque>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "common/http/error_codes.h"
#include "common/http/wire.h"
#include "common/metrics.h"

namespace gridsight::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

constexpr std::size_t kMaxQueuedStreamFrames = 1024;  // a reader that slow is dropped

struct StreamState;

// What an event stream needs from its connection, whatever the transport.
class StreamOwner {
 public:
  virtual ~StreamOwner() = default;
  virtual void kick_stream_write() = 0;
  virtual void abort_stream() = 0;
};

struct StreamState {
  std::mutex mu;
  bool open = true;
  bool writing = false;
  std::deque<std::string> queue;
  std::function<void()> drained;  // once, when the queue is next empty
  std::weak_ptr<StreamOwner> owner;
};

class EventStreamImpl final : public EventStream {
 public:
  explicit EventStreamImpl(std::shared_ptr<StreamState> state) : state_(std::move(state)) {}
  bool send(std::string data) override {
    std::shared_ptr<StreamOwner> owner;
    {
      std::lock_guard lock(state_->mu);
      if (!state_->open) return false;
      if (state_->queue.size() >= kMaxQueuedStreamFrames) {
        state_->open = false;
        owner = state_->owner.lock();
        if (owner) owner->abort_stream();
        return false;
      }
      state_->queue.push_back(std::move(data));
      if (state_->writing) return true;
      state_->writing = true;
      owner = state_->owner.lock();
    }
    if (!owner) return false;
    owner->kick_stream_write();
    return true;
  }
  bool is_open() const override {
    std::lock_guard lock(state_->mu);
    return state_->open;
  }
  std::size_t queued() const override {
    std::lock_guard lock(state_->mu);
    return state_->queue.size();
  }
  void on_drained(std::function<void()> f) override {
    {
      std::lock_guard lock(state_->mu);
      if (!state_->open) return;
      if (!state_->queue.empty()) {
        state_->drained = std::move(f);
        return;
      }
    }
    f();
  }
  void close() override {
    std::shared_ptr<StreamOwner> owner;
    {
      std::lock_guard lock(state_->mu);
      if (!state_->open) return;
      state_->open = false;
      owner = state_->owner.lock();
    }
    if (owner) owner->abort_stream();
  }

 private:
  std::shared_ptr<StreamState> state_;
};

struct Shared {
  ServerOptions options;
  Router router;
  Metrics* metrics = nullptr;
  std::atomic<int> connections{0};
  std::mutex streams_mu;
  std::vector<std::weak_ptr<StreamState>> streams;
  std::atomic<bool> stopping{false};

  void count(int status) {
    if (metrics == nullptr) return;
    metrics
        ->counter("gridsight_http_responses_total", "HTTP responses by status class",
                  {{"server", options.name}, {"class", std::to_string(status / 100) + "xx"}})
        .inc();
  }
  void reject(const char* reason) {
    if (metrics == nullptr) return;
    metrics
        ->counter("gridsight_http_rejected_total",
                  "HTTP requests or connections refused before a handler ran",
                  {{"server", options.name}, {"reason", reason}})
        .inc();
  }
  void track(const std::shared_ptr<StreamState>& s) {
    std::lock_guard lock(streams_mu);
    std::erase_if(streams, [](const auto& w) { return w.expired(); });
    streams.push_back(s);
  }
  void close_streams() {
    std::lock_guard lock(streams_mu);
    for (auto& w : streams) {
      if (auto s = w.lock()) {
        std::lock_guard l(s->mu);
        s->open = false;
        s->owner.reset();
      }
    }
    streams.clear();
  }
};

template <class Stream>
class Session final : public StreamOwner, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, Shared& shared, std::string remote, bool secure)
      : stream_(std::move(stream)), shared_(shared), remote_(std::move(remote)), secure_(secure) {
    ++shared_.connections;
  }
  ~Session() override { --shared_.connections; }

  void run() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      do_read();
    } else {
      beast::get_lowest_layer(stream_).expires_after(
          std::chrono::seconds(shared_.options.read_timeout_s));
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) {
                                  self->shared_.reject("tls_handshake");
                                  return;
                                }
                                self->do_read();
                              });
    }
  }

  void kick_stream_write() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->write_next(); });
  }
  void abort_stream() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      beast::error_code ec;
      beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
      beast::get_lowest_layer(self->stream_).close();
    });
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(shared_.options.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(shared_.options.max_header_bytes));
    beast::get_lowest_layer(stream_).expires_after(
        std::chrono::seconds(shared_.options.read_timeout_s));
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->on_read(ec);
                      });
  }

  void on_read(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset) {
      return close();
    }
    if (ec == bhttp::error::body_limit) {
      shared_.reject("body_too_large");
      return reply_and_close(Response::error(
          413, kTooLarge,
          "request body exceeds " + std::to_string(shared_.options.max_body_bytes) + " bytes"));
    }
    if (ec == bhttp::error::header_limit) {
      shared_.reject("header_too_large");
      return reply_and_close(Response::error(431, kTooLarge, "request header too large"));
    }
    if (ec) {
      shared_.reject("malformed");
      return reply_and_close(Response::error(400, kBadRequest, ec.message()));
    }
    handle(parser_->release());
  }

  void handle(bhttp::request<bhttp::string_body> msg) {
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    split_target(req.target, req);
    for (const auto& field : msg) {
      const auto name = field.name_string();
      const auto value = field.value();
      add_header(req, {name.data(), name.size()}, {value.data(), value.size()});
    }
    req.body = std::move(msg.body());
    req.remote_address = remote_;
    req.secure = secure_;
    keep_alive_ = msg.keep_alive();
    head_ = msg.method() == bhttp::verb::head;
    version_ = msg.version();

    Response res;
    if (!routable_path(req.path)) {
      res = Response::error(400, kBadRequest, "path must be absolute and must not contain '..'");
    } else {
      try {
        res = shared_.router.route(req);
      } catch (const std::exception& e) {
        spdlog::error("{}: {} {} failed: {}", shared_.options.name, req.method, req.path, e.what());
        res = Response::error(500, kInternalError, "the request could not be completed");
      }
    }
    if (res.on_stream_open) return start_stream(std::move(res));
    if (res.file) return send_file(std::move(res), req.header("range"));
    send(std::move(res));
  }

  template <class Body>
  void apply_common(bhttp::response<Body>& msg, const Response& res) {
    msg.version(version_);
    msg.set(bhttp::field::server, "gridsight");
    msg.set(bhttp::field::content_type, res.content_type);
    msg.set("X-Content-Type-Options", "nosniff");
    for (const auto& [k, v] : res.headers) msg.insert(k, v);
    msg.keep_alive(keep_alive_);
  }

  void send(Response res) {
    auto msg = std::make_shared<bhttp::response<bhttp::string_body>>();
    msg->result(static_cast<unsigned>(res.status));
    apply_common(*msg, res);
    const std::size_t length = res.body.size();
    if (!head_) msg->body() = std::move(res.body);
    msg->content_length(length);
    shared_.count(res.status);
    write(std::move(msg));
  }

  void reply_and_close(Response res) {
    keep_alive_ = false;
    send(std::move(res));
  }

  void send_file(Response res, const std::string& range_header) {
    std::error_code fec;
    const auto size = std::filesystem::file_size(*res.file, fec);
    if (fec || !std::filesystem::is_regular_file(*res.file)) {
      return send(Response::error(404, kNotFound, "no such file"));
    }
    if (res.file_content_type_from_extension) res.content_type = content_type_for(*res.file);
    res.headers.emplace_back("Accept-Ranges", "bytes");
    bool invalid = false;
    auto range = range_header.empty() ? std::nullopt : parse_range(range_header, size, invalid);
    if (invalid) {
      Response r = Response::error(416, kRangeNotSatisfiable, "range beyond the file's end");
      r.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
      return send(std::move(r));
    }
    if (!range && head_) {  // headers only: no body to serialise
      auto msg = std::make_shared<bhttp::response<bhttp::empty_body>>();
      msg->result(bhttp::status::ok);
      apply_common(*msg, res);
      msg->content_length(size);
      shared_.count(200);
      return write(std::move(msg));
    }
    if (!range) {
      // The whole file, streamed from disk.
      bhttp::file_body::value_type body;
      beast::error_code ec;
      body.open(res.file->c_str(), beast::file_mode::scan, ec);
      if (ec) return send(Response::error(404, kNotFound, "file cannot be opened"));
      auto msg = std::make_shared<bhttp::response<bhttp::file_body>>();
      msg->result(bhttp::status::ok);
      apply_common(*msg, res);
      msg->content_length(size);
      msg->body() = std::move(body);
      shared_.count(200);
      return write(std::move(msg));
    }
    // One slice, at most max_file_range_bytes (clients ask again for the rest).
    const std::uint64_t cap = shared_.options.max_file_range_bytes;
    if (range->last - range->first + 1 > cap) range->last = range->first + cap - 1;
    std::string slice(static_cast<std::size_t>(range->last - range->first + 1), '\0');
    std::ifstream in(*res.file, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(range->first));
    in.read(slice.data(), static_cast<std::streamsize>(slice.size()));
    if (!in) return send(Response::error(500, kInternalError, "the file could not be read"));
    res.status = 206;
    res.headers.emplace_back("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                                                  std::to_string(range->last) + "/" +
                                                  std::to_string(size));
    res.body = std::move(slice);
    res.file.reset();
    send(std::move(res));
  }

  template <class Message>
  void write(std::shared_ptr<Message> msg) {
    bhttp::async_write(stream_, *msg,
                       [self = this->shared_from_this(), msg](beast::error_code ec, std::size_t) {
                         if (ec) return self->close();
                         if (!self->keep_alive_ || self->shared_.stopping) return self->close();
                         self->do_read();
                       });
  }

  void start_stream(Response res) {
    shared_.count(200);
    auto header = std::make_shared<std::string>(
        "HTTP/1.1 200 OK\r\nServer: gridsight\r\nContent-Type: text/event-stream\r\n"
        "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n");
    for (const auto& [k, v] : res.headers) *header += k + ": " + v + "\r\n";
    *header += "\r\n";
    beast::get_lowest_layer(stream_).expires_never();
    stream_state_ = std::make_shared<StreamState>();
    stream_state_->owner = this->weak_from_this();
    stream_state_->writing = true;  // the header goes first
    shared_.track(stream_state_);
    net::async_write(stream_, net::buffer(*header),
                     [self = this->shared_from_this(), header,
                      on_open = std::move(res.on_stream_open)](beast::error_code ec, std::size_t) {
                       if (ec) return self->end_stream();
                       {
                         std::lock_guard lock(self->stream_state_->mu);
                         self->stream_state_->writing = false;
                       }
                       self->watch_for_close();
                       on_open(std::make_shared<EventStreamImpl>(self->stream_state_));
                       self->write_next();
                     });
  }

  // The client sends nothing on an event stream; a completed read means it went away.
  void watch_for_close() {
    stream_.async_read_some(net::buffer(discard_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->end_stream();
                              self->watch_for_close();
                            });
  }

  void write_next() {
    if (!stream_state_) return;
    std::shared_ptr<std::string> frame;
    std::function<void()> drained;
    {
      std::lock_guard lock(stream_state_->mu);
      if (!stream_state_->open) {
        stream_state_->writing = false;
        stream_state_->drained = nullptr;
        beast::error_code ec;
        beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
        return;
      }
      if (stream_state_->queue.empty()) {
        stream_state_->writing = false;
        drained.swap(stream_state_->drained);
      } else {
        if (stream_write_in_flight_) return;
        frame = std::make_shared<std::string>(std::move(stream_state_->queue.front()));
        stream_state_->queue.pop_front();
        stream_write_in_flight_ = true;
      }
    }
    if (!frame) {
      if (drained) drained();  // the sender may queue more (which starts a new write)
      return;
    }
    net::async_write(stream_, net::buffer(*frame),
                     [self = this->shared_from_this(), frame](beast::error_code ec, std::size_t) {
                       self->stream_write_in_flight_ = false;
                       if (ec) return self->end_stream();
                       self->write_next();
                     });
  }

  void end_stream() {
    if (stream_state_) {
      std::lock_guard lock(stream_state_->mu);
      stream_state_->open = false;
      stream_state_->queue.clear();
    }
    close();
  }

  void close() {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).close();
  }

  Stream stream_;
  Shared& shared_;
  std::string remote_;
  bool secure_ = false;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool keep_alive_ = false;
  bool head_ = false;
  unsigned version_ = 11;
  std::shared_ptr<StreamState> stream_state_;
  bool stream_write_in_flight_ = false;
  std::array<char, 64> discard_{};
};

}  // namespace

struct Server::Impl {
  Shared shared;
  net::io_context ioc;
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;

  void accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
        shared.reject("accept");
        return accept();
      }
      if (shared.connections >= shared.options.max_connections) {
        shared.reject("too_many_connections");
        beast::error_code ignored;
        socket.close(ignored);
        return accept();
      }
      beast::error_code rec;
      const auto peer = socket.remote_endpoint(rec);
      const std::string remote = rec ? std::string("unknown") : peer.address().to_string();
      if (tls) {
        using S = ssl::stream<beast::tcp_stream>;
        std::make_shared<Session<S>>(S(beast::tcp_stream(std::move(socket)), *tls), shared, remote,
                                     true)
            ->run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), shared,
                                                     remote, false)
            ->run();
      }
      accept();
    });
  }
};

Server::Server(ServerOptions options, Router router, Metrics* metrics)
    : impl_(std::make_unique<Impl>()) {
  impl_->shared.options = std::move(options);
  impl_->shared.router = std::move(router);
  impl_->shared.metrics = metrics;
  const auto& o = impl_->shared.options;
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
      throw std::runtime_error(o.name + ": TLS needs both a certificate and a key file");
    }
    impl_->tls.emplace(ssl::context::tls_server);
    impl_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1);
    beast::error_code ec;
    impl_->tls->use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec) throw std::runtime_error(o.name + ": cannot load TLS certificate " + o.tls_cert_file);
    impl_->tls->use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
    if (ec) throw std::runtime_error(o.name + ": cannot load TLS key " + o.tls_key_file);
  }
}

Server::~Server() {
  stop();
}

void Server::start() {
  if (impl_->started) return;
  const auto& o = impl_->shared.options;
  beast::error_code ec;
  const auto address = net::ip::make_address(o.bind_address, ec);
  if (ec) throw std::runtime_error(o.name + ": bad bind address '" + o.bind_address + "'");
  const tcp::endpoint endpoint(address, o.port);
  auto fail = [&](const char* what) {
    throw std::runtime_error(o.name + ": cannot " + what + " " + o.bind_address + ":" +
                             std::to_string(o.port) + ": " + ec.message());
  };
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (ec) fail("open");
  impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  impl_->acceptor.bind(endpoint, ec);
  if (ec) fail("bind");
  impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) fail("listen on");
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  impl_->started = true;
  for (int i = 0; i < std::max(1, o.threads); ++i) {
    impl_->threads.emplace_back([this] {
      for (;;) {
        try {
          impl_->ioc.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("{}: I/O thread: {}", impl_->shared.options.name, e.what());
        }
      }
    });
  }
  spdlog::info("{}: listening on {}", o.name, url());
}

void Server::stop() {
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  impl_->shared.stopping = true;
  impl_->shared.close_streams();
  net::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

std::uint16_t Server::port() const {
  return impl_->port;
}

std::string Server::url() const {
  return std::string(impl_->tls ? "https" : "http") + "://" + impl_->shared.options.bind_address +
         ":" + std::to_string(impl_->port);
}

}  // namespace gridsight::http
