#pragma once
// libav side of StreamInfo. Include only from .cpp files (it pulls libav headers).

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/rational.h>
}

#include "edge/capture/packet.h"

namespace gridsight::capture {

struct StreamInfo::Impl {
  AVCodecParameters* par = nullptr;  // owned
  AVRational time_base{1, 90000};
  AVRational frame_rate{0, 1};  // average frame rate when known
  ~Impl() { avcodec_parameters_free(&par); }
};

// A copy of a demuxer stream's parameters.
std::shared_ptr<const StreamInfo> make_stream_info(const AVCodecParameters* par, AVRational tb,
                                                   AVRational frame_rate);

// "Invalid data found when processing input" for an AVERROR code.
std::string av_error_string(int err);

}  // namespace gridsight::capture
