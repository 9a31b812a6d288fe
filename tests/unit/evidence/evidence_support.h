#pragma once
// Reading evidence back for tests: clips with libav, snapshots with libjpeg-turbo.

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}
#include <turbojpeg.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace gridsight::test {

struct ClipFacts {
  bool opened = false;
  std::string codec;
  int width = 0, height = 0;
  int packets = 0;
  int decoded = 0;
  int decode_errors = 0;
  bool first_is_key = false;
  std::int64_t first_dts_ms = -1, first_pts_ms = -1;
  bool dts_increasing = true;
  double duration_s = 0;     // container duration
  double packet_span_s = 0;  // last pts + duration - first pts
  std::vector<std::string> top_level_atoms;
};

inline std::vector<std::string> mp4_atoms(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream f(path, std::ios::binary);
  for (;;) {
    unsigned char h[8];
    if (!f.read(reinterpret_cast<char*>(h), 8)) break;
    std::uint64_t size = (std::uint64_t(h[0]) << 24) | (h[1] << 16) | (h[2] << 8) | h[3];
    out.emplace_back(reinterpret_cast<char*>(h + 4), 4);
    if (size == 1) {
      unsigned char big[8];
      f.read(reinterpret_cast<char*>(big), 8);
      size = 0;
      for (unsigned char b : big) size = (size << 8) | b;
      f.seekg(static_cast<std::streamoff>(size - 16), std::ios::cur);
    } else if (size < 8) {
      break;
    } else {
      f.seekg(static_cast<std::streamoff>(size - 8), std::ios::cur);
    }
  }
  return out;
}

// Demuxes and decodes the whole clip.
inline ClipFacts read_clip(const std::string& path) {
  ClipFacts c;
  c.top_level_atoms = mp4_atoms(path);
  AVFormatContext* fmt = nullptr;
  if (avformat_open_input(&fmt, path.c_str(), nullptr, nullptr) < 0) return c;
  if (avformat_find_stream_info(fmt, nullptr) < 0 || fmt->nb_streams != 1) {
    avformat_close_input(&fmt);
    return c;
  }
  c.opened = true;
  AVStream* st = fmt->streams[0];
  c.codec = avcodec_get_name(st->codecpar->codec_id);
  c.width = st->codecpar->width;
  c.height = st->codecpar->height;
  c.duration_s = fmt->duration / double(AV_TIME_BASE);
  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  AVCodecContext* dec = avcodec_alloc_context3(codec);
  avcodec_parameters_to_context(dec, st->codecpar);
  avcodec_open2(dec, codec, nullptr);
  AVPacket* pkt = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  std::int64_t last_dts = INT64_MIN, first_pts = AV_NOPTS_VALUE, end_pts = 0;
  auto to_ms = [&](std::int64_t ts) { return av_rescale_q(ts, st->time_base, {1, 1000}); };
  auto drain = [&] {
    while (avcodec_receive_frame(dec, frame) >= 0) {
      ++c.decoded;
      if (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT)) ++c.decode_errors;
      av_frame_unref(frame);
    }
  };
  while (av_read_frame(fmt, pkt) >= 0) {
    if (c.packets == 0) {
      c.first_is_key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
      c.first_dts_ms = to_ms(pkt->dts);
      c.first_pts_ms = to_ms(pkt->pts);
    }
    if (pkt->dts <= last_dts) c.dts_increasing = false;
    last_dts = pkt->dts;
    if (first_pts == AV_NOPTS_VALUE || pkt->pts < first_pts) first_pts = pkt->pts;
    end_pts = std::max(end_pts, pkt->pts + pkt->duration);
    ++c.packets;
    if (avcodec_send_packet(dec, pkt) < 0) ++c.decode_errors;
    drain();
    av_packet_unref(pkt);
  }
  avcodec_send_packet(dec, nullptr);
  drain();
  c.packet_span_s = av_q2d(st->time_base) * double(end_pts - first_pts);
  av_frame_free(&frame);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  avformat_close_input(&fmt);
  return c;
}

struct Jpeg {
  int width = 0, height = 0;
  std::vector<unsigned char> rgb;
  unsigned char r(int x, int y) const { return rgb[(y * width + x) * 3]; }
  unsigned char g(int x, int y) const { return rgb[(y * width + x) * 3 + 1]; }
  unsigned char b(int x, int y) const { return rgb[(y * width + x) * 3 + 2]; }
};

inline Jpeg read_jpeg(const std::string& path) {
  Jpeg j;
  std::ifstream f(path, std::ios::binary);
  std::vector<unsigned char> data((std::istreambuf_iterator<char>(f)), {});
  tjhandle tj = tjInitDecompress();
  int sub = 0, cs = 0;
  if (data.empty() ||
      tjDecompressHeader3(tj, data.data(), data.size(), &j.width, &j.height, &sub, &cs) != 0) {
    tjDestroy(tj);
    return {};
  }
  j.rgb.resize(static_cast<std::size_t>(j.width) * j.height * 3);
  tjDecompress2(tj, data.data(), data.size(), j.rgb.data(), j.width, 0, j.height, TJPF_RGB, 0);
  tjDestroy(tj);
  return j;
}

// A trigger's two results, merged: the snapshot (Stage::kEvent, at once) and then its clip
// (Stage::kClip, after the post-roll). nullopt when either does not come within `timeout`.
template <typename Recorder,
          typename Result = std::remove_cvref_t<decltype(*std::declval<Recorder&>().next({}))>>
std::optional<Result> next_evidence(Recorder& rec,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  auto shot = rec.next(timeout);
  if (!shot || shot->stage != Result::Stage::kEvent) return std::nullopt;
  auto clip = rec.next(timeout);
  if (!clip || clip->stage != Result::Stage::kClip || clip->trigger_id != shot->trigger_id) {
    return std::nullopt;
  }
  clip->files.insert(clip->files.begin(), shot->files.begin(), shot->files.end());
  clip->errors.insert(clip->errors.begin(), shot->errors.begin(), shot->errors.end());
  clip->snapshot_ms = shot->snapshot_ms;
  return clip;
}

}  // namespace gridsight::test
