#include "edge/analytics/objects/dnn/dnn_detector.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace gridsight::analytics {
namespace {

cv::dnn::Net read_net(const ModelManifest& m) {
  if (m.format == "darknet") return cv::dnn::readNetFromDarknet(m.config_file, m.file);
  if (m.format == "onnx") return cv::dnn::readNetFromONNX(m.file);
  if (m.format == "caffe") return cv::dnn::readNetFromCaffe(m.config_file, m.file);
  return cv::dnn::readNetFromTensorflow(m.file, m.config_file);
}

void add(const ModelManifest& m, int label, float score, float cx, float cy, float w, float h,
         float min_confidence, std::vector<Detection>& out) {
  if (label < 0 || static_cast<std::size_t>(label) >= m.classes.size()) return;
  const int cls = m.classes[static_cast<std::size_t>(label)];
  if (cls < 0 || score < min_confidence || score < m.confidence) return;
  Detection d;
  d.box = cv::Rect2f(cx - w / 2, cy - h / 2, w, h) & cv::Rect2f(0, 0, 1, 1);
  if (d.box.area() <= 0) return;
  d.cls = static_cast<ObjectClass>(cls);
  d.confidence = score;
  out.push_back(d);
}

class DnnDetector final : public ObjectDetector {
 public:
  DnnDetector(const ObjectSettings& s, std::shared_ptr<DnnModel> model)
      : s_(s), model_(std::move(model)) {
    if (!model_) throw std::invalid_argument("backend dnn needs a loaded model");
  }
  const char* name() const override { return "dnn"; }

  void detect(const ObjectInput& in, std::vector<Detection>& out) override {
    if (!in.frame || in.frame->empty()) return;
    const cv::Mat& frame = *in.frame;
    const auto min_conf = static_cast<float>(s_.min_confidence);
    if (in.regions.empty()) {
      model_->detect(frame, min_conf, out);
      return;
    }
    for (const auto& r : in.regions) {
      const cv::Rect roi =
          cv::Rect(
              cv::Point(static_cast<int>(r.x * frame.cols), static_cast<int>(r.y * frame.rows)),
              cv::Point(static_cast<int>(std::ceil((r.x + r.width) * frame.cols)),
                        static_cast<int>(std::ceil((r.y + r.height) * frame.rows)))) &
          cv::Rect(0, 0, frame.cols, frame.rows);
      if (roi.width < 4 || roi.height < 4) continue;
      local_.clear();
      model_->detect(frame(roi), min_conf, local_);
      for (auto d : local_) {  // crop -> frame coordinates
        const float sx = static_cast<float>(roi.width) / frame.cols;
        const float sy = static_cast<float>(roi.height) / frame.rows;
        d.box = cv::Rect2f(static_cast<float>(roi.x) / frame.cols + d.box.x * sx,
                           static_cast<float>(roi.y) / frame.rows + d.box.y * sy, d.box.width * sx,
                           d.box.height * sy);
        out.push_back(d);
      }
    }
  }

 private:
  ObjectSettings s_;
  std::shared_ptr<DnnModel> model_;
  std::vector<Detection> local_;
};

}  // namespace

DnnModel::DnnModel(const ModelManifest& manifest) : manifest_(manifest) {
  try {
    net_ = read_net(manifest_);
  } catch (const cv::Exception& e) {
    throw std::runtime_error("model manifest " + manifest_.manifest + ": cannot load " +
                             manifest_.file + ": " + e.what());
  }
  if (net_.empty()) {
    throw std::runtime_error("model manifest " + manifest_.manifest + ": cannot load " +
                             manifest_.file + " (empty network)");
  }
  net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  outputs_ = net_.getUnconnectedOutLayersNames();
  // A dry run: a network that does not fit its manifest fails at start-up, not later.
  cv::Mat probe(manifest_.input_height, manifest_.input_width, CV_8UC3, cv::Scalar(0, 0, 0));
  std::vector<Detection> none;
  try {
    detect(probe, 1.0f, none);
  } catch (const std::exception& e) {
    throw std::runtime_error("model manifest " + manifest_.manifest + ": the model " +
                             manifest_.file + " does not run: " + e.what());
  }
}

void DnnModel::detect(const cv::Mat& image, float min_confidence, std::vector<Detection>& out) {
  const cv::Mat* src = &image;
  if (image.channels() == 1) {
    cv::cvtColor(image, bgr_, cv::COLOR_GRAY2BGR);
    src = &bgr_;
  } else if (image.channels() == 4) {
    cv::cvtColor(image, bgr_, cv::COLOR_BGRA2BGR);
    src = &bgr_;
  }
  const ModelManifest& m = manifest_;
  input_ = cv::dnn::blobFromImage(*src, m.scale, cv::Size(m.input_width, m.input_height),
                                  cv::Scalar(m.mean[0], m.mean[1], m.mean[2]), m.swap_rb, false);
  net_.setInput(input_);
  net_.forward(blobs_, outputs_);
  const std::size_t first = out.size();
  for (const auto& b : blobs_) {
    if (m.decoding == "ssd") {
      decode_ssd(b, m, min_confidence, out);
    } else {
      decode_yolo(b, m, min_confidence, out);
    }
  }
  if (out.size() > first + 1) {
    std::vector<Detection> mine(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
    suppress_overlaps(mine, static_cast<float>(m.nms));
    out.resize(first);
    out.insert(out.end(), mine.begin(), mine.end());
  }
}

void decode_yolo(const cv::Mat& blob, const ModelManifest& m, float min_confidence,
                 std::vector<Detection>& out) {
  // [N, 5 + C] or [1, N, 5 + C]
  const int cols = blob.size[blob.dims - 1];
  if (cols < 6 || blob.type() != CV_32F) return;
  const cv::Mat rows =
      blob.reshape(1, static_cast<int>(blob.total() / static_cast<std::size_t>(cols)));
  const float sx = m.pixel_boxes ? 1.0f / static_cast<float>(m.input_width) : 1.0f;
  const float sy = m.pixel_boxes ? 1.0f / static_cast<float>(m.input_height) : 1.0f;
  for (int r = 0; r < rows.rows; ++r) {
    const float* p = rows.ptr<float>(r);
    const float obj = p[4];
    if (obj < std::max(min_confidence, static_cast<float>(m.confidence))) continue;
    const int best = static_cast<int>(std::max_element(p + 5, p + cols) - (p + 5));
    float score = p[5 + best];
    if (m.times_objectness) score *= obj;
    add(m, best, score, p[0] * sx, p[1] * sy, p[2] * sx, p[3] * sy, min_confidence, out);
  }
}

void decode_ssd(const cv::Mat& blob, const ModelManifest& m, float min_confidence,
                std::vector<Detection>& out) {
  if (blob.total() % 7 != 0 || blob.type() != CV_32F) return;
  const cv::Mat rows = blob.reshape(1, static_cast<int>(blob.total() / 7));
  for (int r = 0; r < rows.rows; ++r) {
    const float* p = rows.ptr<float>(r);
    const int label = static_cast<int>(p[1]) - (m.class_offset ? 1 : 0);
    const float x1 = std::clamp(p[3], 0.f, 1.f), y1 = std::clamp(p[4], 0.f, 1.f);
    const float x2 = std::clamp(p[5], 0.f, 1.f), y2 = std::clamp(p[6], 0.f, 1.f);
    add(m, label, p[2], (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, min_confidence, out);
  }
}

std::shared_ptr<DnnModel> load_dnn_model(const ModelManifest& manifest) {
  return std::make_shared<DnnModel>(manifest);
}

std::unique_ptr<ObjectDetector> make_dnn_detector(const ObjectSettings& settings,
                                                  std::shared_ptr<DnnModel> model) {
  return std::make_unique<DnnDetector>(settings, std::move(model));
}

}  // namespace gridsight::analytics
