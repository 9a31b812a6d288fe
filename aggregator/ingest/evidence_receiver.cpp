#include "aggregator/ingest/evidence_receiver.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "aggregator/store/event_store.h"
#include "common/metrics.h"
#include "protocol/sha256.h"

namespace gridsight::aggregator {
namespace fs = std::filesystem;

namespace {

void append_durably(const fs::path& p, std::string_view data) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0640);
  if (fd < 0) throw std::runtime_error("open " + p.string() + ": " + std::strerror(errno));
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      throw std::runtime_error("write " + p.string() + ": " + std::strerror(err));
    }
    off += static_cast<std::size_t>(n);
  }
  int rc = ::fdatasync(fd);
  ::close(fd);
  if (rc != 0) throw std::runtime_error("fdatasync " + p.string() + ": " + std::strerror(errno));
}

std::string hash_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  protocol::Sha256 h;
  std::string buf(1 << 16, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.update(std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())));
  }
  return h.finish_content_hash();
}

}  // namespace

EvidenceReceiver::EvidenceReceiver(fs::path dir, EvidenceConfig config, EventStore& store,
                                   Metrics& metrics)
    : dir_(std::move(dir)),
      partial_dir_(dir_ / "partial"),
      config_(config),
      store_(store),
      completed_(metrics.counter("gridsight_aggregator_evidence_completed_total",
                                 "Evidence objects received in full with a matching hash")),
      bytes_(metrics.counter("gridsight_aggregator_evidence_bytes_total", "Evidence bytes stored")),
      hash_mismatch_(metrics.counter("gridsight_aggregator_evidence_hash_mismatch_total",
                                     "Evidence objects whose bytes did not match their hash")),
      refused_(metrics.counter("gridsight_aggregator_evidence_refused_total",
                               "Evidence objects refused (quota, repeated hash mismatch)")) {
  fs::create_directories(partial_dir_);
}

fs::path EvidenceReceiver::path_of(const std::string& hash) const {
  return dir_ / hash.substr(7);
}

protocol::EvidenceAck EvidenceReceiver::receive(const std::string& device_id,
                                                const protocol::EvidenceChunk& chunk,
                                                std::int64_t now_ms) {
  const auto& h = chunk.header;
  protocol::EvidenceAck ack;
  ack.hash = h.hash;
  auto row = store_.evidence(h.hash);
  if (row && row->complete) {  // already have it (maybe from another event or device)
    ack.received = row->size;
    ack.complete = true;
    return ack;
  }
  if (!row) {
    if (store_.evidence_bytes(device_id) + h.size > config_.device_quota_bytes) {
      refused_.inc();
      ack.refused = true;
      ack.reason = "device evidence quota of " + std::to_string(config_.device_quota_bytes) +
                   " bytes exceeded";
      return ack;
    }
    row = EvidenceRow{h.hash, device_id, h.event_id, h.media_type, h.size, 0, false, 0, now_ms};
    fs::remove(partial_dir_ / h.hash.substr(7));
  }
  if (h.size != row->size) {
    ack.received = row->received;
    ack.refused = true;
    ack.reason = "size differs from the first chunk's";
    return ack;
  }
  const fs::path partial = partial_dir_ / h.hash.substr(7);
  if (h.offset == row->received && !chunk.data.empty()) {
    // Bytes appended before a crash that the store never committed are not ours to keep.
    std::error_code ec;
    if (fs::exists(partial) && fs::file_size(partial) != row->received) {
      fs::resize_file(partial, row->received, ec);
      if (ec) throw std::runtime_error("truncate " + partial.string() + ": " + ec.message());
    }
    append_durably(partial, chunk.data);
    row->received += chunk.data.size();
    bytes_.inc(chunk.data.size());
  }
  // Out-of-order or repeated chunks are ignored: the ack tells the edge where to resume.
  if (row->received == row->size) {
    if (hash_of(partial) == h.hash) {
      fs::rename(partial, path_of(h.hash));
      row->complete = true;
      completed_.inc();
    } else {
      hash_mismatch_.inc();
      fs::remove(partial);
      row->received = 0;
      ++row->hash_failures;
      spdlog::warn("evidence {} from {}: bytes do not match the hash (failure {})", h.hash,
                   device_id, row->hash_failures);
      if (row->hash_failures >= config_.max_hash_failures) {
        refused_.inc();
        ack.refused = true;
        ack.reason = "content does not match its hash";
      }
    }
  }
  row->updated_ms = now_ms;
  store_.put_evidence(*row);
  ack.received = row->received;
  ack.complete = row->complete;
  return ack;
}

}  // namespace gridsight::aggregator
