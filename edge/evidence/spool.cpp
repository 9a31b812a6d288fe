#include "edge/evidence/spool.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "edge/capture/packet_internal.h"

namespace gridsight::evidence {

namespace {

constexpr char kMagic[8] = {'G', 'S', 'S', 'P', 'O', 'O', 'L', '1'};
constexpr std::uint32_t kMaxHeader = 1u << 20;
constexpr std::uint32_t kMaxPacket = 64u << 20;

struct Record {
  std::uint32_t size;
  std::int64_t pts, dts, duration, time_ms;
  std::uint8_t keyframe;
} __attribute__((packed));

std::string hex(const std::uint8_t* p, std::size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

std::vector<std::uint8_t> unhex(const std::string& s) {
  auto v = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw std::runtime_error("spool: bad extradata");
  };
  if (s.size() % 2) throw std::runtime_error("spool: bad extradata");
  std::vector<std::uint8_t> out(s.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(v(s[2 * i]) << 4 | v(s[2 * i + 1]));
  }
  return out;
}

bool write_all(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

ClipSpool::ClipSpool(std::string path, const SpoolHeader& header, const capture::StreamInfo& stream)
    : path_(std::move(path)) {
  const auto& in = stream.impl();
  const AVCodecParameters* par = in.par;
  nlohmann::json j{
      {"event", header.event},
      {"time_ms", header.time_ms},
      {"end_ms", header.end_ms},
      {"codec_id", static_cast<int>(par->codec_id)},
      {"codec_tag", par->codec_tag},
      {"width", par->width},
      {"height", par->height},
      {"format", par->format},
      {"profile", par->profile},
      {"level", par->level},
      {"time_base", {in.time_base.num, in.time_base.den}},
      {"frame_rate", {in.frame_rate.num, in.frame_rate.den}},
      {"extradata", hex(par->extradata, static_cast<std::size_t>(par->extradata_size))}};
  const std::string text = j.dump();
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd_ < 0) throw std::runtime_error("cannot create " + path_ + ": " + std::strerror(errno));
  const auto len = static_cast<std::uint32_t>(text.size());
  if (!write_all(fd_, kMagic, sizeof kMagic) || !write_all(fd_, &len, sizeof len) ||
      !write_all(fd_, text.data(), text.size())) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(err));
  }
}

ClipSpool::~ClipSpool() {
  if (fd_ >= 0) ::close(fd_);
}

void ClipSpool::append(const capture::EncodedPacket& p) {
  if (fd_ < 0) return;
  Record r{static_cast<std::uint32_t>(p.data.size()),    p.pts, p.dts, p.duration, p.time_ms,
           static_cast<std::uint8_t>(p.keyframe ? 1 : 0)};
  if (!write_all(fd_, &r, sizeof r) || !write_all(fd_, p.data.data(), p.data.size())) {
    spdlog::warn("evidence: cannot append to {}: {}; the clip is kept in memory only", path_,
                 std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
  }
}

SpooledClip read_spool(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  char magic[sizeof kMagic];
  std::uint32_t len = 0;
  if (!in.read(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof kMagic) != 0 ||
      !in.read(reinterpret_cast<char*>(&len), sizeof len) || len > kMaxHeader) {
    throw std::runtime_error(path + ": not a clip spool");
  }
  std::string text(len, '\0');
  if (!in.read(text.data(), len)) throw std::runtime_error(path + ": torn header");
  SpooledClip out;
  std::shared_ptr<const capture::StreamInfo> stream;
  try {
    auto j = nlohmann::json::parse(text);
    out.header.event = j.at("event").get<std::string>();
    out.header.time_ms = j.at("time_ms").get<std::int64_t>();
    out.header.end_ms = j.at("end_ms").get<std::int64_t>();
    AVCodecParameters* par = avcodec_parameters_alloc();
    if (!par) throw std::bad_alloc();
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = static_cast<AVCodecID>(j.at("codec_id").get<int>());
    par->codec_tag = j.at("codec_tag").get<std::uint32_t>();
    par->width = j.at("width").get<int>();
    par->height = j.at("height").get<int>();
    par->format = j.at("format").get<int>();
    par->profile = j.at("profile").get<int>();
    par->level = j.at("level").get<int>();
    auto extra = unhex(j.at("extradata").get<std::string>());
    if (!extra.empty()) {
      par->extradata =
          static_cast<std::uint8_t*>(av_mallocz(extra.size() + AV_INPUT_BUFFER_PADDING_SIZE));
      if (!par->extradata) {
        avcodec_parameters_free(&par);
        throw std::bad_alloc();
      }
      std::memcpy(par->extradata, extra.data(), extra.size());
      par->extradata_size = static_cast<int>(extra.size());
    }
    AVRational tb{j.at("time_base")[0].get<int>(), j.at("time_base")[1].get<int>()};
    AVRational fr{j.at("frame_rate")[0].get<int>(), j.at("frame_rate")[1].get<int>()};
    try {
      stream = capture::make_stream_info(par, tb, fr);
    } catch (...) {
      avcodec_parameters_free(&par);
      throw;
    }
    avcodec_parameters_free(&par);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": bad header: " + e.what());
  }
  Record r{};
  while (in.read(reinterpret_cast<char*>(&r), sizeof r)) {
    if (r.size > kMaxPacket) break;
    auto p = std::make_shared<capture::EncodedPacket>();
    p->data.resize(r.size);
    if (!in.read(reinterpret_cast<char*>(p->data.data()), r.size)) break;  // torn record
    p->stream = stream;
    p->pts = r.pts;
    p->dts = r.dts;
    p->duration = r.duration;
    p->time_ms = r.time_ms;
    p->keyframe = r.keyframe != 0;
    out.packets.push_back(std::move(p));
  }
  return out;
}

}  // namespace gridsight::evidence
