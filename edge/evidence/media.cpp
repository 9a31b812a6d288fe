#include "edge/evidence/media.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}
#include <turbojpeg.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>

#include "edge/capture/packet_internal.h"

namespace gridsight::evidence {

using capture::av_error_string;
using capture::PacketPtr;

namespace {

[[noreturn]] void fail(const std::string& what, int err) {
  throw std::runtime_error(what + ": " + av_error_string(err));
}

bool timed(const PacketPtr& p) {
  return p && (p->pts != INT64_MIN || p->dts != INT64_MIN);
}

// The packets worth writing: from the first keyframe with a timestamp on, same stream as that
// keyframe, packets without any timestamp left out.
std::vector<PacketPtr> usable(const std::vector<PacketPtr>& packets) {
  std::vector<PacketPtr> out;
  auto it = std::find_if(packets.begin(), packets.end(),
                         [](const PacketPtr& p) { return timed(p) && p->keyframe; });
  if (it == packets.end()) return out;
  const capture::StreamInfo* stream = (*it)->stream.get();
  for (; it != packets.end(); ++it) {
    if ((*it)->stream.get() != stream) break;
    if (timed(*it)) out.push_back(*it);
  }
  return out;
}

// dts for packets that have only pts: the i-th smallest pts, `depth` packets late, where depth
// is the largest number of earlier packets with a later pts (the reorder depth).
void derive_dts(const std::vector<PacketPtr>& packets, std::vector<std::int64_t>& dts) {
  std::vector<std::int64_t> pts(packets.size());
  for (std::size_t i = 0; i < packets.size(); ++i) {
    pts[i] = packets[i]->pts != INT64_MIN ? packets[i]->pts : packets[i]->dts;
  }
  std::vector<std::int64_t> sorted = pts;
  std::sort(sorted.begin(), sorted.end());
  std::int64_t step = 0;
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    std::int64_t d = sorted[i] - sorted[i - 1];
    if (d > 0 && (step == 0 || d < step)) step = d;
  }
  if (step == 0) step = 1;
  std::size_t depth = 0;
  std::int64_t max_seen = INT64_MIN;
  std::size_t run = 0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    if (pts[i] < max_seen) {
      depth = std::max(depth, ++run);
    } else {
      run = 0;
      max_seen = pts[i];
    }
  }
  for (std::size_t i = 0; i < pts.size(); ++i) {
    dts[i] =
        i >= depth ? sorted[i - depth] : sorted[0] - static_cast<std::int64_t>(depth - i) * step;
  }
}

struct OutputCloser {
  void operator()(AVFormatContext* oc) const {
    if (!oc) return;
    if (oc->pb) avio_closep(&oc->pb);
    avformat_free_context(oc);
  }
};

struct PacketFree {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};

struct FrameFree {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};

struct CodecFree {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};

}  // namespace

ClipInfo write_clip(const std::vector<PacketPtr>& all, const std::string& path) {
  std::vector<PacketPtr> packets = usable(all);
  if (packets.empty()) throw std::runtime_error("no keyframe in the recorded packets");
  const auto& info = packets.front()->stream->impl();

  AVFormatContext* raw = nullptr;
  int ret = avformat_alloc_output_context2(&raw, nullptr, "mp4", path.c_str());
  if (ret < 0 || !raw) fail("mp4 muxer", ret);
  std::unique_ptr<AVFormatContext, OutputCloser> oc(raw);
  AVStream* st = avformat_new_stream(oc.get(), nullptr);
  if (!st) throw std::bad_alloc();
  ret = avcodec_parameters_copy(st->codecpar, info.par);
  if (ret < 0) fail("codec parameters", ret);
  st->codecpar->codec_tag = 0;  // let the muxer pick (avc1, hvc1...)
  st->time_base = info.time_base;
  if (info.frame_rate.num > 0) st->avg_frame_rate = info.frame_rate;
  ret = avio_open(&oc->pb, path.c_str(), AVIO_FLAG_WRITE);
  if (ret < 0) fail("cannot create " + path, ret);
  // The camera time of the first frame, readable by any MP4 reader (ffprobe: format tags).
  av_dict_set(&oc->metadata, kClipStartTag, std::to_string(packets.front()->time_ms).c_str(), 0);
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "movflags", "+faststart+use_metadata_tags", 0);
  ret = avformat_write_header(oc.get(), &opts);
  av_dict_free(&opts);
  if (ret < 0) fail("mp4 header", ret);

  // Decoding timestamps: RTP carries only presentation times, so over RTSP some packets of a
  // stream with B-frames come without dts. Then all are derived from the sorted pts,
  // delayed by the reorder depth (dts <= pts, strictly increasing).
  std::vector<std::int64_t> dts(packets.size());
  bool derive = false;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    dts[i] = packets[i]->dts;
    derive |= dts[i] == INT64_MIN;
  }
  if (derive) derive_dts(packets, dts);

  // Timestamps start at zero: the first decoded (dts) instant of the clip.
  const PacketPtr& first = packets.front();
  std::int64_t origin = dts.front();
  std::unique_ptr<AVPacket, PacketFree> pkt(av_packet_alloc());
  if (!pkt) throw std::bad_alloc();
  ClipInfo ci;
  ci.start_ms = first->time_ms;
  ci.end_ms = first->time_ms;
  std::int64_t last_dts = INT64_MIN;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const PacketPtr& p = packets[i];
    std::int64_t pts = p->pts != INT64_MIN ? p->pts : dts[i];
    std::int64_t d = dts[i] - origin;
    if (last_dts != INT64_MIN && d <= last_dts) continue;  // muxers refuse it
    last_dts = d;
    av_packet_unref(pkt.get());
    pkt->data = const_cast<std::uint8_t*>(p->data.data());
    pkt->size = static_cast<int>(p->data.size());
    pkt->pts = std::max(pts - origin, d);
    pkt->dts = d;
    pkt->duration = p->duration;
    pkt->flags = p->keyframe ? AV_PKT_FLAG_KEY : 0;
    pkt->stream_index = 0;
    av_packet_rescale_ts(pkt.get(), info.time_base, st->time_base);
    ret = av_write_frame(oc.get(), pkt.get());
    pkt->data = nullptr;
    pkt->size = 0;
    if (ret < 0) fail("writing the clip", ret);
    ++ci.packets;
    std::int64_t dur_ms =
        p->duration > 0 ? av_rescale_q(p->duration, info.time_base, AVRational{1, 1000}) : 0;
    ci.end_ms = std::max(ci.end_ms, p->time_ms + dur_ms);
  }
  ret = av_write_trailer(oc.get());
  if (ret < 0) fail("mp4 trailer", ret);
  return ci;
}

void draw_boxes(std::uint8_t* rgb, int width, int height, int stride,
                const std::vector<protocol::Box>& boxes) {
  static const std::uint8_t colours[][3] = {{255, 48, 48}, {48, 220, 48}, {64, 128, 255},
                                            {255, 200, 0}, {255, 0, 255}, {0, 230, 230}};
  int thick = std::max(2, std::min(width, height) / 160);
  auto clampi = [](int v, int lo, int hi) { return std::max(lo, std::min(v, hi)); };
  std::size_t n = 0;
  for (const protocol::Box& b : boxes) {
    const std::uint8_t* c = colours[n++ % 6];
    int x0 = clampi(static_cast<int>(b.x * width), 0, width - 1);
    int y0 = clampi(static_cast<int>(b.y * height), 0, height - 1);
    int x1 = clampi(static_cast<int>((b.x + b.w) * width), 0, width - 1);
    int y1 = clampi(static_cast<int>((b.y + b.h) * height), 0, height - 1);
    if (x1 < x0 || y1 < y0) continue;
    auto fill = [&](int ax, int ay, int bx, int by) {  // inclusive, clamped
      ax = clampi(ax, 0, width - 1);
      bx = clampi(bx, 0, width - 1);
      ay = clampi(ay, 0, height - 1);
      by = clampi(by, 0, height - 1);
      for (int y = ay; y <= by; ++y) {
        std::uint8_t* row = rgb + static_cast<std::ptrdiff_t>(y) * stride;
        for (int x = ax; x <= bx; ++x) {
          row[3 * x] = c[0];
          row[3 * x + 1] = c[1];
          row[3 * x + 2] = c[2];
        }
      }
    };
    fill(x0, y0, x1, y0 + thick - 1);  // top
    fill(x0, y1 - thick + 1, x1, y1);  // bottom
    fill(x0, y0, x0 + thick - 1, y1);  // left
    fill(x1 - thick + 1, y0, x1, y1);  // right
  }
}

std::string encode_jpeg(const std::uint8_t* pixels, int width, int height, int stride, int channels,
                        int quality) {
  if (!pixels || width <= 0 || height <= 0 || (channels != 1 && channels != 3) ||
      stride < width * channels) {
    throw std::runtime_error("jpeg encoding: bad image geometry");
  }
  tjhandle tj = tjInitCompress();
  if (!tj) throw std::runtime_error("turbojpeg init failed");
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  const int rc =
      tjCompress2(tj, pixels, width, stride, height, channels == 3 ? TJPF_BGR : TJPF_GRAY, &jpeg,
                  &size, channels == 3 ? TJSAMP_420 : TJSAMP_GRAY, quality, TJFLAG_FASTDCT);
  std::string err = rc != 0 ? tjGetErrorStr2(tj) : "";
  tjDestroy(tj);
  if (rc != 0) {
    tjFree(jpeg);
    throw std::runtime_error("jpeg encoding: " + err);
  }
  std::string out(reinterpret_cast<const char*>(jpeg), size);
  tjFree(jpeg);
  return out;
}

std::int64_t write_snapshot(const std::vector<PacketPtr>& all, std::int64_t at_ms,
                            const std::vector<protocol::Box>& boxes, int quality,
                            const std::string& path) {
  std::vector<PacketPtr> packets = usable(all);
  if (packets.empty()) throw std::runtime_error("no keyframe in the recorded packets");
  const auto& info = packets.front()->stream->impl();
  const AVCodec* codec = avcodec_find_decoder(info.par->codec_id);
  if (!codec) throw std::runtime_error("no decoder for the main stream");
  std::unique_ptr<AVCodecContext, CodecFree> ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw std::bad_alloc();
  int ret = avcodec_parameters_to_context(ctx.get(), info.par);
  if (ret < 0) fail("codec parameters", ret);
  ctx->pkt_timebase = info.time_base;
  ctx->thread_count = 1;
  ret = avcodec_open2(ctx.get(), codec, nullptr);
  if (ret < 0) fail("snapshot decoder", ret);

  std::map<std::int64_t, std::int64_t> time_of;  // pts -> camera time
  std::unique_ptr<AVPacket, PacketFree> pkt(av_packet_alloc());
  std::unique_ptr<AVFrame, FrameFree> frame(av_frame_alloc());
  std::unique_ptr<AVFrame, FrameFree> best(av_frame_alloc());
  if (!pkt || !frame || !best) throw std::bad_alloc();
  std::int64_t best_ms = INT64_MIN;
  bool done = false;
  auto receive = [&] {
    while (!done && avcodec_receive_frame(ctx.get(), frame.get()) >= 0) {
      auto it = time_of.find(frame->best_effort_timestamp);
      std::int64_t t = it != time_of.end() ? it->second : INT64_MIN;
      // Keep the last frame at or before at_ms; the first frame if all are later.
      if (best_ms == INT64_MIN || t <= at_ms) {
        av_frame_unref(best.get());
        av_frame_move_ref(best.get(), frame.get());
        best_ms = t;
      } else {
        done = true;
      }
      av_frame_unref(frame.get());
    }
  };
  for (const PacketPtr& p : packets) {
    if (done) break;
    std::int64_t pts = p->pts != INT64_MIN ? p->pts : p->dts;
    time_of[pts] = p->time_ms;
    av_packet_unref(pkt.get());
    pkt->data = const_cast<std::uint8_t*>(p->data.data());
    pkt->size = static_cast<int>(p->data.size());
    pkt->pts = pts;
    pkt->dts = p->dts != INT64_MIN ? p->dts : AV_NOPTS_VALUE;
    pkt->flags = p->keyframe ? AV_PKT_FLAG_KEY : 0;
    avcodec_send_packet(ctx.get(), pkt.get());  // errors: concealed, the frame still serves
    pkt->data = nullptr;
    pkt->size = 0;
    receive();
  }
  if (!done) {
    avcodec_send_packet(ctx.get(), nullptr);
    receive();
  }
  if (best_ms == INT64_MIN && !best->data[0]) throw std::runtime_error("no frame decoded");

  const int w = best->width, h = best->height;
  SwsContext* sws = sws_getContext(w, h, static_cast<AVPixelFormat>(best->format), w, h,
                                   AV_PIX_FMT_RGB24, SWS_BILINEAR, nullptr, nullptr, nullptr);
  if (!sws) throw std::runtime_error("cannot convert the snapshot frame");
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(w) * h * 3);
  std::uint8_t* dst[4] = {rgb.data(), nullptr, nullptr, nullptr};
  int dst_stride[4] = {w * 3, 0, 0, 0};
  sws_scale(sws, best->data, best->linesize, 0, h, dst, dst_stride);
  sws_freeContext(sws);
  draw_boxes(rgb.data(), w, h, w * 3, boxes);

  tjhandle tj = tjInitCompress();
  if (!tj) throw std::runtime_error("turbojpeg init failed");
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  int rc = tjCompress2(tj, rgb.data(), w, w * 3, h, TJPF_RGB, &jpeg, &size, TJSAMP_420, quality,
                       TJFLAG_FASTDCT);
  std::string err = rc != 0 ? tjGetErrorStr2(tj) : "";
  tjDestroy(tj);
  if (rc != 0) {
    tjFree(jpeg);
    throw std::runtime_error("jpeg encoding: " + err);
  }
  std::FILE* f = std::fopen(path.c_str(), "wb");
  bool ok = f && std::fwrite(jpeg, 1, size, f) == size;
  if (f) ok = std::fclose(f) == 0 && ok;
  tjFree(jpeg);
  if (!ok) throw std::runtime_error("cannot write " + path);
  return best_ms;
}

}  // namespace gridsight::evidence
