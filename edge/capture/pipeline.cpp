#include "edge/capture/pipeline.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/hwcontext.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>
}

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstring>
#include <thread>
#include <unordered_map>
#include <vector>

#include "edge/capture/packet_internal.h"

namespace gridsight::capture {

// ---- StreamInfo -----------------------------------------------------------------------------

StreamInfo::StreamInfo(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StreamInfo::~StreamInfo() = default;
std::string StreamInfo::codec_name() const {
  return avcodec_get_name(impl_->par->codec_id);
}
int StreamInfo::width() const {
  return impl_->par->width;
}
int StreamInfo::height() const {
  return impl_->par->height;
}

std::shared_ptr<const StreamInfo> make_stream_info(const AVCodecParameters* par, AVRational tb,
                                                   AVRational frame_rate) {
  auto impl = std::make_unique<StreamInfo::Impl>();
  impl->par = avcodec_parameters_alloc();
  if (!impl->par || avcodec_parameters_copy(impl->par, par) < 0) throw std::bad_alloc();
  impl->time_base = tb;
  impl->frame_rate = frame_rate;
  return std::make_shared<const StreamInfo>(std::move(impl));
}

std::string av_error_string(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

// ---- CameraStats ----------------------------------------------------------------------------

void CameraStats::set_stream(std::string codec, int width, int height, std::string decoder) {
  std::lock_guard lock(mu_);
  codec_ = std::move(codec);
  width_ = width;
  height_ = height;
  decoder_ = std::move(decoder);
}

void CameraStats::set_error(std::string error) {
  std::lock_guard lock(mu_);
  last_error_ = std::move(error);
}

CameraHealth CameraStats::snapshot() const {
  CameraHealth h;
  h.packets = packets.load();
  h.decoded = decoded.load();
  h.analysed = analysed.load();
  h.dropped = dropped.load();
  h.decode_errors = decode_errors.load();
  h.reconnects = reconnects.load();
  h.input_fps = input_fps.load();
  h.decoded_fps = decoded_fps.load();
  h.analysed_fps = analysed_fps.load();
  std::lock_guard lock(mu_);
  h.codec = codec_;
  h.width = width_;
  h.height = height_;
  h.decoder = decoder_;
  h.last_error = last_error_;
  return h;
}

namespace {

using SteadyClock = std::chrono::steady_clock;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

// ---- libav logging: forwarded to spdlog; decoder errors counted per session ---------------

std::mutex g_log_mu;
std::unordered_map<const void*, std::atomic<int>*> g_decoder_errors;  // AVCodecContext* -> count

void av_log_to_spdlog(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > AV_LOG_WARNING) return;
  // Skipped B-pyramid references leave their memory-management commands pointing at nothing:
  // harmless, and expected when B-frames are skipped.
  bool expected = fmt && std::strncmp(fmt, "mmco: unref short failure", 25) == 0;
  if (avcl && level <= AV_LOG_ERROR && !expected) {
    std::lock_guard lock(g_log_mu);
    auto it = g_decoder_errors.find(avcl);
    if (it != g_decoder_errors.end()) it->second->fetch_add(1);
  }
  char line[512];
  int print_prefix = 1;
  av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &print_prefix);
  std::size_t n = std::strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
  // Broken streams are routine on the edge: counted in health, logged at debug.
  spdlog::debug("libav: {}", line);
}

void install_av_log() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(av_log_to_spdlog); });
}

class DecoderErrorWatch {
 public:
  DecoderErrorWatch() = default;
  void attach(const AVCodecContext* ctx) {
    std::lock_guard lock(g_log_mu);
    ctx_ = ctx;
    g_decoder_errors[ctx] = &count_;
  }
  ~DecoderErrorWatch() {
    std::lock_guard lock(g_log_mu);
    if (ctx_) g_decoder_errors.erase(ctx_);
  }
  int count() const { return count_.load(); }

 private:
  const AVCodecContext* ctx_ = nullptr;
  std::atomic<int> count_{0};
};

// ---- interruptible inputs ------------------------------------------------------------------

struct Interrupt {
  const std::atomic<bool>* stop = nullptr;
  std::atomic<std::int64_t> deadline_ms{INT64_MAX};
  std::atomic<bool> timed_out{false};
};

int interrupt_cb(void* opaque) {
  auto* in = static_cast<Interrupt*>(opaque);
  if (in->stop->load()) return 1;
  if (steady_ms() > in->deadline_ms.load()) {
    in->timed_out = true;
    return 1;
  }
  return 0;
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

struct Input {
  std::string url;
  std::string role;  // "main" or "sub", for messages
  bool is_file = false;
  bool decode = false;    // analytics input
  bool evidence = false;  // feeds the packet ring
  AVFormatContext* fmt = nullptr;
  int video = -1;
  AVRational tb{1, 90000};
  std::shared_ptr<const StreamInfo> info;
  Interrupt intr;

  // Timeline: time_ms = anchor_ms + (pts + offset - first_pts) in ms. The anchor is the wall
  // clock when the first packet arrived; a live stream is re-anchored when its timestamps
  // drift or jump more than kMaxDriftMs away from the wall clock (camera clock drift, an RTP
  // timestamp reset). Files keep their stream time (unthrottled runs go faster than the clock).
  static constexpr std::int64_t kMaxDriftMs = 2000;
  Clock* clock = nullptr;
  std::int64_t anchor_ms = INT64_MIN;
  std::int64_t anchor_steady_ms = 0;  // realtime pacing of files
  std::int64_t first_pts = AV_NOPTS_VALUE;
  std::int64_t offset = 0;                   // added on each loop of a file
  std::int64_t file_start = AV_NOPTS_VALUE;  // first raw dts/pts of the file
  std::int64_t max_end = AV_NOPTS_VALUE;     // max (pts|dts) + duration, with offset
  std::int64_t last_time_ms = 0;
  std::int64_t shift_ms = 0;    // re-anchoring not yet applied to the analytics schedule
  AVPacket* pending = nullptr;  // read ahead, with offset applied
  bool ended = false;
  // Steady time the last video packet came out of the demuxer (0: none yet). The stall
  // deadline runs from it, not from the next read: that read starts only after the packet
  // read ahead was decoded.
  std::int64_t last_packet_steady_ms = 0;

  ~Input() {
    av_packet_free(&pending);
    if (fmt) {
      intr.deadline_ms = steady_ms() + 1000;  // a TEARDOWN must not hang either
      avformat_close_input(&fmt);
    }
  }

  std::int64_t time_ms_of(std::int64_t ts) {
    if (anchor_ms == INT64_MIN) {
      anchor_ms = clock->now_ms();
      anchor_steady_ms = steady_ms();
    }
    if (ts == AV_NOPTS_VALUE) return last_time_ms != 0 ? last_time_ms : anchor_ms;
    if (first_pts == AV_NOPTS_VALUE) first_pts = ts;
    std::int64_t t = anchor_ms + av_rescale_q(ts - first_pts, tb, AVRational{1, 1000});
    if (!is_file) {
      std::int64_t drift = clock->now_ms() - t;
      if (drift > kMaxDriftMs || drift < -kMaxDriftMs) {
        anchor_ms += drift;
        t += drift;
        shift_ms += drift;
      }
    }
    return t;
  }
};

// ---- decoder --------------------------------------------------------------------------------

enum AVPixelFormat pick_vaapi(AVCodecContext*, const enum AVPixelFormat* fmts) {
  for (const enum AVPixelFormat* p = fmts; *p != AV_PIX_FMT_NONE; ++p) {
    if (*p == AV_PIX_FMT_VAAPI) return *p;
  }
  return fmts[0];
}

struct Decoder {
  AVCodecContext* ctx = nullptr;
  std::string name;
  bool hw_frames = false;  // frames live in GPU memory (vaapi)
  ~Decoder() { avcodec_free_context(&ctx); }
};

// Opens a decoder for `par`: the configured hardware one when it works, software otherwise.
std::unique_ptr<Decoder> open_decoder(const CameraConfig& cfg, const AVCodecParameters* par,
                                      std::string& note) {
  auto base = [&](const AVCodec* codec) -> AVCodecContext* {
    AVCodecContext* ctx = avcodec_alloc_context3(codec);
    if (!ctx) throw std::bad_alloc();
    if (avcodec_parameters_to_context(ctx, par) < 0) {
      avcodec_free_context(&ctx);
      return nullptr;
    }
    return ctx;
  };
  const char* codec_name = avcodec_get_name(par->codec_id);
  if (cfg.hwaccel == HwAccel::kV4l2m2m) {
    std::string hw_name = std::string(codec_name) + "_v4l2m2m";
    const AVCodec* codec = avcodec_find_decoder_by_name(hw_name.c_str());
    if (!codec) {
      note = hw_name + " is not in this FFmpeg build";
    } else if (AVCodecContext* ctx = base(codec)) {
      int ret = avcodec_open2(ctx, codec, nullptr);
      if (ret >= 0) {
        auto d = std::make_unique<Decoder>();
        d->ctx = ctx;
        d->name = hw_name;
        return d;
      }
      note = hw_name + ": " + av_error_string(ret);
      avcodec_free_context(&ctx);
    }
  }
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (!codec) throw std::runtime_error(std::string("no decoder for codec ") + codec_name);
  if (cfg.hwaccel == HwAccel::kVaapi) {
    AVBufferRef* dev = nullptr;
    int ret =
        av_hwdevice_ctx_create(&dev, AV_HWDEVICE_TYPE_VAAPI,
                               cfg.hw_device.empty() ? nullptr : cfg.hw_device.c_str(), nullptr, 0);
    if (ret < 0) {
      note = "vaapi device " + (cfg.hw_device.empty() ? std::string("(default)") : cfg.hw_device) +
             ": " + av_error_string(ret);
    } else if (AVCodecContext* ctx = base(codec)) {
      ctx->hw_device_ctx = av_buffer_ref(dev);
      ctx->get_format = pick_vaapi;
      ret = avcodec_open2(ctx, codec, nullptr);
      av_buffer_unref(&dev);
      if (ret >= 0) {
        auto d = std::make_unique<Decoder>();
        d->ctx = ctx;
        d->name = std::string(codec->name) + " (vaapi)";
        d->hw_frames = true;
        return d;
      }
      note = "vaapi: " + av_error_string(ret);
      avcodec_free_context(&ctx);
    } else {
      av_buffer_unref(&dev);
    }
  }
  AVCodecContext* ctx = base(codec);
  if (!ctx) throw std::runtime_error("bad codec parameters");
  ctx->thread_count = cfg.decode_threads;
  // Slice threads only: frame threads would delay skip_frame decisions by several frames.
  ctx->thread_type = FF_THREAD_SLICE;
  int ret = avcodec_open2(ctx, codec, nullptr);
  if (ret < 0) {
    avcodec_free_context(&ctx);
    throw std::runtime_error(std::string("cannot open decoder ") + codec->name + ": " +
                             av_error_string(ret));
  }
  auto d = std::make_unique<Decoder>();
  d->ctx = ctx;
  d->name = codec->name;
  return d;
}

AVPixelFormat to_av(PixelFormat f) {
  switch (f) {
    case PixelFormat::kBgr24:
      return AV_PIX_FMT_BGR24;
    case PixelFormat::kRgb24:
      return AV_PIX_FMT_RGB24;
    case PixelFormat::kGray8:
      return AV_PIX_FMT_GRAY8;
  }
  return AV_PIX_FMT_BGR24;
}

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Rates over a window of about two seconds.
struct RateWindow {
  std::int64_t start_ms = 0;
  std::uint64_t packets = 0, decoded = 0, analysed = 0;
};

}  // namespace

// ---- the session ----------------------------------------------------------------------------

struct CaptureSession::Impl {
  const CameraConfig& cfg;
  Clock& clock;
  FrameQueue& frames;
  PacketObserver* packets;
  CameraStats& stats;
  std::function<void(CameraState)> on_state;
  std::atomic<bool> stop{false};

  std::vector<std::unique_ptr<Input>> inputs;
  Input* analytics = nullptr;
  std::unique_ptr<Decoder> decoder;
  DecoderErrorWatch error_watch;
  SwsContext* sws = nullptr;
  AVFrame* frame = nullptr;
  AVFrame* sw_frame = nullptr;
  int out_w = 0, out_h = 0;

  double next_due_ms = -1e300;  // next analysed frame
  double interval_ms = 200;
  double tolerance_ms = 20;
  std::int64_t gop_anchor_ms = INT64_MIN;      // latest anchor (non-reordered packet) time
  std::array<std::int64_t, 16> anchor_gaps{};  // recent gaps between anchors
  std::size_t anchor_gap_pos = 0;
  std::int64_t max_anchor_gap_ms = 0;
  bool bidir_ok = true;     // skipping B-frames has not damaged a frame
  bool bidir_used = false;  // some B-frame was skipped
  bool streaming = false;
  std::int64_t streaming_since = 0;
  RateWindow window;

  Impl(const CameraConfig& c, Clock& cl, FrameQueue& f, PacketObserver* p, CameraStats& s,
       std::function<void(CameraState)> cb)
      : cfg(c), clock(cl), frames(f), packets(p), stats(s), on_state(std::move(cb)) {}

  ~Impl() {
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_frame_free(&sw_frame);
  }

  void open_input(Input& in) {
    in.intr.stop = &stop;
    in.clock = &clock;
    in.is_file = is_file_url(in.url);
    AVDictionary* opts = nullptr;
    std::string path = in.url;
    if (in.is_file && starts_with(path, "file://")) path = path.substr(7);
    if (starts_with(in.url, "rtsp://") || starts_with(in.url, "rtsps://")) {
      av_dict_set(&opts, "rtsp_transport", cfg.transport == Transport::kUdp ? "udp" : "tcp", 0);
      // Socket I/O timeout (us): a backstop only. The interrupt callback owns both deadlines
      // (open_timeout while opening, stall_timeout while streaming); a socket timeout firing
      // first would end a stream with "Connection timed out" before its stall timeout, or late.
      av_dict_set_int(&opts, "timeout",
                      (std::max(cfg.open_timeout_ms, cfg.stall_timeout_ms) + 1000) * 1000, 0);
    } else if (!in.is_file) {
      av_dict_set_int(&opts, "rw_timeout", (cfg.stall_timeout_ms + 1000) * 1000, 0);  // backstop
    }
    if (!in.is_file) av_dict_set_int(&opts, "analyzeduration", 1'000'000, 0);
    in.fmt = avformat_alloc_context();
    if (!in.fmt) throw std::bad_alloc();
    in.fmt->interrupt_callback.callback = interrupt_cb;
    in.fmt->interrupt_callback.opaque = &in.intr;
    in.intr.deadline_ms = steady_ms() + cfg.open_timeout_ms;
    int ret = avformat_open_input(&in.fmt, path.c_str(), nullptr, &opts);
    av_dict_free(&opts);
    if (ret < 0) {  // fmt was freed
      in.fmt = nullptr;
      throw Failure(in.role + " stream: cannot open " + describe(in) + ": " + error_text(in, ret));
    }
    ret = avformat_find_stream_info(in.fmt, nullptr);
    if (ret < 0) throw Failure(in.role + " stream: no stream info: " + error_text(in, ret));
    in.video = av_find_best_stream(in.fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (in.video < 0) throw Failure(in.role + " stream: no video stream");
    for (unsigned i = 0; i < in.fmt->nb_streams; ++i) {
      if (static_cast<int>(i) != in.video) in.fmt->streams[i]->discard = AVDISCARD_ALL;
    }
    AVStream* st = in.fmt->streams[in.video];
    in.tb = st->time_base;
    in.info = make_stream_info(st->codecpar, st->time_base, st->avg_frame_rate);
    if (st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0) {
      tolerance_ms = 500.0 / av_q2d(st->avg_frame_rate);
    }
    in.pending = av_packet_alloc();
    if (!in.pending) throw std::bad_alloc();
  }

  static std::string describe(const Input& in) {
    // Never log credentials: drop "user:pass@".
    std::string u = in.url;
    auto scheme = u.find("://");
    auto at = u.find('@');
    if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
      u = u.substr(0, scheme + 3) + u.substr(at + 1);
    }
    return u;
  }

  std::string error_text(const Input& in, int ret) const {
    if (in.intr.timed_out) return "timed out";
    return av_error_string(ret);
  }

  void setup_decoder() {
    std::string note;
    const AVCodecParameters* par = analytics->fmt->streams[analytics->video]->codecpar;
    decoder = open_decoder(cfg, par, note);
    decoder->ctx->pkt_timebase = analytics->tb;
    error_watch.attach(decoder->ctx);
    if (!note.empty()) {
      spdlog::warn(
          "camera {}: hardware decoder unavailable ({}); falling back to software decoder {}",
          cfg.id, note, decoder->name);
    } else {
      spdlog::info("camera {}: decoding {} {}x{} with decoder {}", cfg.id,
                   avcodec_get_name(par->codec_id), par->width, par->height, decoder->name);
    }
    stats.set_stream(avcodec_get_name(par->codec_id), par->width, par->height, decoder->name);
    frame = av_frame_alloc();
    sw_frame = av_frame_alloc();
    if (!frame || !sw_frame) throw std::bad_alloc();
    interval_ms = 1000.0 / cfg.analytics_fps;
  }

  // Reads the next video packet of `in` into in.pending (offset applied). False at the end.
  bool read_ahead(Input& in) {
    // The deadline runs from the last video packet of a live source until the next one. A file
    // is read when the pipeline wants it (pacing), so its deadline runs from the read. The
    // read gets at least kMinReadMs: a packet that waited longer than the timeout in the
    // pipeline (merged behind the other stream) must not turn buffered data into a stall.
    constexpr std::int64_t kMinReadMs = 100;
    const std::int64_t now = steady_ms();
    const std::int64_t from =
        in.is_file || in.last_packet_steady_ms == 0 ? now : in.last_packet_steady_ms;
    in.intr.deadline_ms = std::max(from + cfg.stall_timeout_ms, now + kMinReadMs);
    for (;;) {
      if (stop) return false;
      int ret = av_read_frame(in.fmt, in.pending);
      if (ret == AVERROR(EAGAIN)) {  // some demuxers: nothing yet, the deadline still runs
        if (in.intr.timed_out || steady_ms() > in.intr.deadline_ms) {
          throw Failure(in.role + " stream: no video packet for " +
                        std::to_string(cfg.stall_timeout_ms) + " ms");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      if (ret == AVERROR_EOF && in.is_file) {
        if (!cfg.loop) return false;
        loop_file(in);
        in.intr.deadline_ms = steady_ms() + cfg.stall_timeout_ms;
        continue;
      }
      if (ret < 0) {
        if (stop) return false;
        if (in.intr.timed_out) {
          throw Failure(in.role + " stream: no video packet for " +
                        std::to_string(cfg.stall_timeout_ms) + " ms");
        }
        throw Failure(in.role + " stream: " +
                      (ret == AVERROR_EOF ? std::string("connection closed by the source")
                                          : av_error_string(ret)));
      }
      if (in.intr.timed_out) {
        // Interrupted at the deadline, the demuxer flushed what its parser held: the last
        // frame received before the stall, not a new one. Taking it as a sign of life would
        // restart the deadline (the stall then found after twice the timeout).
        av_packet_unref(in.pending);
        throw Failure(in.role + " stream: no video packet for " +
                      std::to_string(cfg.stall_timeout_ms) + " ms");
      }
      if (in.pending->stream_index != in.video) {
        av_packet_unref(in.pending);
        continue;
      }
      in.last_packet_steady_ms = steady_ms();
      AVPacket* p = in.pending;
      if (in.file_start == AV_NOPTS_VALUE) {
        in.file_start = p->dts != AV_NOPTS_VALUE ? p->dts : p->pts;
      }
      if (p->pts != AV_NOPTS_VALUE) p->pts += in.offset;
      if (p->dts != AV_NOPTS_VALUE) p->dts += in.offset;
      std::int64_t ts = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
      if (ts != AV_NOPTS_VALUE) {
        std::int64_t end = std::max(ts, p->dts) + std::max<std::int64_t>(p->duration, 1);
        if (in.max_end == AV_NOPTS_VALUE || end > in.max_end) in.max_end = end;
      }
      in.last_time_ms = in.time_ms_of(ts);
      return true;
    }
  }

  void loop_file(Input& in) {
    if (in.decode) drain_decoder();
    if (in.max_end == AV_NOPTS_VALUE || in.file_start == AV_NOPTS_VALUE) {
      throw Failure(in.role + " stream: file has no timestamps, cannot loop");
    }
    in.intr.deadline_ms = steady_ms() + cfg.open_timeout_ms;
    int ret = av_seek_frame(in.fmt, in.video, in.file_start, AVSEEK_FLAG_BACKWARD);
    if (ret < 0) ret = avformat_seek_file(in.fmt, -1, INT64_MIN, 0, 0, 0);
    if (ret < 0) throw Failure(in.role + " stream: cannot loop: " + av_error_string(ret));
    in.offset = in.max_end - in.file_start;
  }

  void drain_decoder() {
    if (!decoder) return;
    avcodec_send_packet(decoder->ctx, nullptr);
    receive_frames();
    avcodec_flush_buffers(decoder->ctx);
  }

  void pace(const Input& in) {
    if (!in.is_file || !cfg.realtime) return;
    std::int64_t due = in.anchor_steady_ms + (in.last_time_ms - in.anchor_ms);
    while (!stop) {
      std::int64_t wait = due - steady_ms();
      if (wait <= 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<std::int64_t>(wait, 50)));
    }
  }

  void handle_packet(Input& in) {
    AVPacket* p = in.pending;
    if (in.evidence && packets) {
      auto ep = std::make_shared<EncodedPacket>();
      ep->stream = in.info;
      ep->data.assign(p->data, p->data + p->size);
      ep->pts = p->pts == AV_NOPTS_VALUE ? INT64_MIN : p->pts;
      ep->dts = p->dts == AV_NOPTS_VALUE ? INT64_MIN : p->dts;
      ep->duration = p->duration;
      ep->time_ms = in.last_time_ms;
      ep->keyframe = (p->flags & AV_PKT_FLAG_KEY) != 0;
      packets->on_packet(cfg.id, std::move(ep));
    }
    if (in.decode) {
      stats.packets.fetch_add(1);
      decode_packet(p, in.last_time_ms);
    }
    av_packet_unref(p);
  }

  // Decode only what analytics needs.
  //
  // In decode order, a packet whose time is beyond every earlier one is an anchor (I/P, or a
  // low-delay B); the packets after it with earlier times are the reordered B-frames of its
  // mini-GOP. When anchors come at least as often as analysed frames are due, analytics takes
  // the first anchor at or after each due time and every reordered B-frame is skipped
  // (AVDISCARD_BIDIR): the analysed frames keep the configured rate on average, each up to one
  // mini-GOP late, with its own timestamp. Otherwise only frames that nothing references are
  // skipped (AVDISCARD_NONREF) when not due. If skipping B-frames ever yields a damaged frame
  // (an encoder whose P-frames reference B-frames), the session falls back to NONREF.
  //
  // Due times are projected on the regular analytics schedule, since the decoder's output
  // (which moves next_due_ms) lags its input by the reorder delay; a wrong projection costs a
  // wasted decode or a frame one frame later, never a broken one.
  bool needed(std::int64_t time_ms) const {
    double from = next_due_ms - tolerance_ms;
    double t = static_cast<double>(time_ms);
    if (t < from) return false;
    return std::fmod(t - from, interval_ms) < 2 * tolerance_ms;
  }

  bool skip_bframes() const {
    if (!bidir_ok || max_anchor_gap_ms == 0) return false;
    return static_cast<double>(max_anchor_gap_ms) <= 0.8 * interval_ms;
  }

  // A re-anchored timeline moves the analytics schedule with it.
  void follow_anchor() {
    if (analytics->shift_ms != 0) {
      next_due_ms += static_cast<double>(analytics->shift_ms);
      analytics->shift_ms = 0;
    }
  }

  void decode_packet(AVPacket* p, std::int64_t time_ms) {
    follow_anchor();
    AVDiscard skip = AVDISCARD_DEFAULT;
    if (cfg.skip_nonref && p->pts != AV_NOPTS_VALUE) {
      bool reordered = gop_anchor_ms != INT64_MIN && time_ms < gop_anchor_ms;
      if (!reordered) {
        if (gop_anchor_ms != INT64_MIN) {
          anchor_gaps[anchor_gap_pos++ % anchor_gaps.size()] = time_ms - gop_anchor_ms;
          max_anchor_gap_ms = *std::max_element(anchor_gaps.begin(), anchor_gaps.end());
        }
        gop_anchor_ms = time_ms;
        if (!needed(time_ms)) skip = AVDISCARD_NONREF;
      } else if (skip_bframes()) {
        skip = AVDISCARD_BIDIR;
        bidir_used = true;
      } else if (!needed(time_ms)) {
        skip = AVDISCARD_NONREF;
      }
    }
    decoder->ctx->skip_frame = skip;
    int errors_before = error_watch.count();
    int ret = avcodec_send_packet(decoder->ctx, p);
    bool bad = ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF;
    bad |= receive_frames();
    bad |= error_watch.count() != errors_before;
    if (bad) {
      stats.decode_errors.fetch_add(1);
      if (bidir_used && bidir_ok) {
        bidir_ok = false;
        spdlog::info(
            "camera {}: decode error while skipping B-frames; skipping only "
            "non-reference frames from now on",
            cfg.id);
      }
    }
  }

  // Returns true when the decoder reported an error or a damaged frame.
  bool receive_frames() {
    bool bad = false;
    for (;;) {
      int ret = avcodec_receive_frame(decoder->ctx, frame);
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) break;
      if (ret < 0) {
        bad = true;
        break;
      }
      if (frame->decode_error_flags != 0 || (frame->flags & AV_FRAME_FLAG_CORRUPT)) bad = true;
      handle_frame();
      av_frame_unref(frame);
    }
    return bad;
  }

  void handle_frame() {
    stats.decoded.fetch_add(1);
    if (!streaming) {
      streaming = true;
      streaming_since = steady_ms();
      if (on_state) on_state(CameraState::kStreaming);
    }
    std::int64_t ts = frame->best_effort_timestamp;
    if (ts == AV_NOPTS_VALUE) ts = frame->pts;
    std::int64_t time_ms = analytics->time_ms_of(ts);
    follow_anchor();
    if (static_cast<double>(time_ms) < next_due_ms - tolerance_ms) return;
    next_due_ms += interval_ms;
    if (next_due_ms <= static_cast<double>(time_ms)) next_due_ms = time_ms + interval_ms;

    const AVFrame* src = frame;
    if (decoder->hw_frames && frame->format == AV_PIX_FMT_VAAPI) {
      av_frame_unref(sw_frame);
      if (av_hwframe_transfer_data(sw_frame, frame, 0) < 0) {
        stats.decode_errors.fetch_add(1);
        return;
      }
      src = sw_frame;
    }
    if (out_w == 0) {
      out_w = cfg.analytics_width;
      out_h = cfg.analytics_height;
      if (out_h == 0) {
        out_h = static_cast<int>(static_cast<std::int64_t>(src->height) * out_w / src->width);
        out_h += out_h & 1;
      }
    }
    AVPixelFormat dst_fmt = to_av(cfg.pixel_format);
    sws =
        sws_getCachedContext(sws, src->width, src->height, static_cast<AVPixelFormat>(src->format),
                             out_w, out_h, dst_fmt, SWS_BILINEAR, nullptr, nullptr, nullptr);
    if (!sws) throw Failure("cannot convert frames");
    AnalyticsFrame out;
    out.camera_id = cfg.id;
    out.time_ms = time_ms;
    out.width = out_w;
    out.height = out_h;
    out.format = cfg.pixel_format;
    out.stride = out_w * channels(cfg.pixel_format);
    out.data.resize(static_cast<std::size_t>(out.stride) * out_h);
    std::uint8_t* dst[4] = {out.data.data(), nullptr, nullptr, nullptr};
    int dst_stride[4] = {out.stride, 0, 0, 0};
    sws_scale(sws, src->data, src->linesize, 0, src->height, dst, dst_stride);
    out.seq = stats.next_seq.fetch_add(1);
    if (analytics->is_file && !cfg.realtime) {
      // Unthrottled file (tests, replays): wait for analytics instead of dropping. This is the
      // only producer of this queue, so the room seen stays.
      while (!stop && frames.size() >= frames.capacity()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (stop) return;
    }
    if (frames.try_push(std::move(out))) {
      stats.analysed.fetch_add(1);
    } else {
      stats.dropped.fetch_add(1);
    }
  }

  void update_rates() {
    std::int64_t now = steady_ms();
    if (window.start_ms == 0) {
      window = {now, stats.packets.load(), stats.decoded.load(), stats.analysed.load()};
      return;
    }
    std::int64_t dt = now - window.start_ms;
    if (dt < 2000) return;
    RateWindow w{now, stats.packets.load(), stats.decoded.load(), stats.analysed.load()};
    double s = dt / 1000.0;
    stats.input_fps = (w.packets - window.packets) / s;
    stats.decoded_fps = (w.decoded - window.decoded) / s;
    stats.analysed_fps = (w.analysed - window.analysed) / s;
    window = w;
  }

  SessionResult run() {
    install_av_log();
    SessionResult result;
    try {
      auto main = std::make_unique<Input>();
      main->url = cfg.url;
      main->role = "main";
      main->evidence = true;
      main->decode = cfg.sub_url.empty();
      inputs.push_back(std::move(main));
      if (!cfg.sub_url.empty()) {
        auto sub = std::make_unique<Input>();
        sub->url = cfg.sub_url;
        sub->role = "sub";
        sub->decode = true;
        inputs.push_back(std::move(sub));
      }
      for (auto& in : inputs) {
        open_input(*in);
        if (in->decode) analytics = in.get();
      }
      setup_decoder();
      loop();
      result.kind = stop ? SessionResult::Kind::kStopped : SessionResult::Kind::kEnded;
      if (!stop) drain_decoder();
    } catch (const Failure& e) {
      result.error = e.what();
      result.kind = stop        ? SessionResult::Kind::kStopped
                    : streaming ? SessionResult::Kind::kStalled
                                : SessionResult::Kind::kFailed;
    } catch (const std::exception& e) {
      result.error = e.what();
      result.kind = stop ? SessionResult::Kind::kStopped : SessionResult::Kind::kFailed;
    }
    if (streaming) result.streamed_ms = steady_ms() - streaming_since;
    if (result.kind == SessionResult::Kind::kStalled && on_state) on_state(CameraState::kStalled);
    stats.input_fps = 0;
    stats.decoded_fps = 0;
    stats.analysed_fps = 0;
    return result;
  }

  // Reads all inputs merged on the camera timeline until the end, a failure or stop.
  void loop() {
    for (;;) {
      Input* next = nullptr;
      for (auto& in : inputs) {
        if (in->ended) continue;
        if (in->pending->size == 0 && in->pending->data == nullptr) {
          if (!read_ahead(*in)) {
            in->ended = true;
            if (stop) return;
            continue;
          }
        }
        if (!next || in->last_time_ms < next->last_time_ms) next = in.get();
      }
      if (stop) return;
      if (!next) return;  // every file ended
      pace(*next);
      if (stop) return;
      handle_packet(*next);
      update_rates();
    }
  }
};

CaptureSession::CaptureSession(const CameraConfig& config, Clock& clock, FrameQueue& frames,
                               PacketObserver* packets, CameraStats& stats,
                               std::function<void(CameraState)> on_state)
    : impl_(std::make_unique<Impl>(config, clock, frames, packets, stats, std::move(on_state))) {}

CaptureSession::~CaptureSession() = default;

SessionResult CaptureSession::run() {
  return impl_->run();
}

void CaptureSession::stop() {
  impl_->stop = true;
}

}  // namespace gridsight::capture
